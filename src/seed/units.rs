//! How a parallel load is cut into work: each table into ranges of its parents (sessions
//! or design jobs) so the large tables load on several connections at once, grouped in
//! levels that must load one after the other (parents before children, for foreign keys
//! left in place). Pure arithmetic: must not generate rows or talk to the database.

use std::ops::Range;

use crate::seed::tables::Table;
use crate::seed::volume::Volume;

/// One COPY of a parallel load: the rows of `parents` of `table`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unit {
    pub table: Table,
    pub parents: Range<u64>,
    /// Rows this unit writes.
    pub rows: u64,
}

/// Fewest rows worth a COPY of its own (below this, a table is not split further).
pub const MIN_UNIT_ROWS: u64 = 20_000;

/// The levels of a parallel load, loaded one after the other; the units of a level may
/// load in any order, on any connection. `techspec_bench.seeded_design_jobs` is not in
/// them (it is written with the run's record, before any other row).
pub const LEVELS: [&[Table]; 3] = [
    &[Table::DesignJobs],
    &[
        Table::DesignOutputs,
        Table::DesignDecisions,
        Table::Sessions,
    ],
    &[
        Table::Research,
        Table::Conversations,
        Table::Trds,
        Table::ErrorLogs,
    ],
];

/// Units per connection in a level: a connection that finishes early takes more.
const UNITS_PER_CONNECTION: u64 = 2;
/// Units per connection when the whole load is one level: with no barrier to wait at,
/// smaller last units keep both connections busy to the end.
const UNITS_PER_CONNECTION_UNORDERED: u64 = 4;

/// The units of each level for `jobs` connections, largest first within a level. With
/// `ordered` false (no foreign key between the dataset tables is in place) every table
/// loads in one level, so no connection waits for another at a level's end.
pub fn plan(volume: &Volume, jobs: usize, ordered: bool) -> Vec<Vec<Unit>> {
    let jobs = jobs.max(1) as u64;
    if !ordered {
        let tables: Vec<Table> = LEVELS.concat();
        return vec![level_units(
            volume,
            &tables,
            jobs * UNITS_PER_CONNECTION_UNORDERED,
        )];
    }
    LEVELS
        .iter()
        .map(|tables| level_units(volume, tables, jobs * UNITS_PER_CONNECTION))
        .collect()
}

fn level_units(volume: &Volume, tables: &[Table], units: u64) -> Vec<Unit> {
    let level_rows: u64 = tables.iter().map(|t| t.expected_rows(volume)).sum();
    let target = (level_rows / units).max(MIN_UNIT_ROWS);
    let mut units: Vec<Unit> = tables
        .iter()
        .flat_map(|table| split(volume, *table, target))
        .collect();
    units.sort_by_key(|u| std::cmp::Reverse(u.rows));
    units
}

/// `table` cut into ranges of parents of about `target` rows each.
fn split(volume: &Volume, table: Table, target: u64) -> Vec<Unit> {
    let parents = table.parents(volume);
    let rows = table.expected_rows(volume);
    let pieces = rows.div_ceil(target.max(1)).clamp(1, parents.max(1));
    (0..pieces)
        .map(|i| {
            let range = parents * i / pieces..parents * (i + 1) / pieces;
            Unit {
                table,
                rows: table.rows_of(volume, range.clone()),
                parents: range,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::options::SeedOptions;

    fn volume(sessions: u64) -> Volume {
        Volume::from_options(&SeedOptions {
            sessions,
            ..SeedOptions::default()
        })
    }

    #[test]
    fn units_cover_every_parent_of_every_table_exactly_once() {
        for (sessions, jobs) in [(1, 1), (10, 3), (37_123, 2), (100_000, 8)] {
            let volume = volume(sessions);
            let levels = plan(&volume, jobs, true);
            for (level, tables) in levels.iter().zip(LEVELS) {
                for table in tables {
                    let mut ranges: Vec<_> = level
                        .iter()
                        .filter(|u| u.table == *table)
                        .map(|u| u.parents.clone())
                        .collect();
                    ranges.sort_by_key(|r| r.start);
                    let mut next = 0;
                    for range in &ranges {
                        assert_eq!(range.start, next, "{table:?} at {sessions}/{jobs}");
                        next = range.end;
                    }
                    assert_eq!(next, table.parents(&volume));
                    let rows: u64 = level
                        .iter()
                        .filter(|u| u.table == *table)
                        .map(|u| u.rows)
                        .sum();
                    assert_eq!(rows, table.expected_rows(&volume));
                }
            }
        }
    }

    #[test]
    fn large_tables_are_split_for_several_connections_and_small_ones_are_not() {
        let levels = plan(&volume(100_000), 2, true);
        let conversations = levels[2]
            .iter()
            .filter(|u| u.table == Table::Conversations)
            .count();
        assert!(conversations >= 2, "{conversations}");
        assert!(levels[2].windows(2).all(|w| w[0].rows >= w[1].rows));
        let small = plan(&volume(100), 4, true);
        for (level, tables) in small.iter().zip(LEVELS) {
            assert_eq!(level.len(), tables.len(), "one unit per small table");
        }
    }

    #[test]
    fn without_foreign_keys_in_place_every_table_loads_in_one_level_largest_first() {
        let volume = volume(37_123);
        let flat = plan(&volume, 2, false);
        assert_eq!(flat.len(), 1);
        assert!(flat[0].windows(2).all(|w| w[0].rows >= w[1].rows));
        for table in LEVELS.concat() {
            let rows: u64 = flat[0]
                .iter()
                .filter(|u| u.table == table)
                .map(|u| u.rows)
                .sum();
            assert_eq!(rows, table.expected_rows(&volume), "{table:?}");
        }
        let enough = (2 * UNITS_PER_CONNECTION_UNORDERED) as usize;
        assert!(flat[0].len() >= enough, "{} units", flat[0].len());
    }
}
