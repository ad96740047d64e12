use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entities::{enums, partner, support_request};
use sea_orm::{ColumnTrait, QueryFilter, QuerySelect};

use super::{MAX_DESCRIPTION_LEN, MAX_REASON_LEN, MAX_TITLE_LEN, NewRequest, SupportRequestAccess};
use crate::{
    accounts::graphql::{User, user_by_id},
    auth::visible::Visible,
    campaigns::graphql::{Campaign, campaign_by_id},
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        pagination::{Page, PageArgs, Total, connection_cost, newest_first, page},
    },
    input,
    partners::graphql::{Partner, PartnerLoaders, partner_by_id},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::SupportKind")]
pub enum SupportKind {
    /// Help with the partner's own campaign.
    OwnCampaign,
    /// An issue the partner suggests the charity prioritises.
    PriorityIssue,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::SupportStatus")]
pub enum SupportStatus {
    Submitted,
    Accepted,
    Declined,
    Done,
}

/// A partner's request for support, and what became of it.
pub struct SupportRequest(Visible<SupportRequestAccess>);

impl SupportRequest {
    fn row(&self) -> &support_request::Model {
        self.0.row()
    }
}

#[Object]
impl SupportRequest {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, Some(self.row().partner_id)).await
    }

    /// The charity's campaign it relates to, if any.
    async fn campaign(&self, ctx: &Context<'_>) -> ApiResult<Option<Campaign>> {
        match self.row().campaign_id {
            Some(id) => campaign_by_id(ctx, id).await,
            None => Ok(None),
        }
    }

    async fn kind(&self) -> SupportKind {
        self.row().kind.into()
    }

    async fn title(&self) -> &str {
        &self.row().title
    }

    async fn description(&self) -> &str {
        &self.row().description
    }

    async fn status(&self) -> SupportStatus {
        self.row().status.into()
    }

    /// Why it was declined (or any note given with the decision).
    async fn reason(&self) -> Option<&str> {
        self.row().decision_reason.as_deref()
    }

    async fn submitted_by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user_by_id(ctx, Some(self.row().created_by)).await
    }

    async fn decided_by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user_by_id(ctx, self.row().decided_by).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row().created_at
    }

    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.row().decided_at
    }
}

#[derive(InputObject)]
pub struct RequestSupportInput {
    pub kind: SupportKind,
    pub title: String,
    pub description: String,
    /// The charity's campaign this relates to, if any.
    pub campaign_id: Option<ID>,
}

#[derive(InputObject, Default)]
pub struct SupportRequestFilter {
    pub status: Option<SupportStatus>,
    pub partner_id: Option<ID>,
}

#[derive(Default)]
pub struct SupportRequestQuery;

#[Object]
impl SupportRequestQuery {
    /// Requests you may see, newest first: your organisation's (members), your region's
    /// partners' (staff), or all (admins).
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn support_requests(
        &self,
        ctx: &Context<'_>,
        filter: Option<SupportRequestFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<SupportRequest>> {
        let actor = ctx.actor()?;
        let filter = filter.unwrap_or_default();
        let mut query = super::visible_to(actor);
        if let Some(status) = filter.status {
            query = query
                .filter(support_request::Column::Status.eq(enums::SupportStatus::from(status)));
        }
        if let Some(partner_id) =
            input::optional_id("filter.partnerId", filter.partner_id.as_ref())?
        {
            query = query.filter(support_request::Column::PartnerId.eq(partner_id));
        }
        support_page(ctx, query, first, after).await
    }
}

/// A page of support requests, newest first.
pub async fn support_page(
    ctx: &Context<'_>,
    query: sea_orm::Select<support_request::Entity>,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Page<SupportRequest>> {
    let args = PageArgs::<i64>::parse(first, after)?;
    let db = &ctx.state().db;
    let total = Total::of(db, query.clone());
    let rows = newest_first(query, support_request::Column::Id, args.after)
        .find_also_related(partner::Entity)
        .limit(args.limit())
        .all(db)
        .await?;
    let viewer = ctx.viewer();
    let shown = rows
        .into_iter()
        .filter_map(|(row, partner)| {
            let region = partner.and_then(|partner| partner.region_id);
            Visible::check(viewer, row, &region).map(SupportRequest)
        })
        .collect();
    Ok(page(
        shown,
        &args,
        total,
        |request: &SupportRequest| request.row().id,
        |request| request,
    ))
}

/// A request the viewer has just made or answered.
async fn written(ctx: &Context<'_>, row: support_request::Model) -> ApiResult<SupportRequest> {
    let region = load_one(&ctx.loader::<PartnerLoaders>().by_id, row.partner_id)
        .await?
        .and_then(|partner| partner.region_id);
    Visible::check(ctx.viewer(), row, &region)
        .map(SupportRequest)
        .ok_or(ApiError::NotFound("support request"))
}

#[derive(Default)]
pub struct SupportRequestMutation;

#[Object]
impl SupportRequestMutation {
    /// Asks the charity to support your organisation's campaign, or suggests a priority issue.
    async fn request_support(
        &self,
        ctx: &Context<'_>,
        input: RequestSupportInput,
    ) -> ApiResult<SupportRequest> {
        let actor = ctx.actor()?;
        let new = NewRequest {
            kind: input.kind.into(),
            title: input::single_line("title", &input.title, MAX_TITLE_LEN)?,
            description: input::required_text(
                "description",
                &input.description,
                MAX_DESCRIPTION_LEN,
            )?,
            campaign_id: input::optional_id("campaignId", input.campaign_id.as_ref())?,
        };
        let state = ctx.state();
        written(
            ctx,
            super::submit(&state.db, actor, state.now(), new).await?,
        )
        .await
    }

    /// Triage: SUBMITTED → ACCEPTED or DECLINED (a reason is required), ACCEPTED → DONE.
    async fn update_support_request(
        &self,
        ctx: &Context<'_>,
        id: ID,
        status: SupportStatus,
        reason: Option<String>,
    ) -> ApiResult<SupportRequest> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let reason = input::optional_text("reason", reason.as_deref(), MAX_REASON_LEN)?;
        let state = ctx.state();
        let updated =
            super::decide(&state.db, actor, state.now(), id, status.into(), reason).await?;
        written(ctx, updated).await
    }
}
