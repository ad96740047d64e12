//! The poller: follows every tracked petition politely. Open petitions are read through the
//! cheap `count.json` every PETITIONS_POLL_SECONDS and in full hourly (for the breakdowns);
//! closed ones daily until the government response and the debate are settled; archived,
//! rejected and removed ones never again. Each round leases a batch of due petitions (so with
//! several instances each petition is polled by one at a time, and a dead instance's lease runs
//! out for another to take), polls them within the per-second limit, and writes the batch in
//! one transaction: one statement for the whole batch's history, one for its constituency
//! figures, one for its milestones, and one update per petition.

use chrono::{DateTime, Duration, Utc};
use entities::{enums::PetitionState, petition};
use futures_util::{StreamExt, stream};
use rand::RngExt;
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, EntityTrait, IntoActiveModel, QueryFilter, QuerySelect, TryIntoModel,
    sea_query::{Expr, LockBehavior, LockType, Query},
};

use super::{
    Settled,
    address::PetitionAddress,
    apply_counts, apply_document, can_manage,
    document::{self, Tally},
    milestones, record_constituencies, record_counts,
    site::{Answer, FetchError, Validators},
};
use crate::{
    auth::{Actor, tokens::new_opaque_token},
    config::Config,
    db,
    events::Event,
    graphql::error::{ApiError, ApiResult},
    state::AppState,
};

/// Petitions leased (and written) together.
pub const BATCH: u64 = 20;
/// Long enough for a batch at one request a second, each taking its whole timeout.
const LEASE: Duration = Duration::minutes(10);
/// Requests in flight at once; the site's per-second limit is kept by the site client.
const IN_FLIGHT: usize = 4;
const FULL_DOCUMENT_EVERY: Duration = Duration::hours(1);
const CLOSED_EVERY: Duration = Duration::days(1);
const LONGEST_BACKOFF: Duration = Duration::hours(6);

/// When a petition is next due, after a poll that went well: `None` once nothing more can
/// change.
pub fn next_regular_poll(
    config: &Config,
    state: PetitionState,
    archived: bool,
    settled: &Settled,
    now: DateTime<Utc>,
) -> Option<DateTime<Utc>> {
    match state {
        _ if archived => None,
        PetitionState::Open => Some(now + config.petitions_poll_interval),
        PetitionState::Closed if !settled.all() => Some(now + CLOSED_EVERY),
        PetitionState::Closed | PetitionState::Rejected | PetitionState::Removed => None,
    }
}

/// One round of the worker: polls everything due, batch by batch; when to come back.
pub async fn run_due(state: &AppState) -> ApiResult<Option<DateTime<Utc>>> {
    loop {
        let lease = new_opaque_token();
        let taken = lease_due(state, &lease).await?;
        let full = taken.len() as u64 == BATCH;
        if !taken.is_empty() {
            let polled = poll_all(state, &taken).await;
            write(state, polled, &lease).await?;
        }
        if !full {
            return next_due(state).await;
        }
    }
}

/// Polls one petition now, for the staff who follow it.
pub async fn refresh(state: &AppState, actor: &Actor, id: i64) -> ApiResult<petition::Model> {
    let row = super::find(&state.db, id).await?;
    if !can_manage(actor, row.region_id) {
        return Err(ApiError::Forbidden(
            "staff refresh their own region's and national petitions",
        ));
    }
    let lease = new_opaque_token();
    let row = lease_one(state, id, &lease).await?.ok_or_else(|| {
        ApiError::Conflict(
            "the petition is being read from the site right now; try again in a minute".to_owned(),
        )
    })?;
    let polled = poll(state, row).await;
    write(state, vec![polled], &lease).await?;
    super::find(&state.db, id).await
}

/// Leases one petition now, unless another poll holds it.
async fn lease_one(state: &AppState, id: i64, lease: &str) -> ApiResult<Option<petition::Model>> {
    let now = state.now();
    let taken = petition::Entity::update_many()
        .col_expr(petition::Column::LeaseUntil, Expr::val(now + LEASE))
        .col_expr(petition::Column::LeaseToken, Expr::val(lease))
        .filter(petition::Column::Id.eq(id))
        .filter(
            Condition::any()
                .add(petition::Column::LeaseUntil.is_null())
                .add(petition::Column::LeaseUntil.lt(now)),
        )
        .exec_with_returning(&state.db)
        .await?;
    Ok(taken.into_iter().next())
}

/// A petition as polled: the row before, the changes, and what to keep from this poll.
pub struct Polled {
    before: petition::Model,
    changes: petition::ActiveModel,
    constituencies: Option<Vec<Tally>>,
}

async fn poll_all(state: &AppState, rows: &[petition::Model]) -> Vec<Polled> {
    stream::iter(rows.iter().cloned())
        .map(|row| poll(state, row))
        .buffered(IN_FLIGHT)
        .collect()
        .await
}

/// Asks the site about one petition and works out the row's changes; never fails: whatever
/// went wrong is kept in `last_error` and the last good copy stays.
pub async fn poll(state: &AppState, before: petition::Model) -> Polled {
    let now = state.now();
    let mut changes = before.clone().into_active_model();
    changes.last_checked_at = Set(Some(now));
    let read = read(state, &before, &mut changes, now).await;
    let constituencies = match read {
        Ok(Read {
            max_age,
            constituencies,
        }) => {
            changes.last_error = Set(None);
            changes.failures = Set(0);
            let merged = merged(&changes, &before);
            let regular = next_regular_poll(
                &state.config,
                merged.state,
                merged.archived,
                &Settled::of(&merged),
                now,
            );
            changes.next_poll_at = Set(regular.map(|next| match max_age {
                Some(max_age) => next.max(now + max_age),
                None => next,
            }));
            constituencies
        }
        Err(failure) => {
            failed(state, &before, &mut changes, failure, now);
            None
        }
    };
    Polled {
        before,
        changes,
        constituencies,
    }
}

/// What a successful poll brought.
struct Read {
    max_age: Option<Duration>,
    constituencies: Option<Vec<Tally>>,
}

#[derive(Debug, thiserror::Error)]
enum Failure {
    #[error(transparent)]
    Fetch(#[from] FetchError),
    #[error(transparent)]
    Document(#[from] document::DocumentError),
}

async fn read(
    state: &AppState,
    before: &petition::Model,
    changes: &mut petition::ActiveModel,
    now: DateTime<Utc>,
) -> Result<Read, Failure> {
    let address = PetitionAddress {
        external_id: before.external_id,
        archived: before.archived,
    };
    let site = &state.petition_site;
    let wants_document = before.archived
        || before.state != PetitionState::Open
        || before
            .full_fetched_at
            .is_none_or(|at| now - at >= FULL_DOCUMENT_EVERY);
    if wants_document {
        let validators = Validators {
            etag: before.document_etag.clone(),
            last_modified: before.document_last_modified.clone(),
        };
        match site.fetch(&address.document_path(), &validators).await? {
            Answer::Fresh {
                body,
                validators,
                max_age,
                ..
            } => {
                let document = document::parse_document(&body, before.external_id)?;
                apply_document(changes, &document, &validators, now);
                Ok(Read {
                    max_age: max_age.and_then(|age| Duration::from_std(age).ok()),
                    constituencies: Some(document.by_constituency),
                })
            }
            Answer::NotModified { max_age } => {
                changes.full_fetched_at = Set(Some(now));
                Ok(Read {
                    max_age: max_age.and_then(|age| Duration::from_std(age).ok()),
                    constituencies: None,
                })
            }
        }
    } else {
        let validators = Validators {
            etag: before.count_etag.clone(),
            last_modified: before.count_last_modified.clone(),
        };
        let max_age = match site.fetch(&address.count_path(), &validators).await? {
            Answer::Fresh {
                body,
                validators,
                max_age,
                ..
            } => {
                let kept = document::Counts::of(before);
                apply_counts(changes, &document::parse_counts(&body, &kept)?);
                changes.count_etag = Set(validators.etag);
                changes.count_last_modified = Set(validators.last_modified);
                max_age
            }
            Answer::NotModified { max_age } => max_age,
        };
        Ok(Read {
            max_age: max_age.and_then(|age| Duration::from_std(age).ok()),
            constituencies: None,
        })
    }
}

/// Keeps the last good copy, notes what went wrong, and backs off; a petition the site says is
/// gone is marked removed and never polled again.
fn failed(
    state: &AppState,
    before: &petition::Model,
    changes: &mut petition::ActiveModel,
    failure: Failure,
    now: DateTime<Utc>,
) {
    tracing::warn!(petition = before.external_id, error = %failure, "polling a petition failed");
    changes.last_error = Set(Some(failure.to_string()));
    if matches!(failure, Failure::Fetch(FetchError::Gone)) {
        changes.state = Set(PetitionState::Removed);
        changes.next_poll_at = Set(None);
        return;
    }
    let failures = before.failures.saturating_add(1);
    changes.failures = Set(failures);
    if before.next_poll_at.is_none() {
        // A refresh of a petition no longer polled (archived, settled, a demo) does not start
        // polling it again.
        return;
    }
    let asked = match &failure {
        Failure::Fetch(FetchError::Unavailable { retry_after, .. }) => {
            retry_after.and_then(|after| Duration::from_std(after).ok())
        }
        _ => None,
    };
    let pause = backoff(state.config.petitions_poll_interval, failures);
    changes.next_poll_at = Set(Some(now + asked.map_or(pause, |asked| asked.max(pause))));
}

/// The pause after `failures` failed polls in a row: doubling from the regular interval, at
/// most six hours, spread by a quarter either way so instances and petitions do not retry in
/// step.
pub fn backoff(interval: Duration, failures: i32) -> Duration {
    let doubled =
        (0..failures.clamp(0, 16)).fold(interval, |pause, _| (pause * 2).min(LONGEST_BACKOFF));
    let spread: f64 = rand::rng().random_range(0.75..1.25);
    let milliseconds = (doubled.num_milliseconds() as f64 * spread) as i64;
    Duration::milliseconds(milliseconds.max(1_000))
}

/// The row as it will be once `changes` are written.
fn merged(changes: &petition::ActiveModel, before: &petition::Model) -> petition::Model {
    changes
        .clone()
        .try_into_model()
        .unwrap_or_else(|_| before.clone())
}

/// Writes a batch of polls in one transaction, only for the rows still held under `lease` (a
/// batch whose lease ran out and was taken over writes nothing), and lets them go. Milestones
/// seen for the first time are announced once it has committed.
async fn write(state: &AppState, polled: Vec<Polled>, lease: &str) -> ApiResult<()> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let mut written = Vec::with_capacity(polled.len());
    for mut poll in polled {
        let id = poll.before.id;
        poll.changes.lease_until = Set(None);
        poll.changes.lease_token = Set(None);
        let updated = petition::Entity::update_many()
            .set(poll.changes.clone())
            .filter(petition::Column::Id.eq(id))
            .filter(petition::Column::LeaseToken.eq(lease))
            .exec(&txn)
            .await?;
        if updated.rows_affected == 1 {
            written.push(poll);
        }
    }
    let after: Vec<petition::Model> = written
        .iter()
        .map(|poll| merged(&poll.changes, &poll.before))
        .collect();
    let points: Vec<(i64, DateTime<Utc>, i64)> = written
        .iter()
        .zip(&after)
        .filter(|(poll, row)| poll.before.signature_count != row.signature_count)
        .map(|(_, row)| (row.id, now, row.signature_count))
        .collect();
    record_counts(&txn, &points).await?;
    let readings: Vec<(i64, DateTime<Utc>, &Vec<Tally>)> = written
        .iter()
        .filter_map(|poll| Some((poll.before.id, now, poll.constituencies.as_ref()?)))
        .collect();
    record_constituencies(&txn, &readings).await?;
    let rows: Vec<&petition::Model> = after.iter().collect();
    let reached = milestones::record_new(&txn, &rows, state.petition_site.base(), now).await?;
    txn.commit().await?;
    for milestone in reached {
        state
            .events
            .publish(Event::PetitionMilestoneReached {
                petition_id: milestone.petition_id,
                milestone_id: milestone.id,
            })
            .await;
    }
    Ok(())
}

/// Leases up to [`BATCH`] due petitions to this worker. On PostgreSQL `SKIP LOCKED` lets
/// several instances take disjoint batches at once; SQLite has one writer at a time anyway.
async fn lease_due(state: &AppState, lease: &str) -> ApiResult<Vec<petition::Model>> {
    let now = state.now();
    let due = Query::select()
        .column(petition::Column::Id)
        .from(petition::Entity)
        .and_where(petition::Column::NextPollAt.lte(now))
        .cond_where(
            Condition::any()
                .add(petition::Column::LeaseUntil.is_null())
                .add(petition::Column::LeaseUntil.lt(now)),
        )
        .order_by(petition::Column::NextPollAt, sea_orm::Order::Asc)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let txn = db::begin_write(&state.db).await?;
    let taken = petition::Entity::update_many()
        .col_expr(petition::Column::LeaseUntil, Expr::val(now + LEASE))
        .col_expr(petition::Column::LeaseToken, Expr::val(lease))
        .filter(petition::Column::Id.in_subquery(due))
        .exec_with_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(taken)
}

/// When the poller next has something to do: the earliest due petition no one holds, or the
/// end of a lease another instance holds. `None`: nothing will ever be due.
async fn next_due(state: &AppState) -> ApiResult<Option<DateTime<Utc>>> {
    let polled = || {
        petition::Entity::find()
            .select_only()
            .filter(petition::Column::NextPollAt.is_not_null())
    };
    let now = state.now();
    // A lease that has run out no longer holds anything back: only the due time counts.
    let due: Option<DateTime<Utc>> = polled()
        .column_as(petition::Column::NextPollAt.min(), "at")
        .filter(
            Condition::any()
                .add(petition::Column::LeaseUntil.is_null())
                .add(petition::Column::LeaseUntil.lte(now)),
        )
        .into_tuple()
        .one(&state.db)
        .await?
        .flatten();
    let lease_ends: Option<DateTime<Utc>> = polled()
        .column_as(petition::Column::LeaseUntil.min(), "at")
        .filter(petition::Column::LeaseUntil.gt(now))
        .into_tuple()
        .one(&state.db)
        .await?
        .flatten();
    Ok(match (due, lease_ends) {
        (Some(due), Some(lease)) => Some(due.min(lease)),
        (due, lease) => due.or(lease),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_spread_and_stops_at_six_hours() {
        let interval = Duration::minutes(5);
        for (failures, centre) in [(1, 10), (2, 20), (3, 40)] {
            let pause = backoff(interval, failures).num_seconds();
            let centre = centre * 60;
            assert!(
                (centre * 3 / 4..=centre * 5 / 4).contains(&pause),
                "{failures} failures: {pause}s"
            );
        }
        let longest = backoff(interval, 30).num_seconds();
        assert!((6 * 3600 * 3 / 4..=6 * 3600 * 5 / 4).contains(&longest));
    }
}
