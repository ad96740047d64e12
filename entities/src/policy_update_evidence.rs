use sea_orm::entity::prelude::*;

use crate::enums::Interval;

/// The evidence staff attached to a policy update: a report's filter, whose figures (with the
/// small ones withheld) the update shows its readers.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "policy_update_evidence")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub update_id: i64,
    pub goal_id: Option<i64>,
    pub region_id: Option<i64>,
    pub topic: Option<String>,
    pub from_date: Date,
    pub to_date: Date,
    pub every: Interval,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
