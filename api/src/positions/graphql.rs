use std::collections::BTreeSet;

use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entities::{enums, partner, position, position_approval, position_version};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

use super::{MAX_BODY_LEN, MAX_COMMENT_LEN, MAX_PARTNERS_PER_REQUEST, MAX_TITLE_LEN, NewPosition};
use crate::{
    auth::Viewer,
    campaigns::graphql::{Campaign, campaign_by_id},
    graphql::{
        children::Audience,
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
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

/// A statement attached to a campaign, whose text is kept in numbered versions.
pub struct Position(pub position::Model);

#[Object]
impl Position {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn title(&self) -> &str {
        &self.0.title
    }

    async fn ownership(&self) -> Ownership {
        self.0.ownership.into()
    }

    async fn status(&self) -> PositionStatus {
        match self.0.published_version {
            None => PositionStatus::Draft,
            Some(published) if published == self.0.current_version => PositionStatus::Published,
            Some(_) => PositionStatus::Revised,
        }
    }

    async fn campaign(&self, ctx: &Context<'_>) -> ApiResult<Campaign> {
        campaign_by_id(ctx, self.0.campaign_id)
            .await?
            .ok_or(ApiError::NotFound("campaign"))
    }

    /// The text the public sees; null until published.
    async fn published_version(&self, ctx: &Context<'_>) -> ApiResult<Option<PositionVersion>> {
        match self.0.published_version {
            Some(number) => self.version(ctx, number).await,
            None => Ok(None),
        }
    }

    async fn published_at(&self) -> Option<DateTime<Utc>> {
        self.0.published_at
    }

    /// The newest text: for staff and admins, and for members of partners asked to approve it.
    async fn current_version(&self, ctx: &Context<'_>) -> ApiResult<Option<PositionVersion>> {
        let version = self.version(ctx, self.0.current_version).await?;
        match version {
            Some(version) if can_read_version(ctx, &version.0).await? => Ok(Some(version)),
            _ => Ok(None),
        }
    }

    /// Every version, oldest first, with the approvals asked for each. Staff and admins only.
    async fn versions(&self, ctx: &Context<'_>) -> ApiResult<Vec<PositionVersion>> {
        if !ctx.actor()?.is_team() {
            return Err(ApiError::Forbidden(
                "only staff and admins see every version",
            ));
        }
        let rows = position_version::Entity::find()
            .filter(position_version::Column::PositionId.eq(self.0.id))
            .order_by_asc(position_version::Column::Number)
            .all(&ctx.state().db)
            .await?;
        Ok(rows.into_iter().map(PositionVersion).collect())
    }

    /// For a published partner-backed position: exactly the partners that approved the
    /// published version, by name. Empty otherwise.
    async fn backers(&self, ctx: &Context<'_>) -> ApiResult<Vec<Partner>> {
        Ok(self
            .backer_rows(ctx)
            .await?
            .into_iter()
            .map(Partner)
            .collect())
    }

    /// Whose position this is, in words: the charity's own, or the backers' names.
    async fn attribution(&self, ctx: &Context<'_>) -> ApiResult<Option<String>> {
        if self.0.published_version.is_none() {
            return Ok(None);
        }
        if self.0.ownership == enums::Ownership::Own {
            return Ok(Some("This is the charity's own position.".to_owned()));
        }
        let names: Vec<String> = self
            .backer_rows(ctx)
            .await?
            .into_iter()
            .map(|partner| partner.name)
            .collect();
        Ok(Some(format!("Backed by partners: {}.", names.join(", "))))
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.0.updated_at
    }
}

impl Position {
    async fn backer_rows(&self, ctx: &Context<'_>) -> ApiResult<Vec<partner::Model>> {
        if self.0.ownership == enums::Ownership::Own || self.0.published_version.is_none() {
            return Ok(Vec::new());
        }
        Ok(ctx
            .loaders()
            .backers
            .load_one(self.0.id)
            .await?
            .unwrap_or_default())
    }

    async fn version(&self, ctx: &Context<'_>, number: i32) -> ApiResult<Option<PositionVersion>> {
        Ok(ctx
            .loaders()
            .versions
            .load_one((self.0.id, number))
            .await?
            .map(PositionVersion))
    }
}

/// Staff and admins read every version; a member reads a version their organisation was
/// asked about; everyone reads the published one.
async fn can_read_version(ctx: &Context<'_>, version: &position_version::Model) -> ApiResult<bool> {
    let viewer = ctx.viewer();
    if viewer.signed_in().is_some_and(|actor| actor.is_team()) {
        return Ok(true);
    }
    let Some(partner_id) = viewer.signed_in().and_then(|actor| actor.acting_for()) else {
        return Ok(false);
    };
    Ok(approvals_of(ctx, version.id)
        .await?
        .iter()
        .any(|approval| approval.partner_id == partner_id))
}

async fn approvals_of(
    ctx: &Context<'_>,
    version_id: i64,
) -> ApiResult<Vec<position_approval::Model>> {
    Ok(position_approval::Entity::find()
        .filter(position_approval::Column::VersionId.eq(version_id))
        .order_by_asc(position_approval::Column::Id)
        .all(&ctx.state().db)
        .await?)
}

/// One numbered text of a position.
pub struct PositionVersion(pub position_version::Model);

#[Object]
impl PositionVersion {
    async fn number(&self) -> i32 {
        self.0.number
    }

    async fn body(&self) -> &str {
        &self.0.body
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }

    /// The partners asked to approve this version and their answers: all of them for staff and
    /// admins, their own organisation's for partner members, none for the public.
    async fn approvals(&self, ctx: &Context<'_>) -> ApiResult<Vec<PositionApproval>> {
        let audience = Audience::of(ctx.viewer());
        if audience == Audience::Everyone {
            return Ok(Vec::new());
        }
        Ok(approvals_of(ctx, self.0.id)
            .await?
            .into_iter()
            .filter(|approval| match audience {
                Audience::Partner(partner_id) => approval.partner_id == partner_id,
                _ => true,
            })
            .map(|row| PositionApproval::new(row, &self.0))
            .collect())
    }
}

/// A request to one partner to approve one version, and its answer.
pub struct PositionApproval {
    row: position_approval::Model,
    position_id: i64,
    version: i32,
}

impl PositionApproval {
    pub fn new(row: position_approval::Model, version: &position_version::Model) -> Self {
        Self {
            row,
            position_id: version.position_id,
            version: version.number,
        }
    }
}

#[Object]
impl PositionApproval {
    async fn position(&self, ctx: &Context<'_>) -> ApiResult<Position> {
        visible_position(ctx, self.position_id).await
    }

    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, Some(self.row.partner_id)).await
    }

    /// The number of the version this answer is about.
    async fn version(&self) -> i32 {
        self.version
    }

    /// Null while the partner has not answered.
    async fn decision(&self) -> Option<ApprovalDecision> {
        self.row.decision.map(Into::into)
    }

    async fn comment(&self) -> Option<&str> {
        self.row.comment.as_deref()
    }

    async fn requested_at(&self) -> DateTime<Utc> {
        self.row.requested_at
    }

    async fn responded_at(&self) -> Option<DateTime<Utc>> {
        self.row.responded_at
    }
}

/// A partner's answers on positions, newest request first.
pub async fn responses_of(
    ctx: &Context<'_>,
    partner_id: i64,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Page<PositionApproval>> {
    let args = PageArgs::<i64>::parse(first, after)?;
    let db = &ctx.state().db;
    let query = position_approval::Entity::find()
        .filter(position_approval::Column::PartnerId.eq(partner_id));
    let total = Total::of(db, query.clone());
    let rows = newest_first(query, position_approval::Column::Id, args.after)
        .find_also_related(position_version::Entity)
        .limit(args.limit())
        .all(db)
        .await?;
    let rows: Vec<_> = rows
        .into_iter()
        .filter_map(|(approval, version)| Some((approval, version?)))
        .collect();
    Ok(page(
        rows,
        &args,
        total,
        |(approval, _)| approval.id,
        |(approval, version)| PositionApproval::new(approval, &version),
    ))
}

/// A position a viewer may see, or NOT_FOUND.
async fn visible_position(ctx: &Context<'_>, id: i64) -> ApiResult<Position> {
    let not_found = ApiError::NotFound("position");
    let position = load_one(&ctx.loaders().positions, id)
        .await?
        .ok_or(not_found.clone())?;
    campaign_by_id(ctx, position.campaign_id)
        .await?
        .ok_or(not_found.clone())?;
    let visible = match Audience::of(ctx.viewer()) {
        Audience::Team => true,
        _ if position.published_version.is_some() => true,
        Audience::Partner(partner_id) => super::was_asked(&ctx.state().db, id, partner_id).await?,
        Audience::Everyone => false,
    };
    visible.then_some(Position(position)).ok_or(not_found)
}

fn is_member(viewer: &Viewer) -> bool {
    viewer
        .signed_in()
        .and_then(|actor| actor.acting_for())
        .is_some()
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
            title: input::required_text("title", &input.title, MAX_TITLE_LEN)?,
            ownership: input.ownership.into(),
            body: input::required_text("body", &input.body, MAX_BODY_LEN)?,
        };
        let state = ctx.state();
        Ok(Position(
            super::create(&state.db, actor, state.now(), new).await?,
        ))
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
        Ok(Position(
            super::revise(&state.db, actor, state.now(), id, body).await?,
        ))
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
        Ok(Position(
            super::request_approval(&state.db, actor, state.now(), position_id, partner_ids)
                .await?,
        ))
    }

    /// Answers for your organisation on the current version. Pass `version` (the number you
    /// read) and the answer is refused if the text has changed since.
    async fn respond_to_position_approval(
        &self,
        ctx: &Context<'_>,
        position_id: ID,
        decision: ApprovalDecision,
        comment: Option<String>,
        version: Option<i32>,
    ) -> ApiResult<PositionApproval> {
        let actor = ctx.actor()?;
        if !is_member(ctx.viewer()) {
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
        Ok(PositionApproval::new(row, &version))
    }

    /// Publishes the current version. A partner-backed position needs at least one approval
    /// of that version; its backers are exactly the partners that gave one.
    async fn publish_position(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Position> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let state = ctx.state();
        Ok(Position(
            super::publish(&state.db, actor, state.now(), id).await?,
        ))
    }
}
