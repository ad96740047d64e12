use sea_orm::entity::prelude::*;

use crate::enums::CampaignStatus;

/// A campaign and the staff-only assessment of its priority (four criteria, scored 1 to 5).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "campaigns")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub title: String,
    pub summary: String,
    #[sea_orm(column_type = "Text")]
    pub body: String,
    pub status: CampaignStatus,
    /// The region whose staff run the campaign; None: the national team.
    pub lead_region_id: Option<i64>,
    /// Kept ready for a future opening rather than expected to win soon.
    pub long_shot: bool,
    pub impact_score: Option<i16>,
    #[sea_orm(column_type = "Text", nullable)]
    pub impact_note: Option<String>,
    pub relevance_score: Option<i16>,
    #[sea_orm(column_type = "Text", nullable)]
    pub relevance_note: Option<String>,
    pub opportunity_score: Option<i16>,
    #[sea_orm(column_type = "Text", nullable)]
    pub opportunity_note: Option<String>,
    pub added_value_score: Option<i16>,
    #[sea_orm(column_type = "Text", nullable)]
    pub added_value_note: Option<String>,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

/// A campaign's goals, read with the campaign itself.
impl Related<super::campaign_goal::Entity> for Entity {
    fn to() -> RelationDef {
        super::campaign_goal::Relation::Campaign.def().rev()
    }
}

impl ActiveModelBehavior for ActiveModel {}
