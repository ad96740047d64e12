//! Closed sets of values, stored as text and guarded by CHECK constraints in the migrations.

use sea_orm::entity::prelude::*;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Role {
    #[sea_orm(string_value = "ADMIN")]
    Admin,
    #[sea_orm(string_value = "STAFF")]
    Staff,
    #[sea_orm(string_value = "PARTNER")]
    Partner,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum PartnerKind {
    #[sea_orm(string_value = "COMMUNITY_GROUP")]
    CommunityGroup,
    #[sea_orm(string_value = "FAITH_GROUP")]
    FaithGroup,
    #[sea_orm(string_value = "SANCTUARY_GROUP")]
    SanctuaryGroup,
    #[sea_orm(string_value = "LAW_CENTRE")]
    LawCentre,
    #[sea_orm(string_value = "CHARITY")]
    Charity,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PartnerStatus {
    #[sea_orm(string_value = "PROSPECTIVE")]
    Prospective,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "LAPSED")]
    Lapsed,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum CampaignStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "ACTIVE")]
    Active,
    #[sea_orm(string_value = "PAUSED")]
    Paused,
    #[sea_orm(string_value = "WON")]
    Won,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum ActionKind {
    #[sea_orm(string_value = "LETTER_TO_MP")]
    LetterToMp,
    #[sea_orm(string_value = "JOINT_STATEMENT")]
    JointStatement,
    #[sea_orm(string_value = "EVENT")]
    Event,
    #[sea_orm(string_value = "CONSULTATION_RESPONSE")]
    ConsultationResponse,
    #[sea_orm(string_value = "MEDIA")]
    Media,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum OptInChange {
    #[sea_orm(string_value = "OPTED_IN")]
    OptedIn,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Ownership {
    #[sea_orm(string_value = "OWN")]
    Own,
    #[sea_orm(string_value = "PARTNER_BACKED")]
    PartnerBacked,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum ApprovalDecision {
    #[sea_orm(string_value = "APPROVE")]
    Approve,
    #[sea_orm(string_value = "DECLINE")]
    Decline,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum SupportKind {
    #[sea_orm(string_value = "OWN_CAMPAIGN")]
    OwnCampaign,
    #[sea_orm(string_value = "PRIORITY_ISSUE")]
    PriorityIssue,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SupportStatus {
    #[sea_orm(string_value = "SUBMITTED")]
    Submitted,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
    #[sea_orm(string_value = "DONE")]
    Done,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum UpdateKind {
    #[sea_orm(string_value = "POLICY_DEVELOPMENT")]
    PolicyDevelopment,
    #[sea_orm(string_value = "CAMPAIGN_ACTION")]
    CampaignAction,
    #[sea_orm(string_value = "RESOURCE")]
    Resource,
    #[sea_orm(string_value = "EVENT")]
    Event,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Audience {
    #[sea_orm(string_value = "PUBLIC")]
    Public,
    #[sea_orm(string_value = "PARTNERS")]
    Partners,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum UpdateStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "ARCHIVED")]
    Archived,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Frequency {
    #[sea_orm(string_value = "IMMEDIATE")]
    Immediate,
    #[sea_orm(string_value = "DAILY")]
    Daily,
    #[sea_orm(string_value = "WEEKLY")]
    Weekly,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SubscriberStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "UNSUBSCRIBED")]
    Unsubscribed,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MailKind {
    /// Asks a new subscriber to confirm.
    #[sea_orm(string_value = "CONFIRMATION")]
    Confirmation,
    /// Tells a confirmed subscriber who subscribed again where to manage their subscription.
    #[sea_orm(string_value = "NOTICE")]
    Notice,
    /// One policy update, sent as it is published.
    #[sea_orm(string_value = "UPDATE")]
    Update,
    /// One policy update, gathered with others into a daily or weekly digest.
    #[sea_orm(string_value = "DIGEST")]
    Digest,
    #[sea_orm(string_value = "INVITATION")]
    Invitation,
    /// Any other message written whole when queued (replies to partnership enquiries, and
    /// the notices staff get about them).
    #[sea_orm(string_value = "WRITTEN")]
    Written,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum MailStatus {
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "SENT")]
    Sent,
    /// Gave up after the last attempt.
    #[sea_orm(string_value = "DEAD")]
    Dead,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum EnquiryStatus {
    /// Waiting for the contact to confirm their address.
    #[sea_orm(string_value = "UNCONFIRMED")]
    Unconfirmed,
    /// Confirmed, waiting for staff.
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "ACCEPTED")]
    Accepted,
    #[sea_orm(string_value = "DECLINED")]
    Declined,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(8))")]
pub enum Interval {
    #[sea_orm(string_value = "MONTH")]
    Month,
    #[sea_orm(string_value = "QUARTER")]
    Quarter,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum SignatoryStatus {
    /// Signed from the public form; waiting for the email address to be confirmed.
    #[sea_orm(string_value = "UNCONFIRMED")]
    Unconfirmed,
    /// Confirmed; waiting for staff to approve it.
    #[sea_orm(string_value = "PENDING")]
    Pending,
    #[sea_orm(string_value = "APPROVED")]
    Approved,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "WITHDRAWN")]
    Withdrawn,
}

/// How far an organisation's practice has come on one indicator, lowest first.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PracticeLevel {
    #[sea_orm(string_value = "NOT_STARTED")]
    NotStarted,
    #[sea_orm(string_value = "PLANNING")]
    Planning,
    #[sea_orm(string_value = "DOING")]
    Doing,
    #[sea_orm(string_value = "EMBEDDED")]
    Embedded,
}

/// What a training session is about.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TrainingTopic {
    #[sea_orm(string_value = "ADVOCACY")]
    Advocacy,
    #[sea_orm(string_value = "CAMPAIGNING")]
    Campaigning,
    #[sea_orm(string_value = "ASYLUM_SYSTEM")]
    AsylumSystem,
    #[sea_orm(string_value = "EARLY_ACTION")]
    EarlyAction,
    #[sea_orm(string_value = "OTHER")]
    Other,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TrainingFormat {
    #[sea_orm(string_value = "IN_PERSON")]
    InPerson,
    #[sea_orm(string_value = "ONLINE")]
    Online,
    #[sea_orm(string_value = "HYBRID")]
    Hybrid,
}

/// Who may book: members of partner organisations, or anyone.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TrainingAudience {
    #[sea_orm(string_value = "PARTNERS")]
    Partners,
    #[sea_orm(string_value = "PUBLIC")]
    Public,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TrainingStatus {
    #[sea_orm(string_value = "DRAFT")]
    Draft,
    #[sea_orm(string_value = "PUBLISHED")]
    Published,
    #[sea_orm(string_value = "COMPLETED")]
    Completed,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

/// Where one attendee's seat stands. UNCONFIRMED: a public booking whose emailed link has not
/// been followed yet (it holds nothing).
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum AttendeeStatus {
    #[sea_orm(string_value = "UNCONFIRMED")]
    Unconfirmed,
    #[sea_orm(string_value = "CONFIRMED")]
    Confirmed,
    #[sea_orm(string_value = "WAITLISTED")]
    Waitlisted,
    #[sea_orm(string_value = "CANCELLED")]
    Cancelled,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum Attendance {
    #[sea_orm(string_value = "ATTENDED")]
    Attended,
    #[sea_orm(string_value = "NO_SHOW")]
    NoShow,
}

/// What a training session is linked to.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum TrainingLinkKind {
    #[sea_orm(string_value = "CAMPAIGN")]
    Campaign,
    #[sea_orm(string_value = "GOAL")]
    Goal,
    #[sea_orm(string_value = "PRINCIPLE")]
    Principle,
}

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, Hash, EnumIter, DeriveActiveEnum, Serialize, Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(16))")]
pub enum PetitionState {
    #[sea_orm(string_value = "OPEN")]
    Open,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "REJECTED")]
    Rejected,
    #[sea_orm(string_value = "REMOVED")]
    Removed,
}

#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    EnumIter,
    DeriveActiveEnum,
    Serialize,
    Deserialize,
)]
#[sea_orm(rs_type = "String", db_type = "String(StringLen::N(32))")]
pub enum MilestoneKind {
    #[sea_orm(string_value = "WATCHED_COUNT")]
    WatchedCount,
    #[sea_orm(string_value = "RESPONSE_THRESHOLD")]
    ResponseThreshold,
    #[sea_orm(string_value = "DEBATE_THRESHOLD")]
    DebateThreshold,
    #[sea_orm(string_value = "GOVERNMENT_RESPONSE")]
    GovernmentResponse,
    #[sea_orm(string_value = "DEBATE_SCHEDULED")]
    DebateScheduled,
    #[sea_orm(string_value = "DEBATED")]
    Debated,
    #[sea_orm(string_value = "CLOSED")]
    Closed,
    #[sea_orm(string_value = "CLOSED_EARLY_BY_ELECTION")]
    ClosedEarlyByElection,
    #[sea_orm(string_value = "REMOVED")]
    Removed,
}
