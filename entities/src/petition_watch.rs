use sea_orm::entity::prelude::*;

/// An extra signature count staff watch for on a petition.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "petition_watches")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub count: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
