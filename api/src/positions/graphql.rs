use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use async_graphql::{
    Context, Enum, ID, InputObject, Object, SimpleObject,
    dataloader::{DataLoader, Loader},
};
use chrono::{DateTime, Utc};
use entities::{
    campaign, enums, partner, position, position_approval, position_backer, position_version,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, JoinType, Order,
    QueryFilter, QueryOrder, QuerySelect, RelationTrait, sea_query::Expr,
};

use super::{
    ApprovalAccess, ApprovalFacts, MAX_BODY_LEN, MAX_COMMENT_LEN, MAX_PARTNERS_PER_REQUEST,
    MAX_TITLE_LEN, NewPosition, PositionAccess, PositionFacts,
};
use crate::{
    auth::{Viewer, visible::Visible},
    campaigns::graphql::{Campaign, CampaignLoaders, campaign_by_id},
    graphql::{
        children::{Audience, ChildCounts, ChildPages, load_page},
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{ById, Children, batching},
        pagination::{Page, PageArgs, Total, newest_first, page},
    },
    input,
    partners::graphql::{Partner, partner_by_id},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::Ownership")]
pub enum Ownership {
    /// The charity's own position.
    Own,
    /// Backed by the partners that approved the published text.
    PartnerBacked,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::ApprovalDecision")]
pub enum ApprovalDecision {
    Approve,
    Decline,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum PositionStatus {
    /// Never published.
    Draft,
    /// The published text is the current one.
    Published,
    /// Published, and revised since: the public still sees the published version.
    Revised,
}

/// The positions slice's batching loaders.
pub struct PositionLoaders {
    positions: DataLoader<ById<position::Entity>>,
    campaign_positions: DataLoader<ChildPages<position::Entity>>,
    /// The same pages with each position's backers and their partners.
    campaign_positions_backed: DataLoader<ChildPages<position::Entity, (position::Model, Backers)>>,
    campaign_position_counts: DataLoader<ChildCounts<position::Entity>>,
    versions: DataLoader<Versions>,
    all_versions: DataLoader<Children<position_version::Entity>>,
    approvals: DataLoader<ApprovalsByVersion>,
    backing: DataLoader<BackingByPosition>,
}

impl PositionLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            positions: batching(ById::new(db.clone())),
            campaign_positions: batching(ChildPages::new(
                db,
                position::Column::CampaignId,
                position::Column::Id,
                Arc::new(super::visible_to),
            )),
            campaign_positions_backed: batching(ChildPages::with_many::<
                position_backer::Entity,
                partner::Entity,
            >(
                db,
                (position::Column::CampaignId, position::Column::Id),
                Arc::new(super::visible_to),
                position_backer::Column::PositionId,
                (position_backer::Column::PartnerId, partner::Column::Id),
            )),
            campaign_position_counts: batching(ChildCounts::new(
                db,
                position::Column::CampaignId,
                Arc::new(super::visible_to),
            )),
            versions: batching(Versions { db: db.clone() }),
            all_versions: batching(Children::new(
                db,
                position_version::Column::PositionId,
                position_version::Column::Number,
                Order::Asc,
            )),
            approvals: batching(ApprovalsByVersion { db: db.clone() }),
            backing: batching(BackingByPosition { db: db.clone() }),
        }
    }
}

/// Position versions by (position id, version number).
pub struct Versions {
    db: DatabaseConnection,
}

impl Loader<(i64, i32)> for Versions {
    type Value = position_version::Model;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[(i64, i32)],
    ) -> Result<HashMap<(i64, i32), position_version::Model>, Self::Error> {
        let rows = position_version::Entity::find()
            .filter(position_version::Column::PositionId.is_in(keys.iter().map(|(id, _)| *id)))
            .filter(position_version::Column::Number.is_in(keys.iter().map(|(_, n)| *n)))
            .all(&self.db)
            .await?;
        Ok(rows
            .into_iter()
            .map(|row| ((row.position_id, row.number), row))
            .filter(|(key, _)| keys.contains(key))
            .collect())
    }
}

/// An approval request with the region of the partner asked.
#[derive(Debug, Clone, FromQueryResult)]
pub struct ApprovalRow {
    pub id: i64,
    pub version_id: i64,
    pub partner_id: i64,
    pub requested_by: i64,
    pub requested_at: DateTime<Utc>,
    pub decision: Option<enums::ApprovalDecision>,
    pub comment: Option<String>,
    pub responded_by: Option<i64>,
    pub responded_at: Option<DateTime<Utc>>,
    pub partner_region: Option<i64>,
}

impl ApprovalRow {
    fn split(self) -> (position_approval::Model, Option<i64>) {
        let region = self.partner_region;
        let row = position_approval::Model {
            id: self.id,
            version_id: self.version_id,
            partner_id: self.partner_id,
            requested_by: self.requested_by,
            requested_at: self.requested_at,
            decision: self.decision,
            comment: self.comment,
            responded_by: self.responded_by,
            responded_at: self.responded_at,
        };
        (row, region)
    }
}

/// The approval requests of each version, with each partner's region, in the order asked.
pub struct ApprovalsByVersion {
    db: DatabaseConnection,
}

impl Loader<i64> for ApprovalsByVersion {
    type Value = Vec<ApprovalRow>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = position_approval::Entity::find()
            .column_as(partner::Column::RegionId, "partner_region")
            .join(
                JoinType::InnerJoin,
                position_approval::Relation::Partner.def(),
            )
            .filter(position_approval::Column::VersionId.is_in(keys.iter().copied()))
            .order_by_asc(position_approval::Column::Id)
            .into_model::<ApprovalRow>()
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Self::Value> = HashMap::new();
        for row in rows {
            grouped.entry(row.version_id).or_default().push(row);
        }
        Ok(grouped)
    }
}

/// A position's backers with their partners, in the order of the partners' names.
type Backers = Vec<(position_backer::Model, partner::Model)>;

/// The partners a position was published with, and the names they had when asked.
pub struct BackingByPosition {
    db: DatabaseConnection,
}

/// The partner rows are read with the backers, in one statement, rather than through the
/// partner loader: a campaign page then costs the same statements however its loads fall into
/// batching windows.
impl Loader<i64> for BackingByPosition {
    type Value = Backers;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let backers = position_backer::Entity::find()
            .find_also_related(partner::Entity)
            .filter(position_backer::Column::PositionId.is_in(keys.iter().copied()))
            .order_by_asc(position_backer::Column::Id)
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Self::Value> = HashMap::new();
        for (backer, partner) in backers {
            if let Some(partner) = partner {
                grouped
                    .entry(backer.position_id)
                    .or_default()
                    .push((backer, partner));
            }
        }
        for backing in grouped.values_mut() {
            by_name(backing);
        }
        Ok(grouped)
    }
}

fn by_name(backing: &mut Backers) {
    backing.sort_by(|(_, a), (_, b)| a.name_key.cmp(&b.name_key));
}

/// A statement attached to a campaign, whose text is kept in numbered versions.
pub struct Position {
    seen: Visible<PositionAccess>,
    /// Its backers, when they were read with it.
    backing: Option<Backers>,
    /// The region that leads the campaign, whose staff asked for the approvals.
    lead_region: Option<i64>,
}

impl Position {
    fn shown(viewer: &Viewer, row: position::Model, facts: &PositionFacts) -> Option<Self> {
        Some(Self {
            lead_region: facts.campaign.lead_region_id,
            seen: Visible::check(viewer, row, facts)?,
            backing: None,
        })
    }

    fn row(&self) -> &position::Model {
        self.seen.row()
    }
}

#[Object]
impl Position {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn title(&self) -> &str {
        &self.row().title
    }

    async fn ownership(&self) -> Ownership {
        self.row().ownership.into()
    }

    async fn status(&self) -> PositionStatus {
        match self.row().published_version {
            None => PositionStatus::Draft,
            Some(published) if published == self.row().current_version => PositionStatus::Published,
            Some(_) => PositionStatus::Revised,
        }
    }

    async fn campaign(&self, ctx: &Context<'_>) -> ApiResult<Campaign> {
        campaign_by_id(ctx, self.row().campaign_id)
            .await?
            .ok_or(ApiError::NotFound("campaign"))
    }

    /// The text the public sees; null until published.
    async fn published_version(&self, ctx: &Context<'_>) -> ApiResult<Option<PositionVersion>> {
        match self.row().published_version {
            Some(number) => self.version(ctx, number).await,
            None => Ok(None),
        }
    }

    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.row().published_at
    }

    /// The newest text: for staff and admins, and for members of partners asked to approve
    /// it (everyone else reads `publishedVersion`).
    async fn current_version(&self, ctx: &Context<'_>) -> ApiResult<Option<PositionVersion>> {
        let Some(version) = self.version(ctx, self.row().current_version).await? else {
            return Ok(None);
        };
        let readable = self.seen.grant().team || version.asked_of_viewer(ctx).await?;
        Ok(readable.then_some(version))
    }

    /// Every version, oldest first, with the approvals asked for each. Staff and admins only.
    async fn versions(&self, ctx: &Context<'_>) -> ApiResult<Vec<PositionVersion>> {
        ctx.actor()?;
        if !self.seen.grant().team {
            return Err(ApiError::Forbidden(
                "only staff and admins see every version",
            ));
        }
        let rows = load_one(&ctx.loader::<PositionLoaders>().all_versions, self.row().id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(|row| self.version_of(row)).collect())
    }

    /// For a published partner-backed position: the partners that approved the published
    /// text when it was published and still back it, by name (each as the viewer may see it).
    async fn backers(&self, ctx: &Context<'_>) -> ApiResult<Vec<Partner>> {
        let viewer = ctx.viewer();
        Ok(self
            .backing_rows(ctx)
            .await?
            .into_iter()
            .filter(|(backer, _)| backer.withdrawn_at.is_none())
            .filter_map(|(_, partner)| Partner::shown(viewer, partner))
            .collect())
    }

    /// Every partner the published text was published with, including those that withdrew
    /// their backing since (with the date).
    async fn backing(&self, ctx: &Context<'_>) -> ApiResult<Vec<Backing>> {
        Ok(self
            .backing_rows(ctx)
            .await?
            .into_iter()
            .map(|(backer, partner)| Backing { backer, partner })
            .collect())
    }

    /// Whose position this is, in words: the charity's own, or its backers' names, with any
    /// withdrawal and its date.
    async fn attribution(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        if self.row().published_version.is_none() {
            return Ok(None);
        }
        if self.row().ownership == enums::Ownership::Own {
            return Ok(Some("This is the charity's own position.".to_owned()));
        }
        Ok(Some(attribution(&self.backing_rows(ctx).await?)))
    }

    /// Staff and admins: why the published position needs a look (a backer withdrew), and
    /// since when. Null when nothing needs attention, and for everyone else.
    async fn flag(&self) -> Option<PositionFlag> {
        if !self.seen.grant().team {
            return None;
        }
        Some(PositionFlag {
            at: self.row().flagged_at?,
            reason: self.row().flag_reason.clone().unwrap_or_default(),
        })
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row().created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.row().updated_at
    }
}

/// The words that say who backs a published partner-backed position.
fn attribution(backing: &[(position_backer::Model, partner::Model)]) -> String {
    let standing: Vec<&str> = backing
        .iter()
        .filter(|(backer, _)| backer.withdrawn_at.is_none())
        .map(|(_, partner)| partner.name.as_str())
        .collect();
    let withdrawn: Vec<String> = backing
        .iter()
        .filter_map(|(backer, partner)| {
            let at = backer.withdrawn_at?;
            Some(format!(
                "{} withdrew its backing on {}",
                partner.name,
                at.format("%-d %B %Y")
            ))
        })
        .collect();
    let mut words = if standing.is_empty() {
        "Published as backed by partners; none backs it now.".to_owned()
    } else {
        format!("Backed by partners: {}.", standing.join(", "))
    };
    if !withdrawn.is_empty() {
        words.push_str(&format!(" {}.", withdrawn.join("; ")));
    }
    words
}

impl Position {
    async fn backing_rows(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<(position_backer::Model, partner::Model)>> {
        if self.row().ownership == enums::Ownership::Own || self.row().published_version.is_none() {
            return Ok(Vec::new());
        }
        if let Some(backing) = &self.backing {
            return Ok(backing.clone());
        }
        Ok(
            load_one(&ctx.loader::<PositionLoaders>().backing, self.row().id)
                .await?
                .unwrap_or_default(),
        )
    }

    async fn version(&self, ctx: &Context<'_>, number: i32) -> ApiResult<Option<PositionVersion>> {
        Ok(load_one(
            &ctx.loader::<PositionLoaders>().versions,
            (self.row().id, number),
        )
        .await?
        .map(|row| self.version_of(row)))
    }

    fn version_of(&self, row: position_version::Model) -> PositionVersion {
        PositionVersion {
            row,
            lead_region: self.lead_region,
        }
    }
}

/// Why a published position needs a look from staff.
#[derive(SimpleObject)]
pub struct PositionFlag {
    pub at: DateTime<Utc>,
    pub reason: String,
}

/// A partner the published text was published with.
pub struct Backing {
    backer: position_backer::Model,
    partner: partner::Model,
}

#[Object]
impl Backing {
    /// The organisation's name: public, as it is part of the published statement.
    async fn name(&self) -> &str {
        &self.partner.name
    }

    /// The organisation, as the viewer may see it (null if it is no longer listed).
    async fn partner(&self, ctx: &Context<'_>) -> Option<Partner> {
        Partner::shown(ctx.viewer(), self.partner.clone())
    }

    /// The version the organisation approved.
    async fn version(&self) -> i32 {
        self.backer.version
    }

    async fn approved_at(&self) -> DateTime<Utc> {
        self.backer.approved_at
    }

    /// When the organisation took its approval back; null while it backs the text.
    async fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        self.backer.withdrawn_at
    }
}

/// One numbered text of a position.
pub struct PositionVersion {
    row: position_version::Model,
    lead_region: Option<i64>,
}

impl PositionVersion {
    async fn approval_rows(&self, ctx: &Context<'_>) -> ApiResult<Vec<ApprovalRow>> {
        Ok(
            load_one(&ctx.loader::<PositionLoaders>().approvals, self.row.id)
                .await?
                .unwrap_or_default(),
        )
    }

    /// Whether the viewer's organisation was asked to approve this version.
    async fn asked_of_viewer(&self, ctx: &Context<'_>) -> ApiResult<bool> {
        let Some(partner_id) = ctx
            .viewer()
            .signed_in()
            .and_then(|actor| actor.acting_for())
        else {
            return Ok(false);
        };
        Ok(self
            .approval_rows(ctx)
            .await?
            .iter()
            .any(|approval| approval.partner_id == partner_id))
    }
}

#[Object]
impl PositionVersion {
    async fn number(&self) -> i32 {
        self.row.number
    }

    async fn body(&self) -> &str {
        &self.row.body
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }

    /// The partners asked to approve this version and their answers, as each answer's rule
    /// lets the viewer see it: the organisation's own members, the staff of the campaign's
    /// region and of the organisation's region, and admins.
    async fn approvals(&self, ctx: &Context<'_>) -> ApiResult<Vec<PositionApproval>> {
        let viewer = ctx.viewer();
        Ok(self
            .approval_rows(ctx)
            .await?
            .into_iter()
            .filter_map(|row| {
                let (row, partner_region) = row.split();
                let facts = ApprovalFacts {
                    partner_region,
                    lead_region: self.lead_region,
                };
                PositionApproval::shown(viewer, row, &facts, &self.row)
            })
            .collect())
    }
}

/// A request to one partner to approve one version, and its answer.
pub struct PositionApproval {
    seen: Visible<ApprovalAccess>,
    position_id: i64,
    version: i32,
}

impl PositionApproval {
    fn shown(
        viewer: &Viewer,
        row: position_approval::Model,
        facts: &ApprovalFacts,
        version: &position_version::Model,
    ) -> Option<Self> {
        Some(Self {
            seen: Visible::check(viewer, row, facts)?,
            position_id: version.position_id,
            version: version.number,
        })
    }

    fn row(&self) -> &position_approval::Model {
        self.seen.row()
    }
}

#[Object]
impl PositionApproval {
    async fn position(&self, ctx: &Context<'_>) -> ApiResult<Position> {
        visible_position(ctx, self.position_id).await
    }

    /// Null when the organisation is hidden from the viewer.
    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, Some(self.row().partner_id)).await
    }

    /// The number of the version this answer is about.
    async fn version(&self) -> i32 {
        self.version
    }

    /// Null while the partner has not answered.
    async fn decision(&self) -> Option<ApprovalDecision> {
        self.row().decision.map(Into::into)
    }

    async fn comment(&self) -> Option<&str> {
        self.row().comment.as_deref()
    }

    async fn requested_at(&self) -> DateTime<Utc> {
        self.row().requested_at
    }

    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.row().responded_at
    }
}

/// An answer with the facts its rule needs, read in one statement.
#[derive(FromQueryResult)]
struct ResponseRow {
    id: i64,
    version_id: i64,
    partner_id: i64,
    requested_by: i64,
    requested_at: DateTime<Utc>,
    decision: Option<enums::ApprovalDecision>,
    comment: Option<String>,
    responded_by: Option<i64>,
    responded_at: Option<DateTime<Utc>>,
    partner_region: Option<i64>,
    position_id: i64,
    number: i32,
    lead_region: Option<i64>,
}

/// A partner's answers on positions, newest request first; `partner` is one whose records the
/// viewer may read.
pub async fn responses_of(
    ctx: &Context<'_>,
    partner: &partner::Model,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Page<PositionApproval>> {
    let args = PageArgs::<i64>::parse(first, after)?;
    let db = &ctx.state().db;
    let query = position_approval::Entity::find()
        .filter(position_approval::Column::PartnerId.eq(partner.id));
    let total = Total::of(db, query.clone());
    let rows = newest_first(query, position_approval::Column::Id, args.after)
        .join(
            JoinType::InnerJoin,
            position_approval::Relation::Version.def(),
        )
        .join(
            JoinType::InnerJoin,
            position_version::Relation::Position.def(),
        )
        .join(JoinType::InnerJoin, position::Relation::Campaign.def())
        .column_as(Expr::val(partner.region_id), "partner_region")
        .column_as(position_version::Column::PositionId, "position_id")
        .column_as(position_version::Column::Number, "number")
        .column_as(campaign::Column::LeadRegionId, "lead_region")
        .limit(args.limit())
        .into_model::<ResponseRow>()
        .all(db)
        .await?;
    let viewer = ctx.viewer();
    let shown: Vec<PositionApproval> = rows
        .into_iter()
        .filter_map(|row| {
            let facts = ApprovalFacts {
                partner_region: row.partner_region,
                lead_region: row.lead_region,
            };
            let approval = position_approval::Model {
                id: row.id,
                version_id: row.version_id,
                partner_id: row.partner_id,
                requested_by: row.requested_by,
                requested_at: row.requested_at,
                decision: row.decision,
                comment: row.comment,
                responded_by: row.responded_by,
                responded_at: row.responded_at,
            };
            Some(PositionApproval {
                seen: Visible::check(viewer, approval, &facts)?,
                position_id: row.position_id,
                version: row.number,
            })
        })
        .collect();
    Ok(page(
        shown,
        &args,
        total,
        |approval: &PositionApproval| approval.row().id,
        |approval| approval,
    ))
}

/// One page of a campaign's positions the viewer may see, oldest first; `campaign` is one the
/// viewer sees.
pub async fn positions_of(
    ctx: &Context<'_>,
    campaign: &campaign::Model,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Page<Position>> {
    let loaders = ctx.loader::<PositionLoaders>();
    let viewer = ctx.viewer();
    let audience = Audience::of(viewer);
    // The loader's query applies `visible_to`: a member's unpublished positions are exactly
    // those their organisation was asked about.
    let facts = PositionFacts {
        campaign: campaign.clone(),
        asked: matches!(audience, Audience::Partner(_)),
    };
    let page = (first, after);
    if !shows_backing(ctx) {
        let loaders = (
            &loaders.campaign_positions,
            &loaders.campaign_position_counts,
        );
        let shown = |row| Position::shown(viewer, row, &facts);
        return load_page(loaders, campaign.id, audience, page, shown).await;
    }
    let loaders = (
        &loaders.campaign_positions_backed,
        &loaders.campaign_position_counts,
    );
    let shown = |(row, mut backing): (position::Model, Backers)| {
        by_name(&mut backing);
        Position::shown(viewer, row, &facts).map(|position| Position {
            backing: Some(backing),
            ..position
        })
    };
    load_page(loaders, campaign.id, audience, page, shown).await
}

/// Whether a page of positions shows who backs each one: then its positions are read with
/// their backers, in the same statement.
fn shows_backing(ctx: &Context<'_>) -> bool {
    let page = ctx.look_ahead();
    [page.field("nodes"), page.field("edges").field("node")]
        .iter()
        .any(|node| {
            ["backers", "backing", "attribution"]
                .iter()
                .any(|field| node.field(field).exists())
        })
}

/// A position a viewer may see, or NOT_FOUND.
async fn visible_position(ctx: &Context<'_>, id: i64) -> ApiResult<Position> {
    let not_found = || ApiError::NotFound("position");
    let row = load_one(&ctx.loader::<PositionLoaders>().positions, id)
        .await?
        .ok_or_else(not_found)?;
    let campaign = load_one(&ctx.loader::<CampaignLoaders>().campaigns, row.campaign_id)
        .await?
        .ok_or_else(not_found)?;
    let member = ctx
        .viewer()
        .signed_in()
        .and_then(|actor| actor.acting_for());
    let asked = match member {
        Some(partner_id) if row.published_version.is_none() => {
            super::was_asked(&ctx.state().db, id, partner_id).await?
        }
        _ => false,
    };
    Position::shown(ctx.viewer(), row, &PositionFacts { campaign, asked }).ok_or_else(not_found)
}

#[derive(InputObject)]
pub struct CreatePositionInput {
    pub campaign_id: ID,
    pub title: String,
    pub ownership: Ownership,
    /// The text of version 1.
    pub body: String,
}

#[derive(Default)]
pub struct PositionQuery;

#[Object]
impl PositionQuery {
    /// One position: published ones for everyone who can see the campaign; drafts for staff
    /// and for members of partners asked to approve it.
    async fn position(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Position> {
        let id = input::id("id", &id)?;
        visible_position(ctx, id).await
    }
}

#[derive(Default)]
pub struct PositionMutation;

#[Object]
impl PositionMutation {
    async fn create_position(
        &self,
        ctx: &Context<'_>,
        input: CreatePositionInput,
    ) -> ApiResult<Position> {
        let actor = ctx.actor()?;
        let new = NewPosition {
            campaign_id: input::id("campaignId", &input.campaign_id)?,
            title: input::single_line("title", &input.title, MAX_TITLE_LEN)?,
            ownership: input.ownership.into(),
            body: input::required_text("body", &input.body, MAX_BODY_LEN)?,
        };
        let state = ctx.state();
        let created = super::create(&state.db, actor, state.now(), new).await?;
        visible_position(ctx, created.id).await
    }

    /// Makes a new version with this text. Approvals of earlier versions stay with them; the
    /// new version needs approvals of its own.
    async fn revise_position(
        &self,
        ctx: &Context<'_>,
        id: ID,
        body: String,
    ) -> ApiResult<Position> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let body = input::required_text("body", &body, MAX_BODY_LEN)?;
        let state = ctx.state();
        super::revise(&state.db, actor, state.now(), id, body).await?;
        visible_position(ctx, id).await
    }

    /// Asks partners to approve the current version of a partner-backed position.
    async fn request_position_approval(
        &self,
        ctx: &Context<'_>,
        position_id: ID,
        partner_ids: Vec<ID>,
    ) -> ApiResult<Position> {
        let actor = ctx.actor()?;
        let position_id = input::id("positionId", &position_id)?;
        let partner_ids = partner_ids
            .iter()
            .map(|id| input::id("partnerIds", id))
            .collect::<ApiResult<BTreeSet<i64>>>()?;
        if partner_ids.is_empty() || partner_ids.len() > MAX_PARTNERS_PER_REQUEST {
            return Err(ApiError::bad_input(
                "partnerIds",
                format!("name between 1 and {MAX_PARTNERS_PER_REQUEST} partners"),
            ));
        }
        let state = ctx.state();
        super::request_approval(&state.db, actor, state.now(), position_id, partner_ids).await?;
        visible_position(ctx, position_id).await
    }

    /// Answers for your organisation on the current version. `version` is the number of the
    /// text you read: the answer is refused if the text has changed since. Declining the
    /// published text after approving it withdraws your organisation's backing (the
    /// withdrawal is shown with its date).
    async fn respond_to_position_approval(
        &self,
        ctx: &Context<'_>,
        position_id: ID,
        decision: ApprovalDecision,
        comment: Option<String>,
        version: i32,
    ) -> ApiResult<PositionApproval> {
        let actor = ctx.actor()?;
        if actor.acting_for().is_none() {
            return Err(ApiError::Forbidden(
                "only a partner organisation's own members answer for it",
            ));
        }
        let position_id = input::id("positionId", &position_id)?;
        let comment = input::optional_text("comment", comment.as_deref(), MAX_COMMENT_LEN)?;
        let state = ctx.state();
        let (row, version) = super::respond(
            &state.db,
            actor,
            state.now(),
            position_id,
            decision.into(),
            comment,
            version,
        )
        .await?;
        // The member's own organisation's answer: its rule lets them see it.
        let facts = ApprovalFacts {
            partner_region: None,
            lead_region: None,
        };
        PositionApproval::shown(ctx.viewer(), row, &facts, &version)
            .ok_or(ApiError::NotFound("position"))
    }

    /// Publishes the current version. A partner-backed position needs at least one approval
    /// of that version; its backers are the partners that had approved it when it was
    /// published.
    async fn publish_position(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Position> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let state = ctx.state();
        super::publish(&state.db, actor, state.now(), id).await?;
        visible_position(ctx, id).await
    }
}
