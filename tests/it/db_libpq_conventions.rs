//! libpq conventions against the DATABASE_URL server: the application name DBAs see in
//! pg_stat_activity, services from pg_service.conf, and an insecure password file.
//! Must not touch databases other than its own.

use crate::common;

use std::collections::HashMap;
use std::os::unix::fs::PermissionsExt;

use techspec_bench::db::DbTarget;
use techspec_bench::db::target::{self, Resolved};

/// The target `url` resolves to with exactly these environment variables.
fn resolve_with(url: Option<&str>, env: &[(&str, &str)]) -> DbTarget {
    let env: HashMap<String, String> = env
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    let lookup = move |key: &str| env.get(key).cloned();
    match target::resolve(url, &lookup, None).unwrap() {
        Resolved::Named(target, _) => target,
        Resolved::Throwaway => panic!("a database must be named"),
    }
}

/// The application_name pg_stat_activity shows for the sessions on `db`, as seen from
/// another session while `client` is connected.
async fn application_names(db: &common::TestDb, client: &tokio_postgres::Client) -> Vec<String> {
    let pid: i32 = client
        .query_one("SELECT pg_backend_pid()", &[])
        .await
        .unwrap()
        .get(0);
    let observer = db.client().await;
    observer
        .query(
            "SELECT application_name FROM pg_stat_activity WHERE pid = $1",
            &[&pid],
        )
        .await
        .unwrap()
        .iter()
        .map(|row| row.get(0))
        .collect()
}

#[tokio::test]
async fn sessions_show_techspec_bench_in_pg_stat_activity_unless_pgappname_is_set() {
    let db = common::TestDb::create("appname").await;
    let client = techspec_bench::db::connect(&common::target(&db.url))
        .await
        .unwrap();
    assert_eq!(application_names(&db, &client).await, ["techspec-bench"]);

    let named = resolve_with(
        Some(&db.url),
        &[("PGSSLMODE", "disable"), ("PGAPPNAME", "nightly-gate")],
    );
    let client = techspec_bench::db::connect(&named).await.unwrap();
    assert_eq!(application_names(&db, &client).await, ["nightly-gate"]);
}

#[tokio::test]
async fn pgservice_names_the_database_through_a_service_file() {
    let db = common::TestDb::create("service").await;
    let url = url::Url::parse(&db.url).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pg_service.conf");
    std::fs::write(
        &file,
        format!(
            "# test services\n[bench]\nhost={}\nport={}\nuser={}\ndbname={}\nsslmode=disable\n",
            url.host_str().unwrap(),
            url.port().unwrap_or(5432),
            url.username(),
            db.name
        ),
    )
    .unwrap();
    let target = resolve_with(
        None,
        &[
            ("PGSERVICE", "bench"),
            ("PGSERVICEFILE", file.to_str().unwrap()),
        ],
    );
    let client = techspec_bench::db::connect(&target).await.unwrap();
    let current: String = client
        .query_one("SELECT current_database()", &[])
        .await
        .unwrap()
        .get(0);
    assert_eq!(current, db.name);
}

#[test]
fn a_world_readable_password_file_is_ignored_with_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    let passfile = dir.path().join("pgpass");
    std::fs::write(&passfile, "*:*:*:*:hunter2pw\n").unwrap();
    std::fs::set_permissions(&passfile, std::fs::Permissions::from_mode(0o644)).unwrap();
    let output = common::tool()
        .env("PGPASSFILE", &passfile)
        .args([
            "--database-url",
            "postgres://u@127.0.0.1:1/x?sslmode=disable",
            "migrate",
            "--status",
        ])
        .output()
        .expect("run techspec-bench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(
        stderr.contains(&format!("warning: password file {}", passfile.display())),
        "{stderr}"
    );
    assert!(stderr.contains("chmod 600"), "{stderr}");
    assert!(!stderr.contains("hunter2pw"), "{stderr}");
}
