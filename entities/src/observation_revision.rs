use sea_orm::entity::prelude::*;

/// An observation as it read before a correction.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "observation_revisions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub observation_id: i64,
    pub topic: String,
    pub period_start: Date,
    pub period_end: Date,
    pub people_affected: i32,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub replaced_by: i64,
    pub replaced_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
