use async_graphql::{Context, Enum, ID, InputObject, Object};
use chrono::{DateTime, Utc};
use entities::{enums, invitation, partner, user};
use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, QuerySelect, Select};

use super::{MAX_PERSON_NAME_LEN, Membership};
use crate::{
    auth::{Actor, graphql::AuthPayload},
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        pagination::{Page, PageArgs, Total, newest_first, page},
    },
    input::{self, EmailAddress, Password},
    partners::graphql::{Partner, partner_by_id},
    regions::graphql::{Region, region_by_id},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::Role")]
pub enum Role {
    /// The national team: everything, everywhere.
    Admin,
    /// Regional staff, bound to one region.
    Staff,
    /// A person acting for one partner organisation.
    Partner,
}

/// A person with an account.
pub struct User {
    row: user::Model,
    /// Shown to the person themself, as in the answer that just signed them in.
    shown_to_owner: bool,
}

impl From<user::Model> for User {
    fn from(row: user::Model) -> Self {
        Self {
            row,
            shown_to_owner: false,
        }
    }
}

impl User {
    pub fn shown_to_owner(row: user::Model) -> Self {
        Self {
            row,
            shown_to_owner: true,
        }
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.row.name
    }

    /// Null unless the viewer may see it (see the README's privacy rules).
    async fn email(&self, ctx: &Context<'_>) -> ApiResult<Option<&str>> {
        let partner_region = match self.row.partner_id.filter(|_| !self.shown_to_owner) {
            Some(partner_id) => load_one(&ctx.loaders().partners, partner_id)
                .await?
                .and_then(|partner| partner.region_id),
            None => None,
        };
        let visible =
            self.shown_to_owner || super::can_see_email(ctx.viewer(), &self.row, partner_region);
        Ok(visible.then_some(self.row.email.as_str()))
    }

    async fn role(&self) -> Role {
        self.row.role.into()
    }

    /// The region a staff member works in.
    async fn region(&self, ctx: &Context<'_>) -> ApiResult<Option<Region>> {
        region_by_id(ctx, self.row.region_id).await
    }

    /// The organisation a partner member acts for.
    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, self.row.partner_id).await
    }

    /// False once an admin has deactivated the account.
    async fn active(&self) -> bool {
        self.row.active
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }
}

/// A person's data for a resolver that holds only their id.
pub async fn user_by_id(ctx: &Context<'_>, id: Option<i64>) -> ApiResult<Option<User>> {
    match id {
        Some(id) => Ok(load_one(&ctx.loaders().users, id).await?.map(User::from)),
        None => Ok(None),
    }
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

/// An invitation to open an account.
pub struct Invitation {
    pub row: invitation::Model,
    /// The link to open the account; only known in the answer that created the invitation.
    pub accept_url: Option<String>,
}

#[Object]
impl Invitation {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    async fn email(&self) -> &str {
        &self.row.email
    }

    async fn role(&self) -> Role {
        self.row.role.into()
    }

    async fn region(&self, ctx: &Context<'_>) -> ApiResult<Option<Region>> {
        region_by_id(ctx, self.row.region_id).await
    }

    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, self.row.partner_id).await
    }

    async fn invited_by(&self, ctx: &Context<'_>) -> ApiResult<Option<User>> {
        user_by_id(ctx, Some(self.row.invited_by)).await
    }

    async fn status(&self, ctx: &Context<'_>) -> InvitationStatus {
        if self.row.accepted_at.is_some() {
            InvitationStatus::Accepted
        } else if self.row.revoked_at.is_some() {
            InvitationStatus::Revoked
        } else if self.row.expires_at <= ctx.state().now() {
            InvitationStatus::Expired
        } else {
            InvitationStatus::Pending
        }
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row.created_at
    }

    async fn expires_at(&self) -> DateTime<Utc> {
        self.row.expires_at
    }

    /// The single-use link for the invited person. Given only when the invitation is created.
    async fn accept_url(&self) -> Option<&str> {
        self.accept_url.as_deref()
    }
}

#[derive(InputObject)]
pub struct InviteUserInput {
    pub email: String,
    pub role: Role,
    /// Required for STAFF.
    pub region_id: Option<ID>,
    /// Required for PARTNER.
    pub partner_id: Option<ID>,
}

impl InviteUserInput {
    fn parse(self) -> ApiResult<(EmailAddress, Membership)> {
        let email = EmailAddress::parse("email", &self.email)?;
        let region_id = input::optional_id("regionId", self.region_id.as_ref())?;
        let partner_id = input::optional_id("partnerId", self.partner_id.as_ref())?;
        let membership = match (self.role, region_id, partner_id) {
            (Role::Admin, None, None) => Membership::Admin,
            (Role::Staff, Some(region_id), None) => Membership::Staff { region_id },
            (Role::Partner, None, Some(partner_id)) => Membership::Partner { partner_id },
            (Role::Staff, None, _) => {
                return Err(ApiError::bad_input("regionId", "staff need a region"));
            }
            (Role::Partner, _, None) => {
                return Err(ApiError::bad_input(
                    "partnerId",
                    "partner members need a partner",
                ));
            }
            (_, Some(_), _) => {
                return Err(ApiError::bad_input(
                    "regionId",
                    "only staff belong to a region",
                ));
            }
            (_, _, Some(_)) => {
                return Err(ApiError::bad_input(
                    "partnerId",
                    "only partner members belong to a partner",
                ));
            }
        };
        Ok((email, membership))
    }
}

#[derive(InputObject, Default)]
pub struct UserFilter {
    pub role: Option<Role>,
    pub region_id: Option<ID>,
    pub partner_id: Option<ID>,
    pub active: Option<bool>,
}

fn users_matching(filter: UserFilter) -> ApiResult<Select<user::Entity>> {
    let mut query = user::Entity::find();
    if let Some(role) = filter.role {
        query = query.filter(user::Column::Role.eq(enums::Role::from(role)));
    }
    if let Some(region_id) = input::optional_id("filter.regionId", filter.region_id.as_ref())? {
        query = query.filter(user::Column::RegionId.eq(region_id));
    }
    if let Some(partner_id) = input::optional_id("filter.partnerId", filter.partner_id.as_ref())? {
        query = query.filter(user::Column::PartnerId.eq(partner_id));
    }
    if let Some(active) = filter.active {
        query = query.filter(user::Column::Active.eq(active));
    }
    Ok(query)
}

/// Invitations an actor may see: all for admins; for staff, those to partners of their region.
fn invitations_visible_to(actor: &Actor) -> ApiResult<Select<invitation::Entity>> {
    let query = invitation::Entity::find();
    if actor.is_admin() {
        return Ok(query);
    }
    match (actor.is_staff(), actor.region_id) {
        (true, Some(region_id)) => Ok(query.filter(
            invitation::Column::PartnerId.in_subquery(
                sea_orm::sea_query::Query::select()
                    .column(partner::Column::Id)
                    .from(partner::Entity)
                    .and_where(partner::Column::RegionId.eq(region_id))
                    .to_owned(),
            ),
        )),
        _ => Err(ApiError::Forbidden(
            "only admins and staff can see invitations",
        )),
    }
}

#[derive(Default)]
pub struct AccountQuery;

#[Object]
impl AccountQuery {
    /// Every account, newest first. Admins only.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn users(
        &self,
        ctx: &Context<'_>,
        filter: Option<UserFilter>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<User>> {
        if !super::can_manage_accounts(ctx.actor()?) {
            return Err(ApiError::Forbidden("only admins can list accounts"));
        }
        let args = PageArgs::<i64>::parse(first, after)?;
        let db = &ctx.state().db;
        let query = users_matching(filter.unwrap_or_default())?;
        let total = Total::of(db, query.clone());
        let rows = newest_first(query, user::Column::Id, args.after)
            .limit(args.limit())
            .all(db)
            .await?;
        Ok(page(rows, &args, total, |row| row.id, User::from))
    }

    /// Invitations, newest first: all for admins, those for their region's partners for staff.
    #[graphql(complexity = "first.unwrap_or(20).max(0) as usize * child_complexity")]
    async fn invitations(
        &self,
        ctx: &Context<'_>,
        first: Option<i32>,
        after: Option<String>,
    ) -> ApiResult<Page<Invitation>> {
        let query = invitations_visible_to(ctx.actor()?)?;
        let args = PageArgs::<i64>::parse(first, after)?;
        let db = &ctx.state().db;
        let total = Total::of(db, query.clone());
        let rows = newest_first(query, invitation::Column::Id, args.after)
            .limit(args.limit())
            .all(db)
            .await?;
        Ok(page(
            rows,
            &args,
            total,
            |row| row.id,
            |row| Invitation {
                row,
                accept_url: None,
            },
        ))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Invites someone to open an account. Admins invite anyone; staff invite members of
    /// partners in their region. The answer carries the single-use `acceptUrl`.
    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        input: InviteUserInput,
    ) -> ApiResult<Invitation> {
        let actor = ctx.actor()?;
        let (email, membership) = input.parse()?;
        let state = ctx.state();
        let invited = super::invite(state, actor, email, membership).await?;
        Ok(Invitation {
            accept_url: Some(super::accept_url(state, &invited.token)),
            row: invited.invitation,
        })
    }

    /// Opens the invited account with a name and password, and signs in.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
        name: String,
        password: String,
    ) -> ApiResult<AuthPayload> {
        let name = input::required_text("name", &name, MAX_PERSON_NAME_LEN)?;
        let password = Password::parse("password", password)?;
        let signed_in = super::accept(ctx.state(), token.trim(), name, password).await?;
        Ok(AuthPayload::from(signed_in))
    }

    /// Withdraws an invitation that has not been accepted.
    async fn revoke_invitation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Invitation> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let row = super::revoke_invitation(ctx.state(), actor, id).await?;
        Ok(Invitation {
            row,
            accept_url: None,
        })
    }

    /// Deactivates an account: its sessions end and its tokens stop working. Admins only.
    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID) -> ApiResult<User> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        Ok(User::from(
            super::set_active(ctx.state(), actor, id, false).await?,
        ))
    }

    /// Lets a deactivated account sign in again. Admins only.
    async fn reactivate_user(&self, ctx: &Context<'_>, id: ID) -> ApiResult<User> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        Ok(User::from(
            super::set_active(ctx.state(), actor, id, true).await?,
        ))
    }
}
