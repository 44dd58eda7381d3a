//! Statements the tool issues about tables outside migrations: LOCK, TRUNCATE, ANALYZE and
//! the transaction-local settings of a bulk load, with every identifier and literal quoted
//! here.
//! Must not hold the tool's bookkeeping, nor run the user's SQL.

use tokio_postgres::GenericClient;

use crate::Error;
use crate::db::catalog::QualifiedName;

/// `identifier` as a quoted SQL identifier (always quoted, embedded quotes doubled), so a
/// name that is a keyword or holds capitals or punctuation reaches the server unchanged.
pub fn quote_ident(identifier: &str) -> String {
    format!("\"{}\"", identifier.replace('"', "\"\""))
}

impl QualifiedName {
    /// `"schema"."name"`, ready to use in a statement.
    pub fn quoted(&self) -> String {
        format!("{}.{}", quote_ident(&self.schema), quote_ident(&self.name))
    }
}

/// The quoted names, comma separated, for a statement that takes a list of tables.
fn quoted_list(tables: &[QualifiedName]) -> String {
    tables
        .iter()
        .map(QualifiedName::quoted)
        .collect::<Vec<_>>()
        .join(", ")
}

/// `text` as a SQL string literal (an `E''` literal when it holds a backslash), for the
/// statements that take no parameters (COMMENT ON, SET).
pub fn quote_literal(text: &str) -> String {
    let doubled = text.replace('\'', "''");
    if text.contains('\\') {
        format!("E'{}'", doubled.replace('\\', "\\\\"))
    } else {
        format!("'{doubled}'")
    }
}

/// Lock modes the tool takes on tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockMode {
    /// Blocks every writer (and other holders of this mode); readers go on.
    ShareRowExclusive,
}

impl LockMode {
    fn sql(self) -> &'static str {
        match self {
            LockMode::ShareRowExclusive => "SHARE ROW EXCLUSIVE",
        }
    }
}

/// Locks `tables` in `mode` until the end of the transaction, waiting for the
/// transactions that write to them to end first.
pub async fn lock_tables(
    client: &impl GenericClient,
    tables: &[QualifiedName],
    mode: LockMode,
) -> crate::Result<()> {
    client
        .batch_execute(&lock_sql(tables, mode))
        .await
        .map_err(|e| {
            Error::database(
                format!("locking {} ({} mode)", display_list(tables), mode.sql()),
                &e,
            )
        })
}

fn lock_sql(tables: &[QualifiedName], mode: LockMode) -> String {
    format!("LOCK TABLE {} IN {} MODE", quoted_list(tables), mode.sql())
}

/// Makes objects created next in this transaction go to `tablespace` (`None`: the
/// database's default), as `SET LOCAL default_tablespace`.
pub async fn use_tablespace(
    client: &impl GenericClient,
    tablespace: Option<&str>,
) -> crate::Result<()> {
    client
        .batch_execute(&tablespace_sql(tablespace))
        .await
        .map_err(|e| {
            Error::database(
                format!("choosing tablespace {}", tablespace.unwrap_or("(default)")),
                &e,
            )
        })
}

fn tablespace_sql(tablespace: Option<&str>) -> String {
    format!(
        "SET LOCAL default_tablespace = {}",
        quote_literal(tablespace.unwrap_or(""))
    )
}

/// Empties `tables` in one TRUNCATE (so later COPYs in the transaction may use FREEZE).
pub async fn truncate(client: &impl GenericClient, tables: &[QualifiedName]) -> crate::Result<()> {
    client
        .batch_execute(&format!("TRUNCATE {}", quoted_list(tables)))
        .await
        .map_err(|e| Error::database(format!("emptying {} (TRUNCATE)", display_list(tables)), &e))
}

/// Refreshes the planner statistics of `tables` in one ANALYZE.
pub async fn analyze(client: &impl GenericClient, tables: &[QualifiedName]) -> crate::Result<()> {
    client
        .batch_execute(&format!("ANALYZE {}", quoted_list(tables)))
        .await
        .map_err(|e| Error::database(format!("ANALYZE of {}", display_list(tables)), &e))
}

/// A setting for the rest of the transaction (`SET LOCAL`), with what it is for.
#[derive(Debug, Clone, Copy)]
pub struct LocalSetting {
    pub name: &'static str,
    pub value: &'static str,
    pub purpose: &'static str,
}

/// Lets the transaction's COMMIT return before its WAL is flushed. For the pieces of a
/// parallel seed only: the run is marked complete by a later, ordinary commit, whose flush
/// covers every earlier commit, and a piece lost in a crash leaves the run incomplete, as
/// an interrupted one.
pub const COMMIT_WITHOUT_WAITING: LocalSetting = LocalSetting {
    name: "synchronous_commit",
    value: "off",
    purpose: "a seed piece's commit",
};

/// Asks the kernel to start writing the transaction's evicted data pages to disk as they
/// are written (the largest value), instead of leaving gigabytes of dirty pages for the
/// first fsync (an index build's) to wait on.
pub const WRITEBACK_EARLY: LocalSetting = LocalSetting {
    name: "backend_flush_after",
    value: "2MB",
    purpose: "the seed's write-back",
};

/// Gives index builds in the transaction more memory.
pub const INDEX_BUILD_MEMORY: LocalSetting = LocalSetting {
    name: "maintenance_work_mem",
    value: "256MB",
    purpose: "the index build",
};

/// Applies `settings` for the rest of the transaction, in one round trip.
pub async fn set_local(
    client: &impl GenericClient,
    settings: &[LocalSetting],
) -> crate::Result<()> {
    client
        .batch_execute(&set_local_sql(settings))
        .await
        .map_err(|e| {
            let what: Vec<String> = settings
                .iter()
                .map(|s| format!("{} for {}", s.name, s.purpose))
                .collect();
            Error::database(format!("setting {}", what.join(", ")), &e)
        })
}

fn set_local_sql(settings: &[LocalSetting]) -> String {
    let statements: Vec<String> = settings
        .iter()
        .map(|s| format!("SET LOCAL {} = {}", s.name, quote_literal(s.value)))
        .collect();
    statements.join("; ")
}

/// Compresses wide values written in this transaction with lz4 instead of pglz when the
/// server supports it; returns whether it does.
pub async fn prefer_lz4_toast_compression(client: &impl GenericClient) -> crate::Result<bool> {
    let fail = |e: tokio_postgres::Error| Error::database("choosing the TOAST compression", &e);
    let row = client
        .query_one(
            "SELECT coalesce(bool_or('lz4' = ANY(enumvals)), false) FROM pg_settings WHERE name = 'default_toast_compression'",
            &[],
        )
        .await
        .map_err(fail)?;
    let lz4: bool = row.get(0);
    if lz4 {
        client
            .batch_execute("SET LOCAL default_toast_compression = 'lz4'")
            .await
            .map_err(fail)?;
    }
    Ok(lz4)
}

/// "shared.design_jobs, tech_research, ..." for messages (unquoted, as people write them).
fn display_list(tables: &[QualifiedName]) -> String {
    tables
        .iter()
        .map(|t| format!("{}.{}", t.schema, t.name))
        .collect::<Vec<_>>()
        .join(", ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(schema: &str, name: &str) -> QualifiedName {
        QualifiedName {
            schema: schema.to_string(),
            name: name.to_string(),
        }
    }

    #[test]
    fn identifiers_are_always_quoted_and_embedded_quotes_doubled() {
        assert_eq!(quote_ident("tech_research"), "\"tech_research\"");
        assert_eq!(quote_ident("user"), "\"user\"");
        assert_eq!(quote_ident("Mixed Case"), "\"Mixed Case\"");
        assert_eq!(quote_ident("a\"b"), "\"a\"\"b\"");
        assert_eq!(quote_ident(""), "\"\"");
    }

    #[test]
    fn qualified_names_quote_schema_and_name_separately() {
        assert_eq!(
            name("shared", "design.jobs").quoted(),
            "\"shared\".\"design.jobs\""
        );
        let tables = [name("public", "a"), name("s", "b")];
        assert_eq!(quoted_list(&tables), "\"public\".\"a\", \"s\".\"b\"");
        assert_eq!(display_list(&tables), "public.a, s.b");
    }

    #[test]
    fn literals_double_quotes_and_escape_backslashes() {
        assert_eq!(quote_literal("plain"), "'plain'");
        assert_eq!(quote_literal("it's"), "'it''s'");
        assert_eq!(quote_literal("a\\b'c"), "E'a\\\\b''c'");
        assert_eq!(quote_literal(""), "''");
    }

    #[test]
    fn locks_and_tablespaces_are_quoted() {
        let tables = [name("public", "a"), name("public", "b")];
        assert_eq!(
            lock_sql(&tables, LockMode::ShareRowExclusive),
            "LOCK TABLE \"public\".\"a\", \"public\".\"b\" IN SHARE ROW EXCLUSIVE MODE"
        );
        assert_eq!(
            tablespace_sql(Some("fast ssd")),
            "SET LOCAL default_tablespace = 'fast ssd'"
        );
        assert_eq!(tablespace_sql(None), "SET LOCAL default_tablespace = ''");
    }

    #[test]
    fn local_settings_are_applied_in_one_batch_with_quoted_values() {
        assert_eq!(
            set_local_sql(&[COMMIT_WITHOUT_WAITING, WRITEBACK_EARLY]),
            "SET LOCAL synchronous_commit = 'off'; SET LOCAL backend_flush_after = '2MB'"
        );
    }
}
