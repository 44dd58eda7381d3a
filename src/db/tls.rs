//! TLS settings (sslmode, sslrootcert) and the rustls connector. Must not resolve targets.

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

/// TLS settings of a target.
#[derive(Debug, Clone, Default)]
pub struct TlsSettings {
    pub mode: SslMode,
    pub root_cert: Option<std::path::PathBuf>,
}
