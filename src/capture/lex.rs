//! What `capture` takes from PostgreSQL's lexer (`pg_query::scan`): where each `$n` is in
//! a statement, and whether a name needs quotes (not a plain identifier, or a keyword).
//! Must not parse statements (see `parse`).

use pg_query::protobuf::{self as pb, Token};

/// True when a name needs quotes in SQL: not a plain lower-case identifier, or a keyword
/// the lexer does not take as a bare column or table name.
pub fn needs_quotes(name: &str) -> bool {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !plain {
        return true;
    }
    match pg_query::scan(name) {
        Ok(scan) => scan.tokens.iter().any(|t| {
            t.keyword_kind != pb::KeywordKind::NoKeyword as i32
                && t.keyword_kind != pb::KeywordKind::UnreservedKeyword as i32
        }),
        Err(_) => true,
    }
}

/// The byte offset of each `$n` (index n-1), from PostgreSQL's lexer.
pub fn param_locations(sql: &str) -> Result<Vec<Option<usize>>, String> {
    let scan = pg_query::scan(sql).map_err(|e| e.to_string())?;
    let mut locations: Vec<Option<usize>> = Vec::new();
    for token in scan
        .tokens
        .iter()
        .filter(|t| t.token == Token::Param as i32)
    {
        let (start, end) = (token.start as usize, token.end as usize);
        let Some(number) = sql
            .get(start + 1..end)
            .and_then(|digits| digits.parse::<usize>().ok())
            .filter(|n| *n > 0)
        else {
            continue;
        };
        if locations.len() < number {
            locations.resize(number, None);
        }
        locations[number - 1].get_or_insert(start);
    }
    Ok(locations)
}
