use sea_orm::entity::prelude::*;

/// A partner'\''s current answer to one joint action; the history is in `opt_in_event`.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "opt_ins")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub action_id: i64,
    pub partner_id: i64,
    /// True while the partner is opted in; false once withdrawn.
    pub active: bool,
    #[sea_orm(column_type = "Text", nullable)]
    pub note: Option<String>,
    pub opted_in_at: DateTimeUtc,
    pub opted_in_by: i64,
    pub withdrawn_at: Option<DateTimeUtc>,
    pub withdrawn_by: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {
    #[sea_orm(
        belongs_to = "super::partner::Entity",
        from = "Column::PartnerId",
        to = "super::partner::Column::Id"
    )]
    Partner,
}

impl Related<super::partner::Entity> for Entity {
    fn to() -> RelationDef {
        Relation::Partner.def()
    }
}

impl ActiveModelBehavior for ActiveModel {}
