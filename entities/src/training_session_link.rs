use sea_orm::entity::prelude::*;

use crate::enums::TrainingLinkKind;

/// A training session's campaigns, advocacy goals and Early Action principles.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_session_links")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub session_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub kind: TrainingLinkKind,
    #[sea_orm(primary_key, auto_increment = false)]
    pub target_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
