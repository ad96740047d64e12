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
    enums, partner, partnership_enquiry as enquiry, partnership_enquiry_goal as enquiry_goal,
};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QuerySelect,
};

use super::{EnquiryAccess, MAX_MESSAGE_LEN, NewEnquiry};
use crate::{
    accounts::graphql::{User, user_by_id},
    auth::{
        graphql::client_of,
        visible::{AccessRule, Visible},
    },
    campaigns::graphql::{AdvocacyGoal, goals_by_id},
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{Links, batching},
        pagination::{Page, PageArgs, Total, connection_cost, newest_first, page},
    },
    input::{self, EmailAddress},
    partners::{
        self, PartnerAccess,
        graphql::{Partner, PartnerKind, PartnerStatus, partner_by_id},
    },
    regions::graphql::{Region, region_by_id},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::EnquiryStatus")]
pub enum EnquiryStatus {
    /// Waiting for the contact to confirm their address (never shown to staff).
    Unconfirmed,
    /// Confirmed; waiting for staff to decide.
    Open,
    Accepted,
    Declined,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum DuplicateMatch {
    /// The same website.
    Website,
    /// The same name in the same town.
    NameAndTown,
}

/// The enquiries slice's batching loaders.
pub struct EnquiryLoaders {
    goal_ids: DataLoader<Links<enquiry_goal::Entity>>,
    duplicates: DataLoader<Duplicates>,
}

impl EnquiryLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            goal_ids: batching(Links::new(
                db,
                enquiry_goal::Column::EnquiryId,
                enquiry_goal::Column::GoalId,
            )),
            duplicates: batching(Duplicates { db: db.clone() }),
        }
    }
}

/// What an enquiry is compared on.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Likeness {
    enquiry_id: i64,
    website: Option<String>,
    name_key: String,
    town: Option<String>,
}

impl Likeness {
    fn of(row: &enquiry::Model) -> Self {
        Self {
            enquiry_id: row.id,
            website: row.website.clone(),
            name_key: row.name_key.clone(),
            town: row.town.as_deref().map(str::to_lowercase),
        }
    }

    fn matches(
        &self,
        website: Option<&str>,
        name_key: &str,
        town: Option<&str>,
    ) -> Option<DuplicateMatch> {
        if self.website.is_some() && self.website.as_deref() == website {
            return Some(DuplicateMatch::Website);
        }
        let town = town.map(str::to_lowercase);
        (self.name_key == name_key && self.town == town).then_some(DuplicateMatch::NameAndTown)
    }
}

/// Partners and other open enquiries that look like the same organisation.
pub struct Duplicates {
    db: DatabaseConnection,
}

#[derive(Clone)]
pub struct Found {
    name: String,
    matched_on: DuplicateMatch,
    partner: Option<partner::Model>,
    enquiry: Option<enquiry::Model>,
}

impl Found {
    /// Whether the viewer may see what it looks like (another region's enquiry is not theirs
    /// to read).
    fn visible_to(&self, viewer: &crate::auth::Viewer) -> bool {
        let partner_shown = self
            .partner
            .as_ref()
            .is_none_or(|row| PartnerAccess::grant(viewer, row, &()).is_some());
        let enquiry_shown = self
            .enquiry
            .as_ref()
            .is_none_or(|row| EnquiryAccess::grant(viewer, row, &()).is_some());
        partner_shown && enquiry_shown
    }
}

impl Loader<Likeness> for Duplicates {
    type Value = Vec<Found>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[Likeness]) -> Result<HashMap<Likeness, Vec<Found>>, Self::Error> {
        let websites: BTreeSet<&str> = keys.iter().filter_map(|k| k.website.as_deref()).collect();
        let names: BTreeSet<&str> = keys.iter().map(|k| k.name_key.as_str()).collect();
        let alike = |website: partner::Column, name: partner::Column| {
            Condition::any()
                .add(website.is_in(websites.iter().copied()))
                .add(name.is_in(names.iter().copied()))
        };
        let partners = partner::Entity::find()
            .filter(alike(partner::Column::Website, partner::Column::NameKey))
            .all(&self.db)
            .await?;
        let enquiries = enquiry::Entity::find()
            .filter(enquiry::Column::Status.eq(enums::EnquiryStatus::Open))
            .filter(
                Condition::any()
                    .add(enquiry::Column::Website.is_in(websites.iter().copied()))
                    .add(enquiry::Column::NameKey.is_in(names.iter().copied())),
            )
            .all(&self.db)
            .await?;
        Ok(keys
            .iter()
            .map(|key| {
                let mut found: Vec<Found> = partners
                    .iter()
                    .filter_map(|row| {
                        let matched_on = key.matches(
                            row.website.as_deref(),
                            &row.name_key,
                            row.town.as_deref(),
                        )?;
                        Some(Found {
                            name: row.name.clone(),
                            matched_on,
                            partner: Some(row.clone()),
                            enquiry: None,
                        })
                    })
                    .collect();
                found.extend(
                    enquiries
                        .iter()
                        .filter(|row| row.id != key.enquiry_id)
                        .filter_map(|row| {
                            let matched_on = key.matches(
                                row.website.as_deref(),
                                &row.name_key,
                                row.town.as_deref(),
                            )?;
                            Some(Found {
                                name: row.organisation_name.clone(),
                                matched_on,
                                partner: None,
                                enquiry: Some(row.clone()),
                            })
                        }),
                );
                (key.clone(), found)
            })
            .collect())
    }
}

/// An organisation that looks like the one asking.
pub struct LikelyDuplicate(Found);

#[Object]
impl LikelyDuplicate {
    async fn name(&self) -> &str {
        &self.0.name
    }

    async fn matched_on(&self) -> DuplicateMatch {
        self.0.matched_on
    }

    /// The partner organisation it looks like, if it is one.
    async fn partner(&self, ctx: &Context<'_>) -> Option<Partner> {
        self.0
            .partner
            .clone()
            .and_then(|row| Partner::shown(ctx.viewer(), row))
    }

    /// The other open enquiry it looks like, if it is one.
    async fn enquiry_id(&self) -> Option<ID> {
        self.0.enquiry.as_ref().map(|row| ID(row.id.to_string()))
    }
}

/// An organisation asking to work with the charity.
pub struct PartnershipEnquiry(Visible<EnquiryAccess>);

impl PartnershipEnquiry {
    fn row(&self) -> &enquiry::Model {
        self.0.row()
    }
}

#[Object]
impl PartnershipEnquiry {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn organisation_name(&self) -> &str {
        &self.row().organisation_name
    }

    async fn kind(&self) -> PartnerKind {
        self.row().kind.into()
    }

    async fn town(&self) -> Option<&str> {
        self.row().town.as_deref()
    }

    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.row().region_id)
    }

    async fn website(&self) -> Option<&str> {
        self.row().website.as_deref()
    }

    async fn description(&self) -> &str {
        &self.row().description
    }

    async fn contact_name(&self) -> &str {
        &self.row().contact_name
    }

    async fn contact_email(&self) -> &str {
        &self.row().contact_email
    }

    async fn message(&self) -> &str {
        &self.row().message
    }

    /// The long-term goals the organisation already works towards.
    async fn goals(&self, ctx: &Context<'_>) -> ApiResult<Vec<AdvocacyGoal>> {
        let ids = load_one(&ctx.loader::<EnquiryLoaders>().goal_ids, self.row().id)
            .await?
            .unwrap_or_default();
        Ok(goals_by_id(ctx, &ids))
    }

    async fn status(&self) -> EnquiryStatus {
        self.row().status.into()
    }

    /// Partners and other open enquiries with the same website, or the same name in the same
    /// town: perhaps the same organisation, for staff to check before deciding.
    async fn likely_duplicates(&self, ctx: &Context<'_>) -> ApiResult<Vec<LikelyDuplicate>> {
        let found = load_one(
            &ctx.loader::<EnquiryLoaders>().duplicates,
            Likeness::of(self.row()),
        )
        .await?
        .unwrap_or_default();
        let viewer = ctx.viewer();
        Ok(found
            .into_iter()
            .filter(|found| found.visible_to(viewer))
            .map(LikelyDuplicate)
            .collect())
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row().created_at
    }

    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.row().confirmed_at
    }

    async fn decided_by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user_by_id(ctx, self.row().decided_by).await
    }

    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.row().decided_at
    }

    /// Why it was declined (the contact was told).
    async fn decision_reason(&self) -> Option<&str> {
        self.row().decision_reason.as_deref()
    }

    /// The partner organisation made from it, once accepted.
    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, self.row().partner_id).await
    }
}

#[derive(InputObject)]
pub struct RequestPartnershipInput {
    pub organisation_name: String,
    /// OTHER when not given.
    pub kind: Option<PartnerKind>,
    pub town: Option<String>,
    /// The region the organisation works in; none if outside the staffed regions.
    pub region_id: Option<ID>,
    pub website: Option<String>,
    #[graphql(default)]
    pub description: String,
    pub contact_name: String,
    pub contact_email: String,
    /// The long-term goals the organisation already works towards.
    #[graphql(default)]
    pub goal_ids: Vec<ID>,
    pub message: String,
}

impl RequestPartnershipInput {
    fn parse(self) -> ApiResult<NewEnquiry> {
        let goal_ids = self
            .goal_ids
            .iter()
            .map(|id| input::id("goalIds", id))
            .collect::<ApiResult<BTreeSet<i64>>>()?;
        if goal_ids.len() > crate::campaigns::MAX_GOALS {
            return Err(ApiError::bad_input("goalIds", "at most the eight goals"));
        }
        Ok(NewEnquiry {
            organisation_name: input::single_line(
                "organisationName",
                &self.organisation_name,
                partners::MAX_NAME_LEN,
            )?,
            kind: self.kind.map_or(enums::PartnerKind::Other, Into::into),
            town: input::optional_single_line(
                "town",
                self.town.as_deref(),
                partners::MAX_TOWN_LEN,
            )?,
            region_id: input::optional_id("regionId", self.region_id.as_ref())?,
            website: input::website("website", self.website.as_deref())?,
            description: input::optional_text(
                "description",
                Some(&self.description),
                partners::MAX_DESCRIPTION_LEN,
            )?
            .unwrap_or_default(),
            contact_name: input::single_line(
                "contactName",
                &self.contact_name,
                partners::MAX_CONTACT_NAME_LEN,
            )?,
            contact_email: EmailAddress::parse("contactEmail", &self.contact_email)?,
            goal_ids,
            message: input::required_text("message", &self.message, MAX_MESSAGE_LEN)?,
        })
    }
}

/// The same answer whatever happened: it never tells whether the organisation is known.
#[derive(SimpleObject)]
pub struct EnquiryAnswer {
    pub message: String,
}

#[derive(InputObject, Default)]
pub struct EnquiryFilter {
    /// Admins: one region's enquiries (staff always see their own region's).
    pub region_id: Option<ID>,
    pub status: Option<EnquiryStatus>,
}

#[derive(Default)]
pub struct EnquiryQuery;

#[Object]
impl EnquiryQuery {
    /// Partnership enquiries to decide, newest first: the staff member's region's, or for admins
    /// all of them (or one region's). Unconfirmed enquiries never appear.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn partnership_enquiries(
        &self,
        ctx: &Context<'_>,
        filter: Option<EnquiryFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<PartnershipEnquiry>> {
        let actor = ctx.actor()?;
        let filter = filter.unwrap_or_default();
        let mut query = super::decided_by(actor)?;
        if let Some(region_id) = input::optional_id("filter.regionId", filter.region_id.as_ref())? {
            query = query.filter(enquiry::Column::RegionId.eq(region_id));
        }
        if let Some(status) = filter.status {
            query = query.filter(enquiry::Column::Status.eq(enums::EnquiryStatus::from(status)));
        }
        let args = PageArgs::<i64>::parse(first, after)?;
        let db = &ctx.state().db;
        let total = Total::of(db, query.clone());
        let rows = newest_first(query, enquiry::Column::Id, args.after)
            .limit(args.limit())
            .all(db)
            .await?;
        let viewer = ctx.viewer();
        let shown = rows
            .into_iter()
            .filter_map(|row| Visible::check(viewer, row, &()).map(PartnershipEnquiry))
            .collect();
        Ok(page(
            shown,
            &args,
            total,
            |enquiry: &PartnershipEnquiry| enquiry.row().id,
            |enquiry| enquiry,
        ))
    }

    /// One enquiry, for those who decide it.
    async fn partnership_enquiry(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<PartnershipEnquiry> {
        ctx.actor()?;
        let id = input::id("id", &id)?;
        shown(ctx, id).await
    }
}

async fn shown(ctx: &Context<'_>, id: i64) -> ApiResult<PartnershipEnquiry> {
    enquiry::Entity::find_by_id(id)
        .one(&ctx.state().db)
        .await?
        .and_then(|row| Visible::check(ctx.viewer(), row, &()))
        .map(PartnershipEnquiry)
        .ok_or(ApiError::NotFound("partnership enquiry"))
}

#[derive(Default)]
pub struct EnquiryMutation;

#[Object]
impl EnquiryMutation {
    /// Asks to become a partner of the charity (no account needed). The contact is emailed a
    /// link to confirm; only then does the enquiry reach staff.
    async fn request_partnership(
        &self,
        ctx: &Context<'_>,
        input: RequestPartnershipInput,
    ) -> ApiResult<EnquiryAnswer> {
        let new = input.parse()?;
        super::request(ctx.state(), new, &client_of(ctx)).await?;
        Ok(EnquiryAnswer {
            message: "Thank you. Check your inbox: we have sent a link to confirm your enquiry."
                .to_owned(),
        })
    }

    /// Confirms an enquiry with the token from its email (the page at the link does this too).
    async fn confirm_partnership_enquiry(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> ApiResult<bool> {
        super::confirm(ctx.state(), &token).await?;
        Ok(true)
    }

    /// Accepts an enquiry: the partner organisation is made from it (PROSPECTIVE unless staff
    /// choose ACTIVE) and its contact is emailed an invitation to act for it.
    async fn accept_partnership_enquiry(
        &self,
        ctx: &Context<'_>,
        id: ID,
        #[graphql(default_with = "PartnerStatus::Prospective")] status: PartnerStatus,
    ) -> ApiResult<PartnershipEnquiry> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        if status == PartnerStatus::Lapsed {
            return Err(ApiError::bad_input(
                "status",
                "a new partner is PROSPECTIVE or ACTIVE",
            ));
        }
        super::accept(ctx.state(), actor, id, status.into()).await?;
        shown(ctx, id).await
    }

    /// Declines an enquiry; the contact is emailed the reason.
    async fn decline_partnership_enquiry(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> ApiResult<PartnershipEnquiry> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let reason = input::required_text("reason", &reason, MAX_MESSAGE_LEN)?;
        super::decline(ctx.state(), actor, id, reason).await?;
        shown(ctx, id).await
    }
}
