//! Recognises the errors that mean a connection pooler in transaction mode (PgBouncer
//! with `pool_mode = transaction`, or a managed service's pooler) sits between the tool
//! and the server, and says so with the way out. Must not retry or change protocol on
//! its own.

use tokio_postgres::error::SqlState;

/// What to do behind a transaction pooler.
pub const ADVICE: &str = "This looks like a connection pooler in transaction mode (such as \
    PgBouncer with pool_mode = transaction) between the tool and the server: it refuses startup \
    parameters, and a named prepared statement does not outlive its transaction there. Run with \
    --protocol extended (unnamed statements; or --protocol simple), or connect to the server or \
    a session-mode pool directly";

/// True for a pooler's refusal of a startup parameter: SQLSTATE 08P01 naming a startup
/// parameter (PgBouncer: "unsupported startup parameter: options").
pub fn is_startup_refusal(code: &str, message: &str) -> bool {
    code == SqlState::PROTOCOL_VIOLATION.code() && message.contains("startup parameter")
}

/// [`is_startup_refusal`] for a driver error.
pub fn refuses_startup_option(error: &tokio_postgres::Error) -> bool {
    error
        .as_db_error()
        .is_some_and(|db| is_startup_refusal(db.code().code(), db.message()))
}

/// True when an error on a statement the tool prepared means the statement was lost or
/// met another one of its name on a pooled server connection: 42P05 (prepared statement
/// already exists) or 26000 (prepared statement does not exist).
pub fn is_lost_statement(code: &str) -> bool {
    code == SqlState::DUPLICATE_PSTATEMENT.code()
        || code == SqlState::INVALID_SQL_STATEMENT_NAME.code()
}

/// `text` followed by [`ADVICE`] when `code`/`message` mean a transaction pooler.
pub fn explain(text: String, code: &str, message: &str) -> String {
    if is_lost_statement(code) || is_startup_refusal(code, message) {
        format!("{text}. {ADVICE}")
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pooler_errors_name_the_protocol_flag_and_others_are_left_alone() {
        for (code, message) in [
            ("42P05", "prepared statement \"s33\" already exists"),
            ("26000", "prepared statement \"s2\" does not exist"),
            ("08P01", "unsupported startup parameter: options"),
        ] {
            let text = explain("boom".into(), code, message);
            assert!(text.starts_with("boom. "), "{text}");
            assert!(text.contains("--protocol extended"), "{text}");
            assert!(text.contains("transaction mode"), "{text}");
        }
        assert_eq!(
            explain("boom".into(), "08P01", "invalid frontend message"),
            "boom"
        );
        assert_eq!(
            explain("boom".into(), "42P01", "relation does not exist"),
            "boom"
        );
    }
}
