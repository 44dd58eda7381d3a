//! Reads how often a connection's prepared statements ran with a custom plan (planned for
//! the bound values) and with the generic plan (planned once for any values), from
//! `pg_prepared_statements` on that same connection. Must not decide verdicts or time
//! anything.

use serde::{Deserialize, Serialize};
use tokio_postgres::Client;

/// Executions of one prepared statement (or the sum over several) by kind of plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PlanCounts {
    pub custom: u64,
    pub generic: u64,
}

impl PlanCounts {
    /// The sum of both counts.
    pub fn plus(self, other: PlanCounts) -> PlanCounts {
        PlanCounts {
            custom: self.custom + other.custom,
            generic: self.generic + other.generic,
        }
    }
}

/// The counts of the statements `client` prepared for `sqls` (one per SQL text, in order).
/// The server lists protocol-level prepared statements with their query text; a text
/// prepared twice is matched in order of preparation. A statement the server does not
/// list counts zero. Fails on servers before PostgreSQL 14, which keep no such counts.
pub async fn plan_counts(
    client: &Client,
    sqls: &[&str],
) -> Result<Vec<PlanCounts>, tokio_postgres::Error> {
    let rows = client
        .query(
            "SELECT statement, generic_plans, custom_plans \
             FROM pg_catalog.pg_prepared_statements \
             WHERE NOT from_sql AND statement = ANY($1) ORDER BY prepare_time, name",
            &[&sqls],
        )
        .await?;
    let listed: Vec<(String, PlanCounts)> = rows
        .iter()
        .map(|row| {
            let count = |column: &str| u64::try_from(row.get::<_, i64>(column)).unwrap_or(0);
            let counts = PlanCounts {
                custom: count("custom_plans"),
                generic: count("generic_plans"),
            };
            (row.get::<_, String>("statement"), counts)
        })
        .collect();
    Ok(in_order(sqls, listed))
}

/// The query that reads the counts of the statements named `names` on a connection of
/// `db::wire` (simple protocol, text results; see [`counts_by_name`]).
pub fn counts_by_name_sql(names: &[&str]) -> String {
    let list: Vec<String> = names
        .iter()
        .map(|name| format!("'{}'", name.replace('\'', "''")))
        .collect();
    format!(
        "SELECT name, generic_plans, custom_plans FROM pg_catalog.pg_prepared_statements \
         WHERE name IN ({})",
        list.join(", ")
    )
}

/// The counts of `names`, in order, from the text rows of [`counts_by_name_sql`]; zero for
/// a name not listed.
pub fn counts_by_name(names: &[&str], rows: &[Vec<Option<String>>]) -> Vec<PlanCounts> {
    let count = |cell: &Option<String>| cell.as_deref().and_then(|t| t.parse().ok()).unwrap_or(0);
    names
        .iter()
        .map(|name| {
            rows.iter()
                .find(|row| row.first().and_then(Option::as_deref) == Some(*name))
                .map(|row| PlanCounts {
                    generic: row.get(1).map_or(0, count),
                    custom: row.get(2).map_or(0, count),
                })
                .unwrap_or_default()
        })
        .collect()
}

/// The counts of `sqls` in order, each listed statement used once, zero for a text not
/// listed.
fn in_order(sqls: &[&str], mut listed: Vec<(String, PlanCounts)>) -> Vec<PlanCounts> {
    sqls.iter()
        .map(
            |sql| match listed.iter().position(|(text, _)| text == sql) {
                Some(at) => listed.remove(at).1,
                None => PlanCounts::default(),
            },
        )
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_by_name_follow_the_names_and_default_to_zero() {
        let rows = vec![
            vec![Some("b".to_string()), Some("3".into()), Some("1".into())],
            vec![Some("a".to_string()), Some("0".into()), Some("9".into())],
        ];
        assert_eq!(
            counts_by_name(&["a", "b", "c"], &rows),
            vec![
                PlanCounts {
                    custom: 9,
                    generic: 0
                },
                PlanCounts {
                    custom: 1,
                    generic: 3
                },
                PlanCounts::default()
            ]
        );
        assert!(counts_by_name_sql(&["a", "o'k"]).ends_with("IN ('a', 'o''k')"));
    }

    #[test]
    fn counts_follow_the_statements_and_default_to_zero() {
        let one = PlanCounts {
            custom: 5,
            generic: 95,
        };
        let two = PlanCounts {
            custom: 1,
            generic: 0,
        };
        let listed = vec![("SELECT 1".to_string(), one), ("SELECT 1".to_string(), two)];
        assert_eq!(
            in_order(&["SELECT 2", "SELECT 1", "SELECT 1"], listed),
            vec![PlanCounts::default(), one, two]
        );
        assert_eq!(
            one.plus(one),
            PlanCounts {
                custom: 10,
                generic: 190
            }
        );
    }
}
