//! Unit tests of the capture core: parsing shapes, inferring generators, choosing
//! statements, and rendering a file that the configuration loader reads back as written.

use super::infer::{ColumnInfo, Guess, Source, TableInfo, Tables, infer};
use super::lex::needs_quotes;
use super::parse::shape;
use super::render::{self, Captured, Header, PlanNote};
use super::shape::{Role, StatementKind, TableName};
use super::statements::{RankBy, choose};
use crate::config::{IntDist, ParamGen};
use crate::db::stat_statements::StatRow;
use tokio_postgres::types::Type;

fn column(name: &str, type_name: &str, unique: bool) -> ColumnInfo {
    let type_oid = match type_name {
        "uuid" => Type::UUID.oid(),
        "text" => Type::TEXT.oid(),
        "timestamp with time zone" => Type::TIMESTAMPTZ.oid(),
        "inet" => Type::INET.oid(),
        _ => Type::VARCHAR.oid(),
    };
    ColumnInfo {
        name: name.into(),
        type_name: type_name.into(),
        type_oid,
        unique,
        checked_with_others: name == "status",
    }
}

/// tech_spec_sessions (id uuid pk, status, created_at) and tech_conversations (id uuid pk,
/// session_id, content, timestamp).
fn tables() -> Tables {
    let sessions = TableInfo {
        columns: vec![
            column("id", "uuid", true),
            column("status", "character varying(50)", false),
            column("created_at", "timestamp with time zone", false),
        ],
    };
    let conversations = TableInfo {
        columns: vec![
            column("id", "uuid", true),
            column("session_id", "uuid", false),
            column("content", "text", false),
            column("timestamp", "timestamp with time zone", false),
            column("client_addr", "inet", false),
        ],
    };
    Tables::from([
        (TableName::bare("tech_spec_sessions"), sessions),
        (TableName::bare("tech_conversations"), conversations),
    ])
}

fn sample(table: &str, column: &str, unique: bool) -> Source {
    Source {
        table: TableName::bare(table),
        column: column.into(),
        unique,
    }
}

fn guesses(sql: &str) -> Vec<Guess> {
    infer(sql, &shape(sql).expect("parses"), &tables())
}

#[test]
fn a_compared_column_is_sampled_through_its_alias_and_limit_is_a_small_range() {
    let sql = "SELECT s.id FROM tech_spec_sessions s WHERE s.status = $1 \
               ORDER BY s.created_at DESC LIMIT $2 OFFSET $3";
    assert_eq!(
        guesses(sql),
        vec![
            Guess::Sample(sample("tech_spec_sessions", "status", false)),
            Guess::Limit,
            Guess::Offset,
        ]
    );
}

#[test]
fn unqualified_columns_resolve_to_the_one_joined_table_that_has_them() {
    let sql = "SELECT c.content FROM tech_conversations c JOIN tech_spec_sessions s \
               ON s.id = c.session_id WHERE session_id = $1 AND status IN ($2, $3)";
    assert_eq!(
        guesses(sql),
        vec![
            Guess::Sample(sample("tech_conversations", "session_id", false)),
            Guess::Sample(sample("tech_spec_sessions", "status", false)),
            Guess::Sample(sample("tech_spec_sessions", "status", false)),
        ]
    );
}

#[test]
fn any_takes_arrays_and_subqueries_see_their_own_tables() {
    let sql = "SELECT * FROM tech_spec_sessions WHERE id = ANY($1) AND EXISTS \
               (SELECT 1 FROM tech_conversations c WHERE c.session_id = tech_spec_sessions.id \
               AND c.timestamp > $2::timestamptz)";
    assert_eq!(
        guesses(sql),
        vec![
            Guess::ArraySample(sample("tech_spec_sessions", "id", true)),
            Guess::Sample(sample("tech_conversations", "timestamp", false)),
        ]
    );
}

#[test]
fn anything_else_is_a_placeholder_that_says_where_the_parameter_is() {
    let sql =
        "SELECT left(content, $1) FROM tech_conversations WHERE id = $2 AND lower(content) = $3";
    let found = guesses(sql);
    assert_eq!(
        found[1],
        Guess::Sample(sample("tech_conversations", "id", true))
    );
    let Guess::Todo(first) = &found[0] else {
        panic!("{found:?}")
    };
    assert!(
        first.starts_with("$1 in `SELECT left(content, $1) FROM tech_conversations"),
        "{first}"
    );
    assert!(
        first.ends_with("not compared with a table column"),
        "{first}"
    );
    assert!(
        found[2].is_todo(),
        "a function of a column is not the column: {found:?}"
    );
}

#[test]
fn ambiguous_and_unknown_columns_are_placeholders_not_guesses() {
    // Both tables have `id`: which one is compared is not the parser's to guess.
    let sql = "SELECT 1 FROM tech_spec_sessions, tech_conversations WHERE id = $1 AND nope = $2";
    let found = guesses(sql);
    let Guess::Todo(ambiguous) = &found[0] else {
        panic!("{found:?}")
    };
    assert!(ambiguous.contains("more than one FROM item"), "{ambiguous}");
    let Guess::Todo(unknown) = &found[1] else {
        panic!("{found:?}")
    };
    assert!(unknown.contains("found in no table"), "{unknown}");
    let inet = guesses("SELECT 1 FROM tech_conversations WHERE client_addr = $1");
    let Guess::Todo(inet) = &inet[0] else {
        panic!("{inet:?}")
    };
    assert!(
        inet.contains("of type inet, whose values the tool cannot draw"),
        "{inet}"
    );
    let cte =
        "WITH recent AS (SELECT * FROM tech_spec_sessions) SELECT * FROM recent WHERE status = $1";
    assert!(guesses(cte)[0].is_todo());
}

#[test]
fn stored_values_sample_their_column_unless_it_is_unique() {
    let insert = "INSERT INTO tech_conversations (id, session_id, content) VALUES ($1, $2, $3)";
    assert_eq!(
        guesses(insert),
        vec![
            Guess::NewUuid,
            Guess::Sample(sample("tech_conversations", "session_id", false)),
            Guess::Sample(sample("tech_conversations", "content", false)),
        ]
    );
    let update = "UPDATE tech_spec_sessions SET created_at = $1 WHERE id = $2";
    assert_eq!(
        guesses(update),
        vec![
            Guess::Sample(sample("tech_spec_sessions", "created_at", false)),
            Guess::Sample(sample("tech_spec_sessions", "id", true)),
        ]
    );
    // status is tied to other columns by a CHECK constraint (in these test tables).
    let checked = guesses("UPDATE tech_spec_sessions SET status = $1 WHERE status = $2");
    let Guess::Todo(why) = &checked[0] else {
        panic!("{checked:?}")
    };
    assert!(
        why.contains("a CHECK constraint ties to other columns"),
        "{why}"
    );
    assert_eq!(
        checked[1],
        Guess::Sample(sample("tech_spec_sessions", "status", false))
    );
    assert_eq!(shape(update).unwrap().kind, StatementKind::Write);
}

#[test]
fn kinds_and_tables_come_from_the_parser() {
    let read = shape("SELECT * FROM shared.design_jobs j WHERE j.id = $1").unwrap();
    assert_eq!(read.kind, StatementKind::Read);
    assert_eq!(
        read.tables,
        vec![TableName {
            schema: Some("shared".into()),
            name: "design_jobs".into()
        }]
    );
    let Some(Role::Compared {
        column,
        array: false,
    }) = read.use_of(1)
    else {
        panic!("{read:?}")
    };
    assert_eq!(column.qualifier.as_deref(), Some("j"));
    for sql in [
        "SELECT * FROM t FOR UPDATE",
        "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
        "DELETE FROM t WHERE id = $1",
    ] {
        assert_eq!(shape(sql).unwrap().kind, StatementKind::Write, "{sql}");
    }
    for sql in [
        "BEGIN",
        "SET statement_timeout = 30000",
        "EXPLAIN SELECT 1",
        "COPY t FROM STDIN",
    ] {
        assert_eq!(shape(sql).unwrap().kind, StatementKind::Utility, "{sql}");
    }
    assert!(shape("SELEC 1").is_err());
}

#[test]
fn only_names_that_need_it_are_quoted() {
    assert!(!needs_quotes("status"));
    assert!(!needs_quotes("session_id"));
    assert!(
        !needs_quotes("name"),
        "an unreserved keyword is a plain name"
    );
    assert!(needs_quotes("order"));
    assert!(needs_quotes("user"));
    assert!(needs_quotes("Status"));
    assert!(needs_quotes("has space"));
}

fn row(queryid: i64, query: &str, calls: u64, total_ms: f64) -> StatRow {
    StatRow {
        queryid,
        query: query.into(),
        calls,
        total_ms,
    }
}

#[test]
fn the_workload_is_ranked_and_the_rest_counted_out() {
    let rows = [
        row(
            1,
            "SELECT * FROM tech_spec_sessions WHERE id = $1",
            900,
            90.0,
        ),
        row(
            1,
            "SELECT * FROM tech_spec_sessions WHERE id = $1",
            100,
            10.0,
        ),
        row(
            2,
            "SELECT * FROM tech_conversations WHERE session_id = $1",
            50,
            400.0,
        ),
        row(
            3,
            "/* techspec-bench */ SELECT count(*) FROM tech_spec_sessions",
            5,
            1.0,
        ),
        row(4, "BEGIN", 2000, 2.0),
        row(5, "SELECT relname FROM pg_class WHERE oid = $1", 40, 1.0),
        row(6, "SELECT pg_sleep($1)", 40, 500.0),
        row(7, "SELECT * FROM tech_research WHERE id = $1", 3, 0.3),
        row(8, "SELECT FROM techspec_bench.seed_runs", 20, 0.3),
    ];
    let by_time = choose(&rows, RankBy::Total, 10, 10);
    let ids: Vec<i64> = by_time.chosen.iter().map(|c| c.queryid).collect();
    assert_eq!(ids, vec![2, 1]);
    assert_eq!(by_time.recorded, 8);
    assert_eq!(by_time.eligible, 2);
    let s = by_time.skipped;
    assert_eq!((s.tool, s.utility, s.catalog, s.few_calls), (2, 1, 2, 1));
    let first = &by_time.chosen[1];
    assert_eq!(first.calls, 1000);
    assert!((first.share_of_time - 100.0 / 1004.6).abs() < 1e-9);
    let by_calls = choose(&rows, RankBy::Calls, 1, 10);
    assert_eq!(by_calls.chosen[0].queryid, 1);
    assert_eq!(choose(&rows, RankBy::Mean, 1, 10).chosen[0].queryid, 2);
}

#[test]
fn names_are_verb_and_table_made_unique() {
    let rows = [
        row(1, "SELECT * FROM tech_spec_sessions WHERE id = $1", 10, 3.0),
        row(
            2,
            "select id from tech_spec_sessions where status = $1",
            10,
            2.0,
        ),
        row(
            3,
            "UPDATE tech_spec_sessions SET status = $1 WHERE id = $2",
            10,
            1.0,
        ),
    ];
    let chosen = choose(&rows, RankBy::Total, 10, 1).chosen;
    assert_eq!(
        render::names(&chosen),
        [
            "select_tech_spec_sessions",
            "select_tech_spec_sessions_2",
            "update_tech_spec_sessions"
        ]
    );
}

/// Renders `rows` as `capture` would (no plans) and loads the file with the real loader.
fn render_and_load(rows: &[StatRow]) -> (String, crate::Result<Vec<crate::config::Scenario>>) {
    let selection = choose(rows, RankBy::Total, 10, 1);
    let names = render::names(&selection.chosen);
    let captured: Vec<Captured> = selection
        .chosen
        .iter()
        .zip(names)
        .map(|(candidate, name)| Captured {
            name,
            guesses: infer(&candidate.sql, &candidate.shape, &tables()),
            write: candidate.shape.kind == StatementKind::Write,
            candidate: candidate.clone(),
            plan: PlanNote::None("not explained in this test".into()),
        })
        .collect();
    let header = Header {
        source: "postgres://app@db/app".into(),
        taken_at: "2026-12-08T02:00:00Z".into(),
        by: RankBy::Total,
        recorded: selection.recorded,
        eligible: selection.eligible,
        skipped: selection.skipped,
    };
    let text = render::render(&header, &captured);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("captured.toml");
    std::fs::write(&path, &text).unwrap();
    (text.clone(), crate::config::load_scenarios(&[path]))
}

#[test]
fn a_rendered_file_loads_as_the_generators_it_shows() {
    let rows = [
        row(
            1,
            "SELECT id FROM tech_spec_sessions WHERE status = $1\n  ORDER BY created_at DESC LIMIT $2",
            10,
            5.0,
        ),
        row(
            2,
            "UPDATE tech_spec_sessions SET created_at = $1 WHERE id = ANY($2)",
            10,
            1.0,
        ),
    ];
    let (text, loaded) = render_and_load(&rows);
    let scenarios = loaded.unwrap_or_else(|e| panic!("{e}\n{text}"));
    assert_eq!(scenarios[0].name, "select_tech_spec_sessions");
    assert_eq!(scenarios[0].group, "captured");
    assert_eq!(scenarios[0].steps[0].sql, rows[0].query);
    assert_eq!(
        scenarios[0].steps[0].params,
        vec![
            ParamGen::Sample(
                "SELECT DISTINCT status FROM tech_spec_sessions WHERE status IS NOT NULL ORDER BY 1 LIMIT 1000"
                    .into()
            ),
            ParamGen::Int { low: 1, high: 100, dist: IntDist::Uniform },
        ]
    );
    assert_eq!(
        scenarios[1].transaction,
        Some(crate::config::TransactionMode::Rollback)
    );
    let ParamGen::Sample(array) = &scenarios[1].steps[0].params[1] else {
        panic!()
    };
    assert!(
        array.starts_with("SELECT array_agg(v) FROM (SELECT v, row_number() OVER () % 100"),
        "{array}"
    );
    assert!(
        text.contains(
            "# 1. queryid 1: 50.0% of calls, 83.3% of execution time (10 calls, mean 500µs)"
        ),
        "{text}"
    );
}

#[test]
fn a_placeholder_fails_the_loader_at_its_line_and_says_what_to_fill_in() {
    let rows = [row(
        1,
        "SELECT left(content, $1) FROM tech_conversations WHERE id = $2",
        10,
        5.0,
    )];
    let (text, loaded) = render_and_load(&rows);
    let error = loaded.unwrap_err().to_string();
    let line = text.lines().position(|l| l.contains("todo =")).unwrap() + 1;
    assert!(
        error.contains(&format!("captured.toml:{line}:")),
        "{error}\n{text}"
    );
    assert!(
        error.contains("a parameter is still a placeholder: $1 in `SELECT left(content, $1)"),
        "{error}"
    );
    assert!(
        error.contains("replace this `todo` entry with a generator"),
        "{error}"
    );
    let filled = text.replace(
        &text
            .lines()
            .find(|l| l.contains("todo ="))
            .unwrap()
            .to_string(),
        "  { value = 80 },",
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("captured.toml");
    std::fs::write(&path, filled).unwrap();
    let scenarios = crate::config::load_scenarios(&[path]).expect("filled in, it loads");
    assert_eq!(
        scenarios[0].steps[0].params[0],
        ParamGen::Value(crate::config::Literal::Int(80))
    );
}
