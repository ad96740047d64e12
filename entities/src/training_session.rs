use sea_orm::entity::prelude::*;

use crate::enums::{TrainingAudience, TrainingFormat, TrainingStatus, TrainingTopic};

/// A training session the charity offers (or points to, when another provider runs it).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_sessions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    /// Markdown as written, and the sanitised HTML made from it.
    #[sea_orm(column_type = "Text")]
    pub description: String,
    #[sea_orm(column_type = "Text")]
    pub description_html: String,
    pub topic: TrainingTopic,
    pub format: TrainingFormat,
    pub venue: Option<String>,
    pub town: Option<String>,
    /// For online and hybrid sessions; only confirmed attendees (and the team) see it.
    pub joining_url: Option<String>,
    pub starts_at: DateTimeUtc,
    pub ends_at: DateTimeUtc,
    pub capacity: i32,
    pub booking_deadline: DateTimeUtc,
    pub audience: TrainingAudience,
    /// Seats one partner organisation may hold (or wait for); none: no limit.
    pub seats_per_organisation: Option<i32>,
    /// None: a national session.
    pub region_id: Option<i64>,
    pub status: TrainingStatus,
    #[sea_orm(column_type = "Text", nullable)]
    pub cancel_reason: Option<String>,
    /// An external listing: who runs it and where to book; no booking here.
    pub provider: Option<String>,
    pub external_url: Option<String>,
    /// Rises with each change attendees are told of (the calendar entries' SEQUENCE).
    pub sequence: i32,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
