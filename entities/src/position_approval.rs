use sea_orm::entity::prelude::*;

use crate::enums::ApprovalDecision;

/// A request to one partner to approve one version of a position, and its answer.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "position_approvals")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub version_id: i64,
    pub partner_id: i64,
    pub requested_by: i64,
    pub requested_at: DateTimeUtc,
    pub decision: Option<ApprovalDecision>,
    #[sea_orm(column_type = "Text", nullable)]
    pub comment: Option<String>,
    pub responded_by: Option<i64>,
    pub responded_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::position_version::Entity",
        from = "Column::VersionId",
        to = "super::position_version::Column::Id"
    )]
    Version,
    #[sea_orm(
        belongs_to = "super::partner::Entity",
        from = "Column::PartnerId",
        to = "super::partner::Column::Id"
    )]
    Partner,
}

impl Related<super::position_version::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Version.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
