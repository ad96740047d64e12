use std::{collections::HashMap, sync::Arc};

use async_graphql::{
    Context, Enum, ID, InputObject, Object,
    dataloader::{DataLoader, Loader},
};
use chrono::{DateTime, Utc};
use entities::{enums, invitation, partner, user};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, QueryFilter, QueryOrder, QuerySelect,
    Select,
};

use super::{MAX_PERSON_NAME_LEN, Membership, UserAccess};
use crate::{
    auth::{
        Actor, Viewer,
        graphql::{AuthPayload, client_of},
        visible::Visible,
    },
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{ById, batching},
        pagination::{Page, PageArgs, Total, connection_cost, newest_first, page},
    },
    input::{self, EmailAddress, Password},
    partners::graphql::{Partner, PartnerLoaders, partner_by_id},
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

/// A person with an account, as the viewer may see them.
pub struct User(Visible<UserAccess>);

impl User {
    /// The account as `viewer` may see it; `partner_region` is the region of a member's
    /// organisation.
    pub fn shown(viewer: &Viewer, row: user::Model, partner_region: Option<i64>) -> Option<Self> {
        Visible::check(viewer, row, &partner_region).map(Self)
    }

    fn row(&self) -> &user::Model {
        self.0.row()
    }
}

#[Object]
impl User {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn name(&self) -> &str {
        &self.row().name
    }

    /// Null unless the viewer may see it (see the README's privacy rules).
    async fn email(&self) -> Option<&str> {
        self.0.grant().email.then_some(self.row().email.as_str())
    }

    async fn role(&self) -> Role {
        self.row().role.into()
    }

    /// The region a staff member works in.
    async fn region(&self, ctx: &Context<'_>) -> ApiResult<Option<Region>> {
        Ok(region_by_id(ctx, self.row().region_id))
    }

    /// The organisation a partner member acts for (null if it is hidden from the viewer).
    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, self.row().partner_id).await
    }

    /// False once an admin has deactivated the account.
    async fn active(&self) -> bool {
        self.row().active
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row().created_at
    }
}

/// The accounts slice's batching loaders.
pub struct AccountLoaders {
    pub users: DataLoader<ById<user::Entity>>,
    pub staff_by_region: DataLoader<StaffByRegion>,
}

impl AccountLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            users: batching(ById::new(db.clone())),
            staff_by_region: batching(StaffByRegion { db: db.clone() }),
        }
    }
}

/// The active staff of each region, by name.
pub struct StaffByRegion {
    db: DatabaseConnection,
}

impl Loader<i64> for StaffByRegion {
    type Value = Vec<user::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = user::Entity::find()
            .filter(user::Column::Role.eq(enums::Role::Staff))
            .filter(user::Column::Active.eq(true))
            .filter(user::Column::RegionId.is_in(keys.iter().copied()))
            .order_by_asc(user::Column::Name)
            .order_by_asc(user::Column::Id)
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Vec<user::Model>> = HashMap::new();
        for row in rows {
            if let Some(region_id) = row.region_id {
                grouped.entry(region_id).or_default().push(row);
            }
        }
        Ok(grouped)
    }
}

/// Accounts as the viewer may see them, each with its organisation's region (read through the
/// partner loader, so a list costs one more query, not one per account).
pub async fn shown_users(ctx: &Context<'_>, rows: Vec<user::Model>) -> ApiResult<Vec<User>> {
    let partner_ids: Vec<i64> = rows.iter().filter_map(|row| row.partner_id).collect();
    let partners = if partner_ids.is_empty() {
        HashMap::new()
    } else {
        ctx.loader::<PartnerLoaders>()
            .by_id
            .load_many(partner_ids)
            .await?
    };
    let viewer = ctx.viewer();
    Ok(rows
        .into_iter()
        .filter_map(|row| {
            let region = row
                .partner_id
                .and_then(|id| partners.get(&id))
                .and_then(|partner| partner.region_id);
            User::shown(viewer, row, region)
        })
        .collect())
}

/// A person for a resolver that holds only their id (null if hidden from the viewer).
pub async fn user_by_id(ctx: &Context<'_>, id: Option<i64>) -> ApiResult<Option<User>> {
    let Some(id) = id else {
        return Ok(None);
    };
    let Some(row) = load_one(&ctx.loader::<AccountLoaders>().users, id).await? else {
        return Ok(None);
    };
    Ok(shown_users(ctx, vec![row]).await?.pop())
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum InvitationStatus {
    Pending,
    Accepted,
    Expired,
    Revoked,
}

/// An invitation to open an account. Its link goes to the invited address only; it is never
/// part of an answer.
pub struct Invitation {
    pub row: invitation::Model,
}

#[Object]
impl Invitation {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    async fn email(&self) -> &str {
        &self.row.email
    }

    /// The address the invitation link was emailed to (the only place the link goes).
    async fn emailed_to(&self) -> &str {
        &self.row.email
    }

    async fn role(&self) -> Role {
        self.row.role.into()
    }

    async fn region(&self, ctx: &Context<'_>) -> ApiResult<Option<Region>> {
        Ok(region_by_id(ctx, self.row.region_id))
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
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
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
        let users = shown_users(ctx, rows).await?;
        Ok(page(users, &args, total, |user| user.row().id, |user| user))
    }

    /// Invitations, newest first: all for admins, those for their region's partners for staff.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
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
            |row| Invitation { row },
        ))
    }
}

#[derive(Default)]
pub struct AccountMutation;

#[Object]
impl AccountMutation {
    /// Invites someone to open an account. Admins invite anyone; staff invite members of
    /// partners in their region. The single-use link is emailed to the invited address and
    /// never shown to the inviter.
    async fn invite_user(
        &self,
        ctx: &Context<'_>,
        input: InviteUserInput,
    ) -> ApiResult<Invitation> {
        let actor = ctx.actor()?;
        let (email, membership) = input.parse()?;
        let row = super::invite(ctx.state(), actor, email, membership).await?;
        Ok(Invitation { row })
    }

    /// Opens the invited account with a name and password, and signs in.
    async fn accept_invitation(
        &self,
        ctx: &Context<'_>,
        token: String,
        name: String,
        password: String,
    ) -> ApiResult<AuthPayload> {
        let name = input::single_line("name", &name, MAX_PERSON_NAME_LEN)?;
        let password = Password::parse("password", password)?;
        let client = client_of(ctx);
        let signed_in = super::accept(ctx.state(), token.trim(), name, password, &client).await?;
        AuthPayload::signed_in(ctx, signed_in).await
    }

    /// Withdraws an invitation that has not been accepted.
    async fn revoke_invitation(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Invitation> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let row = super::revoke_invitation(ctx.state(), actor, id).await?;
        Ok(Invitation { row })
    }

    /// Deactivates an account: its sessions end and its tokens stop working. Admins only.
    async fn deactivate_user(&self, ctx: &Context<'_>, id: ID) -> ApiResult<User> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let row = super::set_active(ctx.state(), actor, id, false).await?;
        written_user(ctx, row).await
    }

    /// Lets a deactivated account sign in again. Admins only.
    async fn reactivate_user(&self, ctx: &Context<'_>, id: ID) -> ApiResult<User> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let row = super::set_active(ctx.state(), actor, id, true).await?;
        written_user(ctx, row).await
    }
}

/// An account the viewer has just changed.
async fn written_user(ctx: &Context<'_>, row: user::Model) -> ApiResult<User> {
    shown_users(ctx, vec![row])
        .await?
        .pop()
        .ok_or(ApiError::NotFound("account"))
}
