//! `techspec-bench ablate`: what each index buys the scenarios whose plans use it, and what
//! each index and foreign key of a written table costs the write. Each (object, scenario)
//! pair is measured in one transaction on one connection that is always rolled back (see
//! `measure`), so nothing is ever left dropped. Refuses a named database without `--yes`
//! (the DROP holds an ACCESS EXCLUSIVE lock). Must not hold SQL (see `db::ablation`) nor
//! format numbers (see `render`).

pub mod gain;
pub mod measure;
pub mod model;
pub mod render;

use std::path::PathBuf;

use crate::app::database::{self, OpenDatabase};
use crate::app::dataset::{self, ensure_dataset};
use crate::app::ui::Ui;
use crate::cli::{AblateArgs, Cli};
use crate::config::{self, Scenario};
use crate::db::ablation::{self, Ablatable};
use crate::db::catalog::{self, QualifiedName};
use crate::explain::{self, ExplainedScenario};
use crate::outcome::Outcome;
use crate::params::{ParamDrawer, PrepareFailure};
use crate::report::{check_writable, write_atomic};
use crate::results::DatabaseInfo;
use crate::{Error, Result, TOOL_VERSION, exit_code};

use measure::{Effort, Measurement};
use model::{AblationReport, Method, Unmeasured};

/// Sessions seeded on a throwaway cluster, as for `run`.
const THROWAWAY_SESSIONS: u64 = 10_000;

/// Everything `ablate` needs from files and flags, validated before any database is touched.
pub struct AblatePlan {
    pub scenarios: Vec<Scenario>,
    /// Seed of the random parameter draws.
    pub rng_seed: u64,
    /// `--yes`: ablate a named database.
    pub yes: bool,
    pub json: Option<PathBuf>,
    pub markdown: Option<PathBuf>,
}

impl AblatePlan {
    /// Loads and selects the scenarios and checks the output paths (exit 2 on any problem).
    pub fn check(args: &AblateArgs) -> Result<AblatePlan> {
        let scenarios = config::load_scenarios(&args.selection.scenarios)?;
        let scenarios = config::select(scenarios, &args.selection.filter)?;
        for (flag, path) in [("--json", &args.json), ("--markdown", &args.markdown)] {
            if let Some(path) = path {
                check_writable(flag, path)?;
            }
        }
        Ok(AblatePlan {
            scenarios,
            rng_seed: args.selection.rng_seed,
            yes: args.yes,
            json: args.json.clone(),
            markdown: args.markdown.clone(),
        })
    }
}

/// Runs `ablate`. Exit 0 once everything measurable was measured: it informs, not gates.
pub async fn run(cli: &Cli, args: &AblateArgs) -> Result<i32> {
    let plan = AblatePlan::check(args)?;
    let ui = Ui::from_cli(cli);
    let mut database =
        database::open_seeded(cli, dataset::throwaway_dataset(THROWAWAY_SESSIONS)).await?;
    refuse_named_without_yes(&database, plan.yes)?;
    let mut client = database.connect().await?;
    ensure_dataset(&mut database, &mut client, false, THROWAWAY_SESSIONS, &ui).await?;
    explain::validate_expectations(&client, &plan.scenarios).await?;
    let mut report = new_report(&database, &client).await?;
    for scenario in &plan.scenarios {
        ablate_scenario(&mut client, scenario, plan.rng_seed, &ui, &mut report).await?;
    }
    report.candidates_to_drop = model::candidates(&report.reads);
    write_outputs(&plan, &report, &ui)?;
    Ok(exit_code::SUCCESS)
}

/// Exit 2 on a named database unless `--yes`: ablation locks the tables it measures.
fn refuse_named_without_yes(database: &OpenDatabase, yes: bool) -> Result<()> {
    if database.is_throwaway() || yes {
        return Ok(());
    }
    Err(Error::config(format!(
        "{}: ablate drops each index and foreign key it measures inside a transaction that is \
         always rolled back, but holds an ACCESS EXCLUSIVE lock on its table while it measures \
         (other sessions using the table wait); pass --yes to ablate this database anyway, or \
         name no database to measure a throwaway cluster",
        database.target.display
    )))
}

async fn new_report(
    database: &OpenDatabase,
    client: &tokio_postgres::Client,
) -> Result<AblationReport> {
    let mut notes = database.notes();
    notes.extend(catalog::settings_notes(client).await?);
    Ok(AblationReport {
        format: model::ABLATION_FORMAT.to_string(),
        tool_version: TOOL_VERSION.to_string(),
        started_at: chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        database: DatabaseInfo {
            server_version: catalog::server_version(client).await?,
            target: database.target.display.clone(),
            throwaway: database.is_throwaway(),
            notes,
        },
        dataset: catalog::table_row_counts(client).await?,
        method: Method::new(measure::BATCHES),
        reads: Vec::new(),
        writes: Vec::new(),
        candidates_to_drop: Vec::new(),
        unmeasured: Vec::new(),
    })
}

/// Ablates every index `scenario`'s plan uses and, when it writes, every index and foreign
/// key of the tables it writes.
async fn ablate_scenario(
    client: &mut tokio_postgres::Client,
    scenario: &Scenario,
    rng_seed: u64,
    ui: &Ui,
    report: &mut AblationReport,
) -> Result<()> {
    let unmeasured = |status, reason| Unmeasured {
        scenario: scenario.name.clone(),
        object: None,
        status,
        reason,
    };
    let (explained, drawer) = match explain_and_draw(client, scenario, rng_seed).await? {
        Ok(ready) => ready,
        Err((status, reason)) => {
            report.unmeasured.push(unmeasured(status, reason));
            return Ok(());
        }
    };
    let pairs = Pairs {
        scenario,
        drawer: &drawer,
        ui,
    };
    for index in &explained.check.indexes_used {
        match ablation::find_index(&*client, index).await? {
            Some(object) => pairs.read(client, &object, report).await?,
            None => report.unmeasured.push(Unmeasured {
                object: Some(index.clone()),
                ..unmeasured("failed", "the index is not in the catalog".into())
            }),
        }
    }
    for table in written_tables(&explained) {
        for object in ablation::write_side_objects(&*client, &table).await? {
            pairs.write(client, &object, report).await?;
        }
    }
    Ok(())
}

/// The scenario's plans (which indexes it uses, which tables it writes) and its parameter
/// drawer; `Err((status, reason))` when it cannot run here or its EXPLAIN failed.
async fn explain_and_draw(
    client: &mut tokio_postgres::Client,
    scenario: &Scenario,
    rng_seed: u64,
) -> Result<std::result::Result<(ExplainedScenario, ParamDrawer), (&'static str, String)>> {
    let explained = match explain::explain_scenario(client, scenario, rng_seed).await? {
        Outcome::Ok(explained) => explained,
        Outcome::Skip(reason) => return Ok(Err(("skipped", reason))),
        Outcome::Error(reason) => return Ok(Err(("failed", reason))),
    };
    match ParamDrawer::prepare(client, scenario, rng_seed).await {
        Ok(drawer) => Ok(Ok((explained, drawer))),
        Err(PrepareFailure::Skip(reason)) => Ok(Err(("skipped", reason))),
        Err(PrepareFailure::Error(error)) => Err(error),
    }
}

/// Measures (object, scenario) pairs of one scenario and files their rows.
struct Pairs<'a> {
    scenario: &'a Scenario,
    drawer: &'a ParamDrawer,
    ui: &'a Ui,
}

impl Pairs<'_> {
    async fn read(
        &self,
        client: &mut tokio_postgres::Client,
        object: &Ablatable,
        report: &mut AblationReport,
    ) -> Result<()> {
        if let Some(measurement) = self.measure(client, object, "reads", report).await? {
            let row = model::read_row(object, &self.scenario.name, &measurement);
            report.reads.push(row);
        }
        Ok(())
    }

    async fn write(
        &self,
        client: &mut tokio_postgres::Client,
        object: &Ablatable,
        report: &mut AblationReport,
    ) -> Result<()> {
        if let Some(measurement) = self.measure(client, object, "writes", report).await? {
            let row = model::write_row(object, &self.scenario.name, &measurement);
            report.writes.push(row);
        }
        Ok(())
    }

    /// The measurement, or `None` after filing why it failed.
    async fn measure(
        &self,
        client: &mut tokio_postgres::Client,
        object: &Ablatable,
        side: &str,
        report: &mut AblationReport,
    ) -> Result<Option<Measurement>> {
        self.ui.note(format!(
            "ablating {} {} ({side} of {})",
            object.kind_name(),
            object.name,
            self.scenario.name
        ));
        let effort = Effort::for_scenario(self.scenario);
        match measure::measure(client, self.scenario, object, self.drawer, effort).await? {
            Outcome::Ok(measurement) => Ok(Some(measurement)),
            Outcome::Skip(reason) | Outcome::Error(reason) => {
                report.unmeasured.push(Unmeasured {
                    scenario: self.scenario.name.clone(),
                    object: Some(object.name.clone()),
                    status: "failed",
                    reason,
                });
                Ok(None)
            }
        }
    }
}

/// The tables the scenario's statements insert into, update or delete from, in order.
fn written_tables(explained: &ExplainedScenario) -> Vec<QualifiedName> {
    let mut tables: Vec<QualifiedName> = Vec::new();
    let nodes = explained.steps.iter().flat_map(|step| step.plan.nodes());
    for node in nodes.filter(|n| n.node_type == "ModifyTable") {
        if let Some(relation) = &node.relation {
            let table = QualifiedName {
                schema: relation.schema.clone().unwrap_or_else(|| "public".into()),
                name: relation.name.clone(),
            };
            if !tables.contains(&table) {
                tables.push(table);
            }
        }
    }
    tables
}

/// `--json`, `--markdown`, then the table on stdout (only the closing lines with `-q`).
fn write_outputs(plan: &AblatePlan, report: &AblationReport, ui: &Ui) -> Result<()> {
    if let Some(path) = &plan.json {
        let bytes = serde_json::to_vec_pretty(report).map_err(|e| {
            Error::environment(format!("cannot encode the ablation results as JSON: {e}"))
        })?;
        write_atomic(path, &bytes)?;
    }
    if let Some(path) = &plan.markdown {
        write_atomic(path, render::markdown(report).as_bytes())?;
    }
    if ui.quiet {
        print!("{}", render::closing_lines(report));
    } else {
        print!("{}", render::table(report));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::explain::StepPlan;

    fn explained(plan: serde_json::Value) -> ExplainedScenario {
        ExplainedScenario {
            steps: vec![StepPlan {
                sql: "INSERT …".into(),
                params: Vec::new(),
                plan: explain::parse(&serde_json::json!([{ "Plan": plan }])).unwrap(),
                generic_plan: None,
            }],
            check: Default::default(),
            generic_check: None,
            plan_cache_mode: None,
            diagnoses: Vec::new(),
            fingerprint: String::new(),
        }
    }

    #[test]
    fn a_modify_table_node_names_the_written_table() {
        let insert = explained(serde_json::json!({
            "Node Type": "ModifyTable", "Operation": "Insert", "Schema": "public",
            "Relation Name": "tech_spec_sessions", "Alias": "tech_spec_sessions",
            "Plans": [{ "Node Type": "Result" }]
        }));
        assert_eq!(
            written_tables(&insert),
            [QualifiedName {
                schema: "public".into(),
                name: "tech_spec_sessions".into()
            }]
        );
        let read = explained(serde_json::json!({ "Node Type": "Seq Scan", "Relation Name": "t" }));
        assert!(written_tables(&read).is_empty());
    }
}
