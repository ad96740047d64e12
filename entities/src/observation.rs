use sea_orm::entity::prelude::*;

/// What an organisation (or the charity's staff) is seeing among the people it works with, as a
/// count over a period: never a person.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "observations")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The organisation that observed it; none when the charity's own staff did.
    pub partner_id: Option<i64>,
    pub region_id: Option<i64>,
    pub topic: String,
    pub period_start: Date,
    pub period_end: Date,
    pub people_affected: i32,
    #[sea_orm(column_type = "Text")]
    pub summary: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
