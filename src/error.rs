//! The error type every command returns, and the exit codes it maps to.
//! Must not print anything: `main.rs` renders the error once.

/// Process exit codes, as documented in the README and docs/scenario-format.md.
pub mod exit_code {
    /// Every gate passed (skips allowed unless `--strict`).
    pub const SUCCESS: i32 = 0;
    /// A gate failed: threshold, plan expectation, query error, or a skip under `--strict`.
    pub const GATE_FAILED: i32 = 1;
    /// Usage or configuration error: bad flag, bad TOML, unknown scenario in thresholds.
    pub const CONFIG_ERROR: i32 = 2;
    /// Database or environment error: unreachable server, no PostgreSQL install, migration failure.
    pub const ENVIRONMENT_ERROR: i32 = 3;
    /// Interrupted by Ctrl-C or SIGTERM (128 + SIGINT, the shell convention).
    pub const INTERRUPTED: i32 = 130;
}

/// What went wrong, classified by who has to fix it.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Bad flag, bad file, bad value: the user fixes the configuration (exit 2).
    /// The message names the file (and line:column where known) and how to fix it.
    #[error("{0}")]
    Config(String),
    /// The database or the machine is not as needed (exit 3). The message names the
    /// target (never its password) and what to check.
    #[error("{0}")]
    Environment(String),
    /// The user interrupted the command (Ctrl-C or SIGTERM).
    #[error("interrupted")]
    Interrupted,
}

impl Error {
    /// A configuration error (exit 2).
    pub fn config(message: impl Into<String>) -> Self {
        Error::Config(message.into())
    }

    /// A database or environment error (exit 3).
    pub fn environment(message: impl Into<String>) -> Self {
        Error::Environment(message.into())
    }

    /// A database error with what the tool was doing when it happened (exit 3).
    pub fn database(doing: impl std::fmt::Display, source: &tokio_postgres::Error) -> Self {
        Error::Environment(format!("{doing}: {}", describe_pg_error(source)))
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Error::Config(_) => exit_code::CONFIG_ERROR,
            Error::Environment(_) => exit_code::ENVIRONMENT_ERROR,
            Error::Interrupted => exit_code::INTERRUPTED,
        }
    }
}

/// Renders a tokio-postgres error with the server's message, detail and hint when present.
pub fn describe_pg_error(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => {
            let mut text = format!("{} (SQLSTATE {})", db.message(), db.code().code());
            if let Some(detail) = db.detail() {
                text.push_str(&format!("; detail: {detail}"));
            }
            if let Some(hint) = db.hint() {
                text.push_str(&format!("; hint: {hint}"));
            }
            text
        }
        None => {
            let mut text = error.to_string();
            let mut source = std::error::Error::source(error);
            while let Some(cause) = source {
                text.push_str(&format!(": {cause}"));
                source = cause.source();
            }
            text
        }
    }
}

/// Result with the tool's error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_error_kind_maps_to_its_documented_exit_code() {
        assert_eq!(Error::config("x").exit_code(), 2);
        assert_eq!(Error::environment("x").exit_code(), 3);
        assert_eq!(Error::Interrupted.exit_code(), 130);
        assert_eq!(exit_code::SUCCESS, 0);
        assert_eq!(exit_code::GATE_FAILED, 1);
    }
}
