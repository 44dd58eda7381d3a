//! TLS settings (sslmode, sslrootcert), the rustls client configuration and connector.
//! Must not resolve targets.
//!
//! How each `sslmode` behaves (the same as libpq, except where noted):
//!
//! | sslmode | encrypted? | server certificate checked? |
//! |---|---|---|
//! | `disable` | never | - |
//! | `allow`, `prefer` (default) | if the server offers TLS, else plain | no (libpq checks the chain when a root certificate file exists) |
//! | `require` | always; fails if the server has no TLS | no; the chain only when a root certificate file exists (libpq does the same) |
//! | `verify-ca` | always | chain checked against the root certificate file; host name not checked |
//! | `verify-full` | always | chain and host name checked |
//!
//! The root certificate file is `sslrootcert` (or `PGSSLROOTCERT`), else
//! `~/.postgresql/root.crt` when it exists. `verify-ca` and `verify-full` refuse to start
//! without one (exit 3), as libpq does. `sslrootcert=system` trusts the Mozilla roots
//! bundled in the binary (webpki-roots) instead; like libpq, it makes `verify-full` the
//! default and refuses any weaker sslmode, since anyone can get a publicly trusted
//! certificate for a name they control. Client certificates (`sslcert`, `sslkey`) are not
//! supported. `allow` is treated as `prefer`. Unix-socket connections are never encrypted.

use std::path::PathBuf;
use std::sync::Arc;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{CertificateError, DigitallySignedStruct, SignatureScheme};

/// libpq-style sslmode, as the tool implements it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SslMode {
    Disable,
    #[default]
    Prefer,
    Require,
    VerifyCa,
    VerifyFull,
}

impl SslMode {
    /// Parses a libpq sslmode name (configuration error naming the valid ones otherwise).
    pub fn parse(text: &str) -> crate::Result<SslMode> {
        match text.trim() {
            "disable" => Ok(SslMode::Disable),
            "allow" | "prefer" => Ok(SslMode::Prefer),
            "require" => Ok(SslMode::Require),
            "verify-ca" => Ok(SslMode::VerifyCa),
            "verify-full" => Ok(SslMode::VerifyFull),
            other => Err(crate::Error::config(format!(
                "unknown sslmode `{other}`: use disable, prefer, require, verify-ca or verify-full"
            ))),
        }
    }

    /// The mode tokio-postgres negotiates with (it verifies nothing itself).
    pub fn negotiation(self) -> tokio_postgres::config::SslMode {
        match self {
            SslMode::Disable => tokio_postgres::config::SslMode::Disable,
            SslMode::Prefer => tokio_postgres::config::SslMode::Prefer,
            SslMode::Require | SslMode::VerifyCa | SslMode::VerifyFull => {
                tokio_postgres::config::SslMode::Require
            }
        }
    }

    /// The libpq name of the mode.
    pub fn name(self) -> &'static str {
        match self {
            SslMode::Disable => "disable",
            SslMode::Prefer => "prefer",
            SslMode::Require => "require",
            SslMode::VerifyCa => "verify-ca",
            SslMode::VerifyFull => "verify-full",
        }
    }
}

/// Where the root certificates for checking the server's certificate come from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RootCert {
    /// A PEM file with the CA certificate(s) that signed the server's certificate.
    File(PathBuf),
    /// `sslrootcert=system`: the public certificate authorities bundled in the binary.
    System,
}

impl RootCert {
    /// Reads an `sslrootcert` value: `system`, else a file path.
    pub fn from_setting(value: &str) -> RootCert {
        if value == "system" {
            RootCert::System
        } else {
            RootCert::File(PathBuf::from(value))
        }
    }
}

/// TLS settings of a target.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    pub mode: SslMode,
    /// The root certificates given (`sslrootcert`, `PGSSLROOTCERT`, `~/.postgresql/root.crt`).
    pub root_cert: Option<RootCert>,
}

impl TlsSettings {
    /// Checks that the mode and the root certificates fit together, as libpq does:
    /// `verify-ca`/`verify-full` need root certificates (environment error, exit 3,
    /// saying what to set); `sslrootcert=system` needs `verify-full` (configuration
    /// error, exit 2).
    pub fn check(&self) -> crate::Result<()> {
        server_check(self).map(|_| ())
    }
}

/// What is checked of the server's certificate.
#[derive(Debug, PartialEq, Eq)]
enum ServerCheck<'a> {
    /// Nothing (the connection is still encrypted when TLS is used).
    Nothing,
    /// The chain against these roots, not the host name.
    Chain(&'a RootCert),
    /// The chain against these roots, and the host name.
    ChainAndName(&'a RootCert),
}

/// The check `settings` asks for, or why they do not fit together.
fn server_check(settings: &TlsSettings) -> crate::Result<ServerCheck<'_>> {
    let root = settings.root_cert.as_ref();
    match (settings.mode, root) {
        (SslMode::VerifyFull, Some(root)) => Ok(ServerCheck::ChainAndName(root)),
        (mode, Some(RootCert::System)) => Err(crate::Error::config(format!(
            "sslrootcert=system trusts every public certificate authority, so it needs \
             sslmode=verify-full (it is sslmode={}): anyone can get a publicly trusted certificate \
             for a name they control. Set sslmode=verify-full, or give sslrootcert=/path/ca.pem",
            mode.name()
        ))),
        (SslMode::VerifyCa, Some(root)) => Ok(ServerCheck::Chain(root)),
        (SslMode::VerifyCa | SslMode::VerifyFull, None) => Err(no_root_certificate(settings.mode)),
        // libpq: with a root certificate file present, `require` checks the chain too.
        (SslMode::Require, Some(root @ RootCert::File(path))) if path.is_file() => {
            Ok(ServerCheck::Chain(root))
        }
        (SslMode::Disable | SslMode::Prefer | SslMode::Require, _) => Ok(ServerCheck::Nothing),
    }
}

fn no_root_certificate(mode: SslMode) -> crate::Error {
    crate::Error::environment(format!(
        "sslmode={} checks the server's certificate, but no root certificate is given: set \
         sslrootcert=/path/ca.pem in the connection string or PGSSLROOTCERT=/path/ca.pem (the CA \
         certificate that signed the server's certificate), or put it at ~/.postgresql/root.crt; \
         sslrootcert=system trusts the public certificate authorities instead (with verify-full \
         only); sslmode=require encrypts without checking the certificate",
        mode.name()
    ))
}

/// The rustls connector for `settings` (`None` for `disable`). Fails as
/// [`TlsSettings::check`] does, or when the root certificate file cannot be read.
pub fn connector(
    settings: &TlsSettings,
) -> crate::Result<Option<tokio_postgres_rustls::MakeRustlsConnect>> {
    Ok(client_config(settings)?.map(tokio_postgres_rustls::MakeRustlsConnect::new))
}

/// The rustls client configuration for `settings` (`None` for `disable`): what
/// [`connector`] hands tokio-postgres, and what the lean connections of `db::wire`
/// handshake with themselves. Fails as [`connector`] does.
pub fn client_config(settings: &TlsSettings) -> crate::Result<Option<rustls::ClientConfig>> {
    if settings.mode == SslMode::Disable {
        return Ok(None);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| crate::Error::environment(format!("cannot set up TLS: {e}")))?;
    let config = match server_check(settings)? {
        ServerCheck::Nothing => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoCertificateCheck { provider }))
            .with_no_client_auth(),
        ServerCheck::ChainAndName(root) => builder
            .with_root_certificates(root_store(root)?)
            .with_no_client_auth(),
        ServerCheck::Chain(root) => {
            let roots = Arc::new(root_store(root)?);
            let inner =
                rustls::client::WebPkiServerVerifier::builder_with_provider(roots, provider)
                    .build()
                    .map_err(|e| {
                        crate::Error::environment(format!("cannot set up TLS verification: {e}"))
                    })?;
            builder
                .dangerous()
                .with_custom_certificate_verifier(Arc::new(ChainOnlyCheck { inner }))
                .with_no_client_auth()
        }
    };
    Ok(Some(config))
}

/// The root certificates: a PEM file, or the bundled Mozilla roots.
fn root_store(root: &RootCert) -> crate::Result<rustls::RootCertStore> {
    let path = match root {
        RootCert::System => {
            return Ok(rustls::RootCertStore {
                roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
            });
        }
        RootCert::File(path) => path,
    };
    let unreadable = |e: &dyn std::fmt::Display| {
        crate::Error::environment(format!(
            "cannot read the TLS root certificate file {} (sslrootcert): {e}; give a PEM file with the CA \
             that signed the server certificate",
            path.display()
        ))
    };
    let pem = std::fs::read(path).map_err(|e| unreadable(&e))?;
    let mut store = rustls::RootCertStore::empty();
    for cert in CertificateDer::pem_slice_iter(&pem) {
        store
            .add(cert.map_err(|e| unreadable(&e))?)
            .map_err(|e| unreadable(&e))?;
    }
    if store.is_empty() {
        return Err(unreadable(&"it holds no PEM certificate"));
    }
    Ok(store)
}

/// `prefer`/`require` without a root certificate file: encrypt, but accept any
/// certificate (libpq does the same).
/// Handshake signatures are still verified, so the session keys are the server's.
#[derive(Debug)]
struct NoCertificateCheck {
    provider: Arc<rustls::crypto::CryptoProvider>,
}

impl ServerCertVerifier for NoCertificateCheck {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// `verify-ca`: the full WebPKI check, except that a host-name mismatch is accepted.
#[derive(Debug)]
struct ChainOnlyCheck {
    inner: Arc<rustls::client::WebPkiServerVerifier>,
}

impl ServerCertVerifier for ChainOnlyCheck {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        intermediates: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        ocsp_response: &[u8],
        now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        match self.inner.verify_server_cert(
            end_entity,
            intermediates,
            server_name,
            ocsp_response,
            now,
        ) {
            Err(rustls::Error::InvalidCertificate(
                CertificateError::NotValidForName | CertificateError::NotValidForNameContext { .. },
            )) => Ok(ServerCertVerified::assertion()),
            other => other,
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls12_signature(message, cert, dss)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        self.inner.verify_tls13_signature(message, cert, dss)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.inner.supported_verify_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_libpq_sslmode_parses() {
        assert_eq!(SslMode::parse("disable").unwrap(), SslMode::Disable);
        assert_eq!(SslMode::parse("allow").unwrap(), SslMode::Prefer);
        assert_eq!(SslMode::parse("prefer").unwrap(), SslMode::Prefer);
        assert_eq!(SslMode::parse("require").unwrap(), SslMode::Require);
        assert_eq!(SslMode::parse("verify-ca").unwrap(), SslMode::VerifyCa);
        assert_eq!(SslMode::parse("verify-full").unwrap(), SslMode::VerifyFull);
        let error = SslMode::parse("verify_full").unwrap_err();
        assert_eq!(error.exit_code(), 2);
        assert!(error.to_string().contains("verify-full"));
    }

    #[test]
    fn verifying_modes_negotiate_require() {
        use tokio_postgres::config::SslMode as Negotiated;
        assert_eq!(SslMode::VerifyCa.negotiation(), Negotiated::Require);
        assert_eq!(SslMode::VerifyFull.negotiation(), Negotiated::Require);
        assert_eq!(SslMode::Prefer.negotiation(), Negotiated::Prefer);
        assert_eq!(SslMode::Disable.negotiation(), Negotiated::Disable);
    }

    fn settings(mode: SslMode, root_cert: Option<RootCert>) -> TlsSettings {
        TlsSettings { mode, root_cert }
    }

    #[test]
    fn connectors_build_for_every_mode_with_the_roots_it_needs() {
        assert!(
            connector(&settings(SslMode::Disable, None))
                .unwrap()
                .is_none()
        );
        for mode in [SslMode::Prefer, SslMode::Require] {
            assert!(connector(&settings(mode, None)).unwrap().is_some());
        }
        let system = settings(SslMode::VerifyFull, Some(RootCert::System));
        assert!(connector(&system).unwrap().is_some());
    }

    #[test]
    fn verifying_modes_without_a_root_certificate_say_what_to_set() {
        for mode in [SslMode::VerifyCa, SslMode::VerifyFull] {
            let error = connector(&settings(mode, None)).err().expect("must fail");
            assert_eq!(error.exit_code(), 3);
            let text = error.to_string();
            for part in [
                mode.name(),
                "sslrootcert=",
                "PGSSLROOTCERT",
                "~/.postgresql/root.crt",
            ] {
                assert!(text.contains(part), "missing {part:?} in {text}");
            }
            assert_eq!(settings(mode, None).check().unwrap_err().exit_code(), 3);
        }
    }

    #[test]
    fn system_roots_need_verify_full() {
        for mode in [
            SslMode::Disable,
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
        ] {
            let error = settings(mode, Some(RootCert::System)).check().unwrap_err();
            assert_eq!(error.exit_code(), 2);
            assert!(error.to_string().contains("verify-full"), "{error}");
        }
        let full = settings(SslMode::VerifyFull, Some(RootCert::System));
        assert_eq!(
            server_check(&full).unwrap(),
            ServerCheck::ChainAndName(&RootCert::System)
        );
    }

    #[test]
    fn what_each_mode_checks() {
        let dir = tempfile::tempdir().unwrap();
        let present = RootCert::File(dir.path().join("root.crt"));
        std::fs::write(dir.path().join("root.crt"), "").unwrap();
        let missing = RootCert::File(dir.path().join("missing.crt"));
        let check = |mode, root: &RootCert| {
            format!(
                "{:?}",
                server_check(&settings(mode, Some(root.clone()))).unwrap()
            )
        };
        assert_eq!(check(SslMode::Prefer, &present), "Nothing");
        assert_eq!(check(SslMode::Require, &missing), "Nothing");
        assert!(check(SslMode::Require, &present).starts_with("Chain("));
        assert!(check(SslMode::VerifyCa, &missing).starts_with("Chain("));
        assert!(check(SslMode::VerifyFull, &present).starts_with("ChainAndName("));
    }

    #[test]
    fn sslrootcert_system_is_the_bundled_roots() {
        assert_eq!(RootCert::from_setting("system"), RootCert::System);
        assert_eq!(
            RootCert::from_setting("/ca.pem"),
            RootCert::File("/ca.pem".into())
        );
    }

    #[test]
    fn a_missing_root_certificate_file_is_an_environment_error() {
        let settings = TlsSettings {
            mode: SslMode::VerifyFull,
            root_cert: Some(RootCert::File("/nonexistent/ca.pem".into())),
        };
        let error = connector(&settings).err().expect("must fail");
        assert_eq!(error.exit_code(), 3);
        assert!(error.to_string().contains("/nonexistent/ca.pem"));
    }
}
