//! TLS settings (sslmode, sslrootcert) and the rustls connector. Must not resolve targets.
//!
//! How each `sslmode` behaves (the same as libpq, except where noted):
//!
//! | sslmode | encrypted? | server certificate checked? |
//! |---|---|---|
//! | `disable` | never | - |
//! | `allow`, `prefer` (default) | if the server offers TLS, else plain | no (like libpq) |
//! | `require` | always; fails if the server has no TLS | no (like libpq without a root certificate) |
//! | `verify-ca` | always | chain checked against the root certificates; host name not checked |
//! | `verify-full` | always | chain and host name checked |
//!
//! Root certificates for `verify-ca`/`verify-full`: the PEM file `sslrootcert` (or
//! `PGSSLROOTCERT`), else `~/.postgresql/root.crt` when it exists, else the Mozilla
//! roots bundled in the binary (webpki-roots); `sslrootcert=system` picks the bundled
//! roots explicitly. Client certificates (`sslcert`, `sslkey`) are not supported.
//! `allow` is treated as `prefer`. Unix-socket connections are never encrypted.

use std::path::{Path, PathBuf};
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
}

/// TLS settings of a target.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub root_cert: Option<PathBuf>,
}

/// The rustls connector for `settings` (`None` for `disable`).
pub fn connector(
    settings: &TlsSettings,
) -> crate::Result<Option<tokio_postgres_rustls::MakeRustlsConnect>> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| crate::Error::environment(format!("cannot set up TLS: {e}")))?;
    let config = match settings.mode {
        SslMode::Disable => return Ok(None),
        SslMode::Prefer | SslMode::Require => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoCertificateCheck { provider }))
            .with_no_client_auth(),
        SslMode::VerifyFull => builder
            .with_root_certificates(root_store(settings.root_cert.as_deref())?)
            .with_no_client_auth(),
        SslMode::VerifyCa => {
            let roots = Arc::new(root_store(settings.root_cert.as_deref())?);
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
    Ok(Some(tokio_postgres_rustls::MakeRustlsConnect::new(config)))
}

/// The root certificates: a PEM file, or the bundled Mozilla roots.
fn root_store(path: Option<&Path>) -> crate::Result<rustls::RootCertStore> {
    let Some(path) = path.filter(|p| *p != Path::new("system")) else {
        return Ok(rustls::RootCertStore {
            roots: webpki_roots::TLS_SERVER_ROOTS.to_vec(),
        });
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

/// `prefer`/`require`: encrypt, but accept any certificate (libpq does the same).
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

    #[test]
    fn connectors_build_for_every_mode() {
        assert!(
            connector(&TlsSettings {
                mode: SslMode::Disable,
                root_cert: None
            })
            .unwrap()
            .is_none()
        );
        for mode in [
            SslMode::Prefer,
            SslMode::Require,
            SslMode::VerifyCa,
            SslMode::VerifyFull,
        ] {
            assert!(
                connector(&TlsSettings {
                    mode,
                    root_cert: None
                })
                .unwrap()
                .is_some()
            );
        }
    }

    #[test]
    fn a_missing_root_certificate_file_is_an_environment_error() {
        let settings = TlsSettings {
            mode: SslMode::VerifyFull,
            root_cert: Some("/nonexistent/ca.pem".into()),
        };
        let error = connector(&settings).err().expect("must fail");
        assert_eq!(error.exit_code(), 3);
        assert!(error.to_string().contains("/nonexistent/ca.pem"));
    }
}
