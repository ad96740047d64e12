use sea_orm::entity::prelude::*;

/// A petition's signatures by constituency on one day (the last reading of that day), as a JSON
/// array of `{code, name, count}`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "petition_constituency_days")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub petition_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub day: Date,
    #[sea_orm(column_type = "Text")]
    pub counts: String,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
