//! What `ablate` says to PostgreSQL about the objects it measures: finding an index's
//! table and the constraint behind it, listing the indexes and foreign keys of a written
//! table, and the statements that drop one of them inside a transaction (identifiers
//! quoted with `quote_ident`). Must not commit: every statement here runs in a transaction
//! the caller rolls back, so an ablated object is never left dropped, even if the process
//! is killed.

use tokio_postgres::GenericClient;

use crate::Error;
use crate::db::catalog::QualifiedName;
use crate::db::ddl::quote_ident;

/// How long a DROP waits for the ACCESS EXCLUSIVE lock before giving up.
const LOCK_TIMEOUT: &str = "10s";

/// What kind of object is dropped, which decides the statement that drops it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectKind {
    /// A plain index: `DROP INDEX`.
    Index,
    /// The index of a primary key, unique or exclusion constraint: the constraint is
    /// dropped (with CASCADE, which also drops the foreign keys that reference it).
    ConstraintIndex(String),
    /// A foreign key: `ALTER TABLE … DROP CONSTRAINT`.
    ForeignKey,
}

/// An index or foreign key that can be dropped for a measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ablatable {
    /// The index or constraint name.
    pub name: String,
    /// The table it belongs to.
    pub table: QualifiedName,
    pub kind: ObjectKind,
}

impl Ablatable {
    /// The statement that drops this object (to be run in a transaction that rolls back).
    fn drop_statement(&self) -> String {
        let table = self.table.quoted();
        match &self.kind {
            ObjectKind::Index => format!(
                "DROP INDEX {}.{}",
                quote_ident(&self.table.schema),
                quote_ident(&self.name)
            ),
            ObjectKind::ConstraintIndex(constraint) => format!(
                "ALTER TABLE {table} DROP CONSTRAINT {} CASCADE",
                quote_ident(constraint)
            ),
            ObjectKind::ForeignKey => {
                format!(
                    "ALTER TABLE {table} DROP CONSTRAINT {}",
                    quote_ident(&self.name)
                )
            }
        }
    }

    /// "index", "constraint index", "foreign key": for reports and messages.
    pub fn kind_name(&self) -> &'static str {
        match self.kind {
            ObjectKind::Index => "index",
            ObjectKind::ConstraintIndex(_) => "constraint index",
            ObjectKind::ForeignKey => "foreign key",
        }
    }

    /// The constraint dropped with a constraint index.
    pub fn constraint(&self) -> Option<&str> {
        match &self.kind {
            ObjectKind::ConstraintIndex(constraint) => Some(constraint),
            ObjectKind::Index | ObjectKind::ForeignKey => None,
        }
    }
}

/// The index named `name` (as a plan shows it, without schema), its table and the
/// constraint it backs; `None` when no such index exists. When several schemas hold an
/// index of that name, the one visible on the search path wins.
pub async fn find_index(
    client: &impl GenericClient,
    name: &str,
) -> crate::Result<Option<Ablatable>> {
    let row = client
        .query_opt(
            "SELECT n.nspname::text, t.relname::text, con.conname::text \
             FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             JOIN pg_catalog.pg_class t ON t.oid = i.indrelid \
             JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_catalog.pg_constraint con \
               ON con.conindid = c.oid AND con.conrelid = t.oid AND con.contype IN ('p', 'u', 'x') \
             WHERE c.relname = $1 \
             ORDER BY pg_catalog.pg_table_is_visible(c.oid) DESC, n.nspname \
             LIMIT 1",
            &[&name],
        )
        .await
        .map_err(|e| Error::database(format!("looking up index {name} in the catalog"), &e))?;
    Ok(row.map(|row| Ablatable {
        name: name.to_string(),
        table: QualifiedName {
            schema: row.get(0),
            name: row.get(1),
        },
        kind: match row.get::<_, Option<String>>(2) {
            Some(constraint) => ObjectKind::ConstraintIndex(constraint),
            None => ObjectKind::Index,
        },
    }))
}

/// Every index and foreign key of `table` (what an insert into it maintains or checks),
/// indexes first, each group sorted by name.
pub async fn write_side_objects(
    client: &impl GenericClient,
    table: &QualifiedName,
) -> crate::Result<Vec<Ablatable>> {
    let rows = client
        .query(
            "SELECT c.relname::text, con.conname::text, 0 AS sort \
             FROM pg_catalog.pg_index i \
             JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid \
             LEFT JOIN pg_catalog.pg_constraint con \
               ON con.conindid = c.oid AND con.conrelid = i.indrelid AND con.contype IN ('p', 'u', 'x') \
             WHERE i.indrelid = to_regclass($1) \
             UNION ALL \
             SELECT con.conname::text, NULL, 1 FROM pg_catalog.pg_constraint con \
             WHERE con.conrelid = to_regclass($1) AND con.contype = 'f' \
             ORDER BY 3, 1",
            &[&table.quoted()],
        )
        .await
        .map_err(|e| {
            Error::database(format!("listing the indexes and foreign keys of {}", qualified(table)), &e)
        })?;
    Ok(rows
        .iter()
        .map(|row| {
            let foreign_key = row.get::<_, i32>(2) == 1;
            Ablatable {
                name: row.get(0),
                table: table.clone(),
                kind: match (foreign_key, row.get::<_, Option<String>>(1)) {
                    (true, _) => ObjectKind::ForeignKey,
                    (false, Some(constraint)) => ObjectKind::ConstraintIndex(constraint),
                    (false, None) => ObjectKind::Index,
                },
            }
        })
        .collect())
}

/// Bounds the measurement transaction: statements past `statement_timeout_ms` fail, and a
/// DROP that cannot get its ACCESS EXCLUSIVE lock within 10 s fails instead of queueing
/// every other user of the table behind it.
pub async fn limit_transaction(
    client: &impl GenericClient,
    statement_timeout_ms: u128,
) -> crate::Result<()> {
    client
        .batch_execute(&format!(
            "SET LOCAL statement_timeout = {statement_timeout_ms}; \
             SET LOCAL lock_timeout = '{LOCK_TIMEOUT}'"
        ))
        .await
        .map_err(|e| {
            Error::database(
                "setting statement_timeout and lock_timeout for ablation",
                &e,
            )
        })
}

/// Drops `object` in the caller's (sub)transaction.
pub async fn drop_object(client: &impl GenericClient, object: &Ablatable) -> crate::Result<()> {
    client
        .batch_execute(&object.drop_statement())
        .await
        .map_err(|e| {
            Error::database(
                format!(
                    "dropping {} {} on {} for the measurement (rolled back); if the lock \
                     timed out, retry when the table is idle",
                    object.kind_name(),
                    object.name,
                    qualified(&object.table)
                ),
                &e,
            )
        })
}

/// "schema.table", unquoted, for messages and reports.
pub fn qualified(table: &QualifiedName) -> String {
    format!("{}.{}", table.schema, table.name)
}

/// `EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON)` of a scenario statement.
pub fn explain_statement(sql: &str) -> String {
    format!("EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) {sql}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn object(kind: ObjectKind) -> Ablatable {
        Ablatable {
            name: "ix \"odd\"".into(),
            table: QualifiedName {
                schema: "public".into(),
                name: "tech_spec_sessions".into(),
            },
            kind,
        }
    }

    #[test]
    fn every_identifier_of_a_drop_is_quoted() {
        assert_eq!(
            object(ObjectKind::Index).drop_statement(),
            r#"DROP INDEX "public"."ix ""odd""""#
        );
        assert_eq!(
            object(ObjectKind::ForeignKey).drop_statement(),
            r#"ALTER TABLE "public"."tech_spec_sessions" DROP CONSTRAINT "ix ""odd""""#
        );
    }

    #[test]
    fn a_constraint_index_is_dropped_through_its_constraint() {
        let pkey = object(ObjectKind::ConstraintIndex("sessions_pkey".into()));
        assert_eq!(
            pkey.drop_statement(),
            r#"ALTER TABLE "public"."tech_spec_sessions" DROP CONSTRAINT "sessions_pkey" CASCADE"#
        );
        assert_eq!(pkey.kind_name(), "constraint index");
    }
}
