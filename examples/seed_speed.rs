//! Measures `seed` through the library API in a scratch database (created, migrated with
//! migrations/*.sql, seeded, dropped), printing rows, MB, seconds and time per phase.
//! Must not touch any database but the scratch one it creates.
//!
//! cargo run --release --example seed_speed -- [--sessions N] [--indexes keep|defer|auto]
//!     [--foreign-keys keep|defer|auto] [--generate-only] [--keep-db] [--database-url URL]
//! The server is DATABASE_URL (default postgres://postgres@127.0.0.1:5432/postgres).

use std::time::Instant;

use techspec_bench::seed::{
    LoadTuning, SeedOptions, SeedOutcome, generate_without_database, parse_as_of, seed_with,
};

struct Args {
    sessions: u64,
    tuning: LoadTuning,
    generate_only: bool,
    keep_db: bool,
    /// Seed this (already migrated) database instead of a scratch one.
    database_url: Option<String>,
}

fn choice(value: Option<String>) -> Option<bool> {
    match value.as_deref() {
        Some("keep") => Some(false),
        Some("defer") => Some(true),
        _ => None,
    }
}

fn parse_args() -> Args {
    let mut args = Args {
        sessions: 100_000,
        tuning: LoadTuning::default(),
        generate_only: false,
        keep_db: false,
        database_url: None,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(flag) = iter.next() {
        match flag.as_str() {
            "--sessions" => {
                args.sessions = iter
                    .next()
                    .and_then(|v| v.parse().ok())
                    .expect("--sessions N")
            }
            "--indexes" => args.tuning.defer_indexes = choice(iter.next()),
            "--foreign-keys" => args.tuning.defer_foreign_keys = choice(iter.next()),
            "--generate-only" => args.generate_only = true,
            "--keep-db" => args.keep_db = true,
            "--database-url" => args.database_url = iter.next(),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

async fn connect(url: &str) -> tokio_postgres::Client {
    let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
        .await
        .expect("connect");
    tokio::spawn(connection);
    client
}

fn scratch_url(admin: &str, name: &str) -> String {
    let mut url = url::Url::parse(admin).expect("DATABASE_URL must be a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

async fn migrate(client: &tokio_postgres::Client) {
    let mut files: Vec<_> = std::fs::read_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/migrations"))
        .expect("migrations/")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    files.sort();
    for file in files {
        client
            .batch_execute(&std::fs::read_to_string(&file).expect("read"))
            .await
            .expect("migration");
    }
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let args = parse_args();
    let opts = SeedOptions {
        sessions: args.sessions,
        rng_seed: 7,
        as_of: parse_as_of("2026-01-01T00:00:00Z").expect("as_of"),
        ..SeedOptions::default()
    };
    if args.generate_only {
        let started = Instant::now();
        let (rows, bytes) = generate_without_database(&opts).expect("generate");
        let seconds = started.elapsed().as_secs_f64();
        println!(
            "generate only: {rows} rows, {:.1} MB of COPY data in {seconds:.2} s ({:.0} rows/s, {:.1} MB/s)",
            bytes as f64 / 1e6,
            rows as f64 / seconds,
            bytes as f64 / 1e6 / seconds
        );
        return;
    }
    let admin = std::env::var("DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into());
    let name = format!("seed_speed_{}", std::process::id());
    let scratch = args.database_url.is_none();
    let mut client = match &args.database_url {
        Some(url) => connect(url).await,
        None => {
            connect(&admin)
                .await
                .batch_execute(&format!("CREATE DATABASE {name}"))
                .await
                .expect("create database");
            let client = connect(&scratch_url(&admin, &name)).await;
            migrate(&client).await;
            client
        }
    };
    let started = Instant::now();
    let outcome = seed_with(&mut client, &opts, args.tuning).await;
    let seconds = started.elapsed().as_secs_f64();
    drop(client);
    match outcome {
        Ok(SeedOutcome::Seeded(report)) | Ok(SeedOutcome::AlreadySeeded(report)) => {
            let mb = report.bytes.unwrap_or(0) as f64 / 1e6;
            println!("{}", techspec_bench::seed::summary_table(&report));
            println!(
                "sessions {}: {} rows, {mb:.1} MB (pg_total_relation_size) in {seconds:.2} s = {:.0} rows/s, {:.1} MB/s",
                args.sessions,
                report.total_rows(),
                report.total_rows() as f64 / seconds,
                mb / seconds
            );
            for (phase, took) in &report.phases {
                println!("  {:>8.3} s  {phase}", took.as_secs_f64());
            }
        }
        Err(error) => eprintln!("seed failed: {error}"),
    }
    if scratch && !args.keep_db {
        connect(&admin)
            .await
            .batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"))
            .await
            .expect("drop");
    }
}
