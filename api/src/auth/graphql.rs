use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::{
    Client, Viewer,
    sessions::{self, SignedIn},
};
use crate::{
    accounts::graphql::{User, user_by_id},
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
    },
    input::Password,
    partners::graphql::PartnerLoaders,
};

/// The client of the request, as the HTTP layer recognised it.
pub fn client_of(ctx: &Context<'_>) -> Client {
    ctx.data_opt::<Client>().cloned().unwrap_or_default()
}

/// What signing in gives: a short-lived access token for the `Authorization: Bearer` header,
/// and a refresh token to get the next one.
#[derive(SimpleObject)]
pub struct AuthPayload {
    pub access_token: String,
    pub access_token_expires_at: DateTime<Utc>,
    /// Single use: each refresh returns a new one. Reusing an old one ends the session.
    pub refresh_token: String,
    pub refresh_token_expires_at: DateTime<Utc>,
    pub user: User,
}

impl AuthPayload {
    /// The answer to someone who has just signed in: their own account, shown to them as the
    /// session just opened sees it.
    pub async fn signed_in(ctx: &Context<'_>, signed_in: SignedIn) -> ApiResult<Self> {
        let owner = Viewer(Some(sessions::actor_of(
            &signed_in.user,
            signed_in.session_id,
        )));
        let partner_region = match signed_in.user.partner_id {
            Some(id) => load_one(&ctx.loader::<PartnerLoaders>().by_id, id)
                .await?
                .and_then(|partner| partner.region_id),
            None => None,
        };
        let user = User::shown(&owner, signed_in.user, partner_region)
            .ok_or(ApiError::Unauthenticated("this account no longer exists"))?;
        Ok(Self {
            access_token: signed_in.access_token,
            access_token_expires_at: signed_in.access_token_expires_at,
            refresh_token: signed_in.refresh_token,
            refresh_token_expires_at: signed_in.refresh_token_expires_at,
            user,
        })
    }
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in person.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let actor = ctx.actor()?;
        user_by_id(ctx, Some(actor.user_id))
            .await?
            .ok_or(ApiError::Unauthenticated("this account no longer exists"))
    }
}

#[derive(Default)]
pub struct AuthMutation;

#[Object]
impl AuthMutation {
    /// Signs in. Repeated failures for one address are refused for a while (RATE_LIMITED).
    async fn login(
        &self,
        ctx: &Context<'_>,
        email: String,
        password: String,
    ) -> ApiResult<AuthPayload> {
        let signed_in = sessions::login(ctx.state(), &email, password, &client_of(ctx)).await?;
        AuthPayload::signed_in(ctx, signed_in).await
    }

    /// Exchanges a refresh token for new tokens.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> ApiResult<AuthPayload> {
        let signed_in = sessions::refresh(ctx.state(), refresh_token.trim()).await?;
        AuthPayload::signed_in(ctx, signed_in).await
    }

    /// Ends the session the refresh token belongs to; its access tokens stop working too.
    async fn logout(&self, ctx: &Context<'_>, refresh_token: String) -> ApiResult<bool> {
        sessions::logout(ctx.state(), refresh_token.trim()).await?;
        Ok(true)
    }

    /// Changes your password; your other sessions end.
    async fn change_password(
        &self,
        ctx: &Context<'_>,
        current_password: String,
        new_password: String,
    ) -> ApiResult<bool> {
        let actor = ctx.actor()?;
        let new_password = Password::parse("newPassword", new_password)?;
        sessions::change_password(
            ctx.state(),
            actor,
            &client_of(ctx),
            current_password,
            new_password,
        )
        .await?;
        Ok(true)
    }
}
