//! Unit tests of the expectation-name validation (no database: a catalog built by hand).

use std::path::PathBuf;
use std::time::Duration;

use super::*;
use crate::config::{Expectations, LoadAmount, LoadShape, Origin, Step};

fn rel(schema: &str, name: &str) -> Relation {
    Relation {
        schema: Some(schema.into()),
        name: name.into(),
    }
}

fn catalog() -> Catalog {
    Catalog {
        indexes: vec![
            (
                rel("public", "idx_session_status_created"),
                rel("public", "tech_spec_sessions"),
            ),
            (
                rel("public", "tech_spec_sessions_pkey"),
                rel("public", "tech_spec_sessions"),
            ),
        ],
        tables: vec![
            rel("public", "tech_spec_sessions"),
            rel("shared", "design_jobs"),
        ],
        schemas: vec!["public".into(), "shared".into(), "pg_catalog".into()],
    }
}

fn scenario(expect: Expectations) -> Scenario {
    Scenario {
        name: "session_list_by_status".into(),
        group: "queries".into(),
        description: None,
        origin: Origin {
            file: PathBuf::from("scenarios/queries.toml"),
            line: 12,
        },
        load: LoadShape {
            amount: LoadAmount::Iterations(1),
            warmup: 0,
            clients: 1,
            rate: None,
        },
        steps: vec![Step {
            sql: "SELECT 1".into(),
            params: vec![],
            captures: vec![],
        }],
        transaction: None,
        expect,
        statement_timeout: Duration::from_secs(30),
        max_growth: None,
        protocol: Default::default(),
    }
}

fn indexes(names: &[&str]) -> Expectations {
    Expectations {
        indexes: names.iter().map(|n| n.to_string()).collect(),
        ..Expectations::default()
    }
}

#[test]
fn existing_names_pass() {
    let expect = Expectations {
        indexes: vec![
            "idx_session_status_created".into(),
            "public.tech_spec_sessions_pkey".into(),
        ],
        any_index_on: vec!["tech_spec_sessions".into()],
        no_seq_scan: NoSeqScan::Tables(vec!["shared.design_jobs".into()]),
        ..Expectations::default()
    };
    assert!(missing_objects(&catalog(), &scenario(expect), true).is_empty());
}

#[test]
fn a_misspelt_index_names_file_line_scenario_and_a_suggestion() {
    let problems = missing_objects(
        &catalog(),
        &scenario(indexes(&["idx_session_status_create"])),
        true,
    );
    assert_eq!(
        problems,
        [
            "scenarios/queries.toml:12: scenario `session_list_by_status`: `expect` names index \
          `idx_session_status_create`, which does not exist in the database. Did you mean \
          `idx_session_status_created`? Fix the name in `expect`, or create the index (techspec-bench migrate)."
        ]
    );
}

#[test]
fn an_unrelated_name_gets_no_suggestion() {
    let problems = missing_objects(
        &catalog(),
        &scenario(indexes(&["no_such_thing_at_all"])),
        true,
    );
    assert_eq!(problems.len(), 1);
    assert!(!problems[0].contains("Did you mean"), "{}", problems[0]);
}

#[test]
fn missing_tables_in_any_index_on_and_no_seq_scan_are_reported() {
    let expect = Expectations {
        any_index_on: vec!["tech_spec_session".into()],
        no_seq_scan: NoSeqScan::Tables(vec!["public.nope".into()]),
        ..Expectations::default()
    };
    let problems = missing_objects(&catalog(), &scenario(expect), true);
    assert_eq!(problems.len(), 2);
    assert!(
        problems[0].contains("table `tech_spec_session`")
            && problems[0].contains("`tech_spec_sessions`?")
    );
    assert!(problems[1].contains("table `public.nope`"));
}

#[test]
fn a_scenario_that_will_be_skipped_is_only_held_to_existing_schemas() {
    // Its relations are missing (e.g. the shared schema is absent): unqualified names and
    // names in absent schemas are not errors; the scenario is skipped at run time.
    let lenient = Expectations {
        indexes: vec!["design_outputs_pkey".into(), "other.some_idx".into()],
        any_index_on: vec!["design_outputs".into()],
        ..Expectations::default()
    };
    assert!(missing_objects(&catalog(), &scenario(lenient), false).is_empty());
    // A table in a schema that exists must exist, skipped or not.
    let strict = Expectations {
        any_index_on: vec!["shared.design_job".into()],
        ..Expectations::default()
    };
    assert_eq!(
        missing_objects(&catalog(), &scenario(strict), false).len(),
        1
    );
}

#[test]
fn the_catalog_keeps_the_schemas_the_database_reports() {
    let name = |schema: &str, name: &str| QualifiedName {
        schema: schema.into(),
        name: name.into(),
    };
    let relations = UserRelations {
        indexes: vec![(
            name("public", "idx_session_status_created"),
            name("public", "tech_spec_sessions"),
        )],
        tables: vec![name("shared", "design_jobs")],
        schemas: vec!["public".into(), "shared".into()],
    };
    let catalog = Catalog::from(relations);
    assert_eq!(
        catalog.indexes,
        vec![(
            rel("public", "idx_session_status_created"),
            rel("public", "tech_spec_sessions")
        )]
    );
    assert_eq!(catalog.tables, vec![rel("shared", "design_jobs")]);
    assert_eq!(catalog.schemas, vec!["public", "shared"]);
}
