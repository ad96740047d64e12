//! The GraphQL schema: every slice's queries and mutations merged into one, with the limits
//! that keep abusive queries out.

pub mod answer;
pub mod children;
pub mod context;
pub mod error;
pub mod limits;
pub mod loaders;
mod order;
pub mod pagination;

use std::sync::Arc;

use async_graphql::{MergedObject, MergedSubscription, Schema, SchemaBuilder};

use crate::{
    accounts::graphql::{AccountLoaders, AccountMutation, AccountQuery},
    audit::graphql::AuditQuery,
    auth::graphql::{AuthMutation, AuthQuery},
    campaigns::graphql::{CampaignLoaders, CampaignMutation, CampaignQuery},
    engagement::graphql::{EngagementLoaders, EngagementQuery},
    enquiries::graphql::{EnquiryLoaders, EnquiryMutation, EnquiryQuery},
    evidence::graphql::{EvidenceLoaders, EvidenceMutation, EvidenceQuery},
    joint_actions::graphql::{
        JointActionLoaders, JointActionMutation, JointActionQuery, JointActionSubscription,
    },
    mailing::graphql::{MailingMutation, MailingQuery},
    partners::graphql::{PartnerLoaders, PartnerMutation, PartnerQuery},
    petitions::graphql::{PetitionLoaders, PetitionMutation, PetitionQuery, PetitionSubscription},
    policy_updates::graphql::{
        PolicyUpdateLoaders, PolicyUpdateMutation, PolicyUpdateQuery, PolicyUpdateSubscription,
    },
    positions::graphql::{PositionLoaders, PositionMutation, PositionQuery},
    principles::graphql::{PrincipleLoaders, PrincipleMutation, PrincipleQuery},
    regions::graphql::{RegionDirectory, RegionQuery},
    state::AppState,
    support_requests::graphql::{SupportRequestMutation, SupportRequestQuery},
    training::graphql::{TrainingLoaders, TrainingMutation, TrainingQuery, TrainingSubscription},
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
    EnquiryQuery,
    EvidenceQuery,
    PrincipleQuery,
    TrainingQuery,
    PetitionQuery,
    EngagementQuery,
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
    EnquiryMutation,
    EvidenceMutation,
    PrincipleMutation,
    TrainingMutation,
    PetitionMutation,
);

#[derive(MergedSubscription, Default)]
pub struct Subscription(
    JointActionSubscription,
    PolicyUpdateSubscription,
    TrainingSubscription,
    PetitionSubscription,
);

pub type AppSchema = Schema<Query, Mutation, Subscription>;

/// The schema registers no extensions: with one, async-graphql runs every field through the
/// extension chain. What extensions would do is done around the schema instead (`answer`).
fn builder() -> SchemaBuilder<Query, Mutation, Subscription> {
    Schema::build(
        Query::default(),
        Mutation::default(),
        Subscription::default(),
    )
    .limit_depth(MAX_DEPTH)
    .limit_complexity(MAX_COMPLEXITY)
}

/// The schema with each slice's loaders (which batch but do not cache, so they are shared by
/// every request).
pub fn build_schema(state: AppState) -> AppSchema {
    let db = &state.db;
    builder()
        .data(Arc::new(RegionDirectory::new(&state.regions)))
        .data(Arc::new(PartnerLoaders::new(db)))
        .data(Arc::new(AccountLoaders::new(db)))
        .data(Arc::new(CampaignLoaders::new(db)))
        .data(Arc::new(JointActionLoaders::new(db)))
        .data(Arc::new(PositionLoaders::new(db)))
        .data(Arc::new(PolicyUpdateLoaders::new(db)))
        .data(Arc::new(EnquiryLoaders::new(db)))
        .data(Arc::new(EvidenceLoaders::new(db)))
        .data(Arc::new(PrincipleLoaders::new(db)))
        .data(Arc::new(TrainingLoaders::new(db)))
        .data(Arc::new(PetitionLoaders::new(db)))
        .data(Arc::new(EngagementLoaders::new(db)))
        .data(state)
        .finish()
}

/// The schema in SDL, as checked in at `schema.graphql`.
pub fn sdl() -> String {
    builder().finish().sdl()
}
