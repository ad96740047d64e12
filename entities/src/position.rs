use sea_orm::entity::prelude::*;

use crate::enums::Ownership;

/// A statement attached to a campaign. Its text lives in numbered versions.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "positions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub campaign_id: i64,
    pub title: String,
    pub ownership: Ownership,
    /// The number of the newest version.
    pub current_version: i32,
    /// The number of the version the public sees, once published.
    pub published_version: Option<i32>,
    pub published_at: Option<DateTimeUtc>,
    /// Set when something staff should look at happened to the published position (a backer
    /// withdrew); cleared when it is published again.
    pub flagged_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub flag_reason: Option<String>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::campaign::Entity",
        from = "Column::CampaignId",
        to = "super::campaign::Column::Id"
    )]
    Campaign,
}

impl Related<super::campaign::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Campaign.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
