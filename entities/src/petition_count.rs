use sea_orm::entity::prelude::*;

/// A petition's signature count when a poll found it changed.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "petition_counts")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub at: DateTimeUtc,
    pub signature_count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
