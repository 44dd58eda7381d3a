use super::*;
use std::collections::HashMap;

use crate::db::tls::{RootCert, SslMode};

const TIMEOUT: Duration = DEFAULT_CONNECT_TIMEOUT;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key: &str| map.get(key).cloned()
}

fn named(resolved: Resolved) -> (DbTarget, TargetSource) {
    match resolved {
        Resolved::Named(target, source) => (target, source),
        Resolved::Throwaway => panic!("expected a named target"),
    }
}

#[test]
fn flag_wins_over_database_url_and_libpq_variables() {
    let env = env_of(&[
        ("DATABASE_URL", "postgres://env@envhost/envdb"),
        ("PGHOST", "pghost"),
    ]);
    let (target, source) =
        named(resolve(Some("postgres://flag@flaghost/flagdb"), &env, None).unwrap());
    assert_eq!(source, TargetSource::Flag);
    assert_eq!(target.display, "postgres://flag@flaghost:5432/flagdb");
    assert!(!target.throwaway);
}

#[test]
fn database_url_wins_over_libpq_variables() {
    let env = env_of(&[
        ("DATABASE_URL", "postgres://env@envhost:6000/envdb"),
        ("PGHOST", "pghost"),
    ]);
    let (target, source) = named(resolve(None, &env, None).unwrap());
    assert_eq!(source, TargetSource::DatabaseUrlEnv);
    assert_eq!(target.display, "postgres://env@envhost:6000/envdb");
}

#[test]
fn libpq_variables_apply_when_pghost_or_pgdatabase_is_set() {
    let env = env_of(&[
        ("PGDATABASE", "app"),
        ("PGUSER", "me"),
        ("PGPORT", "6543"),
        ("PGSSLMODE", "require"),
    ]);
    let (target, source) = named(resolve(None, &env, None).unwrap());
    assert_eq!(source, TargetSource::LibpqEnv);
    assert_eq!(target.display, "postgres://me@localhost:6543/app");
    assert_eq!(target.tls.mode, SslMode::Require);
    let only_user = env_of(&[("PGUSER", "me"), ("PGPASSWORD", "x")]);
    assert!(matches!(
        resolve(None, &only_user, None).unwrap(),
        Resolved::Throwaway
    ));
}

#[test]
fn nothing_configured_means_a_throwaway_cluster() {
    assert!(matches!(
        resolve(None, &|_| None, None).unwrap(),
        Resolved::Throwaway
    ));
    let blank = env_of(&[("DATABASE_URL", "  "), ("PGHOST", "")]);
    assert!(matches!(
        resolve(Some(""), &blank, None).unwrap(),
        Resolved::Throwaway
    ));
}

#[test]
fn the_password_never_appears_in_the_display_or_debug_output() {
    let (target, _) = named(resolve(Some("postgres://u:hunter2pw@h/d"), &|_| None, None).unwrap());
    assert_eq!(target.config.get_password(), Some(&b"hunter2pw"[..]));
    assert_eq!(target.display, "postgres://u@h:5432/d");
    assert!(!format!("{target:?}").contains("hunter2pw"));
    let (kv, _) = named(
        resolve(
            Some("host=h user=u password=hunter2pw dbname=d"),
            &|_| None,
            None,
        )
        .unwrap(),
    );
    assert_eq!(kv.display, "postgres://u@h:5432/d");
}

#[test]
fn bad_strings_are_config_errors_naming_their_origin_without_the_password() {
    let error = resolve(
        Some("postgres://u:hunter2pw@h/d?sslmode=sometimes"),
        &|_| None,
        None,
    )
    .unwrap_err();
    assert_eq!(error.exit_code(), 2);
    let text = error.to_string();
    assert!(text.starts_with("--database-url:"), "{text}");
    assert!(!text.contains("hunter2pw"), "{text}");
    let env = env_of(&[("DATABASE_URL", "host=h password=hunter2pw bogus")]);
    let text = resolve(None, &env, None).unwrap_err().to_string();
    assert!(
        text.starts_with("DATABASE_URL:") && !text.contains("hunter2pw"),
        "{text}"
    );
}

#[test]
fn missing_values_come_from_the_libpq_variables_then_defaults() {
    let env = env_of(&[
        ("PGPASSWORD", "pw"),
        ("USER", "osuser"),
        ("PGSSLMODE", "verify-full"),
        ("PGSSLROOTCERT", "/etc/ca.pem"),
    ]);
    let (target, _) = named(resolve(Some("postgres://h"), &env, None).unwrap());
    assert_eq!(target.display, "postgres://osuser@h:5432/osuser");
    assert_eq!(target.config.get_password(), Some(&b"pw"[..]));
    assert_eq!(target.tls.mode, SslMode::VerifyFull);
    assert_eq!(
        target.tls.root_cert,
        Some(RootCert::File("/etc/ca.pem".into()))
    );
    assert_eq!(target.config.get_connect_timeout(), Some(&TIMEOUT));
    assert_eq!(target.config.get_application_name(), Some("techspec-bench"));
    let (own, _) = named(
        resolve(
            Some("postgres://h?sslmode=disable&connect_timeout=3"),
            &env,
            None,
        )
        .unwrap(),
    );
    assert_eq!(own.tls.mode, SslMode::Disable);
    assert_eq!(
        own.config.get_connect_timeout(),
        Some(&Duration::from_secs(3))
    );
}

#[test]
fn pgpass_supplies_a_missing_password_only() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join(".pgpass"),
        "db.example:5432:app:alice:frompgpass\n",
    )
    .unwrap();
    std::fs::set_permissions(
        dir.path().join(".pgpass"),
        std::os::unix::fs::PermissionsExt::from_mode(0o600),
    )
    .unwrap();
    let home = dir.path().to_str().unwrap().to_string();
    let env = env_of(&[("HOME", &home)]);
    let (target, _) = named(resolve(Some("postgres://alice@db.example/app"), &env, None).unwrap());
    assert_eq!(target.config.get_password(), Some(&b"frompgpass"[..]));
    let (given, _) =
        named(resolve(Some("postgres://alice:given@db.example/app"), &env, None).unwrap());
    assert_eq!(given.config.get_password(), Some(&b"given"[..]));
    let (other, _) = named(resolve(Some("postgres://bob@db.example/app"), &env, None).unwrap());
    assert_eq!(other.config.get_password(), None);
}

#[test]
fn unix_socket_hosts_and_multiple_hosts_display_readably() {
    let env = env_of(&[("PGHOST", "/var/run/postgresql"), ("PGUSER", "u")]);
    let (target, _) = named(resolve(None, &env, None).unwrap());
    assert_eq!(target.display, "postgres://u@/var/run/postgresql:5432/u");
    let (multi, _) =
        named(resolve(Some("host=a,b port=7 user=u dbname=d"), &|_| None, None).unwrap());
    assert_eq!(multi.display, "postgres://u@a,b:7/d");
}

#[test]
fn a_bad_pgport_is_a_config_error() {
    let env = env_of(&[("PGHOST", "h"), ("PGPORT", "http")]);
    let error = resolve(None, &env, None).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("PGPORT"));
}

#[test]
fn verifying_modes_without_a_root_certificate_are_refused_naming_the_target() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_str().unwrap().to_string();
    let env = env_of(&[("HOME", &home)]);
    for mode in ["verify-ca", "verify-full"] {
        let url = format!("postgres://u:hunter2pw@db.example/app?sslmode={mode}");
        let error = resolve(Some(&url), &env, None).unwrap_err();
        assert_eq!(error.exit_code(), 3);
        let text = error.to_string();
        assert!(text.contains("postgres://u@db.example:5432/app"), "{text}");
        assert!(
            text.contains("PGSSLROOTCERT") && !text.contains("hunter2pw"),
            "{text}"
        );
    }
    std::fs::create_dir(dir.path().join(".postgresql")).unwrap();
    std::fs::write(dir.path().join(".postgresql/root.crt"), "").unwrap();
    let (target, _) = named(
        resolve(
            Some("postgres://db.example/app?sslmode=verify-ca"),
            &env,
            None,
        )
        .unwrap(),
    );
    assert_eq!(
        target.tls.root_cert,
        Some(RootCert::File(dir.path().join(".postgresql/root.crt")))
    );
}

#[test]
fn sslrootcert_system_defaults_to_verify_full_and_refuses_weaker_modes() {
    let (target, _) = named(
        resolve(
            Some("postgres://db.example/app?sslrootcert=system"),
            &|_| None,
            None,
        )
        .unwrap(),
    );
    assert_eq!(target.tls.mode, SslMode::VerifyFull);
    assert_eq!(target.tls.root_cert, Some(RootCert::System));
    let env = env_of(&[("PGSSLROOTCERT", "system"), ("PGSSLMODE", "verify-ca")]);
    let error = resolve(Some("postgres://db.example/app"), &env, None).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().starts_with("--database-url:"), "{error}");
}

#[test]
fn pgconnect_timeout_and_pgappname_fill_what_the_string_leaves_out() {
    let env = env_of(&[("PGCONNECT_TIMEOUT", "25"), ("PGAPPNAME", "nightly-gate")]);
    let (target, _) = named(resolve(Some("postgres://h/d"), &env, None).unwrap());
    assert_eq!(
        target.config.get_connect_timeout(),
        Some(&Duration::from_secs(25))
    );
    assert_eq!(target.config.get_application_name(), Some("nightly-gate"));
    let (own, _) = named(
        resolve(
            Some("postgres://h/d?connect_timeout=3&application_name=mine"),
            &env,
            None,
        )
        .unwrap(),
    );
    assert_eq!(
        own.config.get_connect_timeout(),
        Some(&Duration::from_secs(3))
    );
    assert_eq!(own.config.get_application_name(), Some("mine"));
    let zero = env_of(&[("PGCONNECT_TIMEOUT", "0")]);
    let (fallback, _) = named(resolve(Some("postgres://h/d"), &zero, None).unwrap());
    assert_eq!(fallback.config.get_connect_timeout(), Some(&TIMEOUT));
    let bad = env_of(&[("PGCONNECT_TIMEOUT", "10s")]);
    let error = resolve(Some("postgres://h/d"), &bad, None).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("PGCONNECT_TIMEOUT"), "{error}");
}

/// A service file in a temp dir, and an environment naming it.
fn service_env(
    contents: &str,
    extra: &[(&str, &str)],
) -> (tempfile::TempDir, impl Fn(&str) -> Option<String> + use<>) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("services.conf");
    std::fs::write(&file, contents).unwrap();
    let file = file.to_str().unwrap().to_string();
    let mut pairs = vec![("PGSERVICEFILE", file.as_str())];
    pairs.extend_from_slice(extra);
    (dir, env_of(&pairs))
}

#[test]
fn a_service_sits_between_the_string_and_the_libpq_variables() {
    let services = "[ci]\nhost=svc-host\nport=7000\nuser=svc-user\ndbname=svc-db\n";
    let (_dir, env) = service_env(
        services,
        &[
            ("PGSERVICE", "ci"),
            ("PGPORT", "6000"),
            ("PGUSER", "env-user"),
        ],
    );
    let (target, source) = named(resolve(None, &env, None).unwrap());
    assert_eq!(source, TargetSource::LibpqEnv);
    assert_eq!(target.display, "postgres://svc-user@svc-host:7000/svc-db");
    let (own, _) = named(resolve(Some("host=own user=me dbname=own_db"), &env, None).unwrap());
    assert_eq!(own.display, "postgres://me@own:7000/own_db");
    let (kv, _) = named(resolve(Some("service=ci dbname=x"), &env, None).unwrap());
    assert_eq!(kv.display, "postgres://svc-user@svc-host:7000/x");
}

#[test]
fn service_in_the_string_wins_over_pgservice_and_unknown_services_are_config_errors() {
    let services = "[a]\nhost=host-a\n[b]\nhost=host-b\n";
    let (_dir, env) = service_env(services, &[("PGSERVICE", "a"), ("PGUSER", "u")]);
    let (target, _) = named(resolve(Some("service=b dbname=d"), &env, None).unwrap());
    assert_eq!(target.display, "postgres://u@host-b:5432/d");
    let error = resolve(Some("service=nope"), &env, None).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    let text = error.to_string();
    assert!(
        text.starts_with("--database-url:") && text.contains("`nope`"),
        "{text}"
    );
}

#[test]
fn an_explicit_connect_timeout_beats_the_string_and_pgconnect_timeout() {
    let env = env_of(&[("PGCONNECT_TIMEOUT", "25")]);
    let flag = Some(Duration::from_secs(3));
    for url in ["postgres://h/d", "postgres://h/d?connect_timeout=40"] {
        let (target, _) = named(resolve(Some(url), &env, flag).unwrap());
        assert_eq!(target.config.get_connect_timeout(), flag.as_ref(), "{url}");
    }
    let (unflagged, _) = named(resolve(Some("postgres://h/d"), &env, None).unwrap());
    assert_eq!(
        unflagged.config.get_connect_timeout(),
        Some(&Duration::from_secs(25))
    );
}

#[test]
fn a_url_without_a_port_takes_pgport_then_a_service_port_as_libpq_does() {
    let env = env_of(&[("PGPORT", "6543")]);
    let port = |url: &str, env: &dyn Fn(&str) -> Option<String>| {
        let (target, _) = named(resolve(Some(url), env, None).unwrap());
        target.config.get_ports().to_vec()
    };
    assert_eq!(port("postgres://me@db.example/app", &env), [6543]);
    assert_eq!(port("postgres://me@db.example:/app", &env), [6543]);
    assert_eq!(port("postgres://me@[::1]/app", &env), [6543]);
    assert_eq!(port("postgres://me@db.example:7000/app", &env), [7000]);
    assert_eq!(port("host=db.example user=me", &env), [6543]);
    assert_eq!(
        port("postgres://me@db.example/app", &|_| None),
        Vec::<u16>::new()
    );
    let (target, _) = named(resolve(Some("postgres://me@db.example/app"), &env, None).unwrap());
    assert_eq!(target.display, "postgres://me@db.example:6543/app");
    let (_dir, services) = service_env("[ci]\nport=7001\n", &[("PGPORT", "6543")]);
    assert_eq!(
        port("postgres://me@db.example/app?service=ci", &services),
        [7001]
    );
}
