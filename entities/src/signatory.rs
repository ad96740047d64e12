use sea_orm::entity::prelude::*;

use crate::enums::SignatoryStatus;

/// An organisation's signature of the principles. A withdrawn signature stays, so history
/// keeps that it had signed; signing again makes a new one.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "signatories")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The partner organisation that signed, if it is in the network.
    pub partner_id: Option<i64>,
    pub organisation_name: String,
    pub name_key: String,
    pub website: Option<String>,
    pub town: Option<String>,
    pub region_id: Option<i64>,
    /// Who signed, and in what role (never shown publicly).
    pub signatory_name: String,
    pub signatory_role: String,
    pub email: String,
    pub list_publicly: bool,
    pub status: SignatoryStatus,
    /// The edition of the principles signed.
    pub edition: i32,
    /// The digest of the emailed confirmation link's token.
    pub token_hash: String,
    /// Mixed into the manage link's token; replaced to void earlier links.
    pub manage_salt: String,
    pub signed_by: Option<i64>,
    pub signed_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub rejection_reason: Option<String>,
    pub withdrawn_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub withdrawal_reason: Option<String>,
    /// When it is next invited to reassess: a year after approval, its last submitted
    /// assessment, or the last invitation. None while it is not approved.
    pub reassess_due_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
