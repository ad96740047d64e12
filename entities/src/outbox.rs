use sea_orm::entity::prelude::*;

use crate::enums::{MailKind, MailStatus};

/// One email to send. Written in the same transaction as the change it tells about.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub kind: MailKind,
    pub recipient: String,
    pub subscriber_id: Option<i64>,
    pub update_id: Option<i64>,
    pub subject: String,
    /// The text for messages written whole when queued (invitations); empty for those
    /// written when sent (their links carry the subscriber's current tokens).
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub status: MailStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTimeUtc,
    /// A worker holds the message until then; after it, another may take it over.
    pub locked_until: Option<DateTimeUtc>,
    /// The lease of the worker holding the message: its updates apply only while it holds it.
    pub lease_token: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    pub created_at: DateTimeUtc,
    pub sent_at: Option<DateTimeUtc>,
    /// An iCalendar entry sent with the message (training bookings).
    #[sea_orm(column_type = "Text", nullable)]
    pub calendar: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
