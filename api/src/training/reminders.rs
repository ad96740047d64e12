//! Work that falls due with the clock: the reminder the day before (each confirmed attendee of
//! a published session is emailed once, a day before it starts, with the joining link for
//! online sessions; each reminder is claimed before it is queued, so several instances, or a
//! restart, send it once), and completing sessions once they have ended.

use chrono::{DateTime, Duration, Utc};
use entities::{
    enums::{AttendeeStatus, TrainingStatus},
    training_attendee, training_session,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, Query},
};

use super::{
    booking::{self, joining_line},
    place, when,
};
use crate::{db, graphql::error::ApiResult, mailing::outbox, state::AppState};

/// How long before a session its reminder goes out.
pub fn ahead() -> Duration {
    Duration::hours(24)
}

/// Completes the sessions that have ended and reminds everyone due; when there is next
/// something to do.
pub async fn run_due(state: &AppState) -> ApiResult<Option<DateTime<Utc>>> {
    let next_end = complete_ended(state).await?;
    let next_reminder = remind_due(state).await?;
    Ok(match (next_end, next_reminder) {
        (Some(end), Some(reminder)) => Some(end.min(reminder)),
        (end, reminder) => end.or(reminder),
    })
}

/// Marks published sessions that have ended COMPLETED; when the next one ends.
async fn complete_ended(state: &AppState) -> ApiResult<Option<DateTime<Utc>>> {
    let now = state.now();
    training_session::Entity::update_many()
        .col_expr(
            training_session::Column::Status,
            Expr::value(TrainingStatus::Completed),
        )
        .filter(training_session::Column::Status.eq(TrainingStatus::Published))
        .filter(training_session::Column::EndsAt.lte(now))
        .exec(&state.db)
        .await?;
    Ok(training_session::Entity::find()
        .select_only()
        .column_as(training_session::Column::EndsAt.min(), "at")
        .filter(training_session::Column::Status.eq(TrainingStatus::Published))
        .into_tuple()
        .one(&state.db)
        .await?
        .flatten())
}

/// Reminds everyone due; the time the next session's reminders fall due.
async fn remind_due(state: &AppState) -> ApiResult<Option<DateTime<Utc>>> {
    let now = state.now();
    let upcoming = training_session::Entity::find()
        .filter(training_session::Column::Status.eq(TrainingStatus::Published))
        .filter(training_session::Column::StartsAt.gt(now))
        .filter(training_session::Column::StartsAt.lte(now + ahead()))
        .all(&state.db)
        .await?;
    let mut reminded = 0;
    for session in &upcoming {
        let waiting = training_attendee::Entity::find()
            .filter(training_attendee::Column::SessionId.eq(session.id))
            .filter(training_attendee::Column::Status.eq(AttendeeStatus::Confirmed))
            .filter(training_attendee::Column::RemindedAt.is_null())
            .all(&state.db)
            .await?;
        let bookings =
            booking::bookings_of(&state.db, waiting.iter().map(|row| row.booking_id)).await?;
        for attendee in waiting {
            let postscript = bookings
                .iter()
                .find(|booking| booking.id == attendee.booking_id)
                .map(|booking| booking::public_postscript(state, booking))
                .unwrap_or_default();
            let txn = db::begin_write(&state.db).await?;
            if claim(&txn, attendee.id, now).await? {
                let letter = format!(
                    "Dear {},\n\nA reminder: {} is tomorrow.\n\n{}\n{}\n{}{postscript}\n",
                    attendee.name,
                    session.title,
                    when(session),
                    place(session),
                    joining_line(session)
                );
                outbox::enqueue_written_kind(
                    &txn,
                    &attendee.email,
                    &format!("Tomorrow: {}", session.title),
                    letter,
                    now,
                )
                .await?;
                reminded += 1;
            }
            txn.commit().await?;
        }
    }
    if reminded > 0 {
        state.mail_queued().await;
    }
    let next: Option<DateTime<Utc>> = training_session::Entity::find()
        .select_only()
        .column_as(training_session::Column::StartsAt.min(), "at")
        .filter(training_session::Column::Status.eq(TrainingStatus::Published))
        .filter(training_session::Column::StartsAt.gt(now + ahead()))
        .into_tuple()
        .one(&state.db)
        .await?
        .flatten();
    Ok(next.map(|starts| starts - ahead()))
}

/// Marks the attendee reminded if nobody has and they still hold a seat in a session still on
/// within the day; true when this instance sends the reminder.
async fn claim(
    conn: &impl ConnectionTrait,
    attendee_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let still_on = Query::select()
        .column(training_session::Column::Id)
        .from(training_session::Entity)
        .and_where(training_session::Column::Status.eq(TrainingStatus::Published))
        .and_where(training_session::Column::StartsAt.gt(now))
        .and_where(training_session::Column::StartsAt.lte(now + ahead()))
        .to_owned();
    let claimed = training_attendee::Entity::update_many()
        .col_expr(training_attendee::Column::RemindedAt, Expr::value(now))
        .filter(training_attendee::Column::Id.eq(attendee_id))
        .filter(training_attendee::Column::RemindedAt.is_null())
        .filter(training_attendee::Column::Status.eq(AttendeeStatus::Confirmed))
        .filter(training_attendee::Column::SessionId.in_subquery(still_on))
        .exec(conn)
        .await?
        .rows_affected;
    Ok(claimed == 1)
}

/// For a seat confirmed now: already reminded when the reminder's time has passed, as the
/// confirmation itself carries everything the reminder would.
pub fn reminded_on_seating(
    session: &training_session::Model,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    (now >= session.starts_at - ahead()).then_some(now)
}
