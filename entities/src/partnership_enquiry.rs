use sea_orm::entity::prelude::*;

use crate::enums::{EnquiryStatus, PartnerKind};

/// An organisation asking to join the network. It reaches staff only once the contact has
/// confirmed their address from the emailed link.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "partnership_enquiries")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub organisation_name: String,
    /// The name folded for duplicate checks, as for partners.
    pub name_key: String,
    pub kind: PartnerKind,
    pub town: Option<String>,
    pub region_id: Option<i64>,
    pub website: Option<String>,
    #[sea_orm(column_type = "Text")]
    pub description: String,
    pub contact_name: String,
    pub contact_email: String,
    #[sea_orm(column_type = "Text")]
    pub message: String,
    pub status: EnquiryStatus,
    /// The digest of the confirmation link's token.
    pub token_hash: String,
    pub created_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub decision_reason: Option<String>,
    /// The partner organisation made from it, once accepted.
    pub partner_id: Option<i64>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
