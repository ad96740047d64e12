use std::collections::BTreeSet;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, dataloader::DataLoader};
use chrono::{DateTime, NaiveDate, Utc};
use entities::{
    enums, observation, observation_goal, observation_revision, policy_update_evidence,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, Order, QueryFilter,
    QuerySelect, sea_query::OnConflict,
};

use super::{
    MAX_SUMMARY_LEN, MIN_PEOPLE, NewObservation, ObservationAccess, detectors,
    report::{self, ReportFilter},
};
use crate::{
    accounts::graphql::{User, user_by_id},
    auth::{Viewer, visible::Visible},
    campaigns::graphql::{AdvocacyGoal, CampaignLoaders, goals_by_id},
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{Children, Links, batching},
        pagination::{Page, PageArgs, Total, connection_cost, newest_first, page},
    },
    input,
    partners::graphql::{Partner, PartnerLoaders, partner_by_id},
    policy_updates::{self, MAX_TOPIC_LEN},
    regions::graphql::{Region, region_by_id},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::Interval")]
pub enum Interval {
    Month,
    Quarter,
}

/// The evidence slice's batching loaders.
pub struct EvidenceLoaders {
    goal_ids: DataLoader<Links<observation_goal::Entity>>,
    revisions: DataLoader<Children<observation_revision::Entity>>,
}

impl EvidenceLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            goal_ids: batching(Links::new(
                db,
                observation_goal::Column::ObservationId,
                observation_goal::Column::GoalId,
            )),
            revisions: batching(Children::new(
                db,
                observation_revision::Column::ObservationId,
                observation_revision::Column::Id,
                Order::Asc,
            )),
        }
    }
}

/// What an organisation saw among the people it works with, over a period.
pub struct Observation(Visible<ObservationAccess>);

impl Observation {
    fn row(&self) -> &observation::Model {
        self.0.row()
    }
}

#[Object]
impl Observation {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    /// The organisation that saw it; null when the charity's own staff did (or when the
    /// organisation is hidden from the viewer).
    async fn organisation(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, self.row().partner_id).await
    }

    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.row().region_id)
    }

    async fn goals(&self, ctx: &Context<'_>) -> ApiResult<Vec<AdvocacyGoal>> {
        let ids = load_one(&ctx.loader::<EvidenceLoaders>().goal_ids, self.row().id)
            .await?
            .unwrap_or_default();
        Ok(goals_by_id(ctx, &ids))
    }

    async fn topic(&self) -> &str {
        &self.row().topic
    }

    async fn period_start(&self) -> NaiveDate {
        self.row().period_start
    }

    async fn period_end(&self) -> NaiveDate {
        self.row().period_end
    }

    /// How many people it concerned (never fewer than three).
    async fn people_affected(&self) -> i32 {
        self.row().people_affected
    }

    async fn summary(&self) -> &str {
        &self.row().summary
    }

    async fn recorded_by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user_by_id(ctx, Some(self.row().created_by)).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row().created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.row().updated_at
    }

    /// How it read before each correction, oldest first.
    async fn revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<ObservationRevision>> {
        let rows = load_one(&ctx.loader::<EvidenceLoaders>().revisions, self.row().id)
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|row| ObservationRevision {
                topic: row.topic,
                period_start: row.period_start,
                period_end: row.period_end,
                people_affected: row.people_affected,
                summary: row.summary,
                replaced_at: row.replaced_at,
            })
            .collect())
    }

    /// Whether the viewer may correct or delete it.
    async fn viewer_can_edit(&self) -> bool {
        self.0.grant().edit
    }
}

/// An observation as it read before a correction.
#[derive(SimpleObject)]
pub struct ObservationRevision {
    pub topic: String,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    pub people_affected: i32,
    pub summary: String,
    pub replaced_at: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct ObservationInput {
    /// The long-term goals it bears on (at least one).
    pub goal_ids: Vec<ID>,
    /// A short tag, such as "asylum support" (normalised like update topics).
    pub topic: String,
    /// Defaults to the organisation's region (staff: their own).
    pub region_id: Option<ID>,
    pub period_start: NaiveDate,
    pub period_end: NaiveDate,
    /// How many people it concerned: at least three (one or two people are a case).
    pub people_affected: i32,
    /// What is happening, in aggregate. Text that looks like it identifies a person (reference
    /// numbers, dates of birth, phone numbers, email addresses, full postcodes) is refused.
    pub summary: String,
}

impl ObservationInput {
    fn parse(self, today: NaiveDate) -> ApiResult<NewObservation> {
        let goal_ids = self
            .goal_ids
            .iter()
            .map(|id| input::id("goalIds", id))
            .collect::<ApiResult<BTreeSet<i64>>>()?;
        if goal_ids.is_empty() || goal_ids.len() > crate::campaigns::MAX_GOALS {
            return Err(ApiError::bad_input("goalIds", "name between 1 and 8 goals"));
        }
        let topic = policy_updates::normalise_topic(&self.topic)
            .filter(|topic| topic.chars().count() <= MAX_TOPIC_LEN)
            .ok_or_else(|| {
                ApiError::bad_input(
                    "topic",
                    format!("needs a letter or digit and at most {MAX_TOPIC_LEN} characters"),
                )
            })?;
        if self.people_affected < MIN_PEOPLE {
            return Err(ApiError::bad_input(
                "peopleAffected",
                format!(
                    "must be at least {MIN_PEOPLE}: one or two people are a case, and cases are \
                     not recorded here"
                ),
            ));
        }
        if self.period_end < self.period_start {
            return Err(ApiError::bad_input(
                "periodEnd",
                "must not be before periodStart",
            ));
        }
        if self.period_start > today {
            return Err(ApiError::bad_input(
                "periodStart",
                "must not be in the future",
            ));
        }
        let summary = input::required_text("summary", &self.summary, MAX_SUMMARY_LEN)?;
        for (field, text) in [("topic", &self.topic), ("summary", &summary)] {
            if let Some(found) = detectors::find_personal(text) {
                return Err(ApiError::bad_input(
                    field,
                    format!(
                        "looks like it holds {}: observations are about what you see in \
                         aggregate, never about one person",
                        found.describe()
                    ),
                ));
            }
        }
        Ok(NewObservation {
            goal_ids,
            topic,
            region_id: input::optional_id("regionId", self.region_id.as_ref())?,
            period_start: self.period_start,
            period_end: self.period_end,
            people_affected: self.people_affected,
            summary,
        })
    }
}

#[derive(InputObject, Default)]
pub struct ObservationFilter {
    pub region_id: Option<ID>,
    pub goal_id: Option<ID>,
    pub topic: Option<String>,
}

#[derive(InputObject)]
pub struct EvidenceFilter {
    pub goal_id: Option<ID>,
    pub region_id: Option<ID>,
    pub topic: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl EvidenceFilter {
    fn parse(self, every: Interval) -> ApiResult<ReportFilter> {
        let (from, to) = report::whole_periods(self.from, self.to, every.into())?;
        Ok(ReportFilter {
            goals: input::optional_id("filter.goalId", self.goal_id.as_ref())?.map(|id| vec![id]),
            regions: input::optional_id("filter.regionId", self.region_id.as_ref())?
                .map(|id| vec![id]),
            topic: self
                .topic
                .as_deref()
                .and_then(policy_updates::normalise_topic),
            from,
            to,
            every: every.into(),
        })
    }
}

/// Observations summed per goal and region, a figure per month or quarter.
pub struct EvidenceReport {
    every: Interval,
    series: Vec<report::Series>,
}

#[Object]
impl EvidenceReport {
    async fn every(&self) -> Interval {
        self.every
    }

    async fn series(&self) -> Vec<EvidenceSeries> {
        self.series.iter().cloned().map(EvidenceSeries).collect()
    }
}

/// One goal in one region (null: observations with no region).
pub struct EvidenceSeries(report::Series);

#[Object]
impl EvidenceSeries {
    async fn goal(&self, ctx: &Context<'_>) -> Option<AdvocacyGoal> {
        goals_by_id(ctx, &[self.0.goal_id]).pop()
    }

    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.0.region_id)
    }

    async fn points(&self) -> Vec<EvidencePoint> {
        self.0
            .points
            .iter()
            .map(|point| EvidencePoint {
                period_start: point.period.clone(),
                suppressed: point.figures.is_none(),
                people_affected: point.figures.map(|f| f.people_affected),
                observations: point.figures.map(|f| f.observations),
                organisations: point.figures.map(|f| f.organisations),
            })
            .collect()
    }
}

/// One month or quarter. A figure drawn from fewer than three organisations is withheld
/// (`suppressed`, and no numbers) from everyone but admins, so nobody is singled out.
#[derive(SimpleObject)]
pub struct EvidencePoint {
    /// The first day of the month or quarter, as `YYYY-MM-DD`.
    pub period_start: String,
    pub suppressed: bool,
    pub people_affected: Option<i64>,
    pub observations: Option<i64>,
    /// How many organisations the figure is drawn from (the charity's own staff count as one).
    pub organisations: Option<i64>,
}

/// A report as `viewer` may see it: in full for admins, with small figures withheld otherwise.
pub async fn evidence_for(
    ctx: &Context<'_>,
    viewer: &Viewer,
    filter: &ReportFilter,
) -> ApiResult<EvidenceReport> {
    let admin = viewer.signed_in().is_some_and(|actor| actor.is_admin());
    let series = report::build(&ctx.state().db, filter, admin).await?;
    Ok(EvidenceReport {
        every: filter.every.into(),
        series,
    })
}

/// A campaign's evidence: observations on its goals, in its regions (all, for a national one).
pub async fn campaign_evidence(
    ctx: &Context<'_>,
    campaign_id: i64,
    (from, to, every): (NaiveDate, NaiveDate, Interval),
) -> ApiResult<Option<EvidenceReport>> {
    if ctx.viewer().signed_in().is_none() {
        return Ok(None);
    }
    let loaders = ctx.loader::<CampaignLoaders>();
    let goals = load_one(&loaders.goal_ids, campaign_id)
        .await?
        .unwrap_or_default();
    let regions = load_one(&loaders.region_ids, campaign_id)
        .await?
        .filter(|regions| !regions.is_empty());
    let (from, to) = report::whole_periods(from, to, every.into())?;
    let filter = ReportFilter {
        goals: Some(goals),
        regions,
        topic: None,
        from,
        to,
        every: every.into(),
    };
    evidence_for(ctx, ctx.viewer(), &filter).await.map(Some)
}

/// The evidence attached to a policy update, with small figures withheld from its readers.
pub async fn update_evidence(
    ctx: &Context<'_>,
    update_id: i64,
) -> ApiResult<Option<EvidenceReport>> {
    let Some(attached) = policy_update_evidence::Entity::find_by_id(update_id)
        .one(&ctx.state().db)
        .await?
    else {
        return Ok(None);
    };
    let filter = ReportFilter {
        goals: attached.goal_id.map(|id| vec![id]),
        regions: attached.region_id.map(|id| vec![id]),
        topic: attached.topic,
        from: attached.from_date,
        to: attached.to_date,
        every: attached.every,
    };
    evidence_for(ctx, ctx.viewer(), &filter).await.map(Some)
}

#[derive(Default)]
pub struct EvidenceQuery;

#[Object]
impl EvidenceQuery {
    /// Observations the viewer may read, newest first: their organisation's (members), their
    /// region's (staff), all (admins).
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn observations(
        &self,
        ctx: &Context<'_>,
        filter: Option<ObservationFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<Observation>> {
        let actor = ctx.actor()?;
        let filter = filter.unwrap_or_default();
        let mut query = super::readable_by(actor);
        if let Some(region_id) = input::optional_id("filter.regionId", filter.region_id.as_ref())? {
            query = query.filter(observation::Column::RegionId.eq(region_id));
        }
        if let Some(goal_id) = input::optional_id("filter.goalId", filter.goal_id.as_ref())? {
            query = query.filter(
                observation::Column::Id.in_subquery(
                    sea_orm::sea_query::Query::select()
                        .column(observation_goal::Column::ObservationId)
                        .from(observation_goal::Entity)
                        .and_where(observation_goal::Column::GoalId.eq(goal_id))
                        .to_owned(),
                ),
            );
        }
        if let Some(topic) = filter
            .topic
            .as_deref()
            .and_then(policy_updates::normalise_topic)
        {
            query = query.filter(observation::Column::Topic.eq(topic));
        }
        let args = PageArgs::<i64>::parse(first, after)?;
        let db = &ctx.state().db;
        let total = Total::of(db, query.clone());
        let rows = newest_first(query, observation::Column::Id, args.after)
            .limit(args.limit())
            .all(db)
            .await?;
        let viewer = ctx.viewer();
        let shown = rows
            .into_iter()
            .filter_map(|row| Visible::check(viewer, row, &()).map(Observation))
            .collect();
        Ok(page(
            shown,
            &args,
            total,
            |observation: &Observation| observation.row().id,
            |observation| observation,
        ))
    }

    /// Observations summed into a series per goal and region, per month or quarter, with how
    /// many organisations each figure is drawn from. Signed-in people only; a figure drawn from
    /// fewer than three organisations is withheld from everyone but admins.
    async fn evidence_report(
        &self,
        ctx: &Context<'_>,
        filter: EvidenceFilter,
        #[graphql(default_with = "Interval::Month")] every: Interval,
    ) -> ApiResult<EvidenceReport> {
        ctx.actor()?;
        let filter = filter.parse(every)?;
        evidence_for(ctx, ctx.viewer(), &filter).await
    }
}

#[derive(Default)]
pub struct EvidenceMutation;

#[Object]
impl EvidenceMutation {
    /// Records what your organisation (or, for staff, the charity) is seeing: a count of people
    /// over a period, never a person.
    async fn record_observation(
        &self,
        ctx: &Context<'_>,
        input: ObservationInput,
    ) -> ApiResult<Observation> {
        let actor = ctx.actor()?;
        let state = ctx.state();
        let new = input.parse(state.now().date_naive())?;
        let partner_region = match actor.acting_for() {
            Some(partner_id) => load_one(&ctx.loader::<PartnerLoaders>().by_id, partner_id)
                .await?
                .and_then(|partner| partner.region_id),
            None => None,
        };
        let created = super::record(state, actor, partner_region, new).await?;
        shown(ctx.viewer(), created)
    }

    /// Corrects an observation; how it read before is kept in `revisions`.
    async fn update_observation(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: ObservationInput,
    ) -> ApiResult<Observation> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let state = ctx.state();
        let corrected = input.parse(state.now().date_naive())?;
        let updated = super::correct(state, actor, id, corrected).await?;
        shown(ctx.viewer(), updated)
    }

    /// Deletes an observation, and its history, for good.
    async fn delete_observation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<bool> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        super::delete(ctx.state(), actor, id).await?;
        Ok(true)
    }

    /// Attaches a trend report to a policy update you may edit: its readers (the public too,
    /// for a public update) see its figures, with small ones withheld.
    async fn attach_evidence(
        &self,
        ctx: &Context<'_>,
        update_id: ID,
        filter: EvidenceFilter,
        #[graphql(default_with = "Interval::Month")] every: Interval,
    ) -> ApiResult<bool> {
        let actor = ctx.actor()?;
        let update_id = input::id("updateId", &update_id)?;
        let report = filter.parse(every)?;
        let state = ctx.state();
        let update = policy_updates::find(&state.db, update_id).await?;
        if !policy_updates::can_manage(actor, &update) {
            return Err(ApiError::Forbidden("you cannot change this update"));
        }
        let single = |ids: Option<Vec<i64>>| ids.and_then(|ids| ids.first().copied());
        let txn = crate::db::begin_write(&state.db).await?;
        policy_update_evidence::Entity::insert(policy_update_evidence::ActiveModel {
            update_id: Set(update_id),
            goal_id: Set(single(report.goals)),
            region_id: Set(single(report.regions)),
            topic: Set(report.topic),
            from_date: Set(report.from),
            to_date: Set(report.to),
            every: Set(report.every),
        })
        .on_conflict(
            OnConflict::column(policy_update_evidence::Column::UpdateId)
                .update_columns([
                    policy_update_evidence::Column::GoalId,
                    policy_update_evidence::Column::RegionId,
                    policy_update_evidence::Column::Topic,
                    policy_update_evidence::Column::FromDate,
                    policy_update_evidence::Column::ToDate,
                    policy_update_evidence::Column::Every,
                ])
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
        crate::audit::record(
            &txn,
            actor.user_id,
            state.now(),
            crate::audit::Change::new("policy_update.attach_evidence", "policy_update", update_id),
        )
        .await?;
        txn.commit().await?;
        Ok(true)
    }
}

fn shown(viewer: &Viewer, row: observation::Model) -> ApiResult<Observation> {
    Visible::check(viewer, row, &())
        .map(Observation)
        .ok_or(ApiError::NotFound("observation"))
}
