//! Ranked full-text search over policy updates: FTS5 with BM25 on SQLite, a weighted
//! `tsvector` with `ts_rank` on PostgreSQL. Titles count most, then summaries, then bodies.

use sea_orm::{
    DbBackend,
    sea_query::{Expr, SimpleExpr},
};

/// The most words of a search that are used.
const MAX_WORDS: usize = 12;

/// The words of a search as an FTS5 query: each quoted (so nothing is read as FTS5 syntax)
/// and all required.
fn fts5_query(words: &str) -> String {
    words
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .take(MAX_WORDS)
        .map(|word| format!("\"{word}\""))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The plain words for PostgreSQL's `plainto_tsquery`, which ignores operators anyway.
fn plain_words(words: &str) -> String {
    words
        .split_whitespace()
        .take(MAX_WORDS)
        .collect::<Vec<_>>()
        .join(" ")
}

/// A condition true for updates matching every word.
pub fn matches(backend: DbBackend, words: &str) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            "policy_updates.search @@ plainto_tsquery('english', $1)",
            [plain_words(words)],
        ),
        _ => Expr::cust_with_values(
            "policy_updates.id IN (SELECT rowid FROM policy_updates_fts WHERE policy_updates_fts MATCH ?)",
            [fts5_query(words)],
        ),
    }
}

/// How well an update matches: higher is better.
pub fn score(backend: DbBackend, words: &str) -> SimpleExpr {
    match backend {
        DbBackend::Postgres => Expr::cust_with_values(
            "CAST(ts_rank(policy_updates.search, plainto_tsquery('english', $1)) AS DOUBLE PRECISION)",
            [plain_words(words)],
        ),
        _ => Expr::cust_with_values(
            "(SELECT -bm25(policy_updates_fts, 10.0, 4.0, 1.0) FROM policy_updates_fts \
             WHERE policy_updates_fts MATCH ? AND policy_updates_fts.rowid = policy_updates.id)",
            [fts5_query(words)],
        ),
    }
}

/// Whether a search has any word to look for.
pub fn has_words(words: &str) -> bool {
    !fts5_query(words).is_empty()
}
