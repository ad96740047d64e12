use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use entities::{enums, opt_in_event, partner, support_request};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::{
    EditScope, ListFilter, MAX_CONTACT_NAME_LEN, MAX_DESCRIPTION_LEN, MAX_NAME_LEN, MAX_TOWN_LEN,
    NewPartner, PartnerAccess, PartnerChanges,
};
use crate::{
    auth::{Viewer, visible::Visible},
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{ById, batching},
        pagination::{Page, PageArgs, Total, connection_cost, page},
    },
    input::{self, EmailAddress},
    joint_actions::graphql::{OptInEvent, events_page},
    positions::graphql::PositionApproval,
    regions::graphql::{Region, region_by_id},
    support_requests::graphql::{SupportRequest, support_page},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::PartnerKind")]
pub enum PartnerKind {
    CommunityGroup,
    FaithGroup,
    SanctuaryGroup,
    LawCentre,
    Charity,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::PartnerStatus")]
pub enum PartnerStatus {
    /// Talking about working together.
    Prospective,
    /// Working with the charity now.
    Active,
    /// No longer active in the network.
    Lapsed,
}

/// An organisation in the network, as the viewer may see it.
pub struct Partner(Visible<PartnerAccess>);

impl Partner {
    /// The partner as `viewer` may see it; `None` when it is hidden from them.
    pub fn shown(viewer: &Viewer, row: partner::Model) -> Option<Self> {
        Visible::check(viewer, row, &()).map(Self)
    }

    pub fn row(&self) -> &partner::Model {
        self.0.row()
    }
}

/// The partners' batching loader; other slices reach partner rows only through it.
pub struct PartnerLoaders {
    pub by_id: DataLoader<ById<partner::Entity>>,
}

impl PartnerLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            by_id: batching(ById::new(db.clone())),
        }
    }
}

#[Object]
impl Partner {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn name(&self) -> &str {
        &self.row().name
    }

    async fn kind(&self) -> PartnerKind {
        self.row().kind.into()
    }

    /// None when the partner is outside the staffed regions and looked after nationally.
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.row().region_id)
    }

    async fn town(&self) -> Option<&str> {
        self.row().town.as_deref()
    }

    async fn website(&self) -> Option<&str> {
        self.row().website.as_deref()
    }

    /// What the organisation does, for the public.
    async fn description(&self) -> &str {
        &self.row().description
    }

    async fn status(&self) -> PartnerStatus {
        self.row().status.into()
    }

    /// Visible to the region's staff, admins and the organisation's members; otherwise null.
    async fn contact_name(&self) -> Option<&str> {
        self.private(&self.row().contact_name)
    }

    /// Visible to the region's staff, admins and the organisation's members; otherwise null.
    async fn contact_email(&self) -> Option<&str> {
        self.private(&self.row().contact_email)
    }

    /// Visible to the region's staff, admins and the organisation's members; otherwise null.
    async fn contact_phone(&self) -> Option<&str> {
        self.private(&self.row().contact_phone)
    }

    /// Whether the viewer may edit this organisation (fully, or its public profile).
    async fn viewer_can_edit(&self, ctx: &Context<'_>) -> bool {
        ctx.viewer()
            .signed_in()
            .is_some_and(|actor| super::can_edit_partner(actor, self.row()) != EditScope::Nothing)
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row().created_at
    }

    async fn updated_at(&self) -> DateTime<Utc> {
        self.row().updated_at
    }

    /// Engagement: every opt-in and withdrawal, oldest first. Staff, admins and own members.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn joint_action_history(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<OptInEvent>> {
        ctx.actor()?;
        if !self.0.grant().opt_in_history {
            return Err(ApiError::Forbidden(
                "a partner's opt-in history is for staff, admins and its own members",
            ));
        }
        let query =
            opt_in_event::Entity::find().filter(opt_in_event::Column::PartnerId.eq(self.row().id));
        events_page(ctx, query, first, after).await
    }

    /// Engagement: the positions the partner was asked to approve and its answers, newest
    /// first. The staff of its region, admins and its own members.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn position_responses(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<PositionApproval>> {
        self.check_private(ctx)?;
        crate::positions::graphql::responses_of(ctx, self.row(), first, after).await
    }

    /// Engagement: the partner's requests for support, newest first. The staff of its
    /// region, admins and its own members.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn support_requests(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<SupportRequest>> {
        self.check_private(ctx)?;
        let query = support_request::Entity::find()
            .filter(support_request::Column::PartnerId.eq(self.row().id));
        support_page(ctx, query, first, after).await
    }

    /// What it has taken part in, over all time. The staff of its region, admins and its own
    /// members.
    async fn engagement(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<crate::engagement::graphql::PartnerEngagement> {
        self.check_private(ctx)?;
        crate::engagement::graphql::partner_engagement(ctx, self.row().id).await
    }

    /// Engagement: the training its people attended. The staff of its region, admins and its
    /// own members.
    async fn training(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<crate::training::graphql::PartnerTrainingSummary> {
        self.check_private(ctx)?;
        crate::training::graphql::partner_training(ctx, self.row().id).await
    }

    /// Petitions the organisation says it promotes.
    async fn petitions(
        &self,
        ctx: &Context<'_>,
    ) -> ApiResult<Vec<crate::petitions::graphql::Petition>> {
        crate::petitions::graphql::promoted_by_partner(ctx, self.row().id).await
    }
}

impl Partner {
    fn check_private(&self, ctx: &Context<'_>) -> ApiResult<()> {
        ctx.actor()?;
        if self.0.grant().private {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "a partner's records are for the staff of its region, admins and its own members",
            ))
        }
    }

    fn private<'a>(&self, value: &'a Option<String>) -> Option<&'a str> {
        self.0.grant().private.then_some(value.as_deref()).flatten()
    }
}

/// A partner for a resolver that holds only its id; `None` when it is hidden from the viewer.
pub async fn partner_by_id(ctx: &Context<'_>, id: Option<i64>) -> ApiResult<Option<Partner>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let row = load_one(&ctx.loader::<PartnerLoaders>().by_id, id).await?;
    Ok(row.and_then(|row| Partner::shown(ctx.viewer(), row)))
}

/// A partner the viewer has just created or changed.
fn written(ctx: &Context<'_>, row: partner::Model) -> ApiResult<Partner> {
    Partner::shown(ctx.viewer(), row).ok_or(ApiError::NotFound("partner"))
}

#[derive(InputObject, Default)]
pub struct PartnerFilter {
    /// Partners of this region; `null` for partners outside the staffed regions.
    pub region_id: MaybeUndefined<ID>,
    pub status: Option<PartnerStatus>,
    pub kind: Option<PartnerKind>,
    /// Words to find in the name, town or description (at most 100 characters).
    pub search: Option<String>,
}

impl PartnerFilter {
    pub fn in_region(region_id: i64) -> Self {
        Self {
            region_id: MaybeUndefined::Value(ID(region_id.to_string())),
            ..Default::default()
        }
    }

    fn parse(self) -> ApiResult<ListFilter> {
        let region_id = match self.region_id {
            MaybeUndefined::Undefined => None,
            MaybeUndefined::Null => Some(None),
            MaybeUndefined::Value(id) => Some(Some(input::id("filter.regionId", &id)?)),
        };
        Ok(ListFilter {
            region_id,
            status: self.status.map(Into::into),
            kind: self.kind.map(Into::into),
            search: input::optional_text("filter.search", self.search.as_deref(), 100)?,
        })
    }
}

/// One page of the partners a viewer may see.
pub async fn list(
    ctx: &Context<'_>,
    filter: PartnerFilter,
    first: Option<i32>,
    after: Option<String>,
) -> ApiResult<Page<Partner>> {
    let args = PageArgs::<(String, i64)>::parse(first, after)?;
    let filter = filter.parse()?;
    let db = &ctx.state().db;
    let query = super::visible(ctx.viewer(), &filter);
    let total = Total::of(db, query.clone());
    let rows = super::after_cursor(query, args.after.as_ref())
        .limit(args.limit())
        .all(db)
        .await?;
    Ok(shown_page(ctx, rows, &args, total))
}

/// A page of partner rows, each as the viewer may see it (a row the rule hides is left out).
pub fn shown_page(
    ctx: &Context<'_>,
    rows: Vec<partner::Model>,
    args: &PageArgs<(String, i64)>,
    total: Total,
) -> Page<Partner> {
    let viewer = ctx.viewer();
    let shown = rows
        .into_iter()
        .filter_map(|row| Partner::shown(viewer, row))
        .collect();
    page(
        shown,
        args,
        total,
        |partner: &Partner| (partner.row().name_key.clone(), partner.row().id),
        |partner| partner,
    )
}

#[derive(Default)]
pub struct PartnerQuery;

#[Object]
impl PartnerQuery {
    /// One partner organisation. NOT_FOUND when it does not exist or is not visible to you.
    async fn partner(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Partner> {
        let id = input::id("id", &id)?;
        partner_by_id(ctx, Some(id))
            .await?
            .ok_or(ApiError::NotFound("partner"))
    }

    /// Partner organisations, by name. The public sees active partners only.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn partners(
        &self,
        ctx: &Context<'_>,
        filter: Option<PartnerFilter>,
        #[graphql(desc = "Page size: 20 when not given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> ApiResult<Page<Partner>> {
        list(ctx, filter.unwrap_or_default(), first, after).await
    }
}

#[derive(InputObject)]
pub struct CreatePartnerInput {
    pub name: String,
    /// OTHER when not given.
    pub kind: Option<PartnerKind>,
    /// None for partners outside the staffed regions (admins only).
    pub region_id: Option<ID>,
    pub town: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
    /// ACTIVE when not given.
    pub status: Option<PartnerStatus>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

impl CreatePartnerInput {
    fn parse(self) -> ApiResult<NewPartner> {
        Ok(NewPartner {
            name: input::single_line("name", &self.name, MAX_NAME_LEN)?,
            kind: self.kind.map_or(enums::PartnerKind::Other, Into::into),
            region_id: input::optional_id("regionId", self.region_id.as_ref())?,
            town: input::optional_single_line("town", self.town.as_deref(), MAX_TOWN_LEN)?,
            website: input::website("website", self.website.as_deref())?,
            description: input::optional_text(
                "description",
                self.description.as_deref(),
                MAX_DESCRIPTION_LEN,
            )?
            .unwrap_or_default(),
            status: self.status.map_or(enums::PartnerStatus::Active, Into::into),
            contact_name: input::optional_single_line(
                "contactName",
                self.contact_name.as_deref(),
                MAX_CONTACT_NAME_LEN,
            )?,
            contact_email: optional_email("contactEmail", self.contact_email.as_deref())?,
            contact_phone: input::phone_number("contactPhone", self.contact_phone.as_deref())?,
        })
    }
}

/// Fields left out are not changed; fields set to null are cleared.
#[derive(InputObject)]
pub struct UpdatePartnerInput {
    pub name: Option<String>,
    pub kind: Option<PartnerKind>,
    pub region_id: MaybeUndefined<ID>,
    pub town: MaybeUndefined<String>,
    pub website: MaybeUndefined<String>,
    pub description: Option<String>,
    pub status: Option<PartnerStatus>,
    pub contact_name: MaybeUndefined<String>,
    pub contact_email: MaybeUndefined<String>,
    pub contact_phone: MaybeUndefined<String>,
}

impl UpdatePartnerInput {
    fn parse(self) -> ApiResult<PartnerChanges> {
        Ok(PartnerChanges {
            name: self
                .name
                .map(|name| input::single_line("name", &name, MAX_NAME_LEN))
                .transpose()?,
            kind: self.kind.map(Into::into),
            region_id: nullable(self.region_id, |id| input::id("regionId", &id))?,
            town: nullable(self.town, |town| {
                input::optional_single_line("town", Some(&town), MAX_TOWN_LEN)
            })?
            .map(Option::flatten),
            website: nullable(self.website, |site| input::website("website", Some(&site)))?
                .map(Option::flatten),
            description: self
                .description
                .map(|text| {
                    input::optional_text("description", Some(&text), MAX_DESCRIPTION_LEN)
                        .map(Option::unwrap_or_default)
                })
                .transpose()?,
            status: self.status.map(Into::into),
            contact_name: nullable(self.contact_name, |name| {
                input::optional_single_line("contactName", Some(&name), MAX_CONTACT_NAME_LEN)
            })?
            .map(Option::flatten),
            contact_email: nullable(self.contact_email, |email| {
                optional_email("contactEmail", Some(&email))
            })?
            .map(Option::flatten),
            contact_phone: nullable(self.contact_phone, |phone| {
                input::phone_number("contactPhone", Some(&phone))
            })?
            .map(Option::flatten),
        })
    }
}

/// Turns a field that may be left out, set to null, or given into "unchanged", "cleared" or
/// a checked value.
fn nullable<T, U>(
    value: MaybeUndefined<T>,
    check: impl FnOnce(T) -> ApiResult<U>,
) -> ApiResult<Option<Option<U>>> {
    Ok(match value {
        MaybeUndefined::Undefined => None,
        MaybeUndefined::Null => Some(None),
        MaybeUndefined::Value(value) => Some(Some(check(value)?)),
    })
}

fn optional_email(field: &str, raw: Option<&str>) -> ApiResult<Option<String>> {
    match raw.map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => Ok(Some(EmailAddress::parse(field, text)?.into_string())),
        None => Ok(None),
    }
}

#[derive(Default)]
pub struct PartnerMutation;

#[Object]
impl PartnerMutation {
    /// Adds a partner organisation. Admins anywhere; staff in their own region.
    async fn create_partner(
        &self,
        ctx: &Context<'_>,
        input: CreatePartnerInput,
    ) -> ApiResult<Partner> {
        let actor = ctx.actor()?;
        let new = input.parse()?;
        let state = ctx.state();
        written(
            ctx,
            super::create(&state.db, actor, state.now(), new).await?,
        )
    }

    /// Changes a partner organisation. Admins and the region's staff may change anything;
    /// the organisation's members may change its public profile.
    async fn update_partner(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdatePartnerInput,
    ) -> ApiResult<Partner> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let changes = input.parse()?;
        let state = ctx.state();
        written(
            ctx,
            super::update(&state.db, actor, state.now(), id, changes).await?,
        )
    }
}
