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
    /// Database or environment error: unreachable server, no PostgreSQL install, migration
    /// failure, a `sample` query without rows (an unseeded database).
    pub const ENVIRONMENT_ERROR: i32 = 3;
    /// Interrupted by Ctrl-C or SIGTERM (128 + SIGINT, the shell convention).
    pub const INTERRUPTED: i32 = 130;
}

/// Who has to act on an error; decides the exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorClass {
    /// The user fixes a flag or a file (exit 2).
    Config,
    /// The database or the machine is not as needed (exit 3).
    Environment,
    /// Ctrl-C or SIGTERM (exit 130).
    Interrupted,
}

/// What went wrong, classified by who has to fix it. Database and I/O failures keep
/// their cause as a structured `source()` (the SQLSTATE, the `io::ErrorKind`), so callers
/// and tests can match on it; `Display` renders the whole message, cause included, once.
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
    /// PostgreSQL refused or failed a statement, or the connection failed (exit 3).
    #[error("{doing}: {source}")]
    Database {
        /// What the tool was doing, e.g. "applying migration 0002".
        doing: String,
        #[source]
        source: DbFailure,
    },
    /// A file or process operation failed (exit 3).
    #[error("{doing}: {source}{}", fix_suffix(.fix))]
    Io {
        /// What the tool was doing, naming the path.
        doing: String,
        #[source]
        source: std::io::Error,
        /// How to fix it, when there is more to say than the cause.
        fix: Option<String>,
    },
    /// The user interrupted the command (Ctrl-C or SIGTERM).
    #[error("interrupted")]
    Interrupted,
}

fn fix_suffix(fix: &Option<String>) -> String {
    fix.as_ref().map(|f| format!("; {f}")).unwrap_or_default()
}

/// A PostgreSQL failure, captured from a `tokio_postgres::Error`: the SQLSTATE (when the
/// server sent one) to match on, and the server's message, detail and hint to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbFailure {
    /// The server's SQLSTATE; `None` for connection-level failures (refused, closed, TLS).
    pub code: Option<tokio_postgres::error::SqlState>,
    /// The rendered message (see [`describe_pg_error`]).
    pub message: String,
}

impl DbFailure {
    /// Captures what a caller may match on or show from a driver error.
    fn from_pg(error: &tokio_postgres::Error) -> Self {
        DbFailure {
            code: error.code().cloned(),
            message: describe_pg_error(error),
        }
    }
}

impl std::fmt::Display for DbFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for DbFailure {}

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
        Error::Database {
            doing: doing.to_string(),
            source: DbFailure::from_pg(source),
        }
    }

    /// A file or process error (exit 3): what was being done, the cause, and the fix.
    pub fn io(doing: impl Into<String>, source: std::io::Error, fix: Option<&str>) -> Self {
        Error::Io {
            doing: doing.into(),
            source,
            fix: fix.map(str::to_string),
        }
    }

    /// Who has to act on this error.
    pub fn class(&self) -> ErrorClass {
        match self {
            Error::Config(_) => ErrorClass::Config,
            Error::Environment(_) | Error::Database { .. } | Error::Io { .. } => {
                ErrorClass::Environment
            }
            Error::Interrupted => ErrorClass::Interrupted,
        }
    }

    /// The SQLSTATE of a database error, if the server sent one.
    pub fn sqlstate(&self) -> Option<&tokio_postgres::error::SqlState> {
        match self {
            Error::Database { source, .. } => source.code.as_ref(),
            _ => None,
        }
    }

    /// The same error with `context` (e.g. the target) in front of its message; the
    /// class and the cause are kept.
    pub fn in_context(self, context: impl std::fmt::Display) -> Self {
        match self {
            Error::Config(message) => Error::Config(format!("{context}: {message}")),
            Error::Environment(message) => Error::Environment(format!("{context}: {message}")),
            Error::Database { doing, source } => Error::Database {
                doing: format!("{context}: {doing}"),
                source,
            },
            Error::Io { doing, source, fix } => Error::Io {
                doing: format!("{context}: {doing}"),
                source,
                fix,
            },
            Error::Interrupted => Error::Interrupted,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self.class() {
            ErrorClass::Config => exit_code::CONFIG_ERROR,
            ErrorClass::Environment => exit_code::ENVIRONMENT_ERROR,
            ErrorClass::Interrupted => exit_code::INTERRUPTED,
        }
    }
}

/// Renders a tokio-postgres error with the server's message, detail and hint when present.
pub fn describe_pg_error(error: &tokio_postgres::Error) -> String {
    match error.as_db_error() {
        Some(db) => format_server_error(db.message(), db.code().code(), db.detail(), db.hint()),
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

/// A server error in words: "<message> (SQLSTATE <code>); detail: ...; hint: ...". One
/// format for errors read by tokio-postgres and by the lean connections of `db::wire`.
pub fn format_server_error(
    message: &str,
    code: &str,
    detail: Option<&str>,
    hint: Option<&str>,
) -> String {
    let mut text = format!("{message} (SQLSTATE {code})");
    if let Some(detail) = detail {
        text.push_str(&format!("; detail: {detail}"));
    }
    if let Some(hint) = hint {
        text.push_str(&format!("; hint: {hint}"));
    }
    text
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

    #[test]
    fn io_errors_keep_their_cause_and_are_environment_errors() {
        let cause = std::io::Error::new(std::io::ErrorKind::PermissionDenied, "denied");
        let error = Error::io("cannot write x.json", cause, Some("choose another path"));
        assert_eq!(error.class(), ErrorClass::Environment);
        assert_eq!(error.exit_code(), 3);
        assert_eq!(
            error.to_string(),
            "cannot write x.json: denied; choose another path"
        );
        let source = std::error::Error::source(&error).expect("a source");
        let io = source
            .downcast_ref::<std::io::Error>()
            .expect("an io::Error");
        assert_eq!(io.kind(), std::io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn database_failures_expose_their_sqlstate() {
        let error = Error::Database {
            doing: "applying migration 0002".into(),
            source: DbFailure {
                code: Some(tokio_postgres::error::SqlState::UNDEFINED_TABLE),
                message: "relation \"x\" does not exist (SQLSTATE 42P01)".into(),
            },
        };
        assert_eq!(error.exit_code(), 3);
        assert_eq!(
            error.sqlstate(),
            Some(&tokio_postgres::error::SqlState::UNDEFINED_TABLE)
        );
        assert!(
            error
                .to_string()
                .starts_with("applying migration 0002: relation")
        );
        assert!(std::error::Error::source(&error).unwrap().is::<DbFailure>());
    }

    #[test]
    fn context_is_prefixed_and_the_class_and_cause_are_kept() {
        let cause = std::io::Error::other("boom");
        let error = Error::io("spawning initdb", cause, None).in_context("throwaway cluster");
        assert_eq!(
            error.to_string(),
            "throwaway cluster: spawning initdb: boom"
        );
        assert_eq!(error.class(), ErrorClass::Environment);
        let config = Error::config("bad").in_context("--database-url");
        assert_eq!(config.to_string(), "--database-url: bad");
        assert_eq!(config.class(), ErrorClass::Config);
    }
}
