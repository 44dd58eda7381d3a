//! Keys and indexes dropped for a bulk load and recreated, identical, after it: the
//! catalog reads that find them (definitions as the server renders them, with their
//! comments and tablespaces), the DROP, re-ADD and COMMENT statements with quoted
//! identifiers, and the `Deferral` that remembers them; also each object on its own (one
//! index, one key, a foreign key added NOT VALID and validated later) so several
//! connections can rebuild them in parallel, and idempotent drops for a repair.
//! Must not decide when to defer (the caller does), nor touch tables it is not given.

use tokio_postgres::GenericClient;

use crate::Error;
use crate::db::catalog::QualifiedName;
use crate::db::ddl::{self, quote_ident, quote_literal, use_tablespace};

/// The kinds of constraint a bulk load may drop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConstraintKind {
    PrimaryKey,
    ForeignKey,
}

impl ConstraintKind {
    /// `pg_constraint.contype` of this kind.
    fn contype(self) -> i8 {
        let code = match self {
            ConstraintKind::PrimaryKey => b'p',
            ConstraintKind::ForeignKey => b'f',
        };
        code as i8
    }

    fn label(self) -> &'static str {
        match self {
            ConstraintKind::PrimaryKey => "primary key",
            ConstraintKind::ForeignKey => "foreign key",
        }
    }
}

/// A table constraint as the catalog defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConstraintDefinition {
    pub kind: ConstraintKind,
    pub table: QualifiedName,
    /// The constraint's name, unquoted.
    pub name: String,
    /// The clause after `ADD CONSTRAINT name`, from `pg_get_constraintdef`.
    pub definition: String,
    /// `COMMENT ON CONSTRAINT` text, if any.
    pub comment: Option<String>,
    /// The tablespace of the constraint's index (`None`: the database's default, or no index).
    pub tablespace: Option<String>,
}

impl ConstraintDefinition {
    fn drop_sql(&self) -> String {
        format!(
            "ALTER TABLE {} DROP CONSTRAINT {}",
            self.table.quoted(),
            quote_ident(&self.name)
        )
    }

    fn add_sql(&self) -> String {
        format!(
            "ALTER TABLE {} ADD CONSTRAINT {} {}",
            self.table.quoted(),
            quote_ident(&self.name),
            self.definition
        )
    }

    fn drop_if_exists_sql(&self) -> String {
        format!(
            "ALTER TABLE {} DROP CONSTRAINT IF EXISTS {}",
            self.table.quoted(),
            quote_ident(&self.name)
        )
    }

    fn validate_sql(&self) -> String {
        format!(
            "ALTER TABLE {} VALIDATE CONSTRAINT {}",
            self.table.quoted(),
            quote_ident(&self.name)
        )
    }

    fn comment_sql(&self) -> Option<String> {
        self.comment.as_ref().map(|comment| {
            format!(
                "COMMENT ON CONSTRAINT {} ON {} IS {}",
                quote_ident(&self.name),
                self.table.quoted(),
                quote_literal(comment)
            )
        })
    }

    /// "foreign key name on schema.table", for messages.
    pub fn describe(&self) -> String {
        format!(
            "{} {} on {}.{}",
            self.kind.label(),
            self.name,
            self.table.schema,
            self.table.name
        )
    }
}

/// A secondary index (neither a primary key's nor any constraint's) as the catalog defines it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexDefinition {
    pub index: QualifiedName,
    /// The complete CREATE INDEX statement, from `pg_get_indexdef` (it names no tablespace).
    pub create_sql: String,
    /// `COMMENT ON INDEX` text, if any.
    pub comment: Option<String>,
    /// The index's tablespace (`None`: the database's default).
    pub tablespace: Option<String>,
}

impl IndexDefinition {
    fn drop_sql(&self) -> String {
        format!("DROP INDEX {}", self.index.quoted())
    }

    fn drop_if_exists_sql(&self) -> String {
        format!("DROP INDEX IF EXISTS {}", self.index.quoted())
    }

    fn comment_sql(&self) -> Option<String> {
        self.comment.as_ref().map(|comment| {
            format!(
                "COMMENT ON INDEX {} IS {}",
                self.index.quoted(),
                quote_literal(comment)
            )
        })
    }
}

/// What was dropped for a load, to recreate after it.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Deferral {
    pub primary_keys: Vec<ConstraintDefinition>,
    pub indexes: Vec<IndexDefinition>,
    pub foreign_keys: Vec<ConstraintDefinition>,
}

impl Deferral {
    /// "5 primary keys, 10 secondary indexes, 5 foreign keys".
    pub fn describe(&self) -> String {
        format!(
            "{} primary keys, {} secondary indexes, {} foreign keys",
            self.primary_keys.len(),
            self.indexes.len(),
            self.foreign_keys.len()
        )
    }
}

/// The constraints of `kind` declared on `tables`, ordered by table and name.
pub async fn constraints_of(
    client: &impl GenericClient,
    kind: ConstraintKind,
    tables: &[&str],
) -> crate::Result<Vec<ConstraintDefinition>> {
    let rows = client
        .query(
            "SELECT n.nspname, t.relname, c.conname, pg_get_constraintdef(c.oid), \
             obj_description(c.oid, 'pg_constraint'), ts.spcname FROM pg_constraint c \
             JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace \
             LEFT JOIN pg_class ci ON ci.oid = c.conindid AND c.contype <> 'f' \
             LEFT JOIN pg_tablespace ts ON ts.oid = ci.reltablespace \
             WHERE c.contype = $2 AND c.conrelid = ANY($1::text[]::regclass[]) \
             ORDER BY c.conrelid::regclass::text, quote_ident(c.conname)",
            &[&tables, &kind.contype()],
        )
        .await
        .map_err(|e| Error::database(format!("reading the {}s of the tables", kind.label()), &e))?;
    Ok(rows
        .iter()
        .map(|r| ConstraintDefinition {
            kind,
            table: QualifiedName {
                schema: r.get(0),
                name: r.get(1),
            },
            name: r.get(2),
            definition: r.get(3),
            comment: r.get(4),
            tablespace: r.get(5),
        })
        .collect())
}

/// The secondary indexes of `tables` (those no constraint owns), ordered by name.
pub async fn secondary_indexes(
    client: &impl GenericClient,
    tables: &[&str],
) -> crate::Result<Vec<IndexDefinition>> {
    let rows = client
        .query(
            "SELECT n.nspname, c.relname, pg_get_indexdef(i.indexrelid), \
             obj_description(i.indexrelid, 'pg_class'), ts.spcname FROM pg_index i \
             JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_namespace n ON n.oid = c.relnamespace \
             LEFT JOIN pg_tablespace ts ON ts.oid = c.reltablespace \
             WHERE i.indrelid = ANY($1::text[]::regclass[]) AND NOT i.indisprimary \
             AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid) \
             ORDER BY i.indexrelid::regclass::text",
            &[&tables],
        )
        .await
        .map_err(|e| Error::database("reading the secondary indexes of the tables", &e))?;
    Ok(rows
        .iter()
        .map(|r| IndexDefinition {
            index: QualifiedName {
                schema: r.get(0),
                name: r.get(1),
            },
            create_sql: r.get(2),
            comment: r.get(3),
            tablespace: r.get(4),
        })
        .collect())
}

/// True when a table outside `tables` has a foreign key into one of them.
pub async fn referenced_from_outside(
    client: &impl GenericClient,
    tables: &[&str],
) -> crate::Result<bool> {
    let row = client
        .query_one(
            "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND confrelid = ANY($1::text[]::regclass[]) \
             AND NOT conrelid = ANY($1::text[]::regclass[])",
            &[&tables],
        )
        .await
        .map_err(|e| Error::database("looking for foreign keys into the tables", &e))?;
    Ok(row.get::<_, i64>(0) > 0)
}

/// Drops each of `constraints`.
pub async fn drop_constraints(
    client: &impl GenericClient,
    constraints: &[ConstraintDefinition],
) -> crate::Result<()> {
    for constraint in constraints {
        client
            .batch_execute(&constraint.drop_sql())
            .await
            .map_err(|e| {
                Error::database(
                    format!("dropping {} for the bulk load", constraint.describe()),
                    &e,
                )
            })?;
    }
    Ok(())
}

/// Drops each of `indexes`.
pub async fn drop_indexes(
    client: &impl GenericClient,
    indexes: &[IndexDefinition],
) -> crate::Result<()> {
    for index in indexes {
        client.batch_execute(&index.drop_sql()).await.map_err(|e| {
            Error::database(
                format!(
                    "dropping index {}.{} for the bulk load",
                    index.index.schema, index.index.name
                ),
                &e,
            )
        })?;
    }
    Ok(())
}

/// Re-adds each of `constraints` (the server checks every row against it), its index in
/// its tablespace, with its comment.
async fn add_constraints(
    client: &impl GenericClient,
    constraints: &[ConstraintDefinition],
) -> crate::Result<()> {
    for constraint in constraints {
        add_constraint(client, constraint).await?;
    }
    Ok(())
}

/// Re-adds `constraint` (a primary key's index in its tablespace), with its comment. In a
/// transaction of the caller's (the tablespace choice is `SET LOCAL`).
pub async fn add_constraint(
    client: &impl GenericClient,
    constraint: &ConstraintDefinition,
) -> crate::Result<()> {
    let doing = || format!("re-adding {}", constraint.describe());
    if constraint.kind == ConstraintKind::PrimaryKey {
        use_tablespace(client, constraint.tablespace.as_deref()).await?;
    }
    let statements = [Some(constraint.add_sql()), constraint.comment_sql()];
    execute_all(client, statements.iter().flatten(), doing).await
}

/// Re-adds foreign key `constraint` without checking the rows (NOT VALID: brief locks, so
/// several can then be validated at once with `validate_constraint`), with its comment.
pub async fn add_foreign_key_unchecked(
    client: &impl GenericClient,
    constraint: &ConstraintDefinition,
) -> crate::Result<()> {
    let doing = || format!("re-adding {} (NOT VALID)", constraint.describe());
    let add = format!("{} NOT VALID", constraint.add_sql());
    let statements = [Some(add), constraint.comment_sql()];
    execute_all(client, statements.iter().flatten(), doing).await
}

/// Checks every row against `constraint`, added NOT VALID before.
pub async fn validate_constraint(
    client: &impl GenericClient,
    constraint: &ConstraintDefinition,
) -> crate::Result<()> {
    let doing = || format!("validating {}", constraint.describe());
    execute_all(client, [constraint.validate_sql()].iter(), doing).await
}

/// Recreates each of `indexes` in its tablespace, with its comment.
async fn create_indexes(
    client: &impl GenericClient,
    indexes: &[IndexDefinition],
) -> crate::Result<()> {
    for index in indexes {
        create_index(client, index).await?;
    }
    Ok(())
}

/// Recreates `index` in its tablespace, with its comment. In a transaction of the
/// caller's (the tablespace choice is `SET LOCAL`).
pub async fn create_index(
    client: &impl GenericClient,
    index: &IndexDefinition,
) -> crate::Result<()> {
    let doing = || format!("rebuilding index ({})", index.create_sql);
    use_tablespace(client, index.tablespace.as_deref()).await?;
    let statements = [Some(index.create_sql.clone()), index.comment_sql()];
    execute_all(client, statements.iter().flatten(), doing).await
}

/// Drops whatever of `deferral` exists (foreign keys first), so that it can be recreated
/// from its definitions whatever an interrupted run left behind.
pub async fn drop_if_exists(client: &impl GenericClient, deferral: &Deferral) -> crate::Result<()> {
    let statements: Vec<String> = deferral
        .foreign_keys
        .iter()
        .map(ConstraintDefinition::drop_if_exists_sql)
        .chain(
            deferral
                .indexes
                .iter()
                .map(IndexDefinition::drop_if_exists_sql),
        )
        .chain(
            deferral
                .primary_keys
                .iter()
                .map(ConstraintDefinition::drop_if_exists_sql),
        )
        .collect();
    execute_all(client, statements.iter(), || {
        "dropping what an interrupted seed run left of its keys and indexes".to_string()
    })
    .await
}

async fn execute_all(
    client: &impl GenericClient,
    statements: impl Iterator<Item = &String>,
    doing: impl Fn() -> String,
) -> crate::Result<()> {
    for statement in statements {
        client
            .batch_execute(statement)
            .await
            .map_err(|e| Error::database(doing(), &e))?;
    }
    Ok(())
}

/// Recreates what `deferral` holds: primary keys and indexes first (with more memory for
/// the build, each in the tablespace it was in, with its comment), calling `mark` with "rebuild primary keys and indexes", then the foreign
/// keys, calling `mark` with "re-add and validate foreign keys".
pub async fn restore(
    client: &impl GenericClient,
    deferral: &Deferral,
    mut mark: impl FnMut(&str),
) -> crate::Result<()> {
    if !(deferral.indexes.is_empty() && deferral.primary_keys.is_empty()) {
        ddl::set_local(client, &[ddl::INDEX_BUILD_MEMORY]).await?;
    }
    add_constraints(client, &deferral.primary_keys).await?;
    create_indexes(client, &deferral.indexes).await?;
    mark("rebuild primary keys and indexes");
    add_constraints(client, &deferral.foreign_keys).await?;
    mark("re-add and validate foreign keys");
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn foreign_key() -> ConstraintDefinition {
        ConstraintDefinition {
            kind: ConstraintKind::ForeignKey,
            table: QualifiedName {
                schema: "public".to_string(),
                name: "tech_research".to_string(),
            },
            name: "tech_research_session_id_fkey".to_string(),
            definition: "FOREIGN KEY (session_id) REFERENCES tech_spec_sessions(id)".to_string(),
            comment: None,
            tablespace: None,
        }
    }

    #[test]
    fn constraint_statements_quote_the_table_and_the_name() {
        let fk = foreign_key();
        assert_eq!(
            fk.drop_sql(),
            "ALTER TABLE \"public\".\"tech_research\" DROP CONSTRAINT \"tech_research_session_id_fkey\""
        );
        assert_eq!(
            fk.add_sql(),
            "ALTER TABLE \"public\".\"tech_research\" ADD CONSTRAINT \"tech_research_session_id_fkey\" \
             FOREIGN KEY (session_id) REFERENCES tech_spec_sessions(id)"
        );
        assert_eq!(
            fk.describe(),
            "foreign key tech_research_session_id_fkey on public.tech_research"
        );
        assert_eq!(fk.comment_sql(), None);
        assert_eq!(
            fk.validate_sql(),
            "ALTER TABLE \"public\".\"tech_research\" VALIDATE CONSTRAINT \"tech_research_session_id_fkey\""
        );
        assert_eq!(
            fk.drop_if_exists_sql(),
            "ALTER TABLE \"public\".\"tech_research\" DROP CONSTRAINT IF EXISTS \"tech_research_session_id_fkey\""
        );
        let commented = ConstraintDefinition {
            comment: Some("one per session".to_string()),
            ..fk
        };
        assert_eq!(
            commented.comment_sql().as_deref(),
            Some(
                "COMMENT ON CONSTRAINT \"tech_research_session_id_fkey\" ON \"public\".\"tech_research\" \
                 IS 'one per session'"
            )
        );
    }

    #[test]
    fn kinds_map_to_their_catalog_codes() {
        assert_eq!(ConstraintKind::PrimaryKey.contype(), b'p' as i8);
        assert_eq!(ConstraintKind::ForeignKey.contype(), b'f' as i8);
    }

    #[test]
    fn index_drops_quote_schema_and_name_and_deferrals_count_what_they_hold() {
        let index = IndexDefinition {
            index: QualifiedName {
                schema: "public".to_string(),
                name: "Odd \"name\"".to_string(),
            },
            create_sql: "CREATE INDEX ...".to_string(),
            comment: Some("it's C:\\x".to_string()),
            tablespace: None,
        };
        assert_eq!(
            index.comment_sql().as_deref(),
            Some("COMMENT ON INDEX \"public\".\"Odd \"\"name\"\"\" IS E'it''s C:\\\\x'")
        );
        assert_eq!(
            index.drop_sql(),
            "DROP INDEX \"public\".\"Odd \"\"name\"\"\""
        );
        assert_eq!(
            index.drop_if_exists_sql(),
            "DROP INDEX IF EXISTS \"public\".\"Odd \"\"name\"\"\""
        );
        let deferral = Deferral {
            primary_keys: vec![],
            indexes: vec![index],
            foreign_keys: vec![foreign_key(), foreign_key()],
        };
        assert_eq!(
            deferral.describe(),
            "0 primary keys, 1 secondary indexes, 2 foreign keys"
        );
    }
}
