use sea_orm::entity::prelude::*;

use crate::enums::MilestoneKind;

/// Something a petition reached, recorded once.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "petition_milestones")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub petition_id: i64,
    pub kind: MilestoneKind,
    /// The signature count for count milestones; 0 for the others.
    pub count: i64,
    /// When the site says it happened, or when a poll first saw it.
    pub reached_at: DateTimeUtc,
    pub seen_at: DateTimeUtc,
    /// Pushed live with a draft update; false for those already passed when tracking began.
    pub announced: bool,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
