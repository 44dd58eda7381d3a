//! Integration tests of the parameter contract against a real PostgreSQL: values bound with
//! the type the server infers, read back, captured from rows, and samples loaded or skipped.
//! Must not run the engine.

use crate::common;

use techspec_bench::config::model::{LoadAmount, ParamGen, Scenario};
use techspec_bench::params::{Captures, ParamDrawer, ParamValue, PrepareFailure, capture_column};
use tokio_postgres::types::ToSql;

fn scenario_with(params: Vec<ParamGen>) -> Scenario {
    let steps = vec![common::step("SELECT $1", params)];
    common::scenario("params", steps, LoadAmount::Iterations(1))
}

async fn echo(
    client: &tokio_postgres::Client,
    cast: &str,
    value: &ParamValue,
) -> Result<ParamValue, String> {
    let statement = client
        .prepare(&format!("SELECT $1::{cast}"))
        .await
        .map_err(|e| e.to_string())?;
    let params: [&(dyn ToSql + Sync); 1] = [value];
    let row = client
        .query_one(&statement, &params)
        .await
        .map_err(|e| format!("{e:?}"))?;
    row.try_get(0).map_err(|e| e.to_string())
}

#[tokio::test]
async fn values_bind_with_the_server_inferred_type_and_read_back() {
    let db = common::TestDb::create("params_types").await;
    let client = db.client().await;
    let id = uuid::Uuid::from_u128(0xabc);
    let cases = [
        ("int2", ParamValue::Int(12), ParamValue::Int(12)),
        ("int4", ParamValue::Int(-5), ParamValue::Int(-5)),
        ("int8", ParamValue::Int(1 << 50), ParamValue::Int(1 << 50)),
        ("float8", ParamValue::Float(2.5), ParamValue::Float(2.5)),
        (
            "numeric(5,2)",
            ParamValue::Float(12.345),
            ParamValue::Text("12.35".into()),
        ),
        (
            "numeric",
            ParamValue::Text("-10000.0001".into()),
            ParamValue::Text("-10000.0001".into()),
        ),
        (
            "text",
            ParamValue::Text("hé".into()),
            ParamValue::Text("hé".into()),
        ),
        (
            "varchar(10)",
            ParamValue::Text("v".into()),
            ParamValue::Text("v".into()),
        ),
        ("bool", ParamValue::Bool(true), ParamValue::Bool(true)),
        (
            "uuid",
            ParamValue::Text(id.to_string()),
            ParamValue::Uuid(id),
        ),
        (
            "timestamptz",
            ParamValue::Text("2026-11-27T10:00:00.25Z".into()),
            ParamValue::Text("2026-11-27T10:00:00.250Z".into()),
        ),
        (
            "date",
            ParamValue::Text("2026-11-27".into()),
            ParamValue::Text("2026-11-27".into()),
        ),
        (
            "jsonb",
            ParamValue::Text(r#"{"k": [1, 2]}"#.into()),
            ParamValue::Text(r#"{"k":[1,2]}"#.into()),
        ),
        ("int4", ParamValue::Null, ParamValue::Null),
        (
            "uuid[]",
            ParamValue::Array(vec![ParamValue::Uuid(id), ParamValue::Null]),
            ParamValue::Array(vec![ParamValue::Uuid(id), ParamValue::Null]),
        ),
    ];
    for (cast, sent, expected) in cases {
        assert_eq!(echo(&client, cast, &sent).await, Ok(expected), "{cast}");
    }
    let error = echo(&client, "int4", &ParamValue::Text("x".into()))
        .await
        .unwrap_err();
    assert!(
        error.contains("cannot bind a text value to a parameter of type int4"),
        "{error}"
    );
}

#[tokio::test]
async fn captured_columns_become_arrays_usable_with_any() {
    let db = common::TestDb::create("params_capture").await;
    let client = db.client().await;
    let rows = client
        .query(
            "SELECT gen_random_uuid() AS id, n FROM generate_series(1, 3) n",
            &[],
        )
        .await
        .unwrap();
    let ParamValue::Array(ids) = capture_column(&rows, "id").unwrap() else {
        panic!("not an array")
    };
    assert_eq!(ids.len(), 3);
    assert!(ids.iter().all(|v| matches!(v, ParamValue::Uuid(_))));
    let error = capture_column(&rows, "missing").unwrap_err();
    assert!(
        error.contains("`missing`") && error.contains("id, n"),
        "{error}"
    );
    let array = ParamValue::Array(ids);
    let params: [&(dyn ToSql + Sync); 1] = [&array];
    let matched: i64 = client
        .query_one(
            "SELECT count(*) FROM unnest($1::uuid[]) u WHERE u = ANY($1)",
            &params,
        )
        .await
        .unwrap()
        .get(0);
    assert_eq!(matched, 3);
    assert_eq!(capture_column(&[], "id"), Ok(ParamValue::Array(Vec::new())));
}

#[tokio::test]
async fn samples_are_loaded_once_and_drawn_from() {
    let db = common::TestDb::create("params_sample").await;
    let client = db.client().await;
    let sql = "SELECT n FROM generate_series(10, 12) n";
    let scenario = scenario_with(vec![ParamGen::Sample(sql.into())]);
    let Ok(mut drawer) = ParamDrawer::prepare(&client, &scenario, 5).await else {
        panic!("prepare failed")
    };
    for _ in 0..30 {
        let drawn = drawer.draw(&scenario.steps[0], &Captures::new());
        assert!(matches!(drawn[..], [ParamValue::Int(10..=12)]), "{drawn:?}");
    }
}

#[tokio::test]
async fn a_sample_on_a_missing_relation_is_a_skip_and_one_without_rows_an_environment_error() {
    let db = common::TestDb::create("params_skip").await;
    let client = db.client().await;
    let missing = scenario_with(vec![ParamGen::Sample(
        "SELECT id FROM shared.design_jobs".into(),
    )]);
    match ParamDrawer::prepare(&client, &missing, 1).await {
        Err(PrepareFailure::Skip(reason)) => {
            assert_eq!(reason, "relation shared.design_jobs does not exist")
        }
        other => panic!("expected a skip, got {:?}", other.map(|_| ())),
    }
    let empty = scenario_with(vec![ParamGen::Sample("SELECT 1 WHERE false".into())]);
    match ParamDrawer::prepare(&client, &empty, 1).await {
        Err(PrepareFailure::Error(error)) => {
            assert_eq!(error.exit_code(), 3);
            let text = error.to_string();
            assert!(
                text.contains("sample `SELECT 1 WHERE false` returned no rows")
                    && text.contains("techspec-bench seed"),
                "{text}"
            );
        }
        other => panic!("expected an error, got {:?}", other.map(|_| ())),
    }
}
