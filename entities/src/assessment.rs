use sea_orm::entity::prelude::*;

/// A signatory's self-assessment against the indicators of one edition.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessments")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub signatory_id: i64,
    /// The edition whose indicators it answers.
    pub edition: i32,
    pub started_at: DateTimeUtc,
    /// Once set, the assessment is read-only.
    pub submitted_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
