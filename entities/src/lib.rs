//! One sea-orm entity per table. Data only: the rules live in the `api` crate.

pub mod advocacy_goal;
pub mod audit_entry;
pub mod campaign;
pub mod campaign_goal;
pub mod campaign_region;
pub mod enums;
pub mod invitation;
pub mod joint_action;
pub mod login_throttle;
pub mod opt_in;
pub mod opt_in_event;
pub mod partner;
pub mod policy_update;
pub mod policy_update_campaign;
pub mod policy_update_revision;
pub mod policy_update_topic;
pub mod position;
pub mod position_approval;
pub mod position_version;
pub mod prelude;
pub mod refresh_token;
pub mod region;
pub mod session;
pub mod support_request;
pub mod user;
