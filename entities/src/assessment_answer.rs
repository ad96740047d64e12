use sea_orm::entity::prelude::*;

use crate::enums::PracticeLevel;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "assessment_answers")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub assessment_id: i64,
    #[sea_orm(primary_key, auto_increment = false)]
    pub indicator_id: i64,
    pub level: PracticeLevel,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub evidence_url: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::principle_indicator::Entity",
        from = "Column::IndicatorId",
        to = "super::principle_indicator::Column::Id"
    )]
    Indicator,
}

impl Related<super::principle_indicator::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Indicator.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
