//! The mailing list: subscribing with double opt-in, managing and leaving by the links in
//! every email, and the right to take one's data away.
//!
//! Who may do what, in one place:
//! - anyone may subscribe any address; the answer is the same whether or not it is known, and
//!   nothing but the confirmation is sent until the link in it is followed;
//! - whoever holds a subscriber's manage link changes or leaves that subscription (the token
//!   is the proof); seeing or erasing the data takes a fresh link sent to the address itself,
//!   valid for an hour;
//! - staff see subscriber counts; admins and a region's staff export its confirmed subscribers.

pub mod compose;
mod erasure;
pub mod export;
pub mod graphql;
pub mod outbox;
mod relay;
pub mod tokens;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use entities::{
    enums::{Frequency, MailKind, SubscriberStatus},
    outbox as outbox_row, subscriber, subscriber_campaign, subscriber_topic, suppression,
};
use sea_orm::{
    ActiveEnum, ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::OnConflict,
};
use serde_json::{Value, json};

use crate::{
    auth::{Actor, tokens::new_opaque_token},
    db,
    graphql::error::{ApiError, ApiResult},
    input::EmailAddress,
    state::AppState,
};
use tokens::Purpose;

/// What a subscriber agreed to, kept with their consent.
pub const CONSENT_WORDING: &str = "I would like to receive policy updates and campaign news \
    by email. I can change what I receive or unsubscribe at any time from the links in every email.";
/// How long a confirmation link works.
pub const CONFIRMATION_TTL: Duration = Duration::days(7);
/// A pending subscriber who asks again sooner than this gets no second email.
const RESEND_AFTER: Duration = Duration::minutes(10);
/// A confirmed subscriber who subscribes again is told so at most this often.
const NOTICE_EVERY: Duration = Duration::days(1);
/// How long a link to see or erase one's data works.
pub const DATA_LINK_TTL: Duration = Duration::hours(1);
/// A subscriber asking for links to their data gets at most one this often.
const DATA_LINK_EVERY: Duration = Duration::minutes(5);

pub fn can_see_counts(actor: &Actor) -> bool {
    actor.is_team()
}

pub fn can_export_region(actor: &Actor, region_id: Option<i64>) -> bool {
    actor.is_admin() || actor.is_staff_of(region_id)
}

/// The interests and settings a subscriber chooses.
pub struct Interests {
    pub name: Option<String>,
    pub region_id: Option<i64>,
    pub campaign_ids: BTreeSet<i64>,
    pub topics: BTreeSet<String>,
    pub frequency: Frequency,
}

/// The token of a subscriber's emailed links: to confirm, or to change or leave.
pub fn link_token(state: &AppState, subscriber: &subscriber::Model, purpose: Purpose) -> String {
    state
        .link_keys
        .make(purpose, subscriber.id, &subscriber.token_salt, None)
}

/// The digest under which an erased address is remembered.
pub fn suppression_hash(email: &str) -> String {
    crate::auth::tokens::digest(&email.trim().to_lowercase())
}

/// Subscribes (or re-subscribes) an address. Whatever the address's state, the caller learns
/// nothing: a new or lapsed address is asked to confirm, a pending one is asked again (at
/// most every few minutes), and a confirmed one is told how to manage its subscription (at
/// most once a day), so nobody can flood an address with mail from us.
pub async fn subscribe(
    state: &AppState,
    email: EmailAddress,
    interests: Interests,
) -> ApiResult<()> {
    let now = state.now();
    let email = email.into_string();
    let txn = db::begin_write(&state.db).await?;
    // Two subscriptions of one address at once meet on one row: the insert does nothing if
    // the address is there (waiting for the other to commit), and the row is then read locked.
    let created = insert_if_new(&txn, &email, &interests, now).await?;
    let found = subscriber::Entity::find()
        .filter(subscriber::Column::Email.eq(&email))
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("a new subscriber vanished")))?;
    let (subscriber, mail) = match found.status {
        _ if created => {
            replace_interests(&txn, found.id, &interests).await?;
            (found, Some(MailKind::Confirmation))
        }
        SubscriberStatus::Confirmed
            if found
                .notice_sent_at
                .is_none_or(|at| at <= now - NOTICE_EVERY) =>
        {
            (noticed(&txn, found, now).await?, Some(MailKind::Notice))
        }
        SubscriberStatus::Confirmed => (found, None),
        SubscriberStatus::Pending if found.confirmation_sent_at > now - RESEND_AFTER => {
            (found, None)
        }
        _ => (
            restart(&txn, found, &interests, now).await?,
            Some(MailKind::Confirmation),
        ),
    };
    if let Some(kind) = mail {
        outbox::enqueue_for_subscriber(&txn, &subscriber, kind, now).await?;
    }
    txn.commit().await?;
    if mail.is_some() {
        state.mail_queued().await;
    }
    Ok(())
}

async fn noticed(
    conn: &impl ConnectionTrait,
    found: subscriber::Model,
    now: DateTime<Utc>,
) -> ApiResult<subscriber::Model> {
    let mut row: subscriber::ActiveModel = found.into();
    row.notice_sent_at = Set(Some(now));
    Ok(subscriber::Entity::update(row).exec(conn).await?)
}

/// Adds the address as a pending subscriber unless it is already there; whether it was added.
async fn insert_if_new(
    conn: &impl ConnectionTrait,
    email: &str,
    interests: &Interests,
    now: DateTime<Utc>,
) -> ApiResult<bool> {
    let inserted = subscriber::Entity::insert(subscriber::ActiveModel {
        email: Set(email.to_owned()),
        name: Set(interests.name.clone()),
        region_id: Set(interests.region_id),
        frequency: Set(interests.frequency),
        status: Set(SubscriberStatus::Pending),
        token_salt: Set(new_opaque_token()),
        confirmation_sent_at: Set(now),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .on_conflict(
        OnConflict::column(subscriber::Column::Email)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await?;
    Ok(inserted == 1)
}

/// A lapsed or pending address starts again: new links (earlier ones stop working), new
/// interests, and a fresh confirmation to give.
async fn restart(
    conn: &impl ConnectionTrait,
    found: subscriber::Model,
    interests: &Interests,
    now: DateTime<Utc>,
) -> ApiResult<subscriber::Model> {
    let mut row: subscriber::ActiveModel = found.into();
    row.name = Set(interests.name.clone());
    row.region_id = Set(interests.region_id);
    row.frequency = Set(interests.frequency);
    row.status = Set(SubscriberStatus::Pending);
    row.token_salt = Set(new_opaque_token());
    row.confirmation_sent_at = Set(now);
    row.updated_at = Set(now);
    let updated = subscriber::Entity::update(row).exec(conn).await?;
    replace_interests(conn, updated.id, interests).await?;
    Ok(updated)
}

async fn replace_interests(
    conn: &impl ConnectionTrait,
    subscriber_id: i64,
    interests: &Interests,
) -> ApiResult<()> {
    let campaigns =
        interests
            .campaign_ids
            .iter()
            .map(|campaign_id| subscriber_campaign::ActiveModel {
                subscriber_id: Set(subscriber_id),
                campaign_id: Set(*campaign_id),
            });
    db::replace_links(
        conn,
        subscriber_campaign::Column::SubscriberId,
        subscriber_id,
        campaigns,
    )
    .await?;
    let topics = interests
        .topics
        .iter()
        .map(|topic| subscriber_topic::ActiveModel {
            subscriber_id: Set(subscriber_id),
            topic: Set(topic.clone()),
        });
    db::replace_links(
        conn,
        subscriber_topic::Column::SubscriberId,
        subscriber_id,
        topics,
    )
    .await?;
    Ok(())
}

/// The subscriber a link token belongs to, checked for its purpose.
async fn holder(
    state: &AppState,
    conn: &impl ConnectionTrait,
    token: &str,
    purpose: Purpose,
) -> ApiResult<subscriber::Model> {
    let invalid = || {
        ApiError::bad_input(
            "token",
            "this link is not valid (it may have been replaced by a newer one)",
        )
    };
    let token = tokens::Token::parse(token).ok_or_else(invalid)?;
    let found = subscriber::Entity::find_by_id(token.id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or_else(invalid)?;
    if !state
        .link_keys
        .verify(purpose, &token, &found.token_salt, state.now())
    {
        return Err(invalid());
    }
    Ok(found)
}

/// Confirms with the emailed link: the consent is recorded (when, from where, which wording).
pub async fn confirm(state: &AppState, token: &str, source: &str) -> ApiResult<subscriber::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = holder(state, &txn, token, Purpose::Confirm).await?;
    match found.status {
        SubscriberStatus::Confirmed => {
            return Err(ApiError::Conflict(
                "this subscription is already confirmed".to_owned(),
            ));
        }
        SubscriberStatus::Unsubscribed => {
            return Err(ApiError::bad_input("token", "this link is no longer valid"));
        }
        SubscriberStatus::Pending if found.confirmation_sent_at + CONFIRMATION_TTL < now => {
            return Err(ApiError::bad_input(
                "token",
                "this link has expired; subscribe again for a new one",
            ));
        }
        SubscriberStatus::Pending => {}
    }
    suppression::Entity::delete_by_id(suppression_hash(&found.email))
        .exec(&txn)
        .await?;
    let mut row: subscriber::ActiveModel = found.into();
    row.status = Set(SubscriberStatus::Confirmed);
    row.consent_at = Set(Some(now));
    row.consent_source = Set(Some(source.chars().take(100).collect()));
    row.consent_wording = Set(Some(CONSENT_WORDING.to_owned()));
    row.updated_at = Set(now);
    let confirmed = subscriber::Entity::update(row).exec(&txn).await?;
    txn.commit().await?;
    Ok(confirmed)
}

/// Stops all mail to the subscriber at once, queued mail included.
pub async fn unsubscribe(state: &AppState, token: &str) -> ApiResult<subscriber::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = holder(state, &txn, token, Purpose::Manage).await?;
    outbox::drop_pending(&txn, found.id).await?;
    let mut row: subscriber::ActiveModel = found.into();
    row.status = Set(SubscriberStatus::Unsubscribed);
    row.unsubscribed_at = Set(Some(now));
    row.updated_at = Set(now);
    let left = subscriber::Entity::update(row).exec(&txn).await?;
    txn.commit().await?;
    Ok(left)
}

pub async fn update_interests(
    state: &AppState,
    token: &str,
    interests: Interests,
) -> ApiResult<subscriber::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = holder(state, &txn, token, Purpose::Manage).await?;
    let mut row: subscriber::ActiveModel = found.into();
    row.name = Set(interests.name.clone());
    row.region_id = Set(interests.region_id);
    row.frequency = Set(interests.frequency);
    row.updated_at = Set(now);
    let updated = subscriber::Entity::update(row).exec(&txn).await?;
    replace_interests(&txn, updated.id, &interests).await?;
    txn.commit().await?;
    Ok(updated)
}

/// A subscription as its manage link opens it: the subscriber, the campaigns they follow and
/// their topics.
pub struct Subscription {
    pub subscriber: subscriber::Model,
    pub campaign_ids: Vec<i64>,
    pub topics: Vec<String>,
}

pub async fn subscription(state: &AppState, token: &str) -> ApiResult<Subscription> {
    let subscriber = holder(state, &state.db, token, Purpose::Manage).await?;
    let (campaign_ids, topics) = interests_of(&state.db, subscriber.id).await?;
    Ok(Subscription {
        subscriber,
        campaign_ids,
        topics,
    })
}

/// Emails the subscriber a link, valid for an hour, to see or erase everything held about
/// them. The link goes to the address only, so a forwarded email gives nobody their data.
pub async fn request_data_link(state: &AppState, token: &str) -> ApiResult<()> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = holder(state, &txn, token, Purpose::Manage).await?;
    if found
        .data_link_sent_at
        .is_some_and(|at| at > now - DATA_LINK_EVERY)
    {
        return Ok(());
    }
    let data = state.link_keys.make(
        Purpose::Data,
        found.id,
        &found.token_salt,
        Some(now + DATA_LINK_TTL),
    );
    let link = state
        .config
        .link("/subscriptions/data", &[("token", &data)]);
    let letter = format!(
        "You asked to see or erase what we hold about this address.\n\n\
         Open this link within the hour:\n{link}\n\n\
         If it was not you, ignore this email: nothing will change."
    );
    outbox::enqueue_notice(
        &txn,
        &found,
        "Your link to see or erase your data",
        letter,
        now,
    )
    .await?;
    let mut row: subscriber::ActiveModel = found.into();
    row.data_link_sent_at = Set(Some(now));
    subscriber::Entity::update(row).exec(&txn).await?;
    txn.commit().await?;
    state.mail_queued().await;
    Ok(())
}

/// Everything held about the subscriber, as JSON (with a fresh data link).
pub async fn export(state: &AppState, token: &str) -> ApiResult<Value> {
    let found = holder(state, &state.db, token, Purpose::Data).await?;
    let (campaign_ids, topics) = interests_of(&state.db, found.id).await?;
    let mail: Vec<Value> = outbox_row::Entity::find()
        .filter(outbox_row::Column::SubscriberId.eq(found.id))
        .order_by_asc(outbox_row::Column::Id)
        .all(&state.db)
        .await?
        .into_iter()
        .map(|message| {
            json!({ "subject": message.subject, "status": message.status.to_value(),
                    "queuedAt": message.created_at, "sentAt": message.sent_at })
        })
        .collect();
    Ok(json!({
        "email": found.email,
        "name": found.name,
        "regionId": found.region_id,
        "frequency": found.frequency.to_value(),
        "status": found.status.to_value(),
        "campaignIds": campaign_ids,
        "topics": topics,
        "subscribedAt": found.created_at,
        "consent": { "at": found.consent_at, "source": found.consent_source, "wording": found.consent_wording },
        "unsubscribedAt": found.unsubscribed_at,
        "emails": mail,
    }))
}

pub async fn interests_of(
    conn: &impl ConnectionTrait,
    subscriber_id: i64,
) -> ApiResult<(Vec<i64>, Vec<String>)> {
    let campaign_ids = subscriber_campaign::Entity::find()
        .select_only()
        .column(subscriber_campaign::Column::CampaignId)
        .filter(subscriber_campaign::Column::SubscriberId.eq(subscriber_id))
        .into_tuple()
        .all(conn)
        .await?;
    let topics = subscriber_topic::Entity::find()
        .select_only()
        .column(subscriber_topic::Column::Topic)
        .filter(subscriber_topic::Column::SubscriberId.eq(subscriber_id))
        .into_tuple()
        .all(conn)
        .await?;
    Ok((campaign_ids, topics))
}

/// Removes the person everywhere (interests and every email to them go with the row),
/// keeping only a hash of the address so that nothing is sent to it again unless it
/// subscribes afresh; then makes sure the address's bytes are gone from the files too.
pub async fn erase(state: &AppState, token: &str) -> ApiResult<()> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let found = holder(state, &txn, token, Purpose::Data).await?;
    let address = found.email.clone();
    suppression::Entity::insert(suppression::ActiveModel {
        email_hash: Set(suppression_hash(&found.email)),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::column(suppression::Column::EmailHash)
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    subscriber::Entity::delete_by_id(found.id)
        .exec(&txn)
        .await?;
    txn.commit().await?;
    erasure::leave_no_copies(state, &address).await;
    Ok(())
}
