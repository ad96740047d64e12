use std::collections::{BTreeSet, HashMap};

use async_graphql::{
    Context, Enum, ID, InputObject, Object, SimpleObject, Subscription,
    dataloader::DataLoader,
    futures_util::{Stream, StreamExt},
};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    enums, petition, petition_campaign, petition_constituency_day, petition_count,
    petition_milestone, petition_promoter, petition_watch,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, EntityTrait, ExprTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select,
    sea_query::{Expr, Func, LikeExpr},
};

use super::{
    MAX_CAMPAIGN_LINKS, MAX_WATCHED_COUNTS, ONS_REGIONS, PetitionAccess, Tracking,
    address::PetitionAddress, breakdown, document::Tally, milestones, poller,
};
use crate::{
    auth::{Viewer, visible::Visible},
    campaigns::graphql::{Campaign, campaign_by_id, campaigns_by_id},
    events::Event,
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{ById, Children, Keyed, Links, batching},
        pagination::{Page, PageArgs, Total, connection_cost, newest_first, page},
    },
    input,
    partners::graphql::{Partner, partner_by_id},
    regions::graphql::{Region, region_by_id},
    state::AppState,
};

/// History points one request may read.
pub const MAX_HISTORY_POINTS: usize = 5_000;
/// Rows read to bucket a long history by hour or day.
const MAX_HISTORY_ROWS: u64 = 100_000;
pub const MAX_TOP_CONSTITUENCIES: i32 = 650;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::PetitionState")]
pub enum PetitionState {
    Open,
    Closed,
    Rejected,
    /// Taken down by the petitions site; no longer polled.
    Removed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::MilestoneKind")]
pub enum MilestoneKind {
    /// One of the extra counts staff asked to watch.
    WatchedCount,
    /// Enough signatures for a government response (10,000 unless the site says otherwise).
    ResponseThreshold,
    /// Enough signatures to be considered for a debate (100,000 unless the site says otherwise).
    DebateThreshold,
    GovernmentResponse,
    DebateScheduled,
    Debated,
    Closed,
    ClosedEarlyByElection,
    Removed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum HistoryStep {
    /// The last count in each hour.
    Hour,
    /// The last count in each day (UTC).
    Day,
}

impl Keyed for petition::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// The petitions slice's batching loaders.
pub struct PetitionLoaders {
    petitions: DataLoader<ById<petition::Entity>>,
    milestones: DataLoader<Children<petition_milestone::Entity>>,
    campaign_ids: DataLoader<Links<petition_campaign::Entity>>,
    watched: DataLoader<Links<petition_watch::Entity>>,
    promoters: DataLoader<Links<petition_promoter::Entity>>,
    promoted: DataLoader<Links<petition_promoter::Entity>>,
}

impl PetitionLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            petitions: batching(ById::new(db.clone())),
            milestones: batching(Children::new(
                db,
                petition_milestone::Column::PetitionId,
                petition_milestone::Column::ReachedAt,
                Order::Asc,
            )),
            campaign_ids: batching(Links::new(
                db,
                petition_campaign::Column::PetitionId,
                petition_campaign::Column::CampaignId,
            )),
            watched: batching(Links::new(
                db,
                petition_watch::Column::PetitionId,
                petition_watch::Column::Count,
            )),
            promoters: batching(Links::new(
                db,
                petition_promoter::Column::PetitionId,
                petition_promoter::Column::PartnerId,
            )),
            promoted: batching(Links::new(
                db,
                petition_promoter::Column::PartnerId,
                petition_promoter::Column::PetitionId,
            )),
        }
    }
}

/// A tracked petition, as its access rule lets the viewer see it.
pub struct Petition(Visible<PetitionAccess>);

impl Petition {
    fn shown(viewer: &Viewer, row: petition::Model) -> Option<Self> {
        Visible::check(viewer, row, &()).map(Self)
    }

    fn row(&self) -> &petition::Model {
        self.0.row()
    }

    fn address(&self) -> PetitionAddress {
        PetitionAddress {
            external_id: self.row().external_id,
            archived: self.row().archived,
        }
    }
}

#[Object]
impl Petition {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    /// The petitions site's number for it.
    async fn external_id(&self) -> ID {
        ID(self.row().external_id.to_string())
    }

    /// Where people read and sign it.
    async fn url(&self, ctx: &Context<'_>) -> String {
        self.address()
            .page_url(&ctx.state().config.petitions_base_url)
    }

    /// What the petition asks for.
    async fn action(&self) -> &str {
        &self.row().action
    }

    async fn background(&self) -> &str {
        &self.row().background
    }

    async fn additional_details(&self) -> Option<&str> {
        self.row().additional_details.as_deref()
    }

    async fn state(&self) -> PetitionState {
        self.row().state.into()
    }

    async fn signature_count(&self) -> i64 {
        self.row().signature_count
    }

    async fn opened_at(&self) -> Option<DateTime<Utc>> {
        self.row().opened_at
    }

    /// While it is open.
    async fn closing_date(&self) -> Option<NaiveDate> {
        self.row().closing_date
    }

    async fn closed_at(&self) -> Option<DateTime<Utc>> {
        self.row().closed_at
    }

    async fn response_threshold(&self) -> i64 {
        self.row().response_threshold
    }

    async fn debate_threshold(&self) -> i64 {
        self.row().debate_threshold
    }

    async fn government_response(&self) -> Option<GovernmentResponse> {
        let row = self.row();
        let responded = row.responded_on.is_some() || row.response_summary.is_some();
        responded.then(|| GovernmentResponse {
            responded_on: row.responded_on,
            summary: row.response_summary.clone(),
            details: row.response_details.clone(),
        })
    }

    async fn debate(&self) -> Option<Debate> {
        let row = self.row();
        let any = row.scheduled_debate_date.is_some()
            || row.debated
            || row.debated_on.is_some()
            || row.debate_overview.is_some();
        any.then(|| Debate {
            scheduled_for: row.scheduled_debate_date,
            debated_on: row.debated_on,
            overview: row.debate_overview.clone(),
            transcript_url: row.transcript_url.clone(),
            video_url: row.video_url.clone(),
        })
    }

    /// The Parliament it belonged to, for petitions from an earlier one.
    async fn parliament(&self) -> Option<Parliament> {
        let row = self.row();
        row.parliament_period.as_ref().map(|period| Parliament {
            period: period.clone(),
            dissolution_at: row.dissolution_at,
        })
    }

    /// Closed at the very instant Parliament was dissolved for a general election.
    async fn closed_early_by_election(&self) -> bool {
        milestones::closed_early_by_election(self.row())
    }

    /// The region whose staff follow it; null: followed nationally.
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.row().region_id)
    }

    async fn campaigns(&self, ctx: &Context<'_>) -> ApiResult<Vec<Campaign>> {
        let ids = load_one(&ctx.loader::<PetitionLoaders>().campaign_ids, self.row().id)
            .await?
            .unwrap_or_default();
        campaigns_by_id(ctx, &ids).await
    }

    /// Extra signature counts watched beside the two thresholds.
    async fn watched_counts(&self, ctx: &Context<'_>) -> ApiResult<Vec<i64>> {
        Ok(
            load_one(&ctx.loader::<PetitionLoaders>().watched, self.row().id)
                .await?
                .unwrap_or_default(),
        )
    }

    /// What it has reached, each once, oldest first.
    async fn milestones(&self, ctx: &Context<'_>) -> ApiResult<Vec<PetitionMilestone>> {
        Ok(
            load_one(&ctx.loader::<PetitionLoaders>().milestones, self.row().id)
                .await?
                .unwrap_or_default()
                .into_iter()
                .map(PetitionMilestone::from)
                .collect(),
        )
    }

    /// Signatures in each of the charity's six regions (from the site's ONS regions), then one
    /// row (`region: null`) for the rest of the UK and abroad. Empty until the site gives a
    /// breakdown.
    async fn signatures_by_region(&self, ctx: &Context<'_>) -> Vec<RegionSignatures> {
        regional(ctx, self.row())
    }

    /// Constituencies with the most signatures, most first; `on` a past day (UTC) to compare
    /// with the figures kept for that day.
    async fn top_constituencies(
        &self,
        ctx: &Context<'_>,
        #[graphql(default = 10, desc = "At most 650.")] first: i32,
        on: Option<NaiveDate>,
    ) -> ApiResult<Vec<PlaceSignatures>> {
        if !(0..=MAX_TOP_CONSTITUENCIES).contains(&first) {
            return Err(ApiError::bad_input(
                "first",
                format!("must be between 0 and {MAX_TOP_CONSTITUENCIES}"),
            ));
        }
        let mut tallies = match on {
            None => breakdown(&self.row().by_constituency),
            Some(day) => petition_constituency_day::Entity::find_by_id((self.row().id, day))
                .one(&ctx.state().db)
                .await?
                .map(|kept| breakdown(&kept.counts))
                .unwrap_or_default(),
        };
        tallies.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        tallies.truncate(first as usize);
        Ok(tallies.into_iter().map(PlaceSignatures::from).collect())
    }

    /// Signatures by country, most first.
    async fn signatures_by_country(&self) -> Vec<PlaceSignatures> {
        let mut tallies = breakdown(&self.row().by_country);
        tallies.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.name.cmp(&b.name)));
        tallies.into_iter().map(PlaceSignatures::from).collect()
    }

    /// The signature count over time, from the polls (a point is kept only when the count
    /// changed, so it can fall as well as rise): every point, or the last in each hour or day.
    async fn history(
        &self,
        ctx: &Context<'_>,
        from: Option<DateTime<Utc>>,
        to: Option<DateTime<Utc>>,
        every: Option<HistoryStep>,
    ) -> ApiResult<Vec<CountPoint>> {
        history(&ctx.state().db, self.row().id, from, to, every).await
    }

    /// Partner organisations promoting it (those the viewer may see).
    async fn promoted_by(&self, ctx: &Context<'_>) -> ApiResult<Vec<Partner>> {
        let ids = load_one(&ctx.loader::<PetitionLoaders>().promoters, self.row().id)
            .await?
            .unwrap_or_default();
        let partners = futures_util::future::try_join_all(
            ids.into_iter().map(|id| partner_by_id(ctx, Some(id))),
        )
        .await?;
        Ok(partners.into_iter().flatten().collect())
    }

    /// When the poller last asked the site about it.
    async fn last_checked_at(&self) -> Option<DateTime<Utc>> {
        self.row().last_checked_at
    }

    /// What went wrong the last time, if it did (for staff and admins).
    async fn last_error(&self) -> Option<&str> {
        self.0
            .grant()
            .team
            .then_some(self.row().last_error.as_deref())
            .flatten()
    }

    /// When it is next polled; null: no longer polled.
    async fn next_check_at(&self) -> Option<DateTime<Utc>> {
        self.row().next_poll_at
    }
}

#[derive(SimpleObject)]
pub struct GovernmentResponse {
    pub responded_on: Option<NaiveDate>,
    pub summary: Option<String>,
    pub details: Option<String>,
}

#[derive(SimpleObject)]
pub struct Debate {
    pub scheduled_for: Option<NaiveDate>,
    pub debated_on: Option<NaiveDate>,
    pub overview: Option<String>,
    pub transcript_url: Option<String>,
    pub video_url: Option<String>,
}

#[derive(SimpleObject)]
pub struct Parliament {
    /// Such as "2015-2017".
    pub period: String,
    pub dissolution_at: Option<DateTime<Utc>>,
}

#[derive(SimpleObject)]
pub struct PetitionMilestone {
    pub kind: MilestoneKind,
    /// The signature count, for count milestones.
    pub count: Option<i64>,
    /// When the site says it happened, or when a poll first saw it.
    pub reached_at: DateTime<Utc>,
    /// Whether it was pushed live and drafted as an update (false for those already passed
    /// when tracking began).
    pub announced: bool,
}

impl From<petition_milestone::Model> for PetitionMilestone {
    fn from(row: petition_milestone::Model) -> Self {
        Self {
            kind: row.kind.into(),
            count: (row.count > 0).then_some(row.count),
            reached_at: row.reached_at,
            announced: row.announced,
        }
    }
}

#[derive(SimpleObject)]
pub struct RegionSignatures {
    /// Null: the rest of the UK and abroad.
    pub region: Option<Region>,
    pub signature_count: i64,
    /// Its part of the petition's signatures, from 0 to 1.
    pub share: f64,
}

#[derive(SimpleObject)]
pub struct PlaceSignatures {
    /// The site's code (ONS code, or country code).
    pub code: String,
    pub name: String,
    pub signature_count: i64,
}

impl From<Tally> for PlaceSignatures {
    fn from(tally: Tally) -> Self {
        Self {
            code: tally.code,
            name: tally.name,
            signature_count: tally.count,
        }
    }
}

#[derive(SimpleObject)]
pub struct CountPoint {
    pub at: DateTime<Utc>,
    pub signature_count: i64,
}

fn regional(ctx: &Context<'_>, row: &petition::Model) -> Vec<RegionSignatures> {
    let regions = breakdown(&row.by_region);
    if regions.is_empty() {
        return Vec::new();
    }
    let total = Ord::max(row.signature_count, 1) as f64;
    let counted_for = |letter: &str| {
        regions
            .iter()
            .filter(|tally| tally.code == letter)
            .fold(0_i64, |sum, tally| sum.saturating_add(tally.count))
    };
    let mut lines: Vec<RegionSignatures> = ctx
        .state()
        .regions
        .iter()
        .filter_map(|region| {
            let (letter, _) = ONS_REGIONS.iter().find(|(_, slug)| *slug == region.slug)?;
            let count = counted_for(letter);
            Some(RegionSignatures {
                region: region_by_id(ctx, Some(region.id)),
                signature_count: count,
                share: count as f64 / total,
            })
        })
        .collect();
    let in_regions = lines
        .iter()
        .fold(0_i64, |sum, line| sum.saturating_add(line.signature_count));
    let elsewhere = Ord::max(row.signature_count.saturating_sub(in_regions), 0);
    lines.push(RegionSignatures {
        region: None,
        signature_count: elsewhere,
        share: elsewhere as f64 / total,
    });
    lines
}

async fn history(
    db: &DatabaseConnection,
    petition_id: i64,
    from: Option<DateTime<Utc>>,
    to: Option<DateTime<Utc>>,
    every: Option<HistoryStep>,
) -> ApiResult<Vec<CountPoint>> {
    if let (Some(from), Some(to)) = (from, to)
        && to <= from
    {
        return Err(ApiError::bad_input("to", "must be after from"));
    }
    let mut query = petition_count::Entity::find()
        .filter(petition_count::Column::PetitionId.eq(petition_id))
        .order_by_asc(petition_count::Column::At);
    if let Some(from) = from {
        query = query.filter(petition_count::Column::At.gte(from));
    }
    if let Some(to) = to {
        query = query.filter(petition_count::Column::At.lt(to));
    }
    let read = if every.is_some() {
        MAX_HISTORY_ROWS
    } else {
        MAX_HISTORY_POINTS as u64
    };
    let rows = query.limit(read + 1).all(db).await?;
    if rows.len() as u64 > read {
        return Err(ApiError::bad_input(
            "from",
            "the period holds too many points: narrow it, or ask for every: HOUR or DAY",
        ));
    }
    let points = rows.into_iter().map(|row| CountPoint {
        at: row.at,
        signature_count: row.signature_count,
    });
    let Some(step) = every else {
        return Ok(points.collect());
    };
    let bucket = |at: DateTime<Utc>| match step {
        HistoryStep::Hour => at.timestamp().div_euclid(3600),
        HistoryStep::Day => at.timestamp().div_euclid(86_400),
    };
    let mut last_in_bucket: Vec<CountPoint> = Vec::new();
    for point in points {
        match last_in_bucket.last_mut() {
            Some(last) if bucket(last.at) == bucket(point.at) => *last = point,
            _ => last_in_bucket.push(point),
        }
    }
    if last_in_bucket.len() > MAX_HISTORY_POINTS {
        return Err(ApiError::bad_input(
            "from",
            "the period holds too many points: narrow it",
        ));
    }
    Ok(last_in_bucket)
}

#[derive(InputObject)]
pub struct TrackPetitionInput {
    /// The petition's address as found in a browser or an email.
    pub url: String,
    /// The region whose staff follow it; omitted: followed nationally.
    pub region_id: Option<ID>,
    #[graphql(default)]
    pub campaign_ids: Vec<ID>,
    /// Extra signature counts to watch beside the two thresholds (e.g. 1000, 5000, 50000).
    #[graphql(default)]
    pub milestones: Vec<i32>,
}

impl TrackPetitionInput {
    fn parse(self, ctx: &Context<'_>) -> ApiResult<Tracking> {
        let address = PetitionAddress::parse(&self.url, &ctx.state().config.petitions_base_url)?;
        if self.campaign_ids.len() > MAX_CAMPAIGN_LINKS {
            return Err(ApiError::bad_input(
                "input.campaignIds",
                format!("at most {MAX_CAMPAIGN_LINKS}"),
            ));
        }
        let campaign_ids = self
            .campaign_ids
            .iter()
            .map(|id| input::id("input.campaignIds", id))
            .collect::<ApiResult<BTreeSet<i64>>>()?;
        if self.milestones.len() > MAX_WATCHED_COUNTS {
            return Err(ApiError::bad_input(
                "input.milestones",
                format!("at most {MAX_WATCHED_COUNTS} counts"),
            ));
        }
        if self.milestones.iter().any(|count| *count < 1) {
            return Err(ApiError::bad_input(
                "input.milestones",
                "counts must be at least 1",
            ));
        }
        Ok(Tracking {
            address,
            region_id: input::optional_id("input.regionId", self.region_id.as_ref())?,
            campaign_ids,
            watched: self
                .milestones
                .iter()
                .map(|count| i64::from(*count))
                .collect(),
        })
    }
}

#[derive(InputObject, Default)]
pub struct PetitionFilter {
    pub campaign_id: Option<ID>,
    pub state: Option<PetitionState>,
    /// Words to find in what the petition asks for (at most 100 characters).
    pub search: Option<String>,
}

#[derive(Default)]
pub struct PetitionQuery;

#[Object]
impl PetitionQuery {
    /// One tracked petition.
    async fn petition(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Petition> {
        let id = input::id("id", &id)?;
        petition_shown(ctx, id).await
    }

    /// Tracked petitions, most recently tracked first.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn petitions(
        &self,
        ctx: &Context<'_>,
        filter: Option<PetitionFilter>,
        #[graphql(desc = "Page size: 20 when not given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> ApiResult<Page<Petition>> {
        let args = PageArgs::<i64>::parse(first, after)?;
        let filter = filter.unwrap_or_default();
        // Which petitions serve a campaign the viewer may not see is not theirs to learn.
        if let Some(campaign_id) =
            input::optional_id("filter.campaignId", filter.campaign_id.as_ref())?
            && campaign_by_id(ctx, campaign_id).await?.is_none()
        {
            return Err(ApiError::NotFound("campaign"));
        }
        let query = listed(filter)?;
        let db = &ctx.state().db;
        let total = Total::of(db, query.clone());
        let rows = newest_first(query, petition::Column::Id, args.after)
            .limit(args.limit())
            .all(db)
            .await?;
        let viewer = ctx.viewer();
        let shown = rows
            .into_iter()
            .filter_map(|row| Petition::shown(viewer, row))
            .collect();
        Ok(page(shown, &args, total, |p: &Petition| p.row().id, |p| p))
    }
}

fn listed(filter: PetitionFilter) -> ApiResult<Select<petition::Entity>> {
    let mut query = petition::Entity::find();
    if let Some(campaign_id) = input::optional_id("filter.campaignId", filter.campaign_id.as_ref())?
    {
        let linked = sea_orm::sea_query::Query::select()
            .column(petition_campaign::Column::PetitionId)
            .from(petition_campaign::Entity)
            .and_where(petition_campaign::Column::CampaignId.eq(campaign_id))
            .to_owned();
        query = query.filter(petition::Column::Id.in_subquery(linked));
    }
    if let Some(state) = filter.state {
        query = query.filter(petition::Column::State.eq(enums::PetitionState::from(state)));
    }
    if let Some(search) = filter.search {
        let search = input::single_line("filter.search", &search, 100)?;
        let pattern = input::contains_pattern(&search);
        query = query.filter(
            Expr::expr(Func::lower(Expr::col(petition::Column::Action)))
                .like(LikeExpr::new(pattern).escape('\\')),
        );
    }
    Ok(query)
}

async fn petition_shown(ctx: &Context<'_>, id: i64) -> ApiResult<Petition> {
    load_one(&ctx.loader::<PetitionLoaders>().petitions, id)
        .await?
        .and_then(|row| Petition::shown(ctx.viewer(), row))
        .ok_or(ApiError::NotFound("petition"))
}

fn written(ctx: &Context<'_>, row: petition::Model) -> ApiResult<Petition> {
    Petition::shown(ctx.viewer(), row).ok_or(ApiError::NotFound("petition"))
}

#[derive(Default)]
pub struct PetitionMutation;

#[Object]
impl PetitionMutation {
    /// Staff (their region, or national) and admins follow a petition from its address. It is
    /// read at once; tracking one already followed returns it with the new campaigns and counts
    /// added.
    async fn track_petition(
        &self,
        ctx: &Context<'_>,
        input: TrackPetitionInput,
    ) -> ApiResult<Petition> {
        let actor = ctx.actor()?;
        let tracking = input.parse(ctx)?;
        let row = super::track(ctx.state(), actor, tracking).await?;
        written(ctx, row)
    }

    /// Stops following a petition; it leaves every list with its history.
    async fn untrack_petition(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        super::untrack(ctx.state(), actor, id).await?;
        Ok(true)
    }

    /// Polls a petition now.
    async fn refresh_petition(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Petition> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let row = poller::refresh(ctx.state(), actor, id).await?;
        written(ctx, row)
    }

    async fn link_petition_to_campaign(
        &self,
        ctx: &Context<'_>,
        petition_id: ID,
        campaign_id: ID,
    ) -> ApiResult<Petition> {
        self.set_link(ctx, petition_id, campaign_id, true).await
    }

    async fn unlink_petition_from_campaign(
        &self,
        ctx: &Context<'_>,
        petition_id: ID,
        campaign_id: ID,
    ) -> ApiResult<Petition> {
        self.set_link(ctx, petition_id, campaign_id, false).await
    }

    /// A partner member says their organisation is promoting the petition.
    async fn promote_petition(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Petition> {
        self.set_promoting(ctx, id, true).await
    }

    async fn stop_promoting_petition(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Petition> {
        self.set_promoting(ctx, id, false).await
    }
}

impl PetitionMutation {
    async fn set_link(
        &self,
        ctx: &Context<'_>,
        petition_id: ID,
        campaign_id: ID,
        linked: bool,
    ) -> ApiResult<Petition> {
        let actor = ctx.actor()?;
        let petition_id = input::id("petitionId", &petition_id)?;
        let campaign_id = input::id("campaignId", &campaign_id)?;
        super::link_campaign(ctx.state(), actor, petition_id, campaign_id, linked).await?;
        written(ctx, super::find(&ctx.state().db, petition_id).await?)
    }

    async fn set_promoting(
        &self,
        ctx: &Context<'_>,
        id: ID,
        promoting: bool,
    ) -> ApiResult<Petition> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        super::promote(ctx.state(), actor, id, promoting).await?;
        written(ctx, super::find(&ctx.state().db, id).await?)
    }
}

#[derive(InputObject, Default)]
pub struct MilestoneFilter {
    /// Only petitions linked to this campaign.
    pub campaign_id: Option<ID>,
}

/// A milestone a poll has just seen.
#[derive(SimpleObject)]
pub struct MilestoneReached {
    pub petition: Petition,
    pub milestone: PetitionMilestone,
}

#[derive(Default)]
pub struct PetitionSubscription;

#[Subscription]
impl PetitionSubscription {
    /// Each milestone the moment a poll on any instance first sees it (not those already
    /// passed when tracking began).
    async fn petition_milestone_reached(
        &self,
        ctx: &Context<'_>,
        filter: Option<MilestoneFilter>,
    ) -> Result<impl Stream<Item = MilestoneReached> + use<>, ApiError> {
        let filter = filter.unwrap_or_default();
        let campaign_id = input::optional_id("filter.campaignId", filter.campaign_id.as_ref())?;
        if let Some(campaign_id) = campaign_id
            && campaign_by_id(ctx, campaign_id).await?.is_none()
        {
            return Err(ApiError::NotFound("campaign"));
        }
        let (state, viewer) = (ctx.state().clone(), ctx.viewer().clone());
        Ok(state.events.subscribe().filter_map(move |event| {
            let (state, viewer) = (state.clone(), viewer.clone());
            async move {
                let Event::PetitionMilestoneReached {
                    petition_id,
                    milestone_id,
                } = event
                else {
                    return None;
                };
                reached(&state, &viewer, petition_id, milestone_id, campaign_id)
                    .await
                    .ok()
                    .flatten()
            }
        }))
    }
}

async fn reached(
    state: &AppState,
    viewer: &Viewer,
    petition_id: i64,
    milestone_id: i64,
    campaign_id: Option<i64>,
) -> ApiResult<Option<MilestoneReached>> {
    if let Some(campaign_id) = campaign_id {
        let linked = petition_campaign::Entity::find_by_id((petition_id, campaign_id))
            .one(&state.db)
            .await?;
        if linked.is_none() {
            return Ok(None);
        }
    }
    let Some(milestone) = petition_milestone::Entity::find_by_id(milestone_id)
        .one(&state.db)
        .await?
    else {
        return Ok(None);
    };
    let petition = petition::Entity::find_by_id(petition_id)
        .one(&state.db)
        .await?
        .and_then(|row| Petition::shown(viewer, row));
    Ok(petition.map(|petition| MilestoneReached {
        petition,
        milestone: milestone.into(),
    }))
}

/// The petitions a partner organisation promotes, for its page.
pub async fn promoted_by_partner(ctx: &Context<'_>, partner_id: i64) -> ApiResult<Vec<Petition>> {
    let loaders = ctx.loader::<PetitionLoaders>();
    let ids = load_one(&loaders.promoted, partner_id)
        .await?
        .unwrap_or_default();
    let found: HashMap<i64, petition::Model> =
        loaders.petitions.load_many(ids.iter().copied()).await?;
    let viewer = ctx.viewer();
    Ok(ids
        .iter()
        .filter_map(|id| found.get(id).cloned())
        .filter_map(|row| Petition::shown(viewer, row))
        .collect())
}
