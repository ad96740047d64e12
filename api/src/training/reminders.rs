//! The reminder the day before: each confirmed attendee of a published session is emailed
//! once, a day before it starts, with the joining link for online sessions. Each reminder is
//! claimed before it is queued, so several instances, or a restart, send it once.

use chrono::{DateTime, Duration, Utc};
use entities::{
    enums::{AttendeeStatus, TrainingStatus},
    training_attendee, training_session,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect, sea_query::Expr,
};

use super::{booking::joining_line, place, when};
use crate::{db, graphql::error::ApiResult, mailing::outbox, state::AppState};

/// How long before a session its reminder goes out.
pub fn ahead() -> Duration {
    Duration::hours(24)
}

/// Reminds everyone due; the time the next session's reminders fall due.
pub async fn remind_due(state: &AppState) -> ApiResult<Option<DateTime<Utc>>> {
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
        for attendee in waiting {
            let txn = db::begin_write(&state.db).await?;
            if claim(&txn, attendee.id, now).await? {
                let letter = format!(
                    "Dear {},\n\nA reminder: {} is tomorrow.\n\n{}\n{}\n{}",
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

/// Marks the attendee reminded if nobody has; true when this instance sends the reminder.
async fn claim(
    conn: &impl ConnectionTrait,
    attendee_id: i64,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let claimed = training_attendee::Entity::update_many()
        .col_expr(training_attendee::Column::RemindedAt, Expr::value(now))
        .filter(training_attendee::Column::Id.eq(attendee_id))
        .filter(training_attendee::Column::RemindedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected;
    Ok(claimed == 1)
}
