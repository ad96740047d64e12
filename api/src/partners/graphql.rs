use async_graphql::{
    Context, Enum, ID, InputObject, MaybeUndefined, Object, SimpleObject, dataloader::DataLoader,
};
use chrono::{DateTime, Utc};
use entities::{enums, partner, support_request};
use sea_orm::{ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QuerySelect};

use super::{
    EditScope, ListFilter, MAX_CONTACT_NAME_LEN, MAX_DESCRIPTION_LEN, MAX_NAME_LEN, MAX_TOWN_LEN,
    NewPartner, PartnerAccess, PartnerChanges, PartnerFields, optional_email, spreadsheet,
};
use crate::{
    auth::{Viewer, visible::Visible},
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{ById, batching},
        pagination::{Page, PageArgs, Total, connection_cost, page, rows_and_total},
    },
    input,
    joint_actions::graphql::{OptInEvent, history_of_partner},
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
        history_of_partner(ctx, self.row().id, first, after).await
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
    let paged = super::after_cursor(query.clone(), args.after.as_ref()).limit(args.limit());
    let (rows, total) = rows_and_total(ctx, db, (query, paged), args.after.is_none()).await?;
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
        let region_id = input::optional_id("regionId", self.region_id.as_ref())?;
        PartnerFields {
            name: self.name,
            kind: self.kind.map(Into::into),
            town: self.town,
            website: self.website,
            description: self.description,
            status: self.status.map(Into::into),
            contact_name: self.contact_name,
            contact_email: self.contact_email,
            contact_phone: self.contact_phone,
        }
        .check(region_id)
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

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum ImportOutcome {
    Created,
    Updated,
    /// Matched a partner that already says the same.
    Unchanged,
    /// Not imported: see `reason`.
    Skipped,
}

/// What one row of an import did (or, in a dry run, would do).
#[derive(SimpleObject)]
pub struct PartnerImportRow {
    /// The row's line in the file; the header is line 1.
    pub line: u64,
    pub name: String,
    pub outcome: ImportOutcome,
    /// The partner it matched, or created.
    pub partner_id: Option<ID>,
    pub reason: Option<String>,
}

#[derive(SimpleObject)]
pub struct PartnerImportReport {
    /// Nothing was written.
    pub dry_run: bool,
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub skipped: u64,
    pub rows: Vec<PartnerImportRow>,
}

impl PartnerImportReport {
    fn new(dry_run: bool, lines: Vec<spreadsheet::ReportLine>) -> Self {
        let count = |outcome| lines.iter().filter(|line| line.outcome == outcome).count() as u64;
        Self {
            dry_run,
            created: count(spreadsheet::Outcome::Created),
            updated: count(spreadsheet::Outcome::Updated),
            unchanged: count(spreadsheet::Outcome::Unchanged),
            skipped: count(spreadsheet::Outcome::Skipped),
            rows: lines
                .into_iter()
                .map(|line| PartnerImportRow {
                    line: line.line,
                    name: line.name,
                    outcome: match line.outcome {
                        spreadsheet::Outcome::Created => ImportOutcome::Created,
                        spreadsheet::Outcome::Updated => ImportOutcome::Updated,
                        spreadsheet::Outcome::Unchanged => ImportOutcome::Unchanged,
                        spreadsheet::Outcome::Skipped => ImportOutcome::Skipped,
                    },
                    partner_id: line.partner_id.map(|id| ID(id.to_string())),
                    reason: line.reason,
                })
                .collect(),
        }
    }
}

/// A region's partners as CSV text to save as a file.
#[derive(SimpleObject)]
pub struct PartnerExport {
    /// e.g. `partners-north-west-2026-12-01.csv` (`no-region` for partners outside them).
    pub filename: String,
    /// UTF-8 CSV with a header row: name, kind, town, website, description, contact_name,
    /// contact_email, contact_phone, status. Importing it changes nothing.
    pub csv: String,
    pub row_count: u64,
}

#[derive(Default)]
pub struct PartnerMutation;

#[Object]
impl PartnerMutation {
    /// Staff (their region) and admins (any; no region: partners outside them) import partners
    /// from CSV with the columns of `exportPartnersCsv` (`name` required; at most 5,000 rows).
    /// Every row is checked first; the report says what each does. With `dryRun: false` every
    /// valid row is written in one transaction.
    async fn import_partners(
        &self,
        ctx: &Context<'_>,
        region_id: Option<ID>,
        csv: String,
        #[graphql(desc = "Unless false, nothing is written: the report says what would be.")]
        dry_run: Option<bool>,
    ) -> ApiResult<PartnerImportReport> {
        let dry_run = dry_run.unwrap_or(true);
        let actor = ctx.actor()?;
        let region_id = input::optional_id("regionId", region_id.as_ref())?;
        let state = ctx.state();
        let lines =
            spreadsheet::import(&state.db, actor, state.now(), region_id, &csv, dry_run).await?;
        Ok(PartnerImportReport::new(dry_run, lines))
    }

    /// Staff (their region) and admins: the region's partners as CSV, contact details
    /// included. Recorded in the audit log.
    async fn export_partners_csv(
        &self,
        ctx: &Context<'_>,
        region_id: Option<ID>,
    ) -> ApiResult<PartnerExport> {
        let actor = ctx.actor()?;
        let region_id = input::optional_id("regionId", region_id.as_ref())?;
        let state = ctx.state();
        let (csv, rows) = spreadsheet::export(&state.db, actor, state.now(), region_id).await?;
        let region = region_id
            .and_then(|id| state.regions.iter().find(|region| region.id == id))
            .map_or("no-region", |region| region.slug.as_str());
        Ok(PartnerExport {
            filename: format!("partners-{region}-{}.csv", state.now().date_naive()),
            csv,
            row_count: rows as u64,
        })
    }

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
