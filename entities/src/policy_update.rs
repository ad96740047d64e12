use sea_orm::entity::prelude::*;

use crate::enums::{Audience, UpdateKind, UpdateStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_updates")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    /// Markdown, as written.
    #[sea_orm(column_type = "Text")]
    pub body: String,
    /// The body rendered and sanitised once, when written.
    #[sea_orm(column_type = "Text")]
    pub body_html: String,
    pub kind: UpdateKind,
    pub region_id: Option<i64>,
    pub audience: Audience,
    pub status: UpdateStatus,
    /// When it goes (or went) live; may be in the future.
    pub published_at: Option<DateTimeUtc>,
    /// When subscribers and live clients were told; null until then.
    pub announced_at: Option<DateTimeUtc>,
    /// The last correction after publishing.
    pub corrected_at: Option<DateTimeUtc>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
