use sea_orm::entity::prelude::*;

use crate::enums::{Attendance, AttendeeStatus};

/// One person's seat (or place on the waitlist) in a session.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "training_attendees")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    pub booking_id: i64,
    pub session_id: i64,
    pub name: String,
    pub email: String,
    /// The address lower-cased: one person holds one seat per session.
    pub email_key: String,
    pub status: AttendeeStatus,
    /// Order of arrival in the session: seats and the waitlist follow it.
    pub queue_number: i64,
    pub attendance: Option<Attendance>,
    pub reminded_at: Option<DateTimeUtc>,
    pub created_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
