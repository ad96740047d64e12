//! Policy updates: what changed and what people can do about it.
//!
//! Who may do what, in one place:
//! - ADMIN posts and edits any update; STAFF post for their own region or nationally, and edit
//!   their region's updates and national ones;
//! - who reads an update: [`PolicyUpdateAccess`];
//! - the lifecycle is DRAFT → PUBLISHED → ARCHIVED; a correction after publishing keeps the
//!   earlier wording and marks the update as updated.

pub mod graphql;
pub mod search;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use entities::{
    enums::{Audience, UpdateKind, UpdateStatus},
    policy_update, policy_update_campaign, policy_update_revision, policy_update_topic,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, DbBackend, EntityTrait,
    QueryFilter, QuerySelect, Select, sea_query::Query,
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::{Actor, Viewer, visible::AccessRule},
    db,
    events::Event,
    graphql::error::{ApiError, ApiResult},
    state::AppState,
};

pub const MAX_TITLE_LEN: usize = 200;
pub const MAX_SUMMARY_LEN: usize = 1_000;
pub const MAX_BODY_LEN: usize = 50_000;
pub const MAX_TOPICS: usize = 10;
pub const MAX_TOPIC_LEN: usize = 40;
pub const MAX_CAMPAIGNS: usize = 20;
/// How far in the past a publishing time may be (clocks differ a little).
const PUBLISH_LEEWAY: Duration = Duration::minutes(5);

pub fn can_post(actor: &Actor, region_id: Option<i64>) -> bool {
    actor.works_on(region_id)
}

pub fn can_manage(actor: &Actor, update: &policy_update::Model) -> bool {
    can_post(actor, update.region_id)
}

/// Who may read a policy update.
pub struct PolicyUpdateAccess;

impl AccessRule for PolicyUpdateAccess {
    type Row = policy_update::Model;
    /// The time now: a scheduled update is hidden until its time comes.
    type Facts = DateTime<Utc>;
    type Grant = ();

    /// Drafts and updates scheduled for later are for staff and admins; once live, PUBLIC
    /// updates are for everyone and PARTNERS updates for anyone signed in.
    fn grant(viewer: &Viewer, update: &policy_update::Model, now: &DateTime<Utc>) -> Option<()> {
        let actor = viewer.signed_in();
        let readable = actor.is_some_and(Actor::is_team)
            || (is_live(update, *now) && (update.audience == Audience::Public || actor.is_some()));
        readable.then_some(())
    }
}

fn is_live(update: &policy_update::Model, now: DateTime<Utc>) -> bool {
    update.status != UpdateStatus::Draft && update.published_at.is_some_and(|at| at <= now)
}

/// How deeply quotes and lists may nest in an update's body. Rendering and sanitising take
/// time that grows with the square of the depth, and no real update nests beyond a few levels.
pub const MAX_NESTING: usize = 16;

/// Markdown to HTML with anything that could run script (or restyle the page) removed.
/// Bodies nested deeper than [`MAX_NESTING`] are refused before any rendering.
pub fn render_markdown(field: &str, markdown: &str) -> ApiResult<String> {
    check_nesting(field, markdown)?;
    let mut html = String::new();
    pulldown_cmark::html::push_html(&mut html, pulldown_cmark::Parser::new(markdown));
    Ok(ammonia::clean(&html))
}

/// Refuses Markdown whose block quotes or lists nest deeper than [`MAX_NESTING`], judged from
/// each line's leading markers and indentation (a linear pass that renders nothing).
fn check_nesting(field: &str, markdown: &str) -> ApiResult<()> {
    for line in markdown.lines() {
        if nesting(line) > MAX_NESTING {
            return Err(ApiError::bad_input(
                field,
                format!("quotes and lists may nest at most {MAX_NESTING} deep"),
            ));
        }
    }
    Ok(())
}

/// How deep a line opens quotes and lists: its `>` and list markers, plus its indentation
/// when it starts with one (lists also nest by indenting).
fn nesting(line: &str) -> usize {
    let indent: usize = line
        .chars()
        .take_while(|c| matches!(c, ' ' | '\t'))
        .map(|c| if c == '\t' { 4 } else { 1 })
        .sum();
    let mut markers = 0;
    let mut rest = line.trim_start();
    loop {
        let after_marker = match rest.chars().next() {
            Some('>') => Some(&rest[1..]),
            Some(' ' | '\t') => {
                rest = &rest[1..];
                continue;
            }
            Some('-' | '*' | '+') => Some(&rest[1..]).filter(|after| opens_item(after)),
            // An ordered item: up to nine digits, then `.` or `)`.
            Some('0'..='9') => {
                let digits = rest.chars().take_while(char::is_ascii_digit).count();
                let after = &rest[digits..];
                (digits <= 9 && after.starts_with(['.', ')']))
                    .then(|| &after[1..])
                    .filter(|after| opens_item(after))
            }
            _ => None,
        };
        match after_marker {
            Some(after) => {
                markers += 1;
                rest = after;
            }
            None => break,
        }
    }
    if markers == 0 {
        0
    } else {
        markers + indent / 2
    }
}

/// A list marker opens an item when a space or tab (or the end of the line) follows it.
fn opens_item(after: &str) -> bool {
    after.is_empty() || after.starts_with([' ', '\t'])
}

/// Tags as stored: lower case, words joined by hyphens, letters and digits only.
pub fn normalise_topic(raw: &str) -> Option<String> {
    let words: Vec<String> = raw
        .split(|c: char| !c.is_alphanumeric())
        .filter(|word| !word.is_empty())
        .map(str::to_lowercase)
        .collect();
    (!words.is_empty()).then(|| words.join("-"))
}

pub struct NewUpdate {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub kind: UpdateKind,
    pub region_id: Option<i64>,
    pub audience: Audience,
    pub topics: BTreeSet<String>,
    pub campaign_ids: BTreeSet<i64>,
}

#[derive(Default)]
pub struct UpdateChanges {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub kind: Option<UpdateKind>,
    pub region_id: Option<Option<i64>>,
    pub audience: Option<Audience>,
    pub topics: Option<BTreeSet<String>>,
    pub campaign_ids: Option<BTreeSet<i64>>,
}

impl UpdateChanges {
    fn rewords(&self) -> bool {
        self.title.is_some() || self.summary.is_some() || self.body.is_some()
    }
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewUpdate,
) -> ApiResult<policy_update::Model> {
    if !can_post(actor, new.region_id) {
        return Err(ApiError::Forbidden(
            "staff post updates for their own region or nationally",
        ));
    }
    check_references(db, new.region_id, &new.campaign_ids).await?;
    // Rendered before the transaction: nothing slow runs while the write lock is held.
    let body_html = render_markdown("body", &new.body)?;
    let txn = db::begin_write(db).await?;
    let created = insert_draft(&txn, actor.user_id, now, new, body_html).await?;
    txn.commit().await?;
    Ok(created)
}

/// Writes a DRAFT update (its campaign links and topics, and the audit line) inside the
/// caller's transaction. Whoever calls it has checked the author may post it.
pub async fn insert_draft(
    txn: &impl ConnectionTrait,
    author_id: i64,
    now: DateTime<Utc>,
    new: NewUpdate,
    body_html: String,
) -> ApiResult<policy_update::Model> {
    let created = policy_update::Entity::insert(policy_update::ActiveModel {
        body_html: Set(body_html),
        title: Set(new.title),
        summary: Set(new.summary),
        body: Set(new.body),
        kind: Set(new.kind),
        region_id: Set(new.region_id),
        audience: Set(new.audience),
        status: Set(UpdateStatus::Draft),
        created_by: Set(author_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(txn)
    .await?;
    replace_links(txn, created.id, Some(&new.topics), Some(&new.campaign_ids)).await?;
    audit::record(
        txn,
        author_id,
        now,
        Change::new("policy_update.create", "policy_update", created.id)
            .with_detail(json!({ "title": created.title })),
    )
    .await?;
    Ok(created)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    changes: UpdateChanges,
) -> ApiResult<policy_update::Model> {
    if let Some(region_id) = changes.region_id {
        check_references(db, region_id, &BTreeSet::new()).await?;
        if !can_post(actor, region_id) {
            return Err(ApiError::Forbidden(
                "staff post updates for their own region or nationally",
            ));
        }
    }
    if let Some(campaign_ids) = &changes.campaign_ids {
        check_references(db, None, campaign_ids).await?;
    }
    // Rendered before the transaction: nothing slow runs while the write lock is held.
    let body_html = changes
        .body
        .as_deref()
        .map(|body| render_markdown("body", body))
        .transpose()?;
    let txn = db::begin_write(db).await?;
    let current = lock_for_manager(&txn, actor, id).await?;
    let correcting = current.status != UpdateStatus::Draft && changes.rewords();
    if correcting {
        keep_wording(&txn, &current, actor, now).await?;
    }
    let mut row: policy_update::ActiveModel = current.into();
    if let Some(title) = changes.title.clone() {
        row.title = Set(title);
    }
    if let Some(summary) = changes.summary.clone() {
        row.summary = Set(summary);
    }
    if let (Some(body), Some(body_html)) = (changes.body.clone(), body_html) {
        row.body_html = Set(body_html);
        row.body = Set(body);
    }
    if let Some(kind) = changes.kind {
        row.kind = Set(kind);
    }
    if let Some(region_id) = changes.region_id {
        row.region_id = Set(region_id);
    }
    if let Some(audience) = changes.audience {
        row.audience = Set(audience);
    }
    if correcting {
        row.corrected_at = Set(Some(now));
    }
    row.updated_at = Set(now);
    let updated = policy_update::Entity::update(row).exec(&txn).await?;
    replace_links(
        &txn,
        id,
        changes.topics.as_ref(),
        changes.campaign_ids.as_ref(),
    )
    .await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("policy_update.update", "policy_update", id)
            .with_detail(json!({ "correction": correcting })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

/// Publishes a draft now, or at `at`. An update that goes live now is announced in the same
/// transaction; a later one is announced by [`announce_due`] when its time comes.
pub async fn publish(
    state: &AppState,
    actor: &Actor,
    id: i64,
    at: Option<DateTime<Utc>>,
) -> ApiResult<policy_update::Model> {
    let now = state.now();
    let at = match at {
        Some(at) if at < now - PUBLISH_LEEWAY => {
            return Err(ApiError::bad_input("at", "must not be in the past"));
        }
        Some(at) => at.max(now),
        None => now,
    };
    let txn = db::begin_write(&state.db).await?;
    let current = lock_for_manager(&txn, actor, id).await?;
    if current.status != UpdateStatus::Draft {
        return Err(ApiError::Conflict(
            "only a draft can be published; correct a published update with updatePolicyUpdate"
                .to_owned(),
        ));
    }
    let mut row: policy_update::ActiveModel = current.into();
    row.status = Set(UpdateStatus::Published);
    row.published_at = Set(Some(at));
    row.updated_at = Set(now);
    policy_update::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("policy_update.publish", "policy_update", id).with_detail(json!({ "at": at })),
    )
    .await?;
    let announced = if at <= now {
        claim_announcement(&txn, id, now).await?
    } else {
        None
    };
    txn.commit().await?;
    match announced {
        Some(event) => {
            state.events.publish(event).await;
            state.mail_queued().await;
        }
        None => state.events.publish(Event::UpdateScheduled).await,
    }
    find(&state.db, id).await
}

pub async fn archive(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
) -> ApiResult<policy_update::Model> {
    let txn = db::begin_write(db).await?;
    let current = lock_for_manager(&txn, actor, id).await?;
    if current.status != UpdateStatus::Published {
        return Err(ApiError::Conflict(
            "only a published update can be archived".to_owned(),
        ));
    }
    let mut row: policy_update::ActiveModel = current.into();
    row.status = Set(UpdateStatus::Archived);
    row.updated_at = Set(now);
    let archived = policy_update::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("policy_update.archive", "policy_update", id),
    )
    .await?;
    txn.commit().await?;
    Ok(archived)
}

/// Announces every published update whose time has come and that nobody has announced yet.
/// Each is claimed by a conditional UPDATE, so with several server instances each update is
/// announced by exactly one of them.
/// Returns when the next scheduled update is due, if one is waiting.
pub async fn announce_due(state: &AppState) -> ApiResult<Option<DateTime<Utc>>> {
    let now = state.now();
    let due: Vec<i64> = policy_update::Entity::find()
        .select_only()
        .column(policy_update::Column::Id)
        .filter(policy_update::Column::Status.eq(UpdateStatus::Published))
        .filter(policy_update::Column::AnnouncedAt.is_null())
        .filter(policy_update::Column::PublishedAt.lte(now))
        .into_tuple()
        .all(&state.db)
        .await?;
    for id in due {
        let txn = db::begin_write(&state.db).await?;
        let event = claim_announcement(&txn, id, now).await?;
        txn.commit().await?;
        if let Some(event) = event {
            state.events.publish(event).await;
            state.mail_queued().await;
        }
    }
    let next: Option<DateTime<Utc>> = policy_update::Entity::find()
        .select_only()
        .column_as(policy_update::Column::PublishedAt.min(), "at")
        .filter(policy_update::Column::Status.eq(UpdateStatus::Published))
        .filter(policy_update::Column::AnnouncedAt.is_null())
        .into_tuple()
        .one(&state.db)
        .await?
        .flatten();
    Ok(next)
}

/// Marks the update announced if nobody has; the event to send once the transaction commits.
async fn claim_announcement(
    conn: &impl ConnectionTrait,
    id: i64,
    now: DateTime<Utc>,
) -> ApiResult<Option<Event>> {
    let claimed = policy_update::Entity::update_many()
        .col_expr(
            policy_update::Column::AnnouncedAt,
            sea_orm::sea_query::Expr::value(now),
        )
        .filter(policy_update::Column::Id.eq(id))
        .filter(policy_update::Column::AnnouncedAt.is_null())
        .exec(conn)
        .await?
        .rows_affected
        == 1;
    if !claimed {
        return Ok(None);
    }
    let update = find(conn, id).await?;
    crate::mailing::outbox::enqueue_update(conn, &update, now).await?;
    let topics = topics_of(conn, id).await?;
    Ok(Some(Event::PolicyUpdatePublished {
        update_id: id,
        region_id: update.region_id,
        topics,
        at: now,
    }))
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> ApiResult<policy_update::Model> {
    policy_update::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound("policy update"))
}

pub async fn topics_of(conn: &impl ConnectionTrait, id: i64) -> ApiResult<Vec<String>> {
    Ok(policy_update_topic::Entity::find()
        .select_only()
        .column(policy_update_topic::Column::Topic)
        .filter(policy_update_topic::Column::UpdateId.eq(id))
        .into_tuple()
        .all(conn)
        .await?)
}

async fn lock_for_manager(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> ApiResult<policy_update::Model> {
    let current = policy_update::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound("policy update"))?;
    if !can_manage(actor, &current) {
        return Err(ApiError::Forbidden("you cannot change this update"));
    }
    Ok(current)
}

async fn keep_wording(
    conn: &impl ConnectionTrait,
    current: &policy_update::Model,
    actor: &Actor,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    policy_update_revision::Entity::insert(policy_update_revision::ActiveModel {
        update_id: Set(current.id),
        title: Set(current.title.clone()),
        summary: Set(current.summary.clone()),
        body: Set(current.body.clone()),
        replaced_by: Set(actor.user_id),
        replaced_at: Set(now),
        ..Default::default()
    })
    .exec_without_returning(conn)
    .await?;
    Ok(())
}

async fn check_references(
    db: &DatabaseConnection,
    region_id: Option<i64>,
    campaign_ids: &BTreeSet<i64>,
) -> ApiResult<()> {
    if let Some(region_id) = region_id {
        crate::regions::existing(db, "regionId", region_id).await?;
    }
    crate::campaigns::check_campaigns(db, "campaignIds", campaign_ids).await
}

async fn replace_links(
    conn: &impl ConnectionTrait,
    update_id: i64,
    topics: Option<&BTreeSet<String>>,
    campaign_ids: Option<&BTreeSet<i64>>,
) -> ApiResult<()> {
    if let Some(topics) = topics {
        let rows = topics.iter().map(|topic| policy_update_topic::ActiveModel {
            update_id: Set(update_id),
            topic: Set(topic.clone()),
        });
        db::replace_links(conn, policy_update_topic::Column::UpdateId, update_id, rows).await?;
    }
    if let Some(campaign_ids) = campaign_ids {
        let rows = campaign_ids
            .iter()
            .map(|campaign_id| policy_update_campaign::ActiveModel {
                update_id: Set(update_id),
                campaign_id: Set(*campaign_id),
            });
        db::replace_links(
            conn,
            policy_update_campaign::Column::UpdateId,
            update_id,
            rows,
        )
        .await?;
    }
    Ok(())
}

#[derive(Default, Clone)]
pub struct ListFilter {
    /// `Some(None)`: national updates only.
    pub region_id: Option<Option<i64>>,
    pub topic: Option<String>,
    pub kind: Option<UpdateKind>,
    pub campaign_id: Option<i64>,
    pub search: Option<String>,
    /// Staff and admins may list drafts and archived updates; everyone else sees live ones.
    pub status: Option<UpdateStatus>,
}

/// The updates the viewer may list, filtered; archived ones only when asked for by the team.
pub fn visible(
    backend: DbBackend,
    viewer: &Viewer,
    now: DateTime<Utc>,
    filter: &ListFilter,
) -> Select<policy_update::Entity> {
    let team = viewer.signed_in().is_some_and(Actor::is_team);
    let mut query = policy_update::Entity::find();
    query = match filter.status {
        Some(status) if team => query.filter(policy_update::Column::Status.eq(status)),
        _ => query
            .filter(policy_update::Column::Status.eq(UpdateStatus::Published))
            .filter(policy_update::Column::PublishedAt.lte(now)),
    };
    if viewer.signed_in().is_none() {
        query = query.filter(policy_update::Column::Audience.eq(Audience::Public));
    }
    if let Some(region_id) = filter.region_id {
        query = query.filter(match region_id {
            Some(region_id) => policy_update::Column::RegionId.eq(region_id),
            None => policy_update::Column::RegionId.is_null(),
        });
    }
    if let Some(kind) = filter.kind {
        query = query.filter(policy_update::Column::Kind.eq(kind));
    }
    if let Some(topic) = &filter.topic {
        query = query.filter(
            policy_update::Column::Id.in_subquery(
                Query::select()
                    .column(policy_update_topic::Column::UpdateId)
                    .from(policy_update_topic::Entity)
                    .and_where(policy_update_topic::Column::Topic.eq(topic.clone()))
                    .to_owned(),
            ),
        );
    }
    if let Some(campaign_id) = filter.campaign_id {
        query = query.filter(
            policy_update::Column::Id.in_subquery(
                Query::select()
                    .column(policy_update_campaign::Column::UpdateId)
                    .from(policy_update_campaign::Entity)
                    .and_where(policy_update_campaign::Column::CampaignId.eq(campaign_id))
                    .to_owned(),
            ),
        );
    }
    if let Some(search) = &filter.search {
        query = query.filter(search::matches(backend, search));
    }
    query
}
