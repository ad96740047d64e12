//! The transactional outbox. Whatever causes an email writes its row in the same transaction
//! as the change itself; a worker in every server instance takes due rows, sends them and
//! marks them sent. Failures are retried with exponential backoff and given up (DEAD) after a
//! bounded number of attempts.
//!
//! A batch is taken with a short lease under a token of its own. While the batch is being
//! sent its worker renews the lease (a heartbeat); if the worker dies, the lease runs out
//! within seconds and another worker takes the rows over. Every update a worker makes is
//! fenced by its token and the row still being pending, so a worker whose lease was taken
//! over can neither mark the new holder's rows nor turn a sent row back to pending.
//!
//! Idle is idle: a worker sleeps until email is queued (an event from any instance), the next
//! retry or digest is due, or a lease it is waiting on runs out.

use std::{
    collections::{BTreeMap, BTreeSet},
    time::Duration as StdDuration,
};

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use entities::{
    enums::{Audience, Frequency, MailKind, MailStatus, Role, SubscriberStatus},
    outbox, partner, policy_update, policy_update_campaign, policy_update_topic, subscriber,
    subscriber_campaign, subscriber_topic, user,
};
use futures_util::{FutureExt, Stream, StreamExt, future::BoxFuture, stream};
use lettre::{AsyncFileTransport, AsyncTransport, Message, Tokio1Executor};
use sea_orm::{
    ActiveEnum,
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::{Expr, ExprTrait, LockBehavior, LockType, Query},
};
use tokio_util::sync::CancellationToken;

use super::{
    compose::Sources,
    relay::{self, RelayConnector, RelayPool},
};
use crate::{
    auth::tokens::new_opaque_token, db, events::Event, graphql::error::ApiResult, state::AppState,
};

/// Messages one worker takes at a time.
const BATCH: u64 = 200;
/// How long a taken message is held before another worker may take it over; renewed every
/// [`HEARTBEAT`] while the batch is being sent.
const LEASE: Duration = Duration::seconds(10);
const HEARTBEAT: StdDuration = StdDuration::from_secs(3);
/// Attempts before a message is given up.
pub const MAX_ATTEMPTS: i32 = 6;
/// The first retry waits this long; each later one twice as long as the one before.
const FIRST_RETRY: Duration = Duration::seconds(30);
/// Digests go out at this time of day (UTC); weekly ones on Mondays.
const DIGEST_HOUR: u32 = 7;

/// One email to queue.
struct Queued<'a> {
    kind: MailKind,
    recipient: &'a str,
    subscriber_id: Option<i64>,
    subject: &'a str,
    /// Empty for messages written when sent.
    body: String,
    calendar: Option<String>,
}

async fn enqueue(
    conn: &impl ConnectionTrait,
    mail: Queued<'_>,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    outbox::Entity::insert(outbox::ActiveModel {
        kind: Set(mail.kind),
        recipient: Set(mail.recipient.to_owned()),
        subscriber_id: Set(mail.subscriber_id),
        subject: Set(mail.subject.to_owned()),
        body: Set(mail.body),
        calendar: Set(mail.calendar),
        status: Set(MailStatus::Pending),
        attempts: Set(0),
        next_attempt_at: Set(now),
        created_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

/// Queues a confirmation request or an "already subscribed" notice, written when sent.
pub async fn enqueue_for_subscriber(
    conn: &impl ConnectionTrait,
    subscriber: &subscriber::Model,
    kind: MailKind,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let subject = match kind {
        MailKind::Notice => "You are already subscribed",
        _ => "Please confirm your subscription",
    };
    let mail = Queued {
        kind,
        recipient: &subscriber.email,
        subscriber_id: Some(subscriber.id),
        subject,
        body: String::new(),
        calendar: None,
    };
    enqueue(conn, mail, now).await
}

/// Queues a notice to a subscriber written whole now (a link to their data).
pub async fn enqueue_notice(
    conn: &impl ConnectionTrait,
    subscriber: &subscriber::Model,
    subject: &str,
    body: String,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mail = Queued {
        kind: MailKind::Notice,
        recipient: &subscriber.email,
        subscriber_id: Some(subscriber.id),
        subject,
        body,
        calendar: None,
    };
    enqueue(conn, mail, now).await
}

/// Queues any other message written whole now (about a partnership enquiry).
pub async fn enqueue_written_kind(
    conn: &impl ConnectionTrait,
    recipient: &str,
    subject: &str,
    body: String,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mail = Queued {
        kind: MailKind::Written,
        recipient,
        subscriber_id: None,
        subject,
        body,
        calendar: None,
    };
    enqueue(conn, mail, now).await
}

/// Queues a message written whole now with a calendar entry attached (training bookings).
pub async fn enqueue_with_calendar(
    conn: &impl ConnectionTrait,
    recipient: &str,
    subject: &str,
    body: String,
    calendar: String,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mail = Queued {
        kind: MailKind::Written,
        recipient,
        subscriber_id: None,
        subject,
        body,
        calendar: Some(calendar),
    };
    enqueue(conn, mail, now).await
}

/// Queues a message written whole now (an invitation).
pub async fn enqueue_written(
    conn: &impl ConnectionTrait,
    recipient: &str,
    subject: &str,
    body: String,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let mail = Queued {
        kind: MailKind::Invitation,
        recipient,
        subscriber_id: None,
        subject,
        body,
        calendar: None,
    };
    enqueue(conn, mail, now).await
}

/// Drops a subscriber's queued mail (they unsubscribed).
pub async fn drop_pending(conn: &impl ConnectionTrait, subscriber_id: i64) -> ApiResult<()> {
    outbox::Entity::delete_many()
        .filter(outbox::Column::SubscriberId.eq(subscriber_id))
        .filter(outbox::Column::Status.eq(MailStatus::Pending))
        .exec(conn)
        .await?;
    Ok(())
}

/// The next daily and weekly digest times after `now`.
fn digest_times(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let at_hour = |day: chrono::NaiveDate| {
        day.and_time(NaiveTime::from_hms_opt(DIGEST_HOUR, 0, 0).unwrap_or_default())
            .and_utc()
    };
    let today = at_hour(now.date_naive());
    let daily = if today > now {
        today
    } else {
        today + Duration::days(1)
    };
    let days_to_monday = (7 - now.weekday().num_days_from_monday()) % 7;
    let monday = at_hour(now.date_naive()) + Duration::days(i64::from(days_to_monday));
    let weekly = if monday > now {
        monday
    } else {
        monday + Duration::days(7)
    };
    (daily, weekly)
}

/// Queues a published update for everyone it concerns, in one statement per audience:
/// confirmed subscribers (public updates; national ones to all, regional ones to the region
/// and to those following a linked campaign or topic), each at their frequency; and partner
/// members (partners-only updates of their region, and national ones).
pub async fn enqueue_update(
    conn: &impl ConnectionTrait,
    update: &policy_update::Model,
    now: DateTime<Utc>,
) -> ApiResult<u64> {
    let statement = match update.audience {
        Audience::Public => to_subscribers(update, now),
        Audience::Partners => to_partner_members(update, now),
    };
    Ok(conn.execute(&statement).await?.rows_affected())
}

const COLUMNS: [outbox::Column; 10] = [
    outbox::Column::Kind,
    outbox::Column::Recipient,
    outbox::Column::SubscriberId,
    outbox::Column::UpdateId,
    outbox::Column::Subject,
    outbox::Column::Body,
    outbox::Column::Status,
    outbox::Column::Attempts,
    outbox::Column::NextAttemptAt,
    outbox::Column::CreatedAt,
];

fn to_subscribers(
    update: &policy_update::Model,
    now: DateTime<Utc>,
) -> sea_orm::sea_query::InsertStatement {
    let (daily, weekly) = digest_times(now);
    let frequency = Expr::col((subscriber::Entity, subscriber::Column::Frequency));
    let kind = Expr::case(
        frequency.clone().eq(Frequency::Immediate.to_value()),
        "UPDATE",
    )
    .finally("DIGEST");
    let due = Expr::case(frequency.clone().eq("IMMEDIATE"), now)
        .case(frequency.eq("DAILY"), daily)
        .finally(weekly);
    let mut concerned = Condition::any();
    match update.region_id {
        None => concerned = concerned.add(Expr::val(1).eq(1)),
        Some(region_id) => {
            concerned = concerned
                .add(subscriber::Column::RegionId.eq(region_id))
                .add(subscriber::Column::Id.in_subquery(followers(
                    (
                        subscriber_campaign::Column::SubscriberId,
                        subscriber_campaign::Column::CampaignId,
                    ),
                    (
                        policy_update_campaign::Column::UpdateId,
                        policy_update_campaign::Column::CampaignId,
                    ),
                    update.id,
                )))
                .add(subscriber::Column::Id.in_subquery(followers(
                    (
                        subscriber_topic::Column::SubscriberId,
                        subscriber_topic::Column::Topic,
                    ),
                    (
                        policy_update_topic::Column::UpdateId,
                        policy_update_topic::Column::Topic,
                    ),
                    update.id,
                )));
        }
    }
    let select = Query::select()
        .expr(kind)
        .column((subscriber::Entity, subscriber::Column::Email))
        .column((subscriber::Entity, subscriber::Column::Id))
        .expr(Expr::val(update.id))
        .expr(Expr::val(update.title.clone()))
        .expr(Expr::val(""))
        .expr(Expr::val("PENDING"))
        .expr(Expr::val(0))
        .expr(due)
        .expr(Expr::val(now))
        .from(subscriber::Entity)
        .and_where(subscriber::Column::Status.eq(SubscriberStatus::Confirmed.to_value()))
        .cond_where(concerned)
        .to_owned();
    insert_from(select)
}

fn to_partner_members(
    update: &policy_update::Model,
    now: DateTime<Utc>,
) -> sea_orm::sea_query::InsertStatement {
    let mut region = Condition::all();
    if let Some(region_id) = update.region_id {
        region = region.add(Expr::col((partner::Entity, partner::Column::RegionId)).eq(region_id));
    }
    let select = Query::select()
        .expr(Expr::val("UPDATE"))
        .column((user::Entity, user::Column::Email))
        .expr(Expr::val(Option::<i64>::None))
        .expr(Expr::val(update.id))
        .expr(Expr::val(update.title.clone()))
        .expr(Expr::val(""))
        .expr(Expr::val("PENDING"))
        .expr(Expr::val(0))
        .expr(Expr::val(now))
        .expr(Expr::val(now))
        .from(user::Entity)
        .inner_join(
            partner::Entity,
            Expr::col((partner::Entity, partner::Column::Id))
                .equals((user::Entity, user::Column::PartnerId)),
        )
        .and_where(Expr::col((user::Entity, user::Column::Role)).eq(Role::Partner.to_value()))
        .and_where(Expr::col((user::Entity, user::Column::Active)).eq(true))
        .cond_where(region)
        .to_owned();
    insert_from(select)
}

fn insert_from(select: sea_orm::sea_query::SelectStatement) -> sea_orm::sea_query::InsertStatement {
    Query::insert()
        .into_table(outbox::Entity)
        .columns(COLUMNS)
        .select_from(select)
        .unwrap_or_else(|_| unreachable!("the select lists one value per column"))
        .to_owned()
}

/// Subscribers following one of the update's campaigns, or one of its topics: those whose
/// `interest` (in the table of `follower`) is among the update's `linked` values.
fn followers(
    (follower, interest): (impl ColumnTrait, impl ColumnTrait),
    (update, linked): (impl ColumnTrait, impl ColumnTrait),
    update_id: i64,
) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(follower)
        .from(follower.entity_name())
        .and_where(
            interest.in_subquery(
                Query::select()
                    .column(linked)
                    .from(update.entity_name())
                    .and_where(update.eq(update_id))
                    .to_owned(),
            ),
        )
        .to_owned()
}

/// Where email goes.
pub enum Mailer {
    /// The relay named by SMTP_URL, over a pool of connections.
    Smtp(RelayPool),
    /// `.eml` files in a folder: the default for a local run.
    Files(AsyncFileTransport<Tokio1Executor>),
}

impl Mailer {
    pub fn from_config(config: &crate::config::Config) -> anyhow::Result<Self> {
        match &config.smtp_url {
            Some(url) => {
                let relay = RelayConnector::from_url(url.expose_str())?;
                Ok(Self::Smtp(relay.pool(config.mail_concurrency)?))
            }
            None => {
                let folder = config.data_dir.join("mail");
                std::fs::create_dir_all(&folder)?;
                Ok(Self::Files(AsyncFileTransport::new(folder)))
            }
        }
    }

    async fn send(&self, message: Message) -> Result<(), String> {
        match self {
            Self::Smtp(pool) => relay::send(pool, message.envelope(), &message.formatted()).await,
            Self::Files(transport) => transport
                .send(message)
                .await
                .map(drop)
                .map_err(|error| error.to_string()),
        }
    }
}

/// Sends due mail until `stopping`, sleeping in between until there is something to do.
pub async fn run_worker(state: AppState, mailer: Mailer, stopping: CancellationToken) {
    let mut queued = Box::pin(
        state
            .events
            .subscribe()
            .filter(|event| std::future::ready(matches!(event, Event::MailQueued))),
    );
    loop {
        // A full batch means more may be waiting: carry on at once.
        loop {
            if stopping.is_cancelled() {
                return;
            }
            match deliver_due(&state, &mailer).await {
                Ok(taken) if taken == BATCH as usize => {}
                Ok(_) => break,
                Err(error) => {
                    tracing::warn!(%error, "mail delivery round failed");
                    break;
                }
            }
        }
        crate::monitoring::worker_ran("mail_sender", state.now());
        let next = next_due(&state).await.unwrap_or_else(|error| {
            tracing::warn!(%error, "could not tell when mail is next due");
            Some(state.now() + Duration::seconds(5))
        });
        if crate::clock::idle_until(&state, next, queued.next(), &stopping).await {
            return;
        }
    }
}

/// When the worker next has something to do: the earliest retry or digest, or the end of a
/// lease another worker holds. `None`: nothing is waiting.
async fn next_due(state: &AppState) -> ApiResult<Option<DateTime<Utc>>> {
    let pending = || {
        outbox::Entity::find()
            .select_only()
            .filter(outbox::Column::Status.eq(MailStatus::Pending))
    };
    let due: Option<DateTime<Utc>> = pending()
        .column_as(outbox::Column::NextAttemptAt.min(), "at")
        .filter(outbox::Column::LockedUntil.is_null())
        .into_tuple()
        .one(&state.db)
        .await?
        .flatten();
    let lease_ends: Option<DateTime<Utc>> = pending()
        .column_as(outbox::Column::LockedUntil.min(), "at")
        .filter(outbox::Column::LockedUntil.is_not_null())
        .into_tuple()
        .one(&state.db)
        .await?
        .flatten();
    Ok(match (due, lease_ends) {
        (Some(due), Some(lease)) => Some(Ord::min(due, lease)),
        (due, lease) => due.or(lease),
    })
}

/// Takes one batch of due messages and sends it; the number of messages taken.
pub async fn deliver_due(state: &AppState, mailer: &Mailer) -> ApiResult<usize> {
    let lease = new_opaque_token();
    let taken = take_due(state, &lease).await?;
    let count = taken.len();
    if taken.is_empty() {
        return Ok(0);
    }
    let sending = send_batch(state, mailer, &lease, taken);
    tokio::pin!(sending);
    let mut heartbeat =
        tokio::time::interval_at(tokio::time::Instant::now() + HEARTBEAT, HEARTBEAT);
    loop {
        tokio::select! {
            sent = &mut sending => {
                sent?;
                return Ok(count);
            }
            _ = heartbeat.tick() => renew(state, &lease).await,
        }
    }
}

/// Sends a leased batch.
async fn send_batch(
    state: &AppState,
    mailer: &Mailer,
    lease: &str,
    taken: Vec<outbox::Model>,
) -> ApiResult<()> {
    let sources = match Sources::load(state, &taken).await {
        Ok(sources) => sources,
        Err(error) => {
            // Recorded as a failed attempt, so the rows are retried and eventually given up
            // instead of waiting out their lease with no trace.
            let mut by_attempts: BTreeMap<i32, Vec<i64>> = BTreeMap::new();
            for row in &taken {
                by_attempts.entry(row.attempts).or_default().push(row.id);
            }
            for (attempts, ids) in by_attempts {
                mark_failed(state, lease, &ids, attempts, &error.to_string()).await?;
            }
            return Err(error);
        }
    };
    let mut groups: BTreeMap<(i64, i64), Vec<outbox::Model>> = BTreeMap::new();
    for row in taken {
        // Digest rows for one subscriber travel together as one message.
        let key = match (row.kind, row.subscriber_id) {
            (MailKind::Digest, Some(subscriber_id)) => (subscriber_id, 0),
            _ => (0, row.id),
        };
        groups.entry(key).or_default().push(row);
    }
    let deliveries = stream::iter(groups.into_values())
        .map(|rows| deliver(state, mailer, &sources, lease, rows))
        .buffer_unordered(state.config.mail_concurrency);
    record_sent_as_they_go(state, lease, deliveries).await;
    Ok(())
}

/// Marks sent messages while others are still being sent, in groups: one UPDATE for every
/// message sent while the previous UPDATE ran (group commit). Per message, the database would
/// hold the relay back; per batch, a crash would send a whole batch again.
async fn record_sent_as_they_go(
    state: &AppState,
    lease: &str,
    deliveries: impl Stream<Item = Option<Vec<i64>>>,
) {
    let mut deliveries = std::pin::pin!(deliveries);
    let mut waiting: Vec<Vec<i64>> = Vec::new();
    let mut marking: Option<BoxFuture<'_, ()>> = None;
    let mut delivering = true;
    while delivering || !waiting.is_empty() || marking.is_some() {
        if marking.is_none() && !waiting.is_empty() {
            let messages = std::mem::take(&mut waiting);
            marking = Some(record_sent(state, lease, messages).boxed());
        }
        let mut marked = false;
        tokio::select! {
            delivered = deliveries.next(), if delivering => match delivered {
                Some(Some(sent)) => waiting.push(sent),
                Some(None) => {}
                None => delivering = false,
            },
            () = async {
                if let Some(recording) = marking.as_mut() {
                    recording.await;
                }
            }, if marking.is_some() => marked = true,
        }
        if marked {
            marking = None;
        }
    }
}

/// Marks messages sent (each message's outbox rows), logging rather than failing: the rows
/// stay leased and are sent again only if this does not stick.
async fn record_sent(state: &AppState, lease: &str, messages: Vec<Vec<i64>>) {
    let ids: Vec<i64> = messages.iter().flatten().copied().collect();
    match mark_sent(state, lease, &ids).await {
        // A message counts once, whatever number of queued rows (a digest's updates) it had.
        Ok(()) => crate::monitoring::emails("sent", messages.len() as u64),
        Err(error) => tracing::error!(%error, "could not record a delivery outcome"),
    }
}

/// Extends the lease of the rows this worker still holds.
async fn renew(state: &AppState, lease: &str) {
    let renewed = outbox::Entity::update_many()
        .col_expr(outbox::Column::LockedUntil, Expr::val(state.now() + LEASE))
        .filter(outbox::Column::LeaseToken.eq(lease))
        .filter(outbox::Column::Status.eq(MailStatus::Pending))
        .exec(&state.db)
        .await;
    if let Err(error) = renewed {
        tracing::warn!(%error, "could not renew the lease on the mail being sent");
    }
}

/// Leases up to [`BATCH`] due messages to this worker under `lease` (with the other due
/// digest rows of the subscribers among them). On PostgreSQL
/// `SKIP LOCKED` lets several instances take disjoint batches at once; SQLite has one writer
/// at a time anyway.
async fn take_due(state: &AppState, lease: &str) -> ApiResult<Vec<outbox::Model>> {
    let now = state.now();
    give_up_on_abandoned(state, now).await?;
    // In id order, which an index walks, so finding a batch reads about a batch of rows.
    let first = due(now)
        .order_by(outbox::Column::Id, sea_orm::Order::Asc)
        .limit(BATCH)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let txn = db::begin_write(&state.db).await?;
    let mut taken = lease_rows(&txn, first, now, lease).await?;
    let readers: BTreeSet<i64> = taken
        .iter()
        .filter(|row| row.kind == MailKind::Digest)
        .filter_map(|row| row.subscriber_id)
        .collect();
    if !readers.is_empty() {
        // A subscriber's digest rows travel together as one message: the rest of theirs that
        // are due come with them.
        let rest = due(now)
            .and_where(outbox::Column::Kind.eq(MailKind::Digest.to_value()))
            .and_where(outbox::Column::SubscriberId.is_in(readers))
            .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
            .to_owned();
        taken.extend(lease_rows(&txn, rest, now, lease).await?);
    }
    txn.commit().await?;
    Ok(taken)
}

/// The ids of messages due now and not leased to a worker.
fn due(now: DateTime<Utc>) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(outbox::Column::Id)
        .from(outbox::Entity)
        .and_where(outbox::Column::Status.eq(MailStatus::Pending.to_value()))
        .and_where(outbox::Column::Attempts.lt(MAX_ATTEMPTS))
        .and_where(outbox::Column::NextAttemptAt.lte(now))
        .cond_where(
            Condition::any()
                .add(outbox::Column::LockedUntil.is_null())
                .add(outbox::Column::LockedUntil.lt(now)),
        )
        .to_owned()
}

/// Leases the messages `ids` selects to this worker, counting an attempt for each.
async fn lease_rows(
    conn: &impl ConnectionTrait,
    ids: sea_orm::sea_query::SelectStatement,
    now: DateTime<Utc>,
    lease: &str,
) -> ApiResult<Vec<outbox::Model>> {
    Ok(outbox::Entity::update_many()
        .col_expr(outbox::Column::LockedUntil, Expr::val(now + LEASE))
        .col_expr(outbox::Column::LeaseToken, Expr::val(lease))
        .col_expr(
            outbox::Column::Attempts,
            Expr::col(outbox::Column::Attempts).add(1),
        )
        .filter(outbox::Column::Id.in_subquery(ids))
        .exec_with_returning(conn)
        .await?)
}

/// A message whose every attempt ended with its worker gone (the lease ran out, no outcome
/// recorded) is given up: something in sending it may be what kills the worker.
async fn give_up_on_abandoned(state: &AppState, now: DateTime<Utc>) -> ApiResult<()> {
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::val(MailStatus::Dead.to_value()),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::val("every attempt ended with the worker gone before it finished"),
        )
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox::Column::LeaseToken,
            Expr::val(Option::<String>::None),
        )
        .filter(outbox::Column::Status.eq(MailStatus::Pending))
        .filter(outbox::Column::Attempts.gte(MAX_ATTEMPTS))
        .filter(outbox::Column::LockedUntil.lt(now))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Sends one message (one row, or a subscriber's digest rows) and records the outcome.
async fn deliver(
    state: &AppState,
    mailer: &Mailer,
    sources: &Sources,
    lease: &str,
    rows: Vec<outbox::Model>,
) -> Option<Vec<i64>> {
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let outcome = match sources.compose(state, &rows) {
        Ok(Some(message)) => mailer.send(message).await,
        Ok(None) => Err("nothing to send: the recipient or update is gone".to_owned()),
        Err(error) => Err(error.cause()),
    };
    // The cause is logged and kept with the row; the address is not (a relay's refusal often
    // quotes it).
    let outcome = outcome.map_err(|cause| match rows.first() {
        Some(row) if !row.recipient.is_empty() => cause.replace(&row.recipient, "<recipient>"),
        _ => cause,
    });
    let attempts = rows
        .iter()
        .map(|row| row.attempts)
        .max()
        .unwrap_or_default();
    match outcome {
        Ok(()) => Some(ids),
        Err(error) => {
            if let Err(error) = mark_failed(state, lease, &ids, attempts, &error).await {
                tracing::error!(%error, "could not record a delivery outcome");
            }
            None
        }
    }
}

async fn mark_sent(state: &AppState, lease: &str, ids: &[i64]) -> ApiResult<()> {
    outbox::Entity::update_many()
        .col_expr(
            outbox::Column::Status,
            Expr::val(MailStatus::Sent.to_value()),
        )
        .col_expr(outbox::Column::SentAt, Expr::val(state.now()))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .filter(outbox::Column::Id.is_in(ids.iter().copied()))
        .filter(held(lease))
        .exec(&state.db)
        .await?;
    Ok(())
}

/// Rows this worker still holds: its lease, and still pending (never a row already sent).
fn held(lease: &str) -> Condition {
    Condition::all()
        .add(outbox::Column::LeaseToken.eq(lease))
        .add(outbox::Column::Status.eq(MailStatus::Pending))
}

async fn mark_failed(
    state: &AppState,
    lease: &str,
    ids: &[i64],
    attempts: i32,
    error: &str,
) -> ApiResult<()> {
    let now = state.now();
    let (status, next) = if attempts >= MAX_ATTEMPTS {
        (MailStatus::Dead, now)
    } else {
        let backoff = FIRST_RETRY * 2i32.pow(u32::try_from(attempts - 1).unwrap_or_default());
        (MailStatus::Pending, now + backoff)
    };
    let reason = crate::logging::without_addresses(error);
    tracing::warn!(attempts, ?status, %reason, "an email was not sent");
    let outcome = if status == MailStatus::Dead {
        "dead"
    } else {
        "failed"
    };
    crate::monitoring::emails(outcome, 1);
    outbox::Entity::update_many()
        .col_expr(outbox::Column::Status, Expr::val(status.to_value()))
        .col_expr(outbox::Column::NextAttemptAt, Expr::val(next))
        .col_expr(
            outbox::Column::LockedUntil,
            Expr::val(Option::<DateTime<Utc>>::None),
        )
        .col_expr(
            outbox::Column::LastError,
            Expr::val(error.chars().take(500).collect::<String>()),
        )
        .filter(outbox::Column::Id.is_in(ids.iter().copied()))
        .filter(held(lease))
        .exec(&state.db)
        .await?;
    Ok(())
}
