use async_graphql::{Context, Object, SimpleObject};
use chrono::{DateTime, Utc};

use super::sessions::{self, SignedIn};
use crate::{
    accounts::graphql::User,
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
    },
    input::Password,
};

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

impl From<SignedIn> for AuthPayload {
    fn from(signed_in: SignedIn) -> Self {
        Self {
            access_token: signed_in.access_token,
            access_token_expires_at: signed_in.access_token_expires_at,
            refresh_token: signed_in.refresh_token,
            refresh_token_expires_at: signed_in.refresh_token_expires_at,
            user: User::shown_to_owner(signed_in.user),
        }
    }
}

#[derive(Default)]
pub struct AuthQuery;

#[Object]
impl AuthQuery {
    /// The signed-in person.
    async fn me(&self, ctx: &Context<'_>) -> ApiResult<User> {
        let actor = ctx.actor()?;
        load_one(&ctx.loaders().users, actor.user_id)
            .await?
            .map(User::from)
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
        Ok(sessions::login(ctx.state(), &email, password).await?.into())
    }

    /// Exchanges a refresh token for new tokens.
    async fn refresh_session(
        &self,
        ctx: &Context<'_>,
        refresh_token: String,
    ) -> ApiResult<AuthPayload> {
        Ok(sessions::refresh(ctx.state(), refresh_token.trim())
            .await?
            .into())
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
        let state = ctx.state();
        sessions::change_password(
            &state.db,
            actor,
            state.now(),
            current_password,
            new_password,
        )
        .await?;
        Ok(true)
    }
}
