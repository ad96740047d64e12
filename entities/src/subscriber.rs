use sea_orm::entity::prelude::*;

use crate::enums::{Frequency, SubscriberStatus};

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "subscribers")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    #[sea_orm(unique)]
    pub email: String,
    pub name: Option<String>,
    pub region_id: Option<i64>,
    pub frequency: Frequency,
    pub status: SubscriberStatus,
    /// Mixed into the subscriber's link tokens; replaced to void every earlier link.
    pub token_salt: String,
    pub confirmation_sent_at: DateTimeUtc,
    pub consent_at: Option<DateTimeUtc>,
    pub consent_source: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub consent_wording: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
    pub unsubscribed_at: Option<DateTimeUtc>,
    /// The last "you are already subscribed" notice, to send at most one a day.
    pub notice_sent_at: Option<DateTimeUtc>,
    /// The last link to see or erase one's data, to send at most a few an hour.
    pub data_link_sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
