use sea_orm::entity::prelude::*;

/// Seats asked for together: by a partner member for their organisation, or by one person
/// from the public (held only once they follow the emailed link).
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_bookings")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub session_id: i64,
    pub partner_id: Option<i64>,
    pub booked_by: Option<i64>,
    /// Mixed into the emailed link's token (to confirm a public booking, or cancel it).
    pub link_salt: String,
    /// The calendar entry's UID, the same in every email about the booking.
    pub uid: String,
    pub created_at: DateTimeUtc,
    pub confirmed_at: Option<DateTimeUtc>,
    pub cancelled_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
