use sea_orm::entity::prelude::*;

/// A partner organisation promoting a petition.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "petition_promoters")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub partner_id: i64,
    pub promoted_by: i64,
    pub promoted_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
