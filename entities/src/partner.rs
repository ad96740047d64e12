use sea_orm::entity::prelude::*;

use crate::enums::{PartnerKind, PartnerStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partners")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub name: String,
    /// The name folded for ordering and for refusing near-duplicate organisations.
    #[sea_orm(unique)]
    pub name_key: String,
    pub kind: PartnerKind,
    /// None: outside the staffed regions, looked after by the national team.
    pub region_id: Option<i64>,
    pub town: Option<String>,
    pub website: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub status: PartnerStatus,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::region::Entity",
        from = "Column::RegionId",
        to = "super::region::Column::Id"
    )]
    Region,
}

impl Related<super::region::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Region.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
