//! Checks that the indexes and tables named by `expect` exist (a misspelt name is a
//! configuration error, exit 2, with a did-you-mean), and finds the table of each expected
//! index for sharper messages. The catalog queries live in `db::catalog`; this is the
//! validation over their answer. Must not change the database or run scenario statements
//! (it only prepares them, to learn whether their relations exist).

use tokio_postgres::Client;

use crate::Error;
use crate::config::{NoSeqScan, ParamGen, Scenario};
use crate::db::catalog::{self as db_catalog, QualifiedName, UserRelations};
use crate::db::missing;
use crate::db::stat_statements::TOOL_MARKER;
use crate::explain::check::IndexTables;
use crate::explain::plan::Relation;

/// The user-visible indexes, tables and schemas of the database.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Catalog {
    /// (index, its table), both with schema.
    pub indexes: Vec<(Relation, Relation)>,
    pub tables: Vec<Relation>,
    pub schemas: Vec<String>,
}

impl From<UserRelations> for Catalog {
    fn from(relations: UserRelations) -> Catalog {
        let relation = |qualified: QualifiedName| Relation {
            schema: Some(qualified.schema),
            name: qualified.name,
        };
        Catalog {
            indexes: relations
                .indexes
                .into_iter()
                .map(|(index, table)| (relation(index), relation(table)))
                .collect(),
            tables: relations.tables.into_iter().map(relation).collect(),
            schemas: relations.schemas,
        }
    }
}

impl Catalog {
    /// Reads the catalog.
    pub async fn load(client: &Client) -> Result<Catalog, tokio_postgres::Error> {
        Ok(Catalog::from(db_catalog::user_relations(client).await?))
    }

    fn has_index(&self, name: &str) -> bool {
        self.indexes.iter().any(|(index, _)| index.matches(name))
    }

    fn has_table(&self, name: &str) -> bool {
        self.tables.iter().any(|table| table.matches(name))
    }

    /// True when `name` is "schema.object" and that schema exists.
    fn in_existing_schema(&self, name: &str) -> bool {
        name.split_once('.')
            .is_some_and(|(schema, _)| self.schemas.iter().any(|s| s == schema))
    }
}

/// The table of each of `indexes` that exists, for failure messages.
pub async fn index_tables(
    client: &Client,
    indexes: &[String],
) -> Result<IndexTables, tokio_postgres::Error> {
    if indexes.is_empty() {
        return Ok(IndexTables::new());
    }
    let catalog = Catalog::load(client).await?;
    Ok(indexes
        .iter()
        .filter_map(|wanted| {
            let (index, table) = catalog
                .indexes
                .iter()
                .find(|(index, _)| index.matches(wanted))?;
            Some((index.name.clone(), table.clone()))
        })
        .collect())
}

/// Fails with a configuration error (exit 2) when an expectation names an index or table
/// that does not exist. A scenario whose own relations are missing (it will be skipped)
/// is only held to names in schemas that exist.
pub async fn validate_expectations(client: &Client, scenarios: &[Scenario]) -> crate::Result<()> {
    let catalog = Catalog::load(client)
        .await
        .map_err(|e| Error::database("reading the catalog to check plan expectations", &e))?;
    let mut problems = Vec::new();
    for scenario in scenarios.iter().filter(|s| !s.expect.is_empty()) {
        let runnable = relations_exist(client, scenario).await?;
        problems.extend(missing_objects(&catalog, scenario, runnable));
    }
    if problems.is_empty() {
        return Ok(());
    }
    Err(Error::config(problems.join("\n")))
}

/// False when preparing a statement (or `sample` query) of `scenario` fails for a missing
/// relation or schema: the scenario is going to be skipped.
async fn relations_exist(client: &Client, scenario: &Scenario) -> crate::Result<bool> {
    let samples = scenario
        .steps
        .iter()
        .flat_map(|step| &step.params)
        .filter_map(|param| match param {
            // Marked as the tool's own, as when they run (see `params`).
            ParamGen::Sample(sql) => Some(format!("{TOOL_MARKER} {sql}")),
            _ => None,
        });
    let statements: Vec<String> = scenario
        .steps
        .iter()
        .map(|step| step.sql.clone())
        .chain(samples)
        .collect();
    for sql in &statements {
        match client.prepare(sql).await {
            Ok(_) => {}
            Err(e) if missing::missing_relation(&e).is_some() => return Ok(false),
            Err(e) if e.as_db_error().is_some() => {}
            Err(e) => {
                return Err(Error::database(
                    format!("preparing scenario {}", scenario.name),
                    &e,
                ));
            }
        }
    }
    Ok(true)
}

/// One message per index or table named by `scenario.expect` that does not exist.
/// `runnable`: the scenario's own relations exist (otherwise it is going to be skipped).
pub fn missing_objects(catalog: &Catalog, scenario: &Scenario, runnable: bool) -> Vec<String> {
    let expect = &scenario.expect;
    let must_exist = |name: &str| runnable || catalog.in_existing_schema(name);
    let mut problems = Vec::new();
    for index in expect
        .indexes
        .iter()
        .filter(|i| !catalog.has_index(i) && must_exist(i))
    {
        let names = catalog.indexes.iter().map(|(index, _)| index.name.as_str());
        problems.push(message(scenario, "index", index, closest(index, names)));
    }
    let listed = match &expect.no_seq_scan {
        NoSeqScan::Tables(tables) => tables.as_slice(),
        _ => &[],
    };
    for table in expect.any_index_on.iter().chain(listed) {
        if !catalog.has_table(table) && must_exist(table) {
            let names = catalog.tables.iter().map(|t| t.name.as_str());
            problems.push(message(scenario, "table", table, closest(table, names)));
        }
    }
    problems
}

fn message(scenario: &Scenario, kind: &str, name: &str, suggestion: Option<&str>) -> String {
    let hint = suggestion
        .map(|s| format!(" Did you mean `{s}`?"))
        .unwrap_or_default();
    format!(
        "{}:{}: scenario `{}`: `expect` names {kind} `{name}`, which does not exist in the database.{hint} \
         Fix the name in `expect`, or create the {kind} (techspec-bench migrate).",
        scenario.origin.file.display(),
        scenario.origin.line,
        scenario.name,
    )
}

/// The existing name closest to `wanted`, when it is close enough to be a typo.
fn closest<'a>(wanted: &str, names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let bare = wanted.rsplit_once('.').map_or(wanted, |(_, name)| name);
    names
        .map(|name| (strsim::levenshtein(bare, name), name))
        .filter(|(distance, _)| *distance <= (bare.len() / 3).max(2))
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, name)| name)
}

#[cfg(test)]
#[path = "catalog_tests.rs"]
mod tests;
