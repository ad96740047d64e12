//! The GraphQL schema: every slice's queries and mutations merged into one, with the limits
//! that keep abusive queries out.

pub mod children;
pub mod context;
pub mod error;
pub mod loaders;
pub mod pagination;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::{
    accounts::graphql::{AccountMutation, AccountQuery},
    audit::graphql::AuditQuery,
    auth::graphql::{AuthMutation, AuthQuery},
    campaigns::graphql::{CampaignMutation, CampaignQuery},
    joint_actions::graphql::{JointActionMutation, JointActionQuery, JointActionSubscription},
    mailing::graphql::{MailingMutation, MailingQuery},
    partners::graphql::{PartnerMutation, PartnerQuery},
    policy_updates::graphql::{PolicyUpdateMutation, PolicyUpdateQuery, PolicyUpdateSubscription},
    positions::graphql::{PositionMutation, PositionQuery},
    regions::graphql::RegionQuery,
    state::AppState,
    support_requests::graphql::{SupportRequestMutation, SupportRequestQuery},
};

/// Deep enough for the standard introspection query GraphiQL sends.
pub const MAX_DEPTH: usize = 16;
/// Lists multiply the cost of what they contain by their page size.
pub const MAX_COMPLEXITY: usize = 20_000;

#[derive(MergedObject, Default)]
pub struct Query(
    AuthQuery,
    RegionQuery,
    PartnerQuery,
    AccountQuery,
    AuditQuery,
    CampaignQuery,
    JointActionQuery,
    PositionQuery,
    SupportRequestQuery,
    PolicyUpdateQuery,
    MailingQuery,
);

#[derive(MergedObject, Default)]
pub struct Mutation(
    AuthMutation,
    AccountMutation,
    PartnerMutation,
    CampaignMutation,
    JointActionMutation,
    PositionMutation,
    SupportRequestMutation,
    PolicyUpdateMutation,
    MailingMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(JointActionSubscription, PolicyUpdateSubscription);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .extension(error::ErrorCodes)
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
}

pub fn build_schema(state: AppState) -> AppSchema {
    builder()
        .data(std::sync::Arc::new(loaders::Loaders::new(
            &state.db,
            &state.regions,
        )))
        .data(state)
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
