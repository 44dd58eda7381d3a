//! The generator thread: encodes every table's rows, in load order, into binary COPY
//! chunks sent through a bounded channel, so generation overlaps loading and memory stays
//! flat. Must not talk to the database; it stops as soon as the loader goes away.

use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::mpsc;

use crate::seed::context::GenContext;
use crate::seed::encode::CopyEncoder;
use crate::seed::tables::{Slice, Table};
use crate::seed::units::Unit;

/// Bytes per chunk handed to the COPY.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks in flight between the generator and the loader (bounds memory to a few MB).
pub const CHANNEL_CHUNKS: usize = 16;

/// A piece of one table's COPY data.
#[derive(Debug)]
pub struct Chunk {
    pub table: Table,
    pub data: Bytes,
    pub rows: u64,
    /// The table's (or unit's) last chunk (it ends with the COPY trailer).
    pub last: bool,
    /// Time the generator spent producing this chunk (not waiting for the loader).
    pub generated: Duration,
}

/// What the generator sends: a chunk, or why generation failed.
pub type ChunkMessage = Result<Chunk, String>;

/// Starts the generator thread for `tables` (every row of each).
pub fn spawn(
    context: GenContext,
    tables: Vec<Table>,
) -> std::io::Result<(mpsc::Receiver<ChunkMessage>, JoinHandle<()>)> {
    let units = tables
        .into_iter()
        .map(|table| Unit {
            table,
            parents: 0..table.parents(&context.volume),
            rows: table.expected_rows(&context.volume),
        })
        .collect();
    spawn_units(context, units)
}

/// Starts the generator thread for the rows of `tables` that the parents of `slice` own
/// (a dataset grown from one size to the next).
pub fn spawn_slice(
    context: GenContext,
    tables: Vec<Table>,
    slice: Slice,
) -> std::io::Result<(mpsc::Receiver<ChunkMessage>, JoinHandle<()>)> {
    let units = tables
        .into_iter()
        .map(|table| Unit {
            table,
            parents: slice.parents_of(table),
            rows: table.rows_in(&context.volume, &slice),
        })
        .collect();
    spawn_units(context, units)
}

/// Starts the generator thread for `units`, one COPY stream each.
pub fn spawn_units(
    context: GenContext,
    units: Vec<Unit>,
) -> std::io::Result<(mpsc::Receiver<ChunkMessage>, JoinHandle<()>)> {
    let (sender, receiver) = mpsc::channel(CHANNEL_CHUNKS);
    let handle = std::thread::Builder::new()
        .name("seed-generator".into())
        .spawn(move || generate_all(&context, &units, &sender))?;
    Ok((receiver, handle))
}

fn generate_all(context: &GenContext, units: &[Unit], sender: &mpsc::Sender<ChunkMessage>) {
    for unit in units {
        let table = unit.table;
        match generate_table(context, unit, sender) {
            Ok(true) => {}
            Ok(false) => return, // the loader stopped listening
            Err(message) => {
                let _ =
                    sender.blocking_send(Err(format!("generating {}: {message}", table.name())));
                return;
            }
        }
    }
}

/// Sends one unit's chunks; `Ok(false)` when the receiver is gone.
fn generate_table(
    context: &GenContext,
    unit: &Unit,
    sender: &mpsc::Sender<ChunkMessage>,
) -> Result<bool, String> {
    let table = unit.table;
    let mut out = CopyEncoder::new(table.types(), CHUNK_BYTES + 64 * 1024);
    let mut connected = true;
    let mut since = Instant::now();
    table.generate_range(context, unit.parents.clone(), &mut out, |out| {
        if out.buffered() >= CHUNK_BYTES {
            let (data, rows) = out.take();
            let generated = since.elapsed();
            connected = sender
                .blocking_send(Ok(Chunk {
                    table,
                    data,
                    rows,
                    last: false,
                    generated,
                }))
                .is_ok();
            since = Instant::now();
        }
        connected
    })?;
    if !connected {
        return Ok(false);
    }
    let (data, rows) = out.finish();
    let generated = since.elapsed();
    Ok(sender
        .blocking_send(Ok(Chunk {
            table,
            data,
            rows,
            last: true,
            generated,
        }))
        .is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::seed::options::{SeedOptions, parse_as_of};
    use crate::seed::volume::Volume;

    fn context(sessions: u64) -> GenContext {
        GenContext {
            rng_seed: 7,
            as_of: parse_as_of("2026-01-01T00:00:00Z").unwrap(),
            volume: Volume::from_options(&SeedOptions {
                sessions,
                ..SeedOptions::default()
            }),
            seed_run_id: 1,
        }
    }

    fn drain(sessions: u64) -> Vec<(Table, Vec<u8>, u64)> {
        let (mut receiver, handle) = spawn(context(sessions), Table::LOAD_ORDER.to_vec()).unwrap();
        let mut tables: Vec<(Table, Vec<u8>, u64)> = Vec::new();
        while let Some(message) = receiver.blocking_recv() {
            let chunk = message.unwrap();
            if tables.last().is_none_or(|(t, _, _)| *t != chunk.table) {
                tables.push((chunk.table, Vec::new(), 0));
            }
            let entry = tables.last_mut().unwrap();
            entry.1.extend_from_slice(&chunk.data);
            entry.2 += chunk.rows;
        }
        handle.join().unwrap();
        tables
    }

    #[test]
    fn the_same_seed_gives_byte_identical_copy_data() {
        let first = drain(300);
        assert_eq!(first.len(), Table::LOAD_ORDER.len());
        assert_eq!(first, drain(300));
        assert_eq!(first[4].2, 300);
    }

    /// FNV-1a: a hash whose value never depends on the Rust release.
    fn fnv1a(bytes: &[u8]) -> u64 {
        bytes.iter().fold(0xcbf2_9ce4_8422_2325, |hash, byte| {
            (hash ^ u64::from(*byte)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    }

    #[test]
    fn the_data_of_a_seed_never_changes_between_releases() {
        // Baselines compare runs on datasets seeded with the same --rng-seed and --as-of:
        // a change to generation must not change those rows unnoticed. If this fails on
        // purpose, say so in the changelog (old baselines then compare different data).
        let hashes: Vec<(&str, u64, u64)> = drain(40)
            .iter()
            .map(|(table, data, rows)| (table.name(), *rows, fnv1a(data)))
            .collect();
        let expected: Vec<(&str, u64, u64)> = vec![
            (
                "techspec_bench.seeded_design_jobs",
                20,
                13225289095970425638,
            ),
            ("shared.design_jobs", 20, 16030097716517777438),
            ("shared.design_outputs", 40, 9270152158550781304),
            ("shared.design_decisions", 60, 4449857921845533264),
            ("tech_spec_sessions", 40, 1035274301640575066),
            ("tech_research", 120, 9149553445433418833),
            ("tech_conversations", 320, 6150503230061152469),
            ("trd_documents", 24, 16796578672828987417),
            ("tech_error_logs", 60, 8336646531256919038),
        ];
        assert_eq!(hashes, expected);
    }

    #[test]
    fn the_generator_stops_when_the_loader_goes_away() {
        let (receiver, handle) = spawn(context(1_000_000), Table::LOAD_ORDER.to_vec()).unwrap();
        drop(receiver);
        handle.join().unwrap(); // returns promptly instead of generating 14 M rows
    }
}
