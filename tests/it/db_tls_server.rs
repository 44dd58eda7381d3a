//! sslmode against a private server with a test CA: what each mode accepts and refuses.
//! Each test starts its own cluster (see tls_support); must not need DATABASE_URL.

use crate::common;
use crate::tls_support;

use techspec_bench::db::DbTarget;
use techspec_bench::db::target::{self, Resolved};
use tls_support::{CERT_HOST, TlsCluster};

/// The target of `url`, resolved as `--database-url` is, with no environment.
fn target(url: &str) -> DbTarget {
    match target::resolve(Some(url), &|_| None, None).unwrap() {
        Resolved::Named(target, _) => target,
        Resolved::Throwaway => unreachable!("a URL was given"),
    }
}

/// Connects and says whether the session is encrypted.
async fn encrypted_session(url: &str) -> techspec_bench::Result<bool> {
    let client = techspec_bench::db::connect(&target(url)).await?;
    let row = client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap();
    Ok(row.get(0))
}

/// The error of a connection that must be refused; it is an environment error (exit 3).
async fn refusal(url: &str) -> String {
    match encrypted_session(url).await {
        Ok(_) => panic!("{url} must be refused"),
        Err(error) => {
            assert_eq!(error.exit_code(), 3, "{error}");
            error.to_string()
        }
    }
}

#[tokio::test]
async fn verify_full_checks_the_name_and_verify_ca_does_not() {
    let cluster = TlsCluster::start(true);
    let ca = format!("sslrootcert={}", cluster.ca().display());

    let full = cluster.url(CERT_HOST, &format!("sslmode=verify-full&{ca}"));
    assert!(encrypted_session(&full).await.unwrap(), "verify-full");

    let other_name = cluster.url("127.0.0.1", &format!("sslmode=verify-ca&{ca}"));
    assert!(
        encrypted_session(&other_name).await.unwrap(),
        "verify-ca must accept a certificate for another name"
    );

    let wrong_name = cluster.url("127.0.0.1", &format!("sslmode=verify-full&{ca}"));
    let text = refusal(&wrong_name).await;
    assert!(text.contains("certificate"), "{text}");
    assert!(text.contains("sslmode verify-full"), "{text}");
}

#[tokio::test]
async fn a_certificate_from_another_ca_is_refused() {
    let cluster = TlsCluster::start(true);
    let wrong = format!("sslrootcert={}", cluster.wrong_ca().display());
    for mode in ["verify-ca", "verify-full"] {
        let url = cluster.url(CERT_HOST, &format!("sslmode={mode}&{wrong}"));
        let text = refusal(&url).await;
        assert!(text.contains("certificate"), "{mode}: {text}");
    }
    // libpq: `require` with a root certificate file checks the chain as verify-ca does.
    let require_wrong = cluster.url("127.0.0.1", &format!("sslmode=require&{wrong}"));
    refusal(&require_wrong).await;
    let require_right = cluster.url(
        "127.0.0.1",
        &format!("sslmode=require&sslrootcert={}", cluster.ca().display()),
    );
    assert!(encrypted_session(&require_right).await.unwrap());
    // Without a root certificate, `require` encrypts and checks nothing.
    let require_only = cluster.url("127.0.0.1", "sslmode=require");
    assert!(encrypted_session(&require_only).await.unwrap());
}

#[test]
fn require_against_a_server_without_tls_exits_3_saying_so() {
    let cluster = TlsCluster::start(false);
    let home = tempfile::tempdir().unwrap();
    let url = cluster.url("127.0.0.1", "sslmode=require");
    let output = common::tool()
        .env("HOME", home.path())
        .args(["--database-url", &url, "migrate", "--status"])
        .output()
        .expect("run techspec-bench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    assert!(stderr.contains("TLS"), "{stderr}");
    assert!(
        stderr.contains("`require` needs a server with TLS enabled"),
        "{stderr}"
    );
}

#[test]
fn verify_full_without_a_root_certificate_exits_3_saying_what_to_set() {
    let home = tempfile::tempdir().unwrap();
    let output = common::tool()
        .env("HOME", home.path())
        .args([
            "--database-url",
            "postgres://u@127.0.0.1:1/x?sslmode=verify-full",
            "migrate",
            "--status",
        ])
        .output()
        .expect("run techspec-bench");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(3), "{stderr}");
    for part in [
        "sslrootcert=",
        "PGSSLROOTCERT",
        "~/.postgresql/root.crt",
        "system",
    ] {
        assert!(stderr.contains(part), "missing {part:?} in {stderr}");
    }
}
