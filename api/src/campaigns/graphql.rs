use std::collections::BTreeSet;

use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject, dataloader::DataLoader,
};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{advocacy_goal, campaign, campaign_goal, campaign_region, enums};
use sea_orm::{DatabaseConnection, QuerySelect};

use super::{
    CampaignAccess, CampaignChanges, Criterion, ListFilter, MAX_BODY_LEN, MAX_GOALS, MAX_NOTE_LEN,
    MAX_SUMMARY_LEN, MAX_TITLE_LEN, NewCampaign, Prioritisation,
};
use crate::{
    auth::{Viewer, visible::Visible},
    evidence::graphql::{EvidenceReport, Interval},
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{ById, Links, batching},
        pagination::{Page, PageArgs, Total, connection_cost, newest_first, page, rows_and_total},
    },
    input,
    joint_actions::graphql::JointAction,
    positions::graphql::Position,
    regions::graphql::{Region, region_by_id},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::CampaignStatus")]
pub enum CampaignStatus {
    /// Being prepared; staff only.
    Draft,
    Active,
    Paused,
    Won,
    Closed,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum CampaignScope {
    National,
    /// Covers the regions listed in `regions`.
    Regional,
}

/// One of the eight long-term goals agreed at the 2014 Sanctuary Summit.
pub struct AdvocacyGoal(pub advocacy_goal::Model);

#[Object]
impl AdvocacyGoal {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn slug(&self) -> &str {
        &self.0.slug
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn description(&self) -> &str {
        &self.0.description
    }
}

/// A criterion of the prioritisation.
#[derive(SimpleObject)]
pub struct CriterionScore {
    /// 1 (low) to 5 (high); null until scored.
    score: Option<i32>,
    note: Option<String>,
}

/// How staff weigh a campaign: impact on people seeking asylum and refugees, relevance to
/// partners, the opportunity for change, and the value the charity adds.
#[derive(SimpleObject)]
pub struct CampaignPrioritisation {
    impact: CriterionScore,
    relevance: CriterionScore,
    opportunity: CriterionScore,
    added_value: CriterionScore,
    /// Kept ready for a future opening rather than expected to win soon.
    long_shot: bool,
    /// The sum of the scores given (0 to 20).
    total: i32,
}

impl From<&campaign::Model> for CampaignPrioritisation {
    fn from(row: &campaign::Model) -> Self {
        let criterion = |score: Option<i16>, note: &Option<String>| CriterionScore {
            score: score.map(i32::from),
            note: note.clone(),
        };
        let total = [
            row.impact_score,
            row.relevance_score,
            row.opportunity_score,
            row.added_value_score,
        ]
        .into_iter()
        .flatten()
        .map(i32::from)
        .sum();
        Self {
            impact: criterion(row.impact_score, &row.impact_note),
            relevance: criterion(row.relevance_score, &row.relevance_note),
            opportunity: criterion(row.opportunity_score, &row.opportunity_note),
            added_value: criterion(row.added_value_score, &row.added_value_note),
            long_shot: row.long_shot,
            total,
        }
    }
}

/// A campaign, as the viewer may see it.
pub struct Campaign {
    seen: Visible<CampaignAccess>,
    /// Its goals' ids, when they were read with it.
    goal_ids: Option<Vec<i64>>,
}

impl Campaign {
    /// The campaign as `viewer` may see it; `None` when it is hidden from them.
    pub fn shown(viewer: &Viewer, row: campaign::Model) -> Option<Self> {
        let seen = Visible::check(viewer, row, &())?;
        Some(Self {
            seen,
            goal_ids: None,
        })
    }

    pub fn row(&self) -> &campaign::Model {
        self.seen.row()
    }
}

/// The campaigns slice's batching loaders.
pub struct CampaignLoaders {
    pub campaigns: DataLoader<ById<campaign::Entity>>,
    pub goal_ids: DataLoader<Links<campaign_goal::Entity>>,
    pub region_ids: DataLoader<Links<campaign_region::Entity>>,
}

impl CampaignLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            campaigns: batching(ById::new(db.clone())),
            goal_ids: batching(Links::new(
                db,
                campaign_goal::Column::CampaignId,
                campaign_goal::Column::GoalId,
            )),
            region_ids: batching(Links::new(
                db,
                campaign_region::Column::CampaignId,
                campaign_region::Column::RegionId,
            )),
        }
    }
}

#[Object]
impl Campaign {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn title(&self) -> &str {
        &self.row().title
    }

    async fn summary(&self) -> &str {
        &self.row().summary
    }

    async fn body(&self) -> &str {
        &self.row().body
    }

    async fn status(&self) -> CampaignStatus {
        self.row().status.into()
    }

    async fn scope(&self, ctx: &Context<'_>) -> ApiResult<CampaignScope> {
        let regions = self.region_ids(ctx).await?;
        Ok(if regions.is_empty() {
            CampaignScope::National
        } else {
            CampaignScope::Regional
        })
    }

    /// The regions a regional campaign covers; empty for a national one.
    async fn regions(&self, ctx: &Context<'_>) -> ApiResult<Vec<Region>> {
        let ids = self.region_ids(ctx).await?;
        Ok(ids
            .iter()
            .filter_map(|id| region_by_id(ctx, Some(*id)))
            .collect())
    }

    /// The region whose staff run the campaign; null when the national team does.
    async fn lead_region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.row().lead_region_id)
    }

    /// The long-term goals the campaign works towards.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn goals(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<AdvocacyGoal>> {
        let args = PageArgs::<i64>::parse(first, after)?;
        let ids = match &self.goal_ids {
            Some(ids) => ids.clone(),
            None => ctx
                .loader::<CampaignLoaders>()
                .goal_ids
                .load_one(self.row().id)
                .await?
                .unwrap_or_default(),
        };
        let mut goals: Vec<advocacy_goal::Model> = ctx
            .state()
            .goals
            .iter()
            .filter(|goal| ids.contains(&goal.id))
            .cloned()
            .collect();
        goals.sort_by_key(|goal| goal.id);
        let total = Total::known(goals.len() as u64);
        let rows = goals
            .into_iter()
            .filter(|goal| args.after.is_none_or(|after| goal.id > after))
            .take(args.limit() as usize)
            .collect();
        Ok(page(rows, &args, total, |goal| goal.id, AdvocacyGoal))
    }

    /// Staff only: how the campaign was weighed. Null for everyone else.
    async fn prioritisation(&self) -> Option<CampaignPrioritisation> {
        self.seen
            .grant()
            .prioritisation
            .then(|| CampaignPrioritisation::from(self.row()))
    }

    /// The joint actions partners are invited to opt into, oldest first.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn joint_actions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<JointAction>> {
        crate::joint_actions::graphql::actions_of(ctx, self.row(), first, after).await
    }

    /// The campaign's positions the viewer may see, oldest first.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn positions(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<Position>> {
        crate::positions::graphql::positions_of(ctx, self.row(), first, after).await
    }

    /// The evidence partners and staff recorded for the campaign's goals in its regions (all
    /// regions for a national campaign), to weigh its impact: for people signed in, with
    /// figures drawn from fewer than three organisations withheld (except for admins). It is
    /// an aggregate query, so it costs as much as a hundred plain fields.
    #[graphql(complexity = 100)]
    async fn evidence(
        &self,
        ctx: &Context<'_>,
        from: NaiveDate,
        to: NaiveDate,
        #[graphql(default_with = "Interval::Quarter")] every: Interval,
    ) -> ApiResult<Option<EvidenceReport>> {
        crate::evidence::graphql::campaign_evidence(ctx, self.row().id, (from, to, every)).await
    }

    /// Whether the viewer runs this campaign (may edit it, its actions and positions).
    async fn viewer_can_manage(&self, ctx: &Context<'_>) -> bool {
        ctx.viewer()
            .signed_in()
            .is_some_and(|actor| super::can_manage_campaign(actor, self.row()))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row().created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.row().updated_at
    }
}

impl Campaign {
    async fn region_ids(&self, ctx: &Context<'_>) -> ApiResult<Vec<i64>> {
        Ok(ctx
            .loader::<CampaignLoaders>()
            .region_ids
            .load_one(self.row().id)
            .await?
            .unwrap_or_default())
    }
}

/// The goals with these ids, in their agreed order (the goals are public).
pub fn goals_by_id(ctx: &Context<'_>, ids: &[i64]) -> Vec<AdvocacyGoal> {
    ctx.state()
        .goals
        .iter()
        .filter(|goal| ids.contains(&goal.id))
        .cloned()
        .map(AdvocacyGoal)
        .collect()
}

/// A campaign for a resolver that holds only its id, if the viewer may see it.
pub async fn campaign_by_id(ctx: &Context<'_>, id: i64) -> ApiResult<Option<Campaign>> {
    Ok(load_one(&ctx.loader::<CampaignLoaders>().campaigns, id)
        .await?
        .and_then(|row| Campaign::shown(ctx.viewer(), row)))
}

/// The campaigns with these ids that the viewer may see, in the order given, in one batch.
pub async fn campaigns_by_id(ctx: &Context<'_>, ids: &[i64]) -> ApiResult<Vec<Campaign>> {
    let found = ctx
        .loader::<CampaignLoaders>()
        .campaigns
        .load_many(ids.iter().copied())
        .await?;
    let viewer = ctx.viewer();
    Ok(ids
        .iter()
        .filter_map(|id| found.get(id).cloned())
        .filter_map(|campaign| Campaign::shown(viewer, campaign))
        .collect())
}

/// A campaign the viewer has just created or changed.
fn written(ctx: &Context<'_>, row: campaign::Model) -> ApiResult<Campaign> {
    Campaign::shown(ctx.viewer(), row).ok_or(ApiError::NotFound("campaign"))
}

#[derive(InputObject, Default)]
pub struct CampaignFilter {
    pub status: Option<CampaignStatus>,
    /// Campaigns led by, or covering, this region.
    pub region_id: Option<ID>,
    pub goal_id: Option<ID>,
    /// Words to find in the title or summary (at most 100 characters).
    pub search: Option<String>,
}

impl CampaignFilter {
    fn parse(self) -> ApiResult<ListFilter> {
        Ok(ListFilter {
            status: self.status.map(Into::into),
            region_id: input::optional_id("filter.regionId", self.region_id.as_ref())?,
            goal_id: input::optional_id("filter.goalId", self.goal_id.as_ref())?,
            search: input::optional_text("filter.search", self.search.as_deref(), 100)?,
        })
    }
}

#[derive(InputObject)]
pub struct CriterionInput {
    /// 1 (low) to 5 (high).
    pub score: i32,
    pub note: Option<String>,
}

#[derive(InputObject)]
pub struct PrioritisationInput {
    pub impact: Option<CriterionInput>,
    pub relevance: Option<CriterionInput>,
    pub opportunity: Option<CriterionInput>,
    pub added_value: Option<CriterionInput>,
    #[graphql(default)]
    pub long_shot: bool,
}

impl PrioritisationInput {
    fn parse(self) -> ApiResult<Prioritisation> {
        let criterion = |field: &str, given: Option<CriterionInput>| -> ApiResult<Criterion> {
            let Some(given) = given else {
                return Ok(Criterion::default());
            };
            let score = i16::try_from(given.score)
                .ok()
                .filter(|score| (1..=5).contains(score))
                .ok_or_else(|| {
                    ApiError::bad_input(
                        format!("prioritisation.{field}.score"),
                        "must be from 1 to 5",
                    )
                })?;
            Ok(Criterion {
                score: Some(score),
                note: input::optional_text(
                    &format!("prioritisation.{field}.note"),
                    given.note.as_deref(),
                    MAX_NOTE_LEN,
                )?,
            })
        };
        Ok(Prioritisation {
            impact: criterion("impact", self.impact)?,
            relevance: criterion("relevance", self.relevance)?,
            opportunity: criterion("opportunity", self.opportunity)?,
            added_value: criterion("addedValue", self.added_value)?,
            long_shot: self.long_shot,
        })
    }
}

fn id_set(field: &str, ids: &[ID]) -> ApiResult<BTreeSet<i64>> {
    ids.iter().map(|id| input::id(field, id)).collect()
}

fn goal_set(ids: &[ID]) -> ApiResult<BTreeSet<i64>> {
    let goals = id_set("goalIds", ids)?;
    if goals.is_empty() || goals.len() > MAX_GOALS {
        return Err(ApiError::bad_input(
            "goalIds",
            format!("name between 1 and {MAX_GOALS} goals"),
        ));
    }
    Ok(goals)
}

#[derive(InputObject)]
pub struct CreateCampaignInput {
    pub title: String,
    pub summary: String,
    #[graphql(default)]
    pub body: String,
    /// At least one of the eight goals.
    pub goal_ids: Vec<ID>,
    /// The regions a regional campaign covers; none for a national campaign.
    #[graphql(default)]
    pub region_ids: Vec<ID>,
    /// Defaults to the staff member's own region; admins may leave it out for the national team.
    pub lead_region_id: Option<ID>,
    pub prioritisation: Option<PrioritisationInput>,
}

impl CreateCampaignInput {
    fn parse(self) -> ApiResult<NewCampaign> {
        Ok(NewCampaign {
            title: input::single_line("title", &self.title, MAX_TITLE_LEN)?,
            summary: input::required_text("summary", &self.summary, MAX_SUMMARY_LEN)?,
            body: input::optional_text("body", Some(&self.body), MAX_BODY_LEN)?.unwrap_or_default(),
            goal_ids: goal_set(&self.goal_ids)?,
            region_ids: id_set("regionIds", &self.region_ids)?,
            lead_region_id: input::optional_id("leadRegionId", self.lead_region_id.as_ref())?,
            prioritisation: self
                .prioritisation
                .map(PrioritisationInput::parse)
                .transpose()?
                .unwrap_or_default(),
        })
    }
}

/// Fields left out are not changed. `prioritisation` replaces the whole assessment.
#[derive(InputObject)]
pub struct UpdateCampaignInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub goal_ids: Option<Vec<ID>>,
    pub region_ids: Option<Vec<ID>>,
    pub lead_region_id: MaybeUndefined<ID>,
    pub prioritisation: Option<PrioritisationInput>,
}

impl UpdateCampaignInput {
    fn parse(self) -> ApiResult<CampaignChanges> {
        Ok(CampaignChanges {
            title: self
                .title
                .map(|title| input::single_line("title", &title, MAX_TITLE_LEN))
                .transpose()?,
            summary: self
                .summary
                .map(|summary| input::required_text("summary", &summary, MAX_SUMMARY_LEN))
                .transpose()?,
            body: self
                .body
                .map(|body| {
                    input::optional_text("body", Some(&body), MAX_BODY_LEN)
                        .map(Option::unwrap_or_default)
                })
                .transpose()?,
            goal_ids: self.goal_ids.as_deref().map(goal_set).transpose()?,
            region_ids: self
                .region_ids
                .as_deref()
                .map(|ids| id_set("regionIds", ids))
                .transpose()?,
            lead_region_id: match self.lead_region_id {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => Some(Some(input::id("leadRegionId", &id)?)),
            },
            prioritisation: self
                .prioritisation
                .map(PrioritisationInput::parse)
                .transpose()?,
        })
    }
}

#[derive(Default)]
pub struct CampaignQuery;

#[Object]
impl CampaignQuery {
    /// The eight long-term goals, in order.
    async fn advocacy_goals(&self, ctx: &Context<'_>) -> Vec<AdvocacyGoal> {
        ctx.state()
            .goals
            .iter()
            .cloned()
            .map(AdvocacyGoal)
            .collect()
    }

    /// One campaign. Drafts are NOT_FOUND for anyone but staff and admins.
    async fn campaign(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Campaign> {
        let id = input::id("id", &id)?;
        let (row, goal_ids) = super::with_goal_ids(&ctx.state().db, id)
            .await?
            .ok_or(ApiError::NotFound("campaign"))?;
        let campaign = Campaign::shown(ctx.viewer(), row).ok_or(ApiError::NotFound("campaign"))?;
        Ok(Campaign {
            goal_ids: Some(goal_ids),
            ..campaign
        })
    }

    /// Campaigns, newest first. The public sees all but drafts.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn campaigns(
        &self,
        ctx: &Context<'_>,
        filter: Option<CampaignFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<Campaign>> {
        let args = PageArgs::<i64>::parse(first, after)?;
        let filter = filter.unwrap_or_default().parse()?;
        let db = &ctx.state().db;
        let query = super::visible(ctx.viewer(), &filter);
        let paged =
            newest_first(query.clone(), campaign::Column::Id, args.after).limit(args.limit());
        let (rows, total) = rows_and_total(ctx, db, (query, paged), args.after.is_none()).await?;
        let viewer = ctx.viewer();
        let shown = rows
            .into_iter()
            .filter_map(|row| Campaign::shown(viewer, row))
            .collect();
        Ok(page(
            shown,
            &args,
            total,
            |campaign: &Campaign| campaign.row().id,
            |campaign| campaign,
        ))
    }
}

#[derive(Default)]
pub struct CampaignMutation;

#[Object]
impl CampaignMutation {
    /// Starts a campaign as a DRAFT. Staff lead campaigns for their own region.
    async fn create_campaign(
        &self,
        ctx: &Context<'_>,
        input: CreateCampaignInput,
    ) -> ApiResult<Campaign> {
        let actor = ctx.actor()?;
        let new = input.parse()?;
        let state = ctx.state();
        written(
            ctx,
            super::create(&state.db, actor, state.now(), new).await?,
        )
    }

    async fn update_campaign(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateCampaignInput,
    ) -> ApiResult<Campaign> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let changes = input.parse()?;
        let state = ctx.state();
        written(
            ctx,
            super::update(&state.db, actor, state.now(), id, changes).await?,
        )
    }

    /// Moves a campaign: DRAFT → ACTIVE ⇄ PAUSED, and ACTIVE or PAUSED → WON or CLOSED.
    async fn set_campaign_status(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: CampaignStatus,
    ) -> ApiResult<Campaign> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let state = ctx.state();
        written(
            ctx,
            super::set_status(&state.db, actor, state.now(), id, status.into()).await?,
        )
    }
}
