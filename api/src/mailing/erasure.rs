//! After a subscriber is erased, copies of the address must not linger in the files the
//! database keeps. On SQLite, `secure_delete` (set on every connection) overwrites deleted
//! rows, and a checkpoint empties the write-ahead log, which still holds the pages as they
//! were. On PostgreSQL the deleted rows stay as dead tuples until vacuumed, so the affected
//! tables are vacuumed at once (see the README's data-protection section). Without an SMTP
//! relay, emails are kept as files in `DATA_DIR/mail`; those sent to the address go too.

use sea_orm::{ConnectionTrait, DbBackend};

use crate::state::AppState;

/// Best effort, after the erasure has committed: failures are logged, and the erasure stands.
pub async fn leave_no_copies(state: &AppState, address: &str) {
    let statement = match state.db.get_database_backend() {
        DbBackend::Sqlite => "PRAGMA wal_checkpoint(TRUNCATE)",
        _ => "VACUUM subscribers, subscriber_campaigns, subscriber_topics, outbox",
    };
    if let Err(error) = state.db.execute_unprepared(statement).await {
        tracing::warn!(%error, "could not clear the erased subscriber's old pages");
    }
    if state.config.smtp_url.is_none() {
        remove_mail_files(&state.config.data_dir.join("mail"), address).await;
    }
}

/// Deletes the `.eml` files that name `address`.
async fn remove_mail_files(folder: &std::path::Path, address: &str) {
    let Ok(mut entries) = tokio::fs::read_dir(folder).await else {
        return;
    };
    let needle = address.as_bytes();
    while let Ok(Some(entry)) = entries.next_entry().await {
        let path = entry.path();
        let Ok(contents) = tokio::fs::read(&path).await else {
            continue;
        };
        let names_address = contents
            .windows(needle.len())
            .any(|window| window.eq_ignore_ascii_case(needle));
        if names_address && let Err(error) = tokio::fs::remove_file(&path).await {
            tracing::warn!(%error, "could not remove an email file of an erased subscriber");
        }
    }
}
