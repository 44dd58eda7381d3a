//! Each precedence rule of `libpq_env`, one at a time, without a database.

use std::collections::HashMap;

use super::*;

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + use<> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |key: &str| map.get(key).cloned()
}

fn no_env(_: &str) -> Option<String> {
    None
}

/// A config from a key=value string, and the keys it named.
fn parsed(text: &str) -> (Config, BTreeSet<String>) {
    let info = crate::db::conninfo::parse(text).unwrap();
    (info.config, info.given)
}

/// `text` filled from `env`.
fn filled(text: &str, env: &[(&str, &str)]) -> Config {
    let (mut config, given) = parsed(text);
    fill_from_environment(&mut config, &given, &env_of(env)).unwrap();
    config
}

fn fill_error(text: &str, env: &[(&str, &str)]) -> crate::Error {
    let (mut config, given) = parsed(text);
    fill_from_environment(&mut config, &given, &env_of(env)).unwrap_err()
}

#[test]
fn pghost_fills_a_missing_host_and_localhost_is_the_last_resort() {
    let env = [("PGHOST", "a, b")];
    let tcp = |name: &str| Host::Tcp(name.to_string());
    assert_eq!(filled("", &env).get_hosts(), [tcp("a"), tcp("b")]);
    assert_eq!(filled("host=own", &env).get_hosts(), [tcp("own")]);
    assert_eq!(filled("", &[]).get_hosts(), [tcp("localhost")]);
    let by_address = filled("hostaddr=10.0.0.5", &[]);
    assert!(
        by_address.get_hosts().is_empty(),
        "no default host beside an address"
    );
}

#[test]
fn pghostaddr_fills_a_missing_address_and_must_be_one() {
    let env = [("PGHOSTADDR", "10.0.0.5")];
    let address: IpAddr = "10.0.0.5".parse().unwrap();
    let only_address = filled("", &env);
    assert_eq!(only_address.get_hostaddrs(), [address]);
    assert!(only_address.get_hosts().is_empty());
    let with_name = filled("host=db.example", &env);
    assert_eq!(with_name.get_hostaddrs(), [address]);
    assert_eq!(with_name.get_hosts(), [Host::Tcp("db.example".into())]);
    let own = filled("hostaddr=10.0.0.6", &env);
    assert_eq!(own.get_hostaddrs(), ["10.0.0.6".parse::<IpAddr>().unwrap()]);
    let error = fill_error("", &[("PGHOSTADDR", "db.example")]);
    assert_eq!(error.exit_code(), 2);
    assert!(error.to_string().contains("PGHOSTADDR"), "{error}");
}

#[test]
fn pgport_fills_a_missing_port_one_per_host_an_empty_item_being_5432() {
    assert_eq!(filled("host=h", &[("PGPORT", "6543")]).get_ports(), [6543]);
    assert_eq!(
        filled("host=h port=7000", &[("PGPORT", "6543")]).get_ports(),
        [7000]
    );
    assert_eq!(
        filled("host=a,b", &[("PGPORT", "6543,")]).get_ports(),
        [6543, 5432]
    );
    assert!(filled("host=h", &[]).get_ports().is_empty());
    for bad in ["http", "0", "70000", "6543;"] {
        let error = fill_error("host=h", &[("PGPORT", bad)]);
        assert_eq!(error.exit_code(), 2, "{bad}");
        assert!(error.to_string().contains("PGPORT"), "{error}");
    }
}

#[test]
fn user_password_and_database_come_from_the_string_then_the_variables_then_the_user() {
    let env = [
        ("PGUSER", "env-user"),
        ("USER", "os-user"),
        ("PGPASSWORD", "env-pw"),
        ("PGDATABASE", "env-db"),
    ];
    let own = filled("user=me password=pw dbname=app", &env);
    assert_eq!(own.get_user(), Some("me"));
    assert_eq!(own.get_password(), Some(&b"pw"[..]));
    assert_eq!(own.get_dbname(), Some("app"));
    let from_env = filled("", &env);
    assert_eq!(from_env.get_user(), Some("env-user"));
    assert_eq!(from_env.get_password(), Some(&b"env-pw"[..]));
    assert_eq!(from_env.get_dbname(), Some("env-db"));
    let os_user = filled("", &[("USER", "os-user")]);
    assert_eq!(os_user.get_user(), Some("os-user"));
    assert_eq!(os_user.get_dbname(), Some("os-user"));
    assert_eq!(os_user.get_password(), None);
    assert_eq!(filled("", &[]).get_user(), Some("postgres"));
}

#[test]
fn pgoptions_and_pgappname_fill_what_the_string_leaves_out() {
    let env = [("PGOPTIONS", "-c work_mem=64MB"), ("PGAPPNAME", "nightly")];
    let from_env = filled("", &env);
    assert_eq!(from_env.get_options(), Some("-c work_mem=64MB"));
    assert_eq!(from_env.get_application_name(), Some("nightly"));
    let own = filled("options='-c geqo=off' application_name=mine", &env);
    assert_eq!(own.get_options(), Some("-c geqo=off"));
    assert_eq!(own.get_application_name(), Some("mine"));
    let neither = filled("", &[]);
    assert_eq!(neither.get_options(), None);
    assert_eq!(
        neither.get_application_name(),
        Some(DEFAULT_APPLICATION_NAME)
    );
}

#[test]
fn the_choice_variables_fill_only_keys_the_string_did_not_name() {
    let env = [
        ("PGTARGETSESSIONATTRS", "read-write"),
        ("PGCHANNELBINDING", "require"),
        ("PGLOADBALANCEHOSTS", "random"),
        ("PGSSLNEGOTIATION", "direct"),
    ];
    let from_env = filled("", &env);
    assert_eq!(
        from_env.get_target_session_attrs(),
        TargetSessionAttrs::ReadWrite
    );
    assert_eq!(from_env.get_channel_binding(), ChannelBinding::Require);
    assert_eq!(from_env.get_load_balance_hosts(), LoadBalanceHosts::Random);
    assert_eq!(from_env.get_ssl_negotiation(), SslNegotiation::Direct);
    let named = "target_session_attrs=any channel_binding=prefer load_balance_hosts=disable sslnegotiation=postgres";
    let own = filled(named, &env);
    assert_eq!(own.get_target_session_attrs(), TargetSessionAttrs::Any);
    assert_eq!(own.get_channel_binding(), ChannelBinding::Prefer);
    assert_eq!(own.get_load_balance_hosts(), LoadBalanceHosts::Disable);
    assert_eq!(own.get_ssl_negotiation(), SslNegotiation::Postgres);
    let error = fill_error("", &[("PGTARGETSESSIONATTRS", "standby")]);
    assert_eq!(error.exit_code(), 2);
    let text = error.to_string();
    assert!(
        text.contains("PGTARGETSESSIONATTRS=`standby`")
            && text.contains("any, read-write, read-only"),
        "{text}"
    );
}

#[test]
fn connect_timeout_flag_then_string_then_pgconnect_timeout_then_ten_seconds() {
    let seconds = Duration::from_secs;
    let env = env_of(&[("PGCONNECT_TIMEOUT", "25")]);
    let timeout = |flag, string, env: Env| connect_timeout(flag, string, env).unwrap();
    assert_eq!(
        timeout(Some(seconds(3)), Some(seconds(40)), &env),
        seconds(3)
    );
    assert_eq!(timeout(Some(seconds(3)), None, &env), seconds(3));
    assert_eq!(timeout(None, Some(seconds(40)), &env), seconds(40));
    assert_eq!(timeout(None, None, &env), seconds(25));
    assert_eq!(timeout(None, None, &no_env), DEFAULT_CONNECT_TIMEOUT);
    let zero = env_of(&[("PGCONNECT_TIMEOUT", "-1")]);
    assert_eq!(timeout(None, None, &zero), DEFAULT_CONNECT_TIMEOUT);
    let bad = env_of(&[("PGCONNECT_TIMEOUT", "10s")]);
    let error = connect_timeout(None, None, &bad).unwrap_err();
    assert_eq!(error.exit_code(), 2);
    assert!(
        error.to_string().contains("PGCONNECT_TIMEOUT=`10s`"),
        "{error}"
    );
    assert_eq!(
        timeout(Some(seconds(3)), None, &bad),
        seconds(3),
        "not read"
    );
}

#[test]
fn sslmode_comes_from_the_string_then_pgsslmode_then_the_root_certificate() {
    let env = env_of(&[("PGSSLMODE", "require")]);
    let mode = |own: Option<SslMode>, root: Option<RootCert>, env: Env| {
        tls_settings(own, root, env).unwrap().mode
    };
    assert_eq!(mode(Some(SslMode::Disable), None, &env), SslMode::Disable);
    assert_eq!(mode(None, None, &env), SslMode::Require);
    assert_eq!(
        mode(None, Some(RootCert::System), &no_env),
        SslMode::VerifyFull
    );
    assert_eq!(mode(None, Some(RootCert::System), &env), SslMode::Require);
    assert_eq!(mode(None, None, &no_env), SslMode::default());
    let bad = env_of(&[("PGSSLMODE", "sometimes")]);
    let error = tls_settings(None, None, &bad).unwrap_err();
    assert!(error.to_string().starts_with("PGSSLMODE:"), "{error}");
}

#[test]
fn the_root_certificate_comes_from_the_string_then_pgsslrootcert_then_home() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path().to_str().unwrap().to_string();
    let root = |own: Option<RootCert>, env: Env| tls_settings(None, own, env).unwrap().root_cert;
    let env = env_of(&[("PGSSLROOTCERT", "/etc/ca.pem"), ("HOME", &home)]);
    let own = RootCert::File("/own.pem".into());
    assert_eq!(root(Some(own.clone()), &env), Some(own));
    assert_eq!(root(None, &env), Some(RootCert::File("/etc/ca.pem".into())));
    let home_only = env_of(&[("HOME", &home)]);
    assert_eq!(
        root(None, &home_only),
        None,
        "no ~/.postgresql/root.crt yet"
    );
    std::fs::create_dir(dir.path().join(".postgresql")).unwrap();
    std::fs::write(dir.path().join(".postgresql/root.crt"), "").unwrap();
    assert_eq!(
        root(None, &home_only),
        Some(RootCert::File(dir.path().join(".postgresql/root.crt")))
    );
}

#[test]
fn the_password_file_is_matched_on_the_first_host_port_database_and_user() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("pgpass");
    std::fs::write(&file, "db.example:6543:app:alice:secret\n").unwrap();
    std::fs::set_permissions(&file, std::os::unix::fs::PermissionsExt::from_mode(0o600)).unwrap();
    let (config, _) = parsed("host=db.example port=6543 dbname=app user=alice");
    assert_eq!(
        password_from_file(&config, Some(file.clone()), &no_env).as_deref(),
        Some("secret")
    );
    let (default_port, _) = parsed("host=db.example dbname=app user=alice");
    assert_eq!(password_from_file(&default_port, Some(file), &no_env), None);
    assert_eq!(first_port(&default_port), DEFAULT_PORT);
}

#[test]
fn variables_the_tool_does_not_read_are_named_when_set() {
    let env = env_of(&[
        ("PGTZ", "UTC"),
        ("PGSSLCERT", "/c.pem"),
        ("PGDATESTYLE", " "),
        ("PGPORT", "1"),
    ]);
    assert_eq!(unread_variables(&env), ["PGSSLCERT", "PGTZ"]);
    assert!(unread_variables(&no_env).is_empty());
}
