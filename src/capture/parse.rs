//! SQL -> `Shape`, with PostgreSQL's own parser (`pg_query`, libpg_query): the statement's
//! kind, the tables it names, and each recognised use of a `$n` parameter with the FROM
//! clauses in scope where it is used. A parameter inside anything not recognised here is
//! simply not recorded, so it stays a placeholder: the walker never guesses.
//! Must not look at a catalog or choose generators (see `infer`).

use pg_query::NodeEnum;
use pg_query::protobuf::{self as pb, AExprKind, SetOperation};

use super::lex::param_locations;

use super::shape::{
    ColumnUse, ParamUse, Role, ScopeEntry, Shape, StatementKind, TableName, TargetColumn,
};

/// Parses one statement (as pg_stat_statements records it). An unparsable text is an
/// error with the parser's message.
pub fn shape(sql: &str) -> Result<Shape, String> {
    let parsed = pg_query::parse(sql).map_err(|e| e.to_string())?;
    let locations = param_locations(sql)?;
    let tables = named_tables(&parsed);
    let writes = parsed
        .tables
        .iter()
        .any(|(_, c)| *c == pg_query::Context::DML);
    let statement = match parsed.protobuf.stmts.as_slice() {
        [only] => only.stmt.as_ref().and_then(|s| s.node.as_ref()),
        _ => None,
    };
    let mut walker = Walker::default();
    let kind = match statement {
        Some(NodeEnum::SelectStmt(select)) => {
            walker.select(select);
            if writes || locks(select) {
                StatementKind::Write
            } else {
                StatementKind::Read
            }
        }
        Some(NodeEnum::InsertStmt(insert)) => {
            walker.insert(insert);
            StatementKind::Write
        }
        Some(NodeEnum::UpdateStmt(update)) => {
            walker.update(update);
            StatementKind::Write
        }
        Some(NodeEnum::DeleteStmt(delete)) => {
            walker.delete(delete);
            StatementKind::Write
        }
        Some(NodeEnum::MergeStmt(_)) => StatementKind::Write,
        _ => StatementKind::Utility,
    };
    Ok(Shape {
        kind,
        tables,
        uses: walker.uses,
        locations,
    })
}

/// The relations the parser saw (CTEs excluded), sorted, once each.
fn named_tables(parsed: &pg_query::ParseResult) -> Vec<TableName> {
    let mut tables: Vec<TableName> = Vec::new();
    for (name, _) in &parsed.tables {
        let table = match name.split_once('.') {
            Some((schema, name)) => TableName {
                schema: Some(schema.to_string()),
                name: name.to_string(),
            },
            None => TableName::bare(name),
        };
        if !tables.contains(&table) {
            tables.push(table);
        }
    }
    tables.sort();
    tables
}

/// `SELECT ... FOR UPDATE/SHARE` (a read-only transaction refuses it).
fn locks(select: &pb::SelectStmt) -> bool {
    !select.locking_clause.is_empty()
        || [&select.larg, &select.rarg]
            .into_iter()
            .flatten()
            .any(|side| locks(side))
}

fn inner(node: &pb::Node) -> Option<&NodeEnum> {
    node.node.as_ref()
}

fn boxed(node: &Option<Box<pb::Node>>) -> Option<&NodeEnum> {
    node.as_deref().and_then(inner)
}

/// `$n`, or `$n::type`.
fn param_of(node: Option<&NodeEnum>) -> Option<usize> {
    match node? {
        NodeEnum::ParamRef(p) => usize::try_from(p.number).ok().filter(|n| *n > 0),
        NodeEnum::TypeCast(cast) => param_of(boxed(&cast.arg)),
        _ => None,
    }
}

/// `column`, `alias.column` or `schema.table.column` (or one of them cast): the
/// qualifier seen and the column name.
fn column_of(node: Option<&NodeEnum>) -> Option<(Option<String>, String)> {
    match node? {
        NodeEnum::ColumnRef(c) => {
            let names: Vec<&str> = c
                .fields
                .iter()
                .map(|f| match inner(f) {
                    Some(NodeEnum::String(s)) => Some(s.sval.as_str()),
                    _ => None,
                })
                .collect::<Option<_>>()?;
            match names.as_slice() {
                [column] => Some((None, column.to_string())),
                [.., table, column] => Some((Some(table.to_string()), column.to_string())),
                [] => None,
            }
        }
        NodeEnum::TypeCast(cast) => column_of(boxed(&cast.arg)),
        _ => None,
    }
}

/// Walks the parts of a statement it recognises, keeping the FROM clauses in scope.
#[derive(Default)]
struct Walker {
    /// Innermost last.
    scopes: Vec<Vec<ScopeEntry>>,
    /// CTE names in scope (a RangeVar with such a name is not a table).
    ctes: Vec<String>,
    uses: Vec<ParamUse>,
}

impl Walker {
    fn record(&mut self, param: usize, role: Role) {
        self.uses.push(ParamUse { param, role });
    }

    fn column_use(&self, qualifier: Option<String>, name: String) -> ColumnUse {
        ColumnUse {
            qualifier,
            name,
            scopes: self.scopes.iter().rev().cloned().collect(),
        }
    }

    /// A nested statement (CTE, subquery): SELECT, or a data-modifying CTE.
    fn statement(&mut self, node: Option<&NodeEnum>) {
        match node {
            Some(NodeEnum::SelectStmt(s)) => self.select(s),
            Some(NodeEnum::InsertStmt(s)) => self.insert(s),
            Some(NodeEnum::UpdateStmt(s)) => self.update(s),
            Some(NodeEnum::DeleteStmt(s)) => self.delete(s),
            _ => {}
        }
    }

    fn with(&mut self, with: &Option<pb::WithClause>) {
        for cte in with.iter().flat_map(|w| &w.ctes) {
            if let Some(NodeEnum::CommonTableExpr(cte)) = inner(cte) {
                self.ctes.push(cte.ctename.clone());
                self.statement(boxed(&cte.ctequery));
            }
        }
    }

    fn select(&mut self, s: &pb::SelectStmt) {
        self.with(&s.with_clause);
        if s.op != SetOperation::SetopNone as i32 && s.op != SetOperation::Undefined as i32 {
            for side in [&s.larg, &s.rarg].into_iter().flatten() {
                self.select(side);
            }
        }
        let entries = self.entries_of_from(&s.from_clause);
        self.scopes.push(entries);
        for item in &s.from_clause {
            self.add_from_item(inner(item));
        }
        let lists = [
            &s.target_list,
            &s.group_clause,
            &s.sort_clause,
            &s.values_lists,
        ];
        for node in lists.into_iter().flatten() {
            self.expr(inner(node));
        }
        self.expr(boxed(&s.where_clause));
        self.expr(boxed(&s.having_clause));
        self.limit(&s.limit_count, Role::Limit);
        self.limit(&s.limit_offset, Role::Offset);
        self.scopes.pop();
    }

    fn limit(&mut self, node: &Option<Box<pb::Node>>, role: Role) {
        match param_of(boxed(node)) {
            Some(param) => self.record(param, role),
            None => self.expr(boxed(node)),
        }
    }

    fn insert(&mut self, s: &pb::InsertStmt) {
        self.with(&s.with_clause);
        let Some(relation) = &s.relation else { return };
        let table = self.table_of(relation);
        let columns: Vec<String> = s
            .cols
            .iter()
            .filter_map(|c| match inner(c) {
                Some(NodeEnum::ResTarget(t)) => Some(t.name.clone()),
                _ => None,
            })
            .collect();
        let entry = self.entry_of(relation);
        self.scopes.push(vec![entry]);
        match boxed(&s.select_stmt) {
            Some(NodeEnum::SelectStmt(select)) if !select.values_lists.is_empty() => {
                for row in &select.values_lists {
                    self.values_row(inner(row), table.as_ref(), &columns);
                }
            }
            other => self.statement(other),
        }
        if let Some(conflict) = &s.on_conflict_clause {
            for target in &conflict.target_list {
                self.expr(inner(target));
            }
            self.expr(boxed(&conflict.where_clause));
        }
        self.scopes.pop();
    }

    /// One `(v1, v2, ...)` of INSERT ... VALUES: a bare `$n` is stored into its column.
    fn values_row(
        &mut self,
        row: Option<&NodeEnum>,
        table: Option<&TableName>,
        columns: &[String],
    ) {
        let Some(NodeEnum::List(row)) = row else {
            return;
        };
        for (position, item) in row.items.iter().enumerate() {
            match (param_of(inner(item)), table) {
                (Some(param), Some(table)) => {
                    let column = match columns.get(position) {
                        Some(name) => TargetColumn::Named(name.clone()),
                        None => TargetColumn::Position(position),
                    };
                    let table = table.clone();
                    self.record(param, Role::Stored { table, column });
                }
                _ => self.expr(inner(item)),
            }
        }
    }

    fn update(&mut self, s: &pb::UpdateStmt) {
        self.with(&s.with_clause);
        let Some(relation) = &s.relation else { return };
        let table = self.table_of(relation);
        let mut entries = vec![self.entry_of(relation)];
        entries.extend(self.entries_of_from(&s.from_clause));
        self.scopes.push(entries);
        for item in &s.from_clause {
            self.add_from_item(inner(item));
        }
        for target in &s.target_list {
            let Some(NodeEnum::ResTarget(t)) = inner(target) else {
                continue;
            };
            match (param_of(boxed(&t.val)), &table, t.indirection.is_empty()) {
                (Some(param), Some(table), true) => {
                    let column = TargetColumn::Named(t.name.clone());
                    let table = table.clone();
                    self.record(param, Role::Stored { table, column });
                }
                _ => self.expr(boxed(&t.val)),
            }
        }
        self.expr(boxed(&s.where_clause));
        self.scopes.pop();
    }

    fn delete(&mut self, s: &pb::DeleteStmt) {
        self.with(&s.with_clause);
        let Some(relation) = &s.relation else { return };
        let mut entries = vec![self.entry_of(relation)];
        entries.extend(self.entries_of_from(&s.using_clause));
        self.scopes.push(entries);
        for item in &s.using_clause {
            self.add_from_item(inner(item));
        }
        self.expr(boxed(&s.where_clause));
        self.scopes.pop();
    }

    /// The table a RangeVar names, or `None` when it is one of the statement's CTEs.
    fn table_of(&self, relation: &pb::RangeVar) -> Option<TableName> {
        if relation.schemaname.is_empty() && self.ctes.contains(&relation.relname) {
            return None;
        }
        Some(TableName {
            schema: (!relation.schemaname.is_empty()).then(|| relation.schemaname.clone()),
            name: relation.relname.clone(),
        })
    }

    fn entry_of(&self, relation: &pb::RangeVar) -> ScopeEntry {
        ScopeEntry {
            visible: relation
                .alias
                .as_ref()
                .map_or(relation.relname.clone(), |a| a.aliasname.clone()),
            table: self.table_of(relation),
        }
    }

    /// The names a FROM list makes visible.
    fn entries_of_from(&self, items: &[pb::Node]) -> Vec<ScopeEntry> {
        let mut entries = Vec::new();
        for item in items {
            self.collect_entries(inner(item), &mut entries);
        }
        entries
    }

    fn collect_entries(&self, item: Option<&NodeEnum>, entries: &mut Vec<ScopeEntry>) {
        let opaque = |alias: &Option<pb::Alias>| {
            alias.as_ref().map(|a| ScopeEntry {
                visible: a.aliasname.clone(),
                table: None,
            })
        };
        match item {
            Some(NodeEnum::RangeVar(relation)) => entries.push(self.entry_of(relation)),
            Some(NodeEnum::JoinExpr(join)) => {
                self.collect_entries(boxed(&join.larg), entries);
                self.collect_entries(boxed(&join.rarg), entries);
            }
            Some(NodeEnum::RangeSubselect(sub)) => entries.extend(opaque(&sub.alias)),
            Some(NodeEnum::RangeFunction(function)) => entries.extend(opaque(&function.alias)),
            _ => {}
        }
    }

    /// The expressions inside a FROM item: join conditions, subqueries, function arguments.
    fn add_from_item(&mut self, item: Option<&NodeEnum>) {
        match item {
            Some(NodeEnum::JoinExpr(join)) => {
                self.add_from_item(boxed(&join.larg));
                self.add_from_item(boxed(&join.rarg));
                self.expr(boxed(&join.quals));
            }
            Some(NodeEnum::RangeSubselect(sub)) => self.statement(boxed(&sub.subquery)),
            Some(NodeEnum::RangeFunction(function)) => {
                for node in &function.functions {
                    self.expr(inner(node));
                }
            }
            _ => {}
        }
    }

    fn exprs(&mut self, nodes: &[pb::Node]) {
        for node in nodes {
            self.expr(inner(node));
        }
    }

    /// An expression: comparisons are recognised, everything else is searched for them.
    fn expr(&mut self, node: Option<&NodeEnum>) {
        match node {
            Some(NodeEnum::AExpr(e)) => self.a_expr(e),
            Some(NodeEnum::BoolExpr(b)) => self.exprs(&b.args),
            Some(NodeEnum::NullTest(n)) => self.expr(boxed(&n.arg)),
            Some(NodeEnum::BooleanTest(b)) => self.expr(boxed(&b.arg)),
            Some(NodeEnum::TypeCast(c)) => self.expr(boxed(&c.arg)),
            Some(NodeEnum::CollateClause(c)) => self.expr(boxed(&c.arg)),
            Some(NodeEnum::FuncCall(f)) => self.exprs(&f.args),
            Some(NodeEnum::NamedArgExpr(a)) => self.expr(boxed(&a.arg)),
            Some(NodeEnum::CoalesceExpr(c)) => self.exprs(&c.args),
            Some(NodeEnum::MinMaxExpr(m)) => self.exprs(&m.args),
            Some(NodeEnum::RowExpr(r)) => self.exprs(&r.args),
            Some(NodeEnum::AArrayExpr(a)) => self.exprs(&a.elements),
            Some(NodeEnum::List(l)) => self.exprs(&l.items),
            Some(NodeEnum::ResTarget(t)) => self.expr(boxed(&t.val)),
            Some(NodeEnum::SortBy(s)) => self.expr(boxed(&s.node)),
            Some(NodeEnum::CaseExpr(c)) => {
                self.expr(boxed(&c.arg));
                self.exprs(&c.args);
                self.expr(boxed(&c.defresult));
            }
            Some(NodeEnum::CaseWhen(w)) => {
                self.expr(boxed(&w.expr));
                self.expr(boxed(&w.result));
            }
            Some(NodeEnum::SubLink(l)) => {
                self.expr(boxed(&l.testexpr));
                self.statement(boxed(&l.subselect));
            }
            _ => {}
        }
    }

    fn a_expr(&mut self, e: &pb::AExpr) {
        let (left, right) = (boxed(&e.lexpr), boxed(&e.rexpr));
        let recognised = match AExprKind::try_from(e.kind) {
            Ok(
                AExprKind::AexprOp
                | AExprKind::AexprLike
                | AExprKind::AexprIlike
                | AExprKind::AexprDistinct
                | AExprKind::AexprNotDistinct,
            ) => self.compared(left, right, false) || self.compared(right, left, false),
            Ok(AExprKind::AexprOpAny | AExprKind::AexprOpAll) => self.compared(left, right, true),
            Ok(
                AExprKind::AexprIn
                | AExprKind::AexprBetween
                | AExprKind::AexprNotBetween
                | AExprKind::AexprBetweenSym
                | AExprKind::AexprNotBetweenSym,
            ) => self.compared_with_list(left, right),
            _ => false,
        };
        if !recognised {
            self.expr(left);
            self.expr(right);
        }
    }

    /// `column op $n`: records it and returns true.
    fn compared(
        &mut self,
        column: Option<&NodeEnum>,
        value: Option<&NodeEnum>,
        array: bool,
    ) -> bool {
        let (Some((qualifier, name)), Some(param)) = (column_of(column), param_of(value)) else {
            return false;
        };
        let column = self.column_use(qualifier, name);
        self.record(param, Role::Compared { column, array });
        true
    }

    /// `column IN (a, $n, ...)`, `column BETWEEN $n AND $m`: each bare `$n` is compared with
    /// the column; other items are searched as expressions.
    fn compared_with_list(&mut self, column: Option<&NodeEnum>, list: Option<&NodeEnum>) -> bool {
        let (Some((qualifier, name)), Some(NodeEnum::List(items))) = (column_of(column), list)
        else {
            return false;
        };
        for item in &items.items {
            match param_of(inner(item)) {
                Some(param) => {
                    let column = self.column_use(qualifier.clone(), name.clone());
                    self.record(
                        param,
                        Role::Compared {
                            column,
                            array: false,
                        },
                    );
                }
                None => self.expr(inner(item)),
            }
        }
        true
    }
}
