//! Recognises "this scenario cannot run here" database errors (a missing relation or
//! schema), so the scenario is skipped with the object named. Must not decide verdicts.

use tokio_postgres::error::SqlState;

/// The relation (SQLSTATE 42P01) or schema (3F000) named by a "does not exist" error.
pub fn missing_relation(err: &tokio_postgres::Error) -> Option<String> {
    let db = err.as_db_error()?;
    missing_object(db.code().code(), db.message())
}

/// [`missing_relation`] from a SQLSTATE and the server's message.
fn missing_object(code: &str, message: &str) -> Option<String> {
    if code != SqlState::UNDEFINED_TABLE.code() && code != SqlState::INVALID_SCHEMA_NAME.code() {
        return None;
    }
    Some(quoted_name(message).unwrap_or_else(|| message.to_string()))
}

/// The skip reason for a missing relation or schema, e.g.
/// "relation shared.design_jobs does not exist".
pub fn skip_reason(err: &tokio_postgres::Error) -> Option<String> {
    let db = err.as_db_error()?;
    skip_reason_for(db.code().code(), db.message())
}

/// [`skip_reason`] from a SQLSTATE and the server's message (errors read by `db::wire`).
pub fn skip_reason_for(code: &str, message: &str) -> Option<String> {
    let name = missing_object(code, message)?;
    let kind = if code == SqlState::INVALID_SCHEMA_NAME.code() {
        "schema"
    } else {
        "relation"
    };
    Some(format!("{kind} {name} does not exist"))
}

/// The first double-quoted name in a server message: `relation "x.y" does not exist` -> x.y.
fn quoted_name(message: &str) -> Option<String> {
    let start = message.find('"')? + 1;
    let len = message[start..].find('"')?;
    Some(message[start..start + len].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_quoted_object_is_taken_from_the_server_message() {
        assert_eq!(
            quoted_name(r#"relation "shared.design_jobs" does not exist"#).as_deref(),
            Some("shared.design_jobs")
        );
        assert_eq!(
            quoted_name(r#"schema "shared" does not exist"#).as_deref(),
            Some("shared")
        );
        assert_eq!(quoted_name("no quotes here"), None);
    }
}
