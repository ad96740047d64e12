use sea_orm::entity::prelude::*;

/// A campaign a petition serves.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "petition_campaigns")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub campaign_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
