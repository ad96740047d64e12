//! Who is asking: accounts signing in, their sessions and tokens, and the sign-in throttle.
//! Each domain slice decides what an actor may do in its own `can_…` functions.

pub mod client;
pub mod graphql;
pub mod live;
pub mod passwords;
pub mod session_cache;
pub mod sessions;
pub mod throttle;
pub mod tokens;
pub mod visible;

pub use client::Client;

use entities::enums::Role;

use crate::graphql::error::{ApiError, ApiResult};

/// A signed-in person, as established from a valid access token.
#[derive(Debug, Clone)]
pub struct Actor {
    pub user_id: i64,
    pub session_id: i64,
    pub role: Role,
    /// The region a STAFF account works in.
    pub region_id: Option<i64>,
    /// The organisation a PARTNER account acts for.
    pub partner_id: Option<i64>,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    pub fn is_staff(&self) -> bool {
        self.role == Role::Staff
    }

    /// Staff or admin: the charity's own people.
    pub fn is_team(&self) -> bool {
        matches!(self.role, Role::Admin | Role::Staff)
    }

    /// Staff whose region is `region_id` (never true for records outside every region).
    pub fn is_staff_of(&self, region_id: Option<i64>) -> bool {
        self.is_staff() && region_id.is_some() && self.region_id == region_id
    }

    /// Admins, and staff for their own region's work and national work (`region_id` none):
    /// who writes updates, runs training and follows petitions.
    pub fn works_on(&self, region_id: Option<i64>) -> bool {
        self.is_admin() || (self.is_staff() && (region_id.is_none() || self.is_staff_of(region_id)))
    }

    pub fn is_member_of(&self, partner_id: i64) -> bool {
        self.role == Role::Partner && self.partner_id == Some(partner_id)
    }

    /// The organisation a partner member acts for; None for the charity's own people.
    pub fn acting_for(&self) -> Option<i64> {
        match self.role {
            Role::Partner => self.partner_id,
            Role::Admin | Role::Staff => None,
        }
    }
}

/// The person behind a request, if anyone signed in.
#[derive(Debug, Clone, Default)]
pub struct Viewer(pub Option<Actor>);

impl Viewer {
    pub fn actor(&self) -> ApiResult<&Actor> {
        self.0
            .as_ref()
            .ok_or(ApiError::Unauthenticated("sign in to do this"))
    }

    pub fn signed_in(&self) -> Option<&Actor> {
        self.0.as_ref()
    }
}
