//! The audit log: every change a signed-in person makes is recorded in the same transaction as
//! the change itself, so the log and the data never disagree.

pub mod graphql;

use chrono::{DateTime, Utc};
use entities::audit_entry;
use sea_orm::{ActiveValue::Set, ConnectionTrait, DbErr, EntityTrait};
use serde_json::Value;

/// One change to record.
pub struct Change {
    /// What was done, as `<subject>.<verb>`, e.g. `partner.update`.
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: Option<i64>,
    /// What changed: field names and non-secret values.
    pub detail: Option<Value>,
}

impl Change {
    pub fn new(action: &'static str, target_type: &'static str, target_id: i64) -> Self {
        Self {
            action,
            target_type,
            target_id: Some(target_id),
            detail: None,
        }
    }

    pub fn with_detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

pub async fn record(
    conn: &impl ConnectionTrait,
    actor_id: i64,
    at: DateTime<Utc>,
    change: Change,
) -> Result<(), DbErr> {
    audit_entry::Entity::insert(audit_entry::ActiveModel {
        actor_id: Set(Some(actor_id)),
        action: Set(change.action.to_owned()),
        target_type: Set(change.target_type.to_owned()),
        target_id: Set(change.target_id.map(|id| id.to_string())),
        detail: Set(change.detail.map(|detail| detail.to_string())),
        created_at: Set(at),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}
