use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject, Subscription,
    futures_util::{Stream, StreamExt},
};
use chrono::{DateTime, Utc};
use entities::{enums, joint_action, opt_in, opt_in_event};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{ActionChanges, MAX_DESCRIPTION_LEN, MAX_NOTE_LEN, MAX_TITLE_LEN, NewAction, Window};
use crate::{
    accounts::graphql::{User, user_by_id},
    campaigns::graphql::{Campaign, campaign_by_id},
    events::Event,
    graphql::{
        children::{Audience, load_page},
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        pagination::{Page, PageArgs, Total, page},
    },
    input,
    partners::graphql::{Partner, partner_by_id},
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
pub struct JointAction(pub joint_action::Model);

#[Object]
impl JointAction {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn description(&self) -> &str {
        &self.0.description
    }

    async fn kind(&self) -> ActionKind {
        self.0.kind.into()
    }

    /// When partners may start opting in; null: from the start.
    async fn opens_at(&self) -> Option<DateTime<Utc>> {
        self.0.opens_at
    }

    /// When the action closes; null: open while the campaign is active.
    async fn closes_at(&self) -> Option<DateTime<Utc>> {
        self.0.closes_at
    }

    /// Whether the action is between its opening and closing times now.
    async fn is_open(&self, ctx: &Context<'_>) -> bool {
        super::window(&self.0, ctx.state().now()) == Window::Open
    }

    async fn campaign(&self, ctx: &Context<'_>) -> ApiResult<Campaign> {
        campaign_by_id(ctx, self.0.campaign_id)
            .await?
            .ok_or(ApiError::NotFound("campaign"))
    }

    /// How many partner organisations are opted in now.
    async fn opt_in_count(&self, ctx: &Context<'_>) -> ApiResult<u64> {
        Ok(ctx
            .loaders()
            .action_opt_in_counts
            .load_one((self.0.id, Audience::Everyone))
            .await?
            .unwrap_or_default())
    }

    /// The partners opted in now, in the order they joined. Signed-in users only.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn opt_ins(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<OptIn>> {
        ctx.actor()?;
        load_page(
            ctx.loaders(),
            |l| &l.action_opt_ins,
            |l| &l.action_opt_in_counts,
            self.0.id,
            Audience::Everyone,
            (first, after),
            OptIn,
        )
        .await
    }

    /// Opted-in partners counted by region (a null region: partners outside the regions).
    async fn opt_ins_by_region(&self, ctx: &Context<'_>) -> ApiResult<Vec<RegionCount>> {
        let counts = ctx
            .loaders()
            .opt_ins_by_region
            .load_one(self.0.id)
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
            .loaders()
            .partner_answers
            .load_one((self.0.id, partner_id))
            .await?
            .map(OptIn))
    }

    /// Staff and admins: active partners that have not answered yet — the staff member's own
    /// region, or for admins every region (or the one given).
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn partners_not_responded(
        &self,
        ctx: &Context<'_>,
        region_id: Option<ID>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<Partner>> {
        let actor = ctx.actor()?;
        let region_id = input::optional_id("regionId", region_id.as_ref())?;
        let query = super::not_responded(actor, self.0.id, region_id)?;
        let args = PageArgs::<(String, i64)>::parse(first, after)?;
        let db = &ctx.state().db;
        let total = Total::of(db, query.clone());
        let rows = crate::partners::after_cursor(query, args.after.as_ref())
            .limit(args.limit())
            .all(db)
            .await?;
        Ok(page(
            rows,
            &args,
            total,
            |row| (row.name_key.clone(), row.id),
            Partner,
        ))
    }

    /// Every opt-in and withdrawal, oldest first: all of them for staff and admins, their own
    /// organisation's for partner members.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<OptInEvent>> {
        let only_partner = super::history_visible_to(ctx.viewer())?;
        let mut query =
            opt_in_event::Entity::find().filter(opt_in_event::Column::ActionId.eq(self.0.id));
        if let Some(partner_id) = only_partner {
            query = query.filter(opt_in_event::Column::PartnerId.eq(partner_id));
        }
        events_page(ctx, query, first, after).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}

/// A page of opt-in history, oldest first.
pub async fn events_page(
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
    Ok(page(rows, &args, total, |row| row.id, OptInEvent))
}

/// A partner's current answer to a joint action.
pub struct OptIn(pub opt_in::Model);

#[Object]
impl OptIn {
    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, Some(self.0.partner_id)).await
    }

    /// True while opted in; false once withdrawn.
    async fn active(&self) -> bool {
        self.0.active
    }

    /// What the partner said when joining.
    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn opted_in_at(&self) -> DateTime<Utc> {
        self.0.opted_in_at
    }

    async fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        self.0.withdrawn_at
    }
}

/// One opt-in or withdrawal, as it happened.
pub struct OptInEvent(pub opt_in_event::Model);

#[Object]
impl OptInEvent {
    async fn action(&self, ctx: &Context<'_>) -> ApiResult<Option<JointAction>> {
        Ok(load_one(&ctx.loaders().joint_actions, self.0.action_id)
            .await?
            .map(JointAction))
    }

    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, Some(self.0.partner_id)).await
    }

    async fn change(&self) -> OptInChange {
        self.0.change.into()
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    /// The member who answered.
    async fn by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user_by_id(ctx, Some(self.0.actor_id)).await
    }

    async fn at(&self) -> DateTime<Utc> {
        self.0.at
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
    async fn region(&self, ctx: &Context<'_>) -> ApiResult<Option<Region>> {
        region_by_id(ctx, self.region_id).await
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
                title: input::required_text("title", &self.title, MAX_TITLE_LEN)?,
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
                .map(|title| input::required_text("title", &title, MAX_TITLE_LEN))
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
    let action = load_one(&ctx.loaders().joint_actions, id)
        .await?
        .ok_or(ApiError::NotFound("joint action"))?;
    campaign_by_id(ctx, action.campaign_id)
        .await?
        .ok_or(ApiError::NotFound("joint action"))?;
    Ok(JointAction(action))
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
        Ok(JointAction(
            super::create(&state.db, actor, state.now(), campaign_id, new).await?,
        ))
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
        Ok(JointAction(
            super::update(&state.db, actor, state.now(), id, changes).await?,
        ))
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
        Ok(JointAction(answer.action))
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
        Ok(JointAction(answer.action))
    }
}

/// A change in who is opted into a joint action.
#[derive(SimpleObject)]
pub struct OptInsChange {
    pub action: JointAction,
    pub opt_in_count: u64,
    pub change: OptInChange,
    pub partner: Partner,
    pub at: DateTime<Utc>,
}

#[derive(Default)]
pub struct JointActionSubscription;

#[Subscription]
impl JointActionSubscription {
    /// The new count, and who changed it, each time a partner opts in or withdraws.
    async fn joint_action_opt_ins_changed(
        &self,
        ctx: &Context<'_>,
        action_id: ID,
    ) -> Result<impl Stream<Item = OptInsChange> + use<>, ApiError> {
        let action_id = input::id("actionId", &action_id)?;
        let action = visible_action(ctx, action_id).await?;
        let (state, loaders) = (ctx.state().clone(), ctx.loaders().clone());
        Ok(state.events.subscribe().filter_map(move |event| {
            let (action, loaders) = (action.0.clone(), loaders.clone());
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
                let partner = loaders.partners.load_one(partner_id).await.ok().flatten()?;
                Some(OptInsChange {
                    action: JointAction(action),
                    opt_in_count,
                    change: change.into(),
                    partner: Partner(partner),
                    at,
                })
            }
        }))
    }
}
