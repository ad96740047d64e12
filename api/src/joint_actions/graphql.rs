use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject, Subscription,
    dataloader::{DataLoader, Loader},
    futures_util::{Stream, StreamExt},
};
use chrono::{DateTime, Utc};
use entities::{campaign, enums, joint_action, opt_in, opt_in_event, partner};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, JoinType, QueryFilter,
    QueryOrder, QuerySelect, RelationTrait,
    sea_query::{Asterisk, Expr, ExprTrait},
};

use super::{
    ActionChanges, JointActionAccess, MAX_DESCRIPTION_LEN, MAX_NOTE_LEN, MAX_TITLE_LEN, NewAction,
    OptInAccess, OptInEventAccess, Window,
};
use crate::{
    accounts::graphql::{User, user_by_id},
    auth::{Viewer, visible::Visible},
    campaigns::graphql::{Campaign, CampaignLoaders, campaign_by_id},
    events::Event,
    graphql::{
        children::{Audience, ChildCounts, ChildPages, all_rows, load_page},
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{ById, batching},
        pagination::{Page, PageArgs, Total, connection_cost, page},
    },
    input,
    partners::graphql::{Partner, PartnerLoaders, partner_by_id, shown_page},
    regions::graphql::{Region, region_by_id},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::ActionKind")]
pub enum ActionKind {
    LetterToMp,
    JointStatement,
    Event,
    ConsultationResponse,
    Media,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::OptInChange")]
pub enum OptInChange {
    OptedIn,
    Withdrawn,
}

/// Something partners are invited to do together; each decides for itself whether to join.
pub struct JointAction(Visible<JointActionAccess>);

impl JointAction {
    /// The action as `viewer` may see it, given its campaign.
    pub fn shown(
        viewer: &Viewer,
        row: joint_action::Model,
        campaign: &campaign::Model,
    ) -> Option<Self> {
        Visible::check(viewer, row, campaign).map(Self)
    }

    fn row(&self) -> &joint_action::Model {
        self.0.row()
    }
}

/// The joint actions slice's batching loaders.
pub struct JointActionLoaders {
    actions: DataLoader<ById<joint_action::Entity>>,
    campaign_actions: DataLoader<ChildPages<joint_action::Entity>>,
    campaign_action_counts: DataLoader<ChildCounts<joint_action::Entity>>,
    /// Opt-ins with their partners: a page of opt-ins shows who opted in.
    opt_ins: DataLoader<ChildPages<opt_in::Entity, (opt_in::Model, Option<partner::Model>)>>,
    opt_in_counts: DataLoader<ChildCounts<opt_in::Entity>>,
    opt_ins_by_region: DataLoader<OptInsByRegion>,
    partner_answers: DataLoader<PartnerAnswers>,
    /// Each partner's opt-ins and withdrawals, oldest first.
    partner_history: DataLoader<ChildPages<opt_in_event::Entity>>,
    partner_history_counts: DataLoader<ChildCounts<opt_in_event::Entity>>,
}

impl JointActionLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        // Only partners that are opted in now count, whoever is looking.
        let active = || -> crate::graphql::children::Visibility {
            Arc::new(|_| Condition::all().add(opt_in::Column::Active.eq(true)))
        };
        Self {
            actions: batching(ById::new(db.clone())),
            campaign_actions: batching(ChildPages::new(
                db,
                joint_action::Column::CampaignId,
                joint_action::Column::Id,
                all_rows(),
            )),
            campaign_action_counts: batching(ChildCounts::new(
                db,
                joint_action::Column::CampaignId,
                all_rows(),
            )),
            opt_ins: batching(ChildPages::with_related::<partner::Entity>(
                db,
                opt_in::Column::ActionId,
                opt_in::Column::Id,
                active(),
            )),
            opt_in_counts: batching(ChildCounts::new(db, opt_in::Column::ActionId, active())),
            opt_ins_by_region: batching(OptInsByRegion { db: db.clone() }),
            partner_answers: batching(PartnerAnswers { db: db.clone() }),
            partner_history: batching(ChildPages::new(
                db,
                opt_in_event::Column::PartnerId,
                opt_in_event::Column::Id,
                all_rows(),
            )),
            partner_history_counts: batching(ChildCounts::new(
                db,
                opt_in_event::Column::PartnerId,
                all_rows(),
            )),
        }
    }
}

/// For each joint action, how many partners of each region are opted in (`None`: partners
/// outside the regions).
pub struct OptInsByRegion {
    db: DatabaseConnection,
}

impl Loader<i64> for OptInsByRegion {
    type Value = Vec<(Option<i64>, u64)>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows: Vec<(i64, Option<i64>, i64)> = opt_in::Entity::find()
            .select_only()
            .column(opt_in::Column::ActionId)
            .column(partner::Column::RegionId)
            .column_as(Expr::col(Asterisk).count(), "count")
            .join(JoinType::InnerJoin, opt_in::Relation::Partner.def())
            .filter(opt_in::Column::ActionId.is_in(keys.iter().copied()))
            .filter(opt_in::Column::Active.eq(true))
            .group_by(opt_in::Column::ActionId)
            .group_by(partner::Column::RegionId)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Self::Value> = HashMap::new();
        for (action_id, region_id, count) in rows {
            grouped
                .entry(action_id)
                .or_default()
                .push((region_id, u64::try_from(count).unwrap_or_default()));
        }
        Ok(grouped)
    }
}

/// A partner's answer to each joint action, by (action id, partner id).
pub struct PartnerAnswers {
    db: DatabaseConnection,
}

impl Loader<(i64, i64)> for PartnerAnswers {
    type Value = opt_in::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[(i64, i64)],
    ) -> Result<HashMap<(i64, i64), opt_in::Model>, Self::Error> {
        let rows = opt_in::Entity::find()
            .filter(opt_in::Column::ActionId.is_in(keys.iter().map(|(action, _)| *action)))
            .filter(opt_in::Column::PartnerId.is_in(keys.iter().map(|(_, partner)| *partner)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ((row.action_id, row.partner_id), row))
            .filter(|(key, _)| keys.contains(key))
            .collect())
    }
}

/// One page of a campaign's joint actions, oldest first; `campaign` is one the viewer sees.
pub async fn actions_of(
    ctx: &Context<'_>,
    campaign: &campaign::Model,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Page<JointAction>> {
    let loaders = ctx.loader::<JointActionLoaders>();
    let viewer = ctx.viewer();
    load_page(
        (&loaders.campaign_actions, &loaders.campaign_action_counts),
        campaign.id,
        Audience::Everyone,
        (first, after),
        |row| JointAction::shown(viewer, row, campaign),
    )
    .await
}

#[Object]
impl JointAction {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn title(&self) -> &str {
        &self.row().title
    }

    async fn description(&self) -> &str {
        &self.row().description
    }

    async fn kind(&self) -> ActionKind {
        self.row().kind.into()
    }

    /// When partners may start opting in; null: from the start.
    async fn opens_at(&self) -> Option<DateTime<Utc>> {
        self.row().opens_at
    }

    /// When the action closes; null: open while the campaign is active.
    async fn closes_at(&self) -> Option<DateTime<Utc>> {
        self.row().closes_at
    }

    /// Whether the action is between its opening and closing times now.
    async fn is_open(&self, ctx: &Context<'_>) -> bool {
        super::window(self.row(), ctx.state().now()) == Window::Open
    }

    async fn campaign(&self, ctx: &Context<'_>) -> ApiResult<Campaign> {
        campaign_by_id(ctx, self.row().campaign_id)
            .await?
            .ok_or(ApiError::NotFound("campaign"))
    }

    /// How many partner organisations are opted in now.
    async fn opt_in_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        Ok(ctx
            .loader::<JointActionLoaders>()
            .opt_in_counts
            .load_one((self.row().id, Audience::Everyone))
            .await?
            .unwrap_or_default())
    }

    /// The partners opted in now, in the order they joined. Signed-in users only.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn opt_ins(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<OptIn>> {
        ctx.actor()?;
        let loaders = ctx.loader::<JointActionLoaders>();
        let viewer = ctx.viewer();
        load_page(
            (&loaders.opt_ins, &loaders.opt_in_counts),
            self.row().id,
            Audience::Everyone,
            (first, after),
            |(row, partner)| OptIn::shown(viewer, row).map(|opt_in| opt_in.with_partner(partner)),
        )
        .await
    }

    /// Opted-in partners counted by region (a null region: partners outside the regions).
    async fn opt_ins_by_region(&self, ctx: &Context<'_>) -> ApiResult<Vec<RegionCount>> {
        let counts = ctx
            .loader::<JointActionLoaders>()
            .opt_ins_by_region
            .load_one(self.row().id)
            .await?
            .unwrap_or_default();
        Ok(counts
            .into_iter()
            .map(|(region_id, count)| RegionCount { region_id, count })
            .collect())
    }

    /// For a partner member: their organisation's answer, if it has given one.
    async fn viewer_answer(&self, ctx: &Context<'_>) -> ApiResult<Option<OptIn>> {
        let Some(partner_id) = ctx
            .viewer()
            .signed_in()
            .and_then(|actor| actor.acting_for())
        else {
            return Ok(None);
        };
        Ok(ctx
            .loader::<JointActionLoaders>()
            .partner_answers
            .load_one((self.row().id, partner_id))
            .await?
            .and_then(|row| OptIn::shown(ctx.viewer(), row)))
    }

    /// Staff and admins: active partners that have not answered yet — the staff member's own
    /// region, or for admins every region (or the one given).
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn partners_not_responded(
        &self,
        ctx: &Context<'_>,
        region_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<Partner>> {
        let actor = ctx.actor()?;
        let region_id = input::optional_id("regionId", region_id.as_ref())?;
        let query = super::not_responded(actor, self.row().id, region_id)?;
        let args = PageArgs::<(String, i64)>::parse(first, after)?;
        let db = &ctx.state().db;
        let total = Total::of(db, query.clone());
        let rows = crate::partners::after_cursor(query, args.after.as_ref())
            .limit(args.limit())
            .all(db)
            .await?;
        Ok(shown_page(ctx, rows, &args, total))
    }

    /// Every opt-in and withdrawal, oldest first: all of them for staff and admins, their own
    /// organisation's for partner members.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<OptInEvent>> {
        let only_partner = super::history_visible_to(ctx.viewer())?;
        let mut query =
            opt_in_event::Entity::find().filter(opt_in_event::Column::ActionId.eq(self.row().id));
        if let Some(partner_id) = only_partner {
            query = query.filter(opt_in_event::Column::PartnerId.eq(partner_id));
        }
        events_page(ctx, query, first, after).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row().created_at
    }
}

/// A page of opt-in history, oldest first.
/// One page of a partner's opt-ins and withdrawals, oldest first, for a viewer who may see the
/// partner's history: batched with the other partners of a list.
pub async fn history_of_partner(
    ctx: &Context<'_>,
    partner_id: i64,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Page<OptInEvent>> {
    let loaders = ctx.loader::<JointActionLoaders>();
    let viewer = ctx.viewer();
    load_page(
        (&loaders.partner_history, &loaders.partner_history_counts),
        partner_id,
        Audience::Everyone,
        (first, after),
        |row| Visible::check(viewer, row, &()).map(OptInEvent),
    )
    .await
}

async fn events_page(
    ctx: &Context<'_>,
    query: sea_orm::Select<opt_in_event::Entity>,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Page<OptInEvent>> {
    let args = PageArgs::<i64>::parse(first, after)?;
    let db = &ctx.state().db;
    let total = Total::of(db, query.clone());
    let rows = match args.after {
        Some(after) => query.filter(opt_in_event::Column::Id.gt(after)),
        None => query,
    }
    .order_by_asc(opt_in_event::Column::Id)
    .limit(args.limit())
    .all(db)
    .await?;
    let viewer = ctx.viewer();
    let shown = rows
        .into_iter()
        .filter_map(|row| Visible::check(viewer, row, &()).map(OptInEvent))
        .collect();
    Ok(page(
        shown,
        &args,
        total,
        |event: &OptInEvent| event.0.row().id,
        |event| event,
    ))
}

/// A partner's current answer to a joint action.
pub struct OptIn {
    seen: Visible<OptInAccess>,
    /// The partner's row when it was read with the opt-in.
    partner: Option<partner::Model>,
}

impl OptIn {
    fn shown(viewer: &Viewer, row: opt_in::Model) -> Option<Self> {
        let seen = Visible::check(viewer, row, &())?;
        Some(Self {
            seen,
            partner: None,
        })
    }

    fn with_partner(self, partner: Option<partner::Model>) -> Self {
        Self { partner, ..self }
    }

    fn row(&self) -> &opt_in::Model {
        self.seen.row()
    }
}

#[Object]
impl OptIn {
    /// Null when the organisation is hidden from the viewer (not active, and not theirs).
    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        match &self.partner {
            Some(row) => Ok(Partner::shown(ctx.viewer(), row.clone())),
            None => partner_by_id(ctx, Some(self.row().partner_id)).await,
        }
    }

    /// True while opted in; false once withdrawn.
    async fn active(&self) -> bool {
        self.row().active
    }

    /// What the partner said when joining.
    async fn note(&self) -> Option<&str> {
        self.row().note.as_deref()
    }

    async fn opted_in_at(&self) -> DateTime<Utc> {
        self.row().opted_in_at
    }

    async fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        self.row().withdrawn_at
    }
}

/// One opt-in or withdrawal, as it happened.
pub struct OptInEvent(Visible<OptInEventAccess>);

#[Object]
impl OptInEvent {
    /// Null if the action is hidden from the viewer.
    async fn action(&self, ctx: &Context<'_>) -> ApiResult<Option<JointAction>> {
        match visible_action(ctx, self.0.row().action_id).await {
            Ok(action) => Ok(Some(action)),
            Err(ApiError::NotFound(_)) => Ok(None),
            Err(error) => Err(error),
        }
    }

    /// Null when the organisation is hidden from the viewer.
    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, Some(self.0.row().partner_id)).await
    }

    async fn change(&self) -> OptInChange {
        self.0.row().change.into()
    }

    async fn note(&self) -> Option<&str> {
        self.0.row().note.as_deref()
    }

    /// The member who answered.
    async fn by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user_by_id(ctx, Some(self.0.row().actor_id)).await
    }

    async fn at(&self) -> DateTime<Utc> {
        self.0.row().at
    }
}

/// How many opted-in partners are in one region.
pub struct RegionCount {
    region_id: Option<i64>,
    count: u64,
}

#[Object]
impl RegionCount {
    /// Null for partners outside the staffed regions.
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.region_id)
    }

    async fn count(&self) -> u64 {
        self.count
    }
}

#[derive(InputObject)]
pub struct CreateJointActionInput {
    pub campaign_id: ID,
    pub title: String,
    #[graphql(default)]
    pub description: String,
    #[graphql(default_with = "ActionKind::Other")]
    pub kind: ActionKind,
    pub opens_at: Option<DateTime<Utc>>,
    pub closes_at: Option<DateTime<Utc>>,
}

impl CreateJointActionInput {
    fn parse(self) -> ApiResult<(i64, NewAction)> {
        Ok((
            input::id("campaignId", &self.campaign_id)?,
            NewAction {
                title: input::single_line("title", &self.title, MAX_TITLE_LEN)?,
                description: input::optional_text(
                    "description",
                    Some(&self.description),
                    MAX_DESCRIPTION_LEN,
                )?
                .unwrap_or_default(),
                kind: self.kind.into(),
                opens_at: self.opens_at,
                closes_at: self.closes_at,
            },
        ))
    }
}

/// Fields left out are not changed; dates set to null are cleared.
#[derive(InputObject)]
pub struct UpdateJointActionInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub kind: Option<ActionKind>,
    pub opens_at: MaybeUndefined<DateTime<Utc>>,
    pub closes_at: MaybeUndefined<DateTime<Utc>>,
}

impl UpdateJointActionInput {
    fn parse(self) -> ApiResult<ActionChanges> {
        let date = |value: MaybeUndefined<DateTime<Utc>>| match value {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(at) => Some(Some(at)),
        };
        Ok(ActionChanges {
            title: self
                .title
                .map(|title| input::single_line("title", &title, MAX_TITLE_LEN))
                .transpose()?,
            description: self
                .description
                .map(|text| {
                    input::optional_text("description", Some(&text), MAX_DESCRIPTION_LEN)
                        .map(Option::unwrap_or_default)
                })
                .transpose()?,
            kind: self.kind.map(Into::into),
            opens_at: date(self.opens_at),
            closes_at: date(self.closes_at),
        })
    }
}

#[derive(Default)]
pub struct JointActionQuery;

#[Object]
impl JointActionQuery {
    /// One joint action, if its campaign is visible to you.
    async fn joint_action(&self, ctx: &Context<'_>, id: ID) -> ApiResult<JointAction> {
        let id = input::id("id", &id)?;
        visible_action(ctx, id).await
    }
}

async fn visible_action(ctx: &Context<'_>, id: i64) -> ApiResult<JointAction> {
    let not_found = || ApiError::NotFound("joint action");
    let action = load_one(&ctx.loader::<JointActionLoaders>().actions, id)
        .await?
        .ok_or_else(not_found)?;
    let campaign = load_one(
        &ctx.loader::<CampaignLoaders>().campaigns,
        action.campaign_id,
    )
    .await?
    .ok_or_else(not_found)?;
    JointAction::shown(ctx.viewer(), action, &campaign).ok_or_else(not_found)
}

#[derive(Default)]
pub struct JointActionMutation;

#[Object]
impl JointActionMutation {
    /// Adds a joint action to a campaign you run.
    async fn create_joint_action(
        &self,
        ctx: &Context<'_>,
        input: CreateJointActionInput,
    ) -> ApiResult<JointAction> {
        let actor = ctx.actor()?;
        let (campaign_id, new) = input.parse()?;
        let state = ctx.state();
        let created = super::create(&state.db, actor, state.now(), campaign_id, new).await?;
        visible_action(ctx, created.id).await
    }

    async fn update_joint_action(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateJointActionInput,
    ) -> ApiResult<JointAction> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let changes = input.parse()?;
        let state = ctx.state();
        super::update(&state.db, actor, state.now(), id, changes).await?;
        visible_action(ctx, id).await
    }

    /// Opts your organisation into an open action of an active campaign. Doing it again keeps
    /// one opt-in (and updates the note).
    async fn opt_into_joint_action(
        &self,
        ctx: &Context<'_>,
        action_id: ID,
        note: Option<String>,
    ) -> ApiResult<JointAction> {
        let actor = ctx.actor()?;
        let action_id = input::id("actionId", &action_id)?;
        let note = input::optional_text("note", note.as_deref(), MAX_NOTE_LEN)?;
        let state = ctx.state();
        let answer = super::opt_in(&state.db, actor, state.now(), action_id, note).await?;
        if answer.changed {
            state.events.publish(answer.event).await;
        }
        visible_action(ctx, answer.action.id).await
    }

    /// Withdraws your organisation from an action that has not closed.
    async fn withdraw_from_joint_action(
        &self,
        ctx: &Context<'_>,
        action_id: ID,
    ) -> ApiResult<JointAction> {
        let actor = ctx.actor()?;
        let action_id = input::id("actionId", &action_id)?;
        let state = ctx.state();
        let answer = super::withdraw(&state.db, actor, state.now(), action_id).await?;
        if answer.changed {
            state.events.publish(answer.event).await;
        }
        visible_action(ctx, answer.action.id).await
    }
}

/// A change in who is opted into a joint action.
#[derive(SimpleObject)]
pub struct OptInsChange {
    pub action: JointAction,
    pub opt_in_count: u64,
    pub change: OptInChange,
    /// The organisation that opted in or withdrew: shown to people signed in, as `optIns` is,
    /// and only if the organisation is visible to them; null for the public.
    pub partner: Option<Partner>,
    pub at: DateTime<Utc>,
}

#[derive(Default)]
pub struct JointActionSubscription;

#[Subscription]
impl JointActionSubscription {
    /// The new count, and who changed it, each time a partner opts in or withdraws. Each
    /// viewer sees what the matching query shows them.
    async fn joint_action_opt_ins_changed(
        &self,
        ctx: &Context<'_>,
        action_id: ID,
    ) -> Result<impl Stream<Item = OptInsChange> + use<>, ApiError> {
        let action_id = input::id("actionId", &action_id)?;
        let action = visible_action(ctx, action_id).await?;
        let campaign = load_one(
            &ctx.loader::<CampaignLoaders>().campaigns,
            action.row().campaign_id,
        )
        .await?
        .ok_or(ApiError::NotFound("joint action"))?;
        let state = ctx.state().clone();
        let viewer = ctx.viewer().clone();
        let partners = ctx.shared_loader::<PartnerLoaders>();
        let action = action.row().clone();
        Ok(state.events.subscribe().filter_map(move |event| {
            let (viewer, partners) = (viewer.clone(), partners.clone());
            let (action, campaign) = (action.clone(), campaign.clone());
            async move {
                let Event::OptInsChanged {
                    action_id,
                    partner_id,
                    change,
                    opt_in_count,
                    at,
                } = event
                else {
                    return None;
                };
                if action_id != action.id {
                    return None;
                }
                let partner = match viewer.signed_in() {
                    Some(_) => partners
                        .by_id
                        .load_one(partner_id)
                        .await
                        .ok()
                        .flatten()
                        .and_then(|row| Partner::shown(&viewer, row)),
                    None => None,
                };
                Some(OptInsChange {
                    action: JointAction::shown(&viewer, action, &campaign)?,
                    opt_in_count,
                    change: change.into(),
                    partner,
                    at,
                })
            }
        }))
    }
}
