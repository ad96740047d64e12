use std::collections::BTreeSet;

use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject, Subscription,
    dataloader::DataLoader,
    futures_util::{Stream, StreamExt},
};
use chrono::{DateTime, Utc};
use entities::{
    enums, policy_update, policy_update_campaign, policy_update_revision, policy_update_topic,
};
use sea_orm::{DatabaseConnection, Order, QueryFilter, QueryOrder, QuerySelect};

use super::{
    ListFilter, MAX_BODY_LEN, MAX_CAMPAIGNS, MAX_SUMMARY_LEN, MAX_TITLE_LEN, MAX_TOPIC_LEN,
    MAX_TOPICS, NewUpdate, PolicyUpdateAccess, UpdateChanges, search,
};
use crate::{
    auth::{Viewer, visible::Visible},
    campaigns::graphql::Campaign,
    events::Event,
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{ById, Children, Links, batching},
        pagination::{Page, PageArgs, Total, connection_cost, newest_first, page, rows_and_total},
    },
    input,
    regions::graphql::{Region, region_by_id},
    state::AppState,
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::UpdateKind")]
pub enum UpdateKind {
    PolicyDevelopment,
    CampaignAction,
    Resource,
    Event,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::Audience")]
pub enum Audience {
    /// Everyone, signed in or not.
    Public,
    /// Signed-in staff and partner members only.
    Partners,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::UpdateStatus")]
pub enum UpdateStatus {
    /// Being written; staff only.
    Draft,
    /// Live from `publishedAt` (which may be in the future: scheduled).
    Published,
    /// Taken out of lists and feeds.
    Archived,
}

/// A policy update: what changed and what people can do.
pub struct PolicyUpdate(Visible<PolicyUpdateAccess>);

impl PolicyUpdate {
    /// The update as `viewer` may read it at `now`.
    pub fn shown(viewer: &Viewer, row: policy_update::Model, now: DateTime<Utc>) -> Option<Self> {
        Visible::check(viewer, row, &now).map(Self)
    }

    fn row(&self) -> &policy_update::Model {
        self.0.row()
    }
}

/// The policy updates slice's batching loaders.
pub struct PolicyUpdateLoaders {
    updates: DataLoader<ById<policy_update::Entity>>,
    topics: DataLoader<Links<policy_update_topic::Entity, String>>,
    campaign_ids: DataLoader<Links<policy_update_campaign::Entity>>,
    revisions: DataLoader<Children<policy_update_revision::Entity>>,
}

impl PolicyUpdateLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            updates: batching(ById::new(db.clone())),
            topics: batching(Links::new(
                db,
                policy_update_topic::Column::UpdateId,
                policy_update_topic::Column::Topic,
            )),
            campaign_ids: batching(Links::new(
                db,
                policy_update_campaign::Column::UpdateId,
                policy_update_campaign::Column::CampaignId,
            )),
            revisions: batching(Children::new(
                db,
                policy_update_revision::Column::UpdateId,
                policy_update_revision::Column::Id,
                Order::Asc,
            )),
        }
    }
}

#[Object]
impl PolicyUpdate {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn title(&self) -> &str {
        &self.row().title
    }

    async fn summary(&self) -> &str {
        &self.row().summary
    }

    /// The body as written, in Markdown.
    async fn body(&self) -> &str {
        &self.row().body
    }

    /// The body as sanitised HTML: safe to put in a page as it is.
    async fn body_html(&self) -> &str {
        &self.row().body_html
    }

    async fn kind(&self) -> UpdateKind {
        self.row().kind.into()
    }

    async fn audience(&self) -> Audience {
        self.row().audience.into()
    }

    async fn status(&self) -> UpdateStatus {
        self.row().status.into()
    }

    /// Null: a national update.
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.row().region_id)
    }

    /// Normalised tags: lower case, words joined by hyphens.
    async fn topics(&self, ctx: &Context<'_>) -> ApiResult<Vec<String>> {
        Ok(
            load_one(&ctx.loader::<PolicyUpdateLoaders>().topics, self.row().id)
                .await?
                .unwrap_or_default(),
        )
    }

    /// The linked campaigns the viewer may see.
    async fn campaigns(&self, ctx: &Context<'_>) -> ApiResult<Vec<Campaign>> {
        let ids = load_one(
            &ctx.loader::<PolicyUpdateLoaders>().campaign_ids,
            self.row().id,
        )
        .await?
        .unwrap_or_default();
        crate::campaigns::graphql::campaigns_by_id(ctx, &ids).await
    }

    /// When it went (or goes) live.
    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.row().published_at
    }

    /// True once corrected after publishing ("updated").
    async fn is_updated(&self) -> bool {
        self.row().corrected_at.is_some()
    }

    /// When the last correction after publishing was made.
    async fn corrected_at(&self) -> Option<DateTime<Utc>> {
        self.row().corrected_at
    }

    /// Earlier wordings replaced by corrections, oldest first.
    async fn revisions(&self, ctx: &Context<'_>) -> ApiResult<Vec<PolicyUpdateRevision>> {
        let rows = load_one(
            &ctx.loader::<PolicyUpdateLoaders>().revisions,
            self.row().id,
        )
        .await?
        .unwrap_or_default();
        Ok(rows
            .into_iter()
            .map(|row| PolicyUpdateRevision {
                title: row.title,
                summary: row.summary,
                body: row.body,
                replaced_at: row.replaced_at,
            })
            .collect())
    }

    /// The trend figures staff attached to the update, with small ones withheld; null if none.
    /// It is an aggregate query, so it costs as much as a hundred plain fields.
    #[graphql(complexity = 100)]
    async fn evidence(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Option<crate::evidence::graphql::EvidenceReport>> {
        crate::evidence::graphql::update_evidence(ctx, self.row().id).await
    }

    /// Whether the viewer may edit, publish or archive it.
    async fn viewer_can_edit(&self, ctx: &Context<'_>) -> bool {
        ctx.viewer()
            .signed_in()
            .is_some_and(|actor| super::can_manage(actor, self.row()))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row().created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.row().updated_at
    }
}

/// A wording an update had before a correction.
#[derive(SimpleObject)]
pub struct PolicyUpdateRevision {
    pub title: String,
    pub summary: String,
    pub body: String,
    pub replaced_at: DateTime<Utc>,
}

#[derive(InputObject)]
pub struct CreatePolicyUpdateInput {
    pub title: String,
    pub summary: String,
    /// Markdown; rendered to sanitised HTML in `bodyHtml`.
    pub body: String,
    pub kind: UpdateKind,
    /// Free tags, normalised (e.g. "Right to work" becomes `right-to-work`).
    #[graphql(default)]
    pub topics: Vec<String>,
    /// None: a national update.
    pub region_id: Option<ID>,
    #[graphql(default)]
    pub campaign_ids: Vec<ID>,
    #[graphql(default_with = "Audience::Public")]
    pub audience: Audience,
}

/// Fields left out are not changed; `regionId: null` makes the update national.
#[derive(InputObject, Default)]
pub struct UpdatePolicyUpdateInput {
    pub title: Option<String>,
    pub summary: Option<String>,
    pub body: Option<String>,
    pub kind: Option<UpdateKind>,
    pub topics: Option<Vec<String>>,
    pub region_id: MaybeUndefined<ID>,
    pub campaign_ids: Option<Vec<ID>>,
    pub audience: Option<Audience>,
}

fn title(raw: &str) -> ApiResult<String> {
    input::single_line("title", raw, MAX_TITLE_LEN)
}

fn summary(raw: &str) -> ApiResult<String> {
    input::required_text("summary", raw, MAX_SUMMARY_LEN)
}

fn body(raw: &str) -> ApiResult<String> {
    input::required_text("body", raw, MAX_BODY_LEN)
}

fn topics(raw: &[String]) -> ApiResult<BTreeSet<String>> {
    if raw.len() > MAX_TOPICS {
        return Err(ApiError::bad_input(
            "topics",
            format!("at most {MAX_TOPICS} topics"),
        ));
    }
    raw.iter()
        .map(|topic| {
            super::normalise_topic(topic)
                .filter(|topic| topic.chars().count() <= MAX_TOPIC_LEN)
                .ok_or_else(|| {
                    ApiError::bad_input(
                        "topics",
                        format!("each topic needs a letter or digit and at most {MAX_TOPIC_LEN} characters"),
                    )
                })
        })
        .collect()
}

fn campaign_ids(raw: &[ID]) -> ApiResult<BTreeSet<i64>> {
    if raw.len() > MAX_CAMPAIGNS {
        return Err(ApiError::bad_input(
            "campaignIds",
            format!("at most {MAX_CAMPAIGNS} campaigns"),
        ));
    }
    raw.iter().map(|id| input::id("campaignIds", id)).collect()
}

impl CreatePolicyUpdateInput {
    fn parse(self) -> ApiResult<NewUpdate> {
        Ok(NewUpdate {
            title: title(&self.title)?,
            summary: summary(&self.summary)?,
            body: body(&self.body)?,
            kind: self.kind.into(),
            region_id: input::optional_id("regionId", self.region_id.as_ref())?,
            audience: self.audience.into(),
            topics: topics(&self.topics)?,
            campaign_ids: campaign_ids(&self.campaign_ids)?,
        })
    }
}

impl UpdatePolicyUpdateInput {
    fn parse(self) -> ApiResult<UpdateChanges> {
        Ok(UpdateChanges {
            title: self.title.as_deref().map(title).transpose()?,
            summary: self.summary.as_deref().map(summary).transpose()?,
            body: self.body.as_deref().map(body).transpose()?,
            kind: self.kind.map(Into::into),
            region_id: match self.region_id {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => Some(Some(input::id("regionId", &id)?)),
            },
            audience: self.audience.map(Into::into),
            topics: self.topics.as_deref().map(topics).transpose()?,
            campaign_ids: self.campaign_ids.as_deref().map(campaign_ids).transpose()?,
        })
    }
}

#[derive(InputObject, Default)]
pub struct PolicyUpdateFilter {
    /// A region's updates; `null` for national updates only.
    pub region_id: MaybeUndefined<ID>,
    pub topic: Option<String>,
    pub kind: Option<UpdateKind>,
    pub campaign_id: Option<ID>,
    /// Words to find (ranked full-text search: best matches first).
    pub search: Option<String>,
    /// Staff and admins: drafts or archived updates instead of live ones.
    pub status: Option<UpdateStatus>,
}

impl PolicyUpdateFilter {
    fn parse(self) -> ApiResult<ListFilter> {
        Ok(ListFilter {
            region_id: match self.region_id {
                MaybeUndefined::Undefined => None,
                MaybeUndefined::Null => Some(None),
                MaybeUndefined::Value(id) => Some(Some(input::id("filter.regionId", &id)?)),
            },
            topic: self.topic.as_deref().and_then(super::normalise_topic),
            kind: self.kind.map(Into::into),
            campaign_id: input::optional_id("filter.campaignId", self.campaign_id.as_ref())?,
            search: input::optional_text("filter.search", self.search.as_deref(), 200)?
                .filter(|words| search::has_words(words)),
            status: self.status.map(Into::into),
        })
    }
}

/// Ranked results are paged by (score, id): the cursor carries both.
type RankedKey = (f64, i64);

#[derive(Default)]
pub struct PolicyUpdateQuery;

#[Object]
impl PolicyUpdateQuery {
    async fn policy_update(&self, ctx: &Context<'_>, id: ID) -> ApiResult<PolicyUpdate> {
        let id = input::id("id", &id)?;
        visible_update(ctx.state(), ctx.viewer(), id).await
    }

    /// Live updates, newest first (best matches first when searching). Staff and admins may
    /// ask for drafts or archived ones with `status`.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn policy_updates(
        &self,
        ctx: &Context<'_>,
        filter: Option<PolicyUpdateFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<PolicyUpdate>> {
        let filter = filter.unwrap_or_default().parse()?;
        let state = ctx.state();
        let backend = state.db.get_database_backend();
        let query = super::visible(backend, ctx.viewer(), state.now(), &filter);
        if let Some(words) = &filter.search {
            let total = Total::of(&state.db, query.clone());
            return ranked(ctx, query, words, first, after, total).await;
        }
        let args = PageArgs::<i64>::parse(first, after)?;
        let paged =
            newest_first(query.clone(), policy_update::Column::Id, args.after).limit(args.limit());
        let (rows, total) =
            rows_and_total(ctx, &state.db, (query, paged), args.after.is_none()).await?;
        let (viewer, now) = (ctx.viewer(), state.now());
        let shown = rows
            .into_iter()
            .filter_map(|row| PolicyUpdate::shown(viewer, row, now))
            .collect();
        Ok(page(
            shown,
            &args,
            total,
            |update: &PolicyUpdate| update.row().id,
            |update| update,
        ))
    }
}

/// A page of search results, best first: one statement for the ranked ids, one for the rows.
async fn ranked(
    ctx: &Context<'_>,
    query: sea_orm::Select<policy_update::Entity>,
    words: &str,
    first: Option<i32>,
    after: Option<String>,
    total: Total,
) -> ApiResult<Page<PolicyUpdate>> {
    use sea_orm::sea_query::{Expr, ExprTrait, Order};
    let args = PageArgs::<RankedKey>::parse(first, after)?;
    let db = &ctx.state().db;
    let score = search::score(db.get_database_backend(), words);
    let mut ranked = query
        .select_only()
        .column(policy_update::Column::Id)
        .expr_as(score.clone(), "score");
    if let Some((after_score, after_id)) = args.after {
        ranked = ranked.filter(
            score.clone().lt(after_score).or(score
                .clone()
                .eq(after_score)
                .and(Expr::col(policy_update::Column::Id).lt(after_id))),
        );
    }
    let hits: Vec<(i64, f64)> = ranked
        .order_by(score, Order::Desc)
        .order_by(policy_update::Column::Id, Order::Desc)
        .limit(args.limit())
        .into_tuple()
        .all(db)
        .await?;
    let found = ctx
        .loader::<PolicyUpdateLoaders>()
        .updates
        .load_many(hits.iter().map(|(id, _)| *id))
        .await?;
    let (viewer, now) = (ctx.viewer(), ctx.state().now());
    let rows: Vec<(RankedKey, PolicyUpdate)> = hits
        .into_iter()
        .filter_map(|(id, score)| {
            let row = found.get(&id)?.clone();
            Some(((score, id), PolicyUpdate::shown(viewer, row, now)?))
        })
        .collect();
    Ok(page(
        rows,
        &args,
        total,
        |(key, _)| *key,
        |(_, update)| update,
    ))
}

/// The update, if the viewer may read it; otherwise not found (drafts are not announced).
pub async fn visible_update(state: &AppState, viewer: &Viewer, id: i64) -> ApiResult<PolicyUpdate> {
    let update = super::find(&state.db, id).await?;
    PolicyUpdate::shown(viewer, update, state.now()).ok_or(ApiError::NotFound("policy update"))
}

#[derive(Default)]
pub struct PolicyUpdateMutation;

#[Object]
impl PolicyUpdateMutation {
    /// Writes a DRAFT. Staff post for their own region or nationally.
    async fn create_policy_update(
        &self,
        ctx: &Context<'_>,
        input: CreatePolicyUpdateInput,
    ) -> ApiResult<PolicyUpdate> {
        let actor = ctx.actor()?;
        let new = input.parse()?;
        let state = ctx.state();
        let created = super::create(&state.db, actor, state.now(), new).await?;
        visible_update(state, ctx.viewer(), created.id).await
    }

    /// Edits an update. Changing the wording of a published one is a correction: the earlier
    /// wording is kept in `revisions` and the update shows as updated.
    async fn update_policy_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePolicyUpdateInput,
    ) -> ApiResult<PolicyUpdate> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let changes = input.parse()?;
        let state = ctx.state();
        super::update(&state.db, actor, state.now(), id, changes).await?;
        visible_update(state, ctx.viewer(), id).await
    }

    /// Publishes a draft now, or at `at` (a future time schedules it).
    async fn publish_policy_update(
        &self,
        ctx: &Context<'_>,
        id: ID,
        at: Option<DateTime<Utc>>,
    ) -> ApiResult<PolicyUpdate> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        super::publish(ctx.state(), actor, id, at).await?;
        visible_update(ctx.state(), ctx.viewer(), id).await
    }

    /// Takes a published update out of lists and feeds.
    async fn archive_policy_update(&self, ctx: &Context<'_>, id: ID) -> ApiResult<PolicyUpdate> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let state = ctx.state();
        super::archive(&state.db, actor, state.now(), id).await?;
        visible_update(state, ctx.viewer(), id).await
    }
}

#[derive(InputObject, Default)]
pub struct PublishedUpdateFilter {
    /// Only this region's updates (national ones are not included).
    pub region_id: Option<ID>,
    pub topic: Option<String>,
}

#[derive(Default)]
pub struct PolicyUpdateSubscription;

#[Subscription]
impl PolicyUpdateSubscription {
    /// Each update the viewer may read, as it goes live.
    async fn policy_update_published(
        &self,
        ctx: &Context<'_>,
        filter: Option<PublishedUpdateFilter>,
    ) -> Result<impl Stream<Item = PolicyUpdate> + use<>, ApiError> {
        let filter = filter.unwrap_or_default();
        let region_id = input::optional_id("filter.regionId", filter.region_id.as_ref())?;
        let topic = filter.topic.as_deref().and_then(super::normalise_topic);
        let (state, viewer) = (ctx.state().clone(), ctx.viewer().clone());
        Ok(state.events.subscribe().filter_map(move |event| {
            let (state, viewer, topic) = (state.clone(), viewer.clone(), topic.clone());
            async move {
                let Event::PolicyUpdatePublished {
                    update_id,
                    region_id: update_region,
                    topics,
                    ..
                } = event
                else {
                    return None;
                };
                let wanted = region_id.is_none_or(|wanted| update_region == Some(wanted))
                    && topic.is_none_or(|wanted| topics.contains(&wanted));
                if !wanted {
                    return None;
                }
                visible_update(&state, &viewer, update_id).await.ok()
            }
        }))
    }
}
