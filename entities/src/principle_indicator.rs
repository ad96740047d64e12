use sea_orm::entity::prelude::*;

/// An observable practice that shows a principle at work. Editing its wording retires this
/// row and adds another, so answers keep the wording they answered.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "principle_indicators")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub principle_id: i64,
    pub position: i32,
    #[sea_orm(column_type = "Text")]
    pub text: String,
    /// The edition this wording first belongs to.
    pub introduced_in: i32,
    /// The first edition it no longer belongs to; none while it is current.
    pub retired_in: Option<i32>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
