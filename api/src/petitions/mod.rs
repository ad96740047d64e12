//! Petitions: UK Parliament petitions the charity follows for its campaigns. Staff paste an
//! address once; the poller keeps a copy of the petition up to date, its count over time, where
//! the signatures come from, and the milestones it reaches (each recorded once, pushed live, and
//! drafted as a policy update for staff to edit and publish).
//!
//! Who may do what, in one place:
//! - staff track petitions for their region or nationally, admins any ([`can_manage`]); the
//!   same people untrack, refresh and link them to campaigns;
//! - a partner member says their organisation promotes a petition ([`promoter`]);
//! - everyone reads petitions; what went wrong polling one is for the team
//!   ([`PetitionAccess`]).

pub mod address;
pub mod demo;
pub mod document;
pub mod graphql;
pub mod milestones;
pub mod poller;
pub mod site;

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use entities::{
    enums::PetitionState, petition, petition_campaign, petition_constituency_day, petition_count,
    petition_promoter, petition_watch,
};
use sea_orm::{
    ActiveValue::{self, Set},
    ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect,
    sea_query::OnConflict,
};
use serde_json::json;

use self::{
    address::PetitionAddress,
    document::{Document, Tally},
    site::{Answer, FetchError, Validators},
};
use crate::{
    audit::{self, Change},
    auth::{Actor, Viewer, visible::AccessRule},
    db,
    events::Event,
    graphql::error::{ApiError, ApiResult},
    state::AppState,
};

pub const MAX_WATCHED_COUNTS: usize = 20;
pub const MAX_CAMPAIGN_LINKS: usize = 20;

/// The site's ONS region letters for the charity's six regions; every other letter (and every
/// signature from abroad) counts as elsewhere.
pub const ONS_REGIONS: [(&str, &str); 6] = [
    ("F", "west-midlands"),
    ("B", "north-west"),
    ("D", "yorkshire-and-humber"),
    ("A", "north-east"),
    ("L", "wales"),
    ("H", "london"),
];

/// Staff follow petitions for their own region and nationally; admins any.
pub fn can_manage(actor: &Actor, region_id: Option<i64>) -> bool {
    actor.works_on(region_id)
}

/// The organisation a partner member promotes petitions for.
pub fn promoter(actor: &Actor) -> ApiResult<i64> {
    actor.acting_for().ok_or(ApiError::Forbidden(
        "partner members say whether their organisation promotes a petition",
    ))
}

/// Everyone sees tracked petitions; the team also sees what went wrong polling them.
pub struct PetitionAccess;

#[derive(Debug, Clone, Copy)]
pub struct PetitionGrant {
    pub team: bool,
}

impl AccessRule for PetitionAccess {
    type Row = petition::Model;
    type Facts = ();
    type Grant = PetitionGrant;

    fn grant(viewer: &Viewer, _: &petition::Model, _: &()) -> Option<PetitionGrant> {
        Some(PetitionGrant {
            team: viewer.signed_in().is_some_and(Actor::is_team),
        })
    }
}

/// What staff asked to follow.
pub struct Tracking {
    pub address: PetitionAddress,
    pub region_id: Option<i64>,
    pub campaign_ids: BTreeSet<i64>,
    pub watched: BTreeSet<i64>,
}

/// Follows a petition: fetched at once (so an unknown or unpublished one is refused there and
/// then), or, when it is followed already, the existing one with the new campaigns and counts
/// added.
pub async fn track(
    state: &AppState,
    actor: &Actor,
    tracking: Tracking,
) -> ApiResult<petition::Model> {
    if !can_manage(actor, tracking.region_id) {
        return Err(ApiError::Forbidden(
            "staff track petitions for their own region or nationally",
        ));
    }
    if let Some(region_id) = tracking.region_id {
        crate::regions::existing(&state.db, "input.regionId", region_id).await?;
    }
    crate::campaigns::check_campaigns(&state.db, "input.campaignIds", &tracking.campaign_ids)
        .await?;
    if let Some(existing) = find_external(&state.db, tracking.address.external_id).await? {
        return follow_more(state, actor, existing, &tracking).await;
    }
    let (document, validators) = first_copy(state, tracking.address).await?;
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let inserted =
        petition::Entity::insert(new_row(&document, &validators, &tracking, actor, state))
            .on_conflict_do_nothing_on([petition::Column::ExternalId])
            .exec_with_returning(&txn)
            .await?;
    let sea_orm::TryInsertResult::Inserted(created) = inserted else {
        // Someone else started following it a moment ago.
        txn.commit().await?;
        let existing = find_external(&state.db, tracking.address.external_id)
            .await?
            .ok_or(ApiError::NotFound("petition"))?;
        return follow_more(state, actor, existing, &tracking).await;
    };
    record_count(&txn, created.id, now, created.signature_count).await?;
    record_constituencies(&txn, &[(created.id, now, &document.by_constituency)]).await?;
    add_links(&txn, created.id, &tracking).await?;
    milestones::record_passed(&txn, &created, &tracking.watched, now).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("petition.track", "petition", created.id)
            .with_detail(json!({ "externalId": created.external_id })),
    )
    .await?;
    txn.commit().await?;
    state.events.publish(Event::PetitionsTracked).await;
    Ok(created)
}

async fn first_copy(
    state: &AppState,
    address: PetitionAddress,
) -> ApiResult<(Document, Validators)> {
    let answer = state
        .petition_site
        .fetch(&address.document_path(), &Validators::default())
        .await
        .map_err(|error| match error {
            FetchError::NotFound => ApiError::NotFound("petition"),
            FetchError::InModeration | FetchError::Gone => {
                ApiError::bad_input("input.url", error.to_string())
            }
            FetchError::Unavailable { .. } | FetchError::Unusable(_) => {
                tracing::warn!(%error, petition = address.external_id, "could not fetch a petition to track");
                ApiError::Conflict(format!("{error}; please try again in a few minutes"))
            }
        })?;
    let Answer::Fresh {
        body, validators, ..
    } = answer
    else {
        return Err(ApiError::Conflict(
            "the petitions site sent no document; please try again".to_owned(),
        ));
    };
    let document = document::parse_document(&body, address.external_id).map_err(|error| {
        tracing::warn!(%error, petition = address.external_id, "a petition document could not be read");
        ApiError::Conflict(format!("{error}; please try again later"))
    })?;
    Ok((document, validators))
}

fn new_row(
    document: &Document,
    validators: &Validators,
    tracking: &Tracking,
    actor: &Actor,
    state: &AppState,
) -> petition::ActiveModel {
    let now = state.now();
    let mut row = petition::ActiveModel {
        external_id: Set(document.external_id),
        region_id: Set(tracking.region_id),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        failures: Set(0),
        lease_until: Set(None),
        lease_token: Set(None),
        count_etag: Set(None),
        count_last_modified: Set(None),
        ..Default::default()
    };
    apply_document(&mut row, document, validators, now);
    row.next_poll_at = Set(poller::next_regular_poll(
        &state.config,
        document.state,
        document.archived,
        &settled_of(document),
        now,
    ));
    row
}

/// Copies a whole document onto a row.
pub fn apply_document(
    row: &mut petition::ActiveModel,
    document: &Document,
    validators: &Validators,
    now: DateTime<Utc>,
) {
    let counts = &document.counts;
    row.archived = Set(document.archived);
    row.action = Set(document.action.clone());
    row.background = Set(document.background.clone());
    row.additional_details = Set(document.additional_details.clone());
    row.state = Set(document.state);
    row.opened_at = Set(document.opened_at);
    // A closed petition's document has no closing date: the one it had while open is kept, to
    // tell an early close.
    if document.closing_date.is_some() || matches!(row.closing_date, ActiveValue::NotSet) {
        row.closing_date = Set(document.closing_date);
    }
    row.closed_at = Set(document.closed_at);
    row.response_threshold = Set(document.response_threshold);
    row.debate_threshold = Set(document.debate_threshold);
    row.responded_on = Set(document.responded_on);
    row.response_summary = Set(document.response_summary.clone());
    row.response_details = Set(document.response_details.clone());
    row.debated_on = Set(document.debated_on);
    row.debate_overview = Set(document.debate_overview.clone());
    row.transcript_url = Set(document.transcript_url.clone());
    row.video_url = Set(document.video_url.clone());
    row.parliament_period = Set(document.parliament_period.clone());
    row.dissolution_at = Set(document.dissolution_at);
    row.by_country = Set(breakdown_json(&document.by_country));
    row.by_region = Set(breakdown_json(&document.by_region));
    row.by_constituency = Set(breakdown_json(&document.by_constituency));
    row.document_etag = Set(validators.etag.clone());
    row.document_last_modified = Set(validators.last_modified.clone());
    row.full_fetched_at = Set(Some(now));
    apply_counts(row, counts);
}

/// Copies the part `count.json` gives onto a row.
pub fn apply_counts(row: &mut petition::ActiveModel, counts: &document::Counts) {
    row.signature_count = Set(counts.signature_count);
    row.response_threshold_reached_at = Set(counts.response_threshold_reached_at);
    row.debate_threshold_reached_at = Set(counts.debate_threshold_reached_at);
    row.government_response_at = Set(counts.government_response_at);
    row.scheduled_debate_date = Set(counts.scheduled_debate_date);
    row.debate_outcome_at = Set(counts.debate_outcome_at);
    row.debated = Set(counts.debated);
}

impl document::Counts {
    /// The counts a row holds.
    pub fn of(row: &petition::Model) -> Self {
        Self {
            signature_count: row.signature_count,
            response_threshold_reached_at: row.response_threshold_reached_at,
            government_response_at: row.government_response_at,
            debate_threshold_reached_at: row.debate_threshold_reached_at,
            scheduled_debate_date: row.scheduled_debate_date,
            debate_outcome_at: row.debate_outcome_at,
            debated: row.debated,
        }
    }
}

/// Whether a closed petition still has a government response or a debate to come.
#[derive(Debug, Clone, Copy)]
pub struct Settled {
    pub response: bool,
    pub debate: bool,
    /// Closed before its closing date: Parliament was dissolved, and the petition will move to
    /// the archive, whose copy says when Parliament was dissolved.
    pub awaiting_archive: bool,
}

impl Settled {
    pub fn of(row: &petition::Model) -> Self {
        Self {
            response: row.responded_on.is_some()
                || row.government_response_at.is_some()
                || row.signature_count < row.response_threshold,
            debate: row.debated
                || row.debate_outcome_at.is_some()
                || row.signature_count < row.debate_threshold,
            awaiting_archive: !row.archived
                && row.state == PetitionState::Closed
                && row
                    .closed_at
                    .zip(row.closing_date)
                    .is_some_and(|(closed, closing)| closed.date_naive() < closing),
        }
    }

    pub fn all(&self) -> bool {
        self.response && self.debate && !self.awaiting_archive
    }
}

fn settled_of(document: &Document) -> Settled {
    let counts = &document.counts;
    Settled {
        response: document.responded_on.is_some()
            || counts.government_response_at.is_some()
            || counts.signature_count < document.response_threshold,
        debate: counts.debated
            || counts.debate_outcome_at.is_some()
            || counts.signature_count < document.debate_threshold,
        awaiting_archive: false,
    }
}

pub fn breakdown_json(rows: &[Tally]) -> String {
    serde_json::to_string(rows).unwrap_or_else(|_| "[]".to_owned())
}

/// A breakdown as stored; a row that cannot be read counts as empty.
pub fn breakdown(json: &str) -> Vec<Tally> {
    serde_json::from_str(json).unwrap_or_default()
}

pub async fn find_external(
    conn: &impl ConnectionTrait,
    external_id: i64,
) -> ApiResult<Option<petition::Model>> {
    Ok(petition::Entity::find()
        .filter(petition::Column::ExternalId.eq(external_id))
        .one(conn)
        .await?)
}

pub async fn find(conn: &impl ConnectionTrait, id: i64) -> ApiResult<petition::Model> {
    petition::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound("petition"))
}

async fn follow_more(
    state: &AppState,
    actor: &Actor,
    existing: petition::Model,
    tracking: &Tracking,
) -> ApiResult<petition::Model> {
    if !can_manage(actor, existing.region_id) {
        return Err(ApiError::Forbidden(
            "this petition is followed by another region's staff",
        ));
    }
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    add_links(&txn, existing.id, tracking).await?;
    milestones::record_passed(&txn, &existing, &tracking.watched, now).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("petition.track_again", "petition", existing.id),
    )
    .await?;
    txn.commit().await?;
    Ok(existing)
}

/// Refuses links that would take a petition past [`MAX_CAMPAIGN_LINKS`] campaigns (the drafts
/// its milestones write link to all of them).
async fn check_link_room(
    conn: &impl ConnectionTrait,
    petition_id: i64,
    adding: &BTreeSet<i64>,
) -> ApiResult<()> {
    let linked: Vec<i64> = petition_campaign::Entity::find()
        .select_only()
        .column(petition_campaign::Column::CampaignId)
        .filter(petition_campaign::Column::PetitionId.eq(petition_id))
        .into_tuple()
        .all(conn)
        .await?;
    let total = linked.iter().chain(adding).collect::<BTreeSet<_>>().len();
    if total > MAX_CAMPAIGN_LINKS {
        return Err(ApiError::bad_input(
            "campaignIds",
            format!("a petition serves at most {MAX_CAMPAIGN_LINKS} campaigns"),
        ));
    }
    Ok(())
}

async fn add_links(
    conn: &impl ConnectionTrait,
    petition_id: i64,
    tracking: &Tracking,
) -> ApiResult<()> {
    check_link_room(conn, petition_id, &tracking.campaign_ids).await?;
    let campaigns =
        tracking
            .campaign_ids
            .iter()
            .map(|campaign_id| petition_campaign::ActiveModel {
                petition_id: Set(petition_id),
                campaign_id: Set(*campaign_id),
            });
    petition_campaign::Entity::insert_many(campaigns)
        .on_conflict_do_nothing()
        .exec_without_returning(conn)
        .await?;
    let watches = tracking
        .watched
        .iter()
        .map(|count| petition_watch::ActiveModel {
            petition_id: Set(petition_id),
            count: Set(*count),
        });
    petition_watch::Entity::insert_many(watches)
        .on_conflict_do_nothing()
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

async fn record_count(
    conn: &impl ConnectionTrait,
    petition_id: i64,
    at: DateTime<Utc>,
    count: i64,
) -> ApiResult<()> {
    record_counts(conn, &[(petition_id, at, count)]).await
}

/// Adds points to the count history, all in one statement.
pub async fn record_counts(
    conn: &impl ConnectionTrait,
    points: &[(i64, DateTime<Utc>, i64)],
) -> ApiResult<()> {
    let rows = points
        .iter()
        .map(|(petition_id, at, count)| petition_count::ActiveModel {
            petition_id: Set(*petition_id),
            at: Set(*at),
            signature_count: Set(*count),
        });
    petition_count::Entity::insert_many(rows)
        .on_conflict_do_nothing()
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Keeps each petition's constituency figures for the day (the day's last reading wins), all in
/// one statement.
pub async fn record_constituencies(
    conn: &impl ConnectionTrait,
    readings: &[(i64, DateTime<Utc>, &Vec<Tally>)],
) -> ApiResult<()> {
    let rows = readings
        .iter()
        .filter(|(_, _, tallies)| !tallies.is_empty())
        .map(
            |(petition_id, at, tallies)| petition_constituency_day::ActiveModel {
                petition_id: Set(*petition_id),
                day: Set(at.date_naive()),
                counts: Set(breakdown_json(tallies)),
            },
        );
    petition_constituency_day::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                petition_constituency_day::Column::PetitionId,
                petition_constituency_day::Column::Day,
            ])
            .update_column(petition_constituency_day::Column::Counts)
            .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    Ok(())
}

/// Stops following a petition: it leaves every list, with its history.
pub async fn untrack(state: &AppState, actor: &Actor, id: i64) -> ApiResult<()> {
    let petition = find(&state.db, id).await?;
    if !can_manage(actor, petition.region_id) {
        return Err(ApiError::Forbidden(
            "staff stop following their own region's and national petitions",
        ));
    }
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    petition::Entity::delete_by_id(id).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("petition.untrack", "petition", id)
            .with_detail(json!({ "externalId": petition.external_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// Links a petition to a campaign (or unlinks it).
pub async fn link_campaign(
    state: &AppState,
    actor: &Actor,
    id: i64,
    campaign_id: i64,
    linked: bool,
) -> ApiResult<()> {
    let petition = find(&state.db, id).await?;
    if !can_manage(actor, petition.region_id) {
        return Err(ApiError::Forbidden(
            "staff link their own region's and national petitions",
        ));
    }
    crate::campaigns::check_campaigns(&state.db, "campaignId", &BTreeSet::from([campaign_id]))
        .await?;
    let txn = db::begin_write(&state.db).await?;
    if linked {
        check_link_room(&txn, id, &BTreeSet::from([campaign_id])).await?;
        petition_campaign::Entity::insert(petition_campaign::ActiveModel {
            petition_id: Set(id),
            campaign_id: Set(campaign_id),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&txn)
        .await?;
    } else {
        petition_campaign::Entity::delete_many()
            .filter(petition_campaign::Column::PetitionId.eq(id))
            .filter(petition_campaign::Column::CampaignId.eq(campaign_id))
            .exec(&txn)
            .await?;
    }
    let action = if linked {
        "petition.link_campaign"
    } else {
        "petition.unlink_campaign"
    };
    audit::record(
        &txn,
        actor.user_id,
        state.now(),
        Change::new(action, "petition", id).with_detail(json!({ "campaignId": campaign_id })),
    )
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A partner member says their organisation promotes a petition (or no longer does).
pub async fn promote(state: &AppState, actor: &Actor, id: i64, promoting: bool) -> ApiResult<()> {
    let partner_id = promoter(actor)?;
    let petition = find(&state.db, id).await?;
    if promoting && petition.state == PetitionState::Removed {
        return Err(ApiError::Conflict(
            "the petition was removed from the petitions site".to_owned(),
        ));
    }
    if promoting {
        petition_promoter::Entity::insert(petition_promoter::ActiveModel {
            petition_id: Set(id),
            partner_id: Set(partner_id),
            promoted_by: Set(actor.user_id),
            promoted_at: Set(state.now()),
        })
        .on_conflict_do_nothing()
        .exec_without_returning(&state.db)
        .await?;
    } else {
        petition_promoter::Entity::delete_many()
            .filter(petition_promoter::Column::PetitionId.eq(id))
            .filter(petition_promoter::Column::PartnerId.eq(partner_id))
            .exec(&state.db)
            .await?;
    }
    Ok(())
}

/// Petitions each partner in `ids` started promoting over `period`: its engagement column.
pub async fn engagement(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    period: crate::engagement::Period,
) -> ApiResult<std::collections::HashMap<i64, crate::engagement::Tally>> {
    let promoted = petition_promoter::Entity::find()
        .filter(petition_promoter::Column::PartnerId.is_in(ids.iter().copied()));
    crate::engagement::tally(
        conn,
        period.apply(promoted, petition_promoter::Column::PromotedAt),
        petition_promoter::Column::PartnerId,
        petition_promoter::Column::PromotedAt,
    )
    .await
}
