use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partnership_enquiry_goals")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub enquiry_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub goal_id: i64,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
