//! What is not kept: requests whose emailed link was never followed (a subscription, a
//! partnership enquiry, an outside signature of the principles, a public training booking)
//! hold someone's name and address without their say-so, so they are deleted once they are a
//! month old. Once a day, one statement per kind.

use chrono::{DateTime, Duration, Utc};
use entities::{
    enums::SubscriberStatus, partnership_enquiry, signatory, subscriber, training_booking,
};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter};

use crate::{graphql::error::ApiResult, state::AppState};

/// How long an unconfirmed request is kept.
pub fn unconfirmed_kept_for() -> Duration {
    Duration::days(30)
}

/// Deletes unconfirmed requests older than [`unconfirmed_kept_for`]; when to look again.
pub async fn forget_unconfirmed(state: &AppState) -> ApiResult<Option<DateTime<Utc>>> {
    let now = state.now();
    let cutoff = now - unconfirmed_kept_for();
    let db = &state.db;
    let subscribers = subscriber::Entity::delete_many()
        .filter(subscriber::Column::Status.eq(SubscriberStatus::Pending))
        .filter(subscriber::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    let enquiries = partnership_enquiry::Entity::delete_many()
        .filter(partnership_enquiry::Column::ConfirmedAt.is_null())
        .filter(partnership_enquiry::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    let signatures = signatory::Entity::delete_many()
        .filter(signatory::Column::ConfirmedAt.is_null())
        .filter(signatory::Column::PartnerId.is_null())
        .filter(signatory::Column::SignedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    let bookings = training_booking::Entity::delete_many()
        .filter(training_booking::Column::ConfirmedAt.is_null())
        .filter(training_booking::Column::CreatedAt.lt(cutoff))
        .exec(db)
        .await?
        .rows_affected;
    if subscribers + enquiries + signatures + bookings > 0 {
        tracing::info!(
            subscribers,
            enquiries,
            signatures,
            bookings,
            "deleted requests whose emailed link was never followed"
        );
    }
    Ok(Some(now + Duration::days(1)))
}
