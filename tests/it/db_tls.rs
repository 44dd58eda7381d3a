//! sslmode against the DATABASE_URL server: what is encrypted and what is verified.
//! Must not touch databases other than its own.

use crate::common;

use techspec_bench::db::target::{self, Resolved};

fn target_with(url: &str, params: &str) -> techspec_bench::db::DbTarget {
    let separator = if url.contains('?') { '&' } else { '?' };
    let full = format!("{url}{separator}{params}");
    match target::resolve(Some(&full), &|_| None, None).unwrap() {
        Resolved::Named(target, _) => target,
        Resolved::Throwaway => unreachable!("a URL was given"),
    }
}

async fn encrypted(client: &tokio_postgres::Client) -> bool {
    client
        .query_one(
            "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()",
            &[],
        )
        .await
        .unwrap()
        .get(0)
}

#[tokio::test]
async fn each_sslmode_encrypts_and_verifies_as_documented() {
    let db = common::TestDb::create("tls").await;
    let admin = db.client().await;
    let server_ssl: String = admin.query_one("SHOW ssl", &[]).await.unwrap().get(0);

    let plain = techspec_bench::db::connect(&target_with(&db.url, "sslmode=disable"))
        .await
        .unwrap();
    assert!(!encrypted(&plain).await);
    let preferred = techspec_bench::db::connect(&target_with(&db.url, "sslmode=prefer"))
        .await
        .unwrap();
    assert_eq!(encrypted(&preferred).await, server_ssl == "on");

    let required = techspec_bench::db::connect(&target_with(&db.url, "sslmode=require")).await;
    if server_ssl == "on" {
        assert!(encrypted(&required.unwrap()).await, "require must encrypt");
        // The bundled public roots do not vouch for a test server's certificate (and not for an IP).
        let Err(error) = techspec_bench::db::connect(&target_with(
            &db.url,
            "sslmode=verify-full&sslrootcert=system",
        ))
        .await
        else {
            panic!("verify-full must reject an unverifiable certificate");
        };
        assert_eq!(error.exit_code(), 3);
        assert!(error.to_string().contains("sslrootcert"), "{error}");
    } else {
        let Err(error) = required else {
            panic!("require must fail without TLS on the server")
        };
        assert_eq!(error.exit_code(), 3);
        assert!(error.to_string().contains("TLS"), "{error}");
    }
}

#[test]
fn verifying_modes_without_a_root_certificate_are_refused_before_connecting() {
    let url = common::admin_url();
    for mode in ["verify-ca", "verify-full"] {
        let separator = if url.contains('?') { '&' } else { '?' };
        let full = format!("{url}{separator}sslmode={mode}");
        let error = target::resolve(Some(&full), &|_| None, None).unwrap_err();
        assert_eq!(error.exit_code(), 3, "{error}");
        assert!(error.to_string().contains("sslrootcert=system"), "{error}");
    }
}
