//! Advocacy goals, campaigns, joint actions and opt-ins, positions with versions and approvals,
//! and partners' requests for support.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{create_indexes, one_of, references};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000002_campaigns"
    }
}

/// The eight long-term goals agreed at the 2014 Sanctuary Summit: slug, title, description.
const GOALS: [(&str, &str, &str); 8] = [
    (
        "end-destitution",
        "End destitution",
        "Everyone in the asylum system can meet their essential living needs.",
    ),
    (
        "permission-to-work",
        "Permission to work",
        "People may work once their claim has waited six months, or when refused but unable to return.",
    ),
    (
        "free-healthcare",
        "Free healthcare",
        "Healthcare free of charge for everyone in the asylum system.",
    ),
    (
        "better-decisions",
        "Better decision-making",
        "Protection is granted to everyone who needs it, first time.",
    ),
    (
        "legal-advice",
        "Good legal advice",
        "Access to good quality legal advice and representation.",
    ),
    (
        "less-detention",
        "Less detention",
        "Far less use of immigration detention for people seeking asylum and refugees.",
    ),
    (
        "welcome-and-english",
        "Welcome and English",
        "A welcome and befriending on arrival, with free English classes, so people can take part in local life.",
    ),
    (
        "dignity-and-respect",
        "Dignity and respect",
        "Everyone seeking asylum, every refugee and migrant is treated with dignity and respect.",
    ),
];

const CAMPAIGN_STATUSES: [&str; 5] = ["DRAFT", "ACTIVE", "PAUSED", "WON", "CLOSED"];
const ACTION_KINDS: [&str; 6] = [
    "LETTER_TO_MP",
    "JOINT_STATEMENT",
    "EVENT",
    "CONSULTATION_RESPONSE",
    "MEDIA",
    "OTHER",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_goals(manager).await?;
        create_campaigns(manager).await?;
        create_joint_actions(manager).await?;
        create_positions(manager).await?;
        create_support_requests(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            SupportRequests::Table.into_iden(),
            PositionApprovals::Table.into_iden(),
            PositionVersions::Table.into_iden(),
            Positions::Table.into_iden(),
            OptInEvents::Table.into_iden(),
            OptIns::Table.into_iden(),
            JointActions::Table.into_iden(),
            CampaignRegions::Table.into_iden(),
            CampaignGoals::Table.into_iden(),
            Campaigns::Table.into_iden(),
            AdvocacyGoals::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

fn score_check(column: Campaigns) -> SimpleExpr {
    Expr::col(column)
        .is_null()
        .or(Expr::col(column).between(1, 5))
}

async fn create_goals(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AdvocacyGoals::Table)
                .col(big_pk_auto(AdvocacyGoals::Id))
                .col(string_len_uniq(AdvocacyGoals::Slug, 64))
                .col(string_len(AdvocacyGoals::Title, 100))
                .col(text(AdvocacyGoals::Description))
                .col(integer(AdvocacyGoals::Position))
                .to_owned(),
        )
        .await?;
    let mut insert = Query::insert();
    insert.into_table(AdvocacyGoals::Table).columns([
        AdvocacyGoals::Slug,
        AdvocacyGoals::Title,
        AdvocacyGoals::Description,
        AdvocacyGoals::Position,
    ]);
    for (position, (slug, title, description)) in (1i32..).zip(GOALS) {
        insert
            .values([
                slug.into(),
                title.into(),
                description.into(),
                position.into(),
            ])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    manager.exec_stmt(insert).await
}

async fn create_campaigns(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Campaigns::Table)
                .col(big_pk_auto(Campaigns::Id))
                .col(string_len(Campaigns::Title, 200))
                .col(string_len(Campaigns::Summary, 500))
                .col(text(Campaigns::Body))
                .col(string_len(Campaigns::Status, 16))
                .col(big_integer_null(Campaigns::LeadRegionId))
                .col(boolean(Campaigns::LongShot))
                .col(small_integer_null(Campaigns::ImpactScore))
                .col(text_null(Campaigns::ImpactNote))
                .col(small_integer_null(Campaigns::RelevanceScore))
                .col(text_null(Campaigns::RelevanceNote))
                .col(small_integer_null(Campaigns::OpportunityScore))
                .col(text_null(Campaigns::OpportunityNote))
                .col(small_integer_null(Campaigns::AddedValueScore))
                .col(text_null(Campaigns::AddedValueNote))
                .col(big_integer(Campaigns::CreatedBy))
                .col(timestamp_with_time_zone(Campaigns::CreatedAt))
                .col(timestamp_with_time_zone(Campaigns::UpdatedAt))
                .check(one_of(Campaigns::Status, &CAMPAIGN_STATUSES))
                .check(score_check(Campaigns::ImpactScore))
                .check(score_check(Campaigns::RelevanceScore))
                .check(score_check(Campaigns::OpportunityScore))
                .check(score_check(Campaigns::AddedValueScore))
                .foreign_key(&mut references(
                    (Campaigns::Table, Campaigns::LeadRegionId),
                    (Regions::Table, Regions::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut references(
                    (Campaigns::Table, Campaigns::CreatedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Campaigns::Table,
        &[
            ("idx_campaigns_status", &[Campaigns::Status, Campaigns::Id]),
            (
                "idx_campaigns_lead_region",
                &[Campaigns::LeadRegionId, Campaigns::Id],
            ),
        ],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(CampaignGoals::Table)
                .col(big_integer(CampaignGoals::CampaignId))
                .col(big_integer(CampaignGoals::GoalId))
                .primary_key(
                    Index::create()
                        .col(CampaignGoals::CampaignId)
                        .col(CampaignGoals::GoalId),
                )
                .foreign_key(&mut references(
                    (CampaignGoals::Table, CampaignGoals::CampaignId),
                    (Campaigns::Table, Campaigns::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (CampaignGoals::Table, CampaignGoals::GoalId),
                    (AdvocacyGoals::Table, AdvocacyGoals::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        CampaignGoals::Table,
        &[(
            "idx_campaign_goals_goal",
            &[CampaignGoals::GoalId, CampaignGoals::CampaignId],
        )],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(CampaignRegions::Table)
                .col(big_integer(CampaignRegions::CampaignId))
                .col(big_integer(CampaignRegions::RegionId))
                .primary_key(
                    Index::create()
                        .col(CampaignRegions::CampaignId)
                        .col(CampaignRegions::RegionId),
                )
                .foreign_key(&mut references(
                    (CampaignRegions::Table, CampaignRegions::CampaignId),
                    (Campaigns::Table, Campaigns::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (CampaignRegions::Table, CampaignRegions::RegionId),
                    (Regions::Table, Regions::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        CampaignRegions::Table,
        &[(
            "idx_campaign_regions_region",
            &[CampaignRegions::RegionId, CampaignRegions::CampaignId],
        )],
    )
    .await
}

async fn create_joint_actions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(JointActions::Table)
                .col(big_pk_auto(JointActions::Id))
                .col(big_integer(JointActions::CampaignId))
                .col(string_len(JointActions::Title, 200))
                .col(text(JointActions::Description))
                .col(string_len(JointActions::Kind, 32))
                .col(timestamp_with_time_zone_null(JointActions::OpensAt))
                .col(timestamp_with_time_zone_null(JointActions::ClosesAt))
                .col(big_integer(JointActions::CreatedBy))
                .col(timestamp_with_time_zone(JointActions::CreatedAt))
                .col(timestamp_with_time_zone(JointActions::UpdatedAt))
                .check(one_of(JointActions::Kind, &ACTION_KINDS))
                .check(
                    Expr::col(JointActions::OpensAt)
                        .is_null()
                        .or(Expr::col(JointActions::ClosesAt).is_null())
                        .or(Expr::col(JointActions::OpensAt).lt(Expr::col(JointActions::ClosesAt))),
                )
                .foreign_key(&mut references(
                    (JointActions::Table, JointActions::CampaignId),
                    (Campaigns::Table, Campaigns::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (JointActions::Table, JointActions::CreatedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        JointActions::Table,
        &[(
            "idx_joint_actions_campaign",
            &[JointActions::CampaignId, JointActions::Id],
        )],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(OptIns::Table)
                .col(big_pk_auto(OptIns::Id))
                .col(big_integer(OptIns::ActionId))
                .col(big_integer(OptIns::PartnerId))
                .col(boolean(OptIns::Active))
                .col(text_null(OptIns::Note))
                .col(timestamp_with_time_zone(OptIns::OptedInAt))
                .col(big_integer(OptIns::OptedInBy))
                .col(timestamp_with_time_zone_null(OptIns::WithdrawnAt))
                .col(big_integer_null(OptIns::WithdrawnBy))
                .foreign_key(&mut references(
                    (OptIns::Table, OptIns::ActionId),
                    (JointActions::Table, JointActions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (OptIns::Table, OptIns::PartnerId),
                    (Partners::Table, Partners::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (OptIns::Table, OptIns::OptedInBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut references(
                    (OptIns::Table, OptIns::WithdrawnBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    // One row per partner and action: opting in twice can never make two.
    manager
        .create_index(
            Index::create()
                .name("uq_opt_ins_action_partner")
                .table(OptIns::Table)
                .col(OptIns::ActionId)
                .col(OptIns::PartnerId)
                .unique()
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        OptIns::Table,
        &[
            (
                "idx_opt_ins_action_active",
                &[OptIns::ActionId, OptIns::Active, OptIns::Id],
            ),
            ("idx_opt_ins_partner", &[OptIns::PartnerId, OptIns::Id]),
        ],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(OptInEvents::Table)
                .col(big_pk_auto(OptInEvents::Id))
                .col(big_integer(OptInEvents::ActionId))
                .col(big_integer(OptInEvents::PartnerId))
                .col(string_len(OptInEvents::Change, 16))
                .col(text_null(OptInEvents::Note))
                .col(big_integer(OptInEvents::ActorId))
                .col(timestamp_with_time_zone(OptInEvents::At))
                .check(one_of(OptInEvents::Change, &["OPTED_IN", "WITHDRAWN"]))
                .foreign_key(&mut references(
                    (OptInEvents::Table, OptInEvents::ActionId),
                    (JointActions::Table, JointActions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (OptInEvents::Table, OptInEvents::PartnerId),
                    (Partners::Table, Partners::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (OptInEvents::Table, OptInEvents::ActorId),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        OptInEvents::Table,
        &[
            (
                "idx_opt_in_events_action",
                &[OptInEvents::ActionId, OptInEvents::Id],
            ),
            (
                "idx_opt_in_events_partner",
                &[OptInEvents::PartnerId, OptInEvents::Id],
            ),
        ],
    )
    .await
}

async fn create_positions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Positions::Table)
                .col(big_pk_auto(Positions::Id))
                .col(big_integer(Positions::CampaignId))
                .col(string_len(Positions::Title, 200))
                .col(string_len(Positions::Ownership, 16))
                .col(integer(Positions::CurrentVersion))
                .col(integer_null(Positions::PublishedVersion))
                .col(timestamp_with_time_zone_null(Positions::PublishedAt))
                .col(big_integer(Positions::CreatedBy))
                .col(timestamp_with_time_zone(Positions::CreatedAt))
                .col(timestamp_with_time_zone(Positions::UpdatedAt))
                .check(one_of(Positions::Ownership, &["OWN", "PARTNER_BACKED"]))
                .check(
                    Expr::col(Positions::PublishedVersion)
                        .is_null()
                        .or(Expr::col(Positions::PublishedVersion)
                            .lte(Expr::col(Positions::CurrentVersion))),
                )
                .foreign_key(&mut references(
                    (Positions::Table, Positions::CampaignId),
                    (Campaigns::Table, Campaigns::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (Positions::Table, Positions::CreatedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Positions::Table,
        &[(
            "idx_positions_campaign",
            &[Positions::CampaignId, Positions::Id],
        )],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(PositionVersions::Table)
                .col(big_pk_auto(PositionVersions::Id))
                .col(big_integer(PositionVersions::PositionId))
                .col(integer(PositionVersions::Number))
                .col(text(PositionVersions::Body))
                .col(big_integer(PositionVersions::CreatedBy))
                .col(timestamp_with_time_zone(PositionVersions::CreatedAt))
                .foreign_key(&mut references(
                    (PositionVersions::Table, PositionVersions::PositionId),
                    (Positions::Table, Positions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (PositionVersions::Table, PositionVersions::CreatedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("uq_position_versions_number")
                .table(PositionVersions::Table)
                .col(PositionVersions::PositionId)
                .col(PositionVersions::Number)
                .unique()
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(PositionApprovals::Table)
                .col(big_pk_auto(PositionApprovals::Id))
                .col(big_integer(PositionApprovals::VersionId))
                .col(big_integer(PositionApprovals::PartnerId))
                .col(big_integer(PositionApprovals::RequestedBy))
                .col(timestamp_with_time_zone(PositionApprovals::RequestedAt))
                .col(string_len_null(PositionApprovals::Decision, 16))
                .col(text_null(PositionApprovals::Comment))
                .col(big_integer_null(PositionApprovals::RespondedBy))
                .col(timestamp_with_time_zone_null(
                    PositionApprovals::RespondedAt,
                ))
                .check(
                    Expr::col(PositionApprovals::Decision)
                        .is_null()
                        .or(one_of(PositionApprovals::Decision, &["APPROVE", "DECLINE"])),
                )
                .foreign_key(&mut references(
                    (PositionApprovals::Table, PositionApprovals::VersionId),
                    (PositionVersions::Table, PositionVersions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (PositionApprovals::Table, PositionApprovals::PartnerId),
                    (Partners::Table, Partners::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (PositionApprovals::Table, PositionApprovals::RequestedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut references(
                    (PositionApprovals::Table, PositionApprovals::RespondedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    manager
        .create_index(
            Index::create()
                .name("uq_position_approvals_version_partner")
                .table(PositionApprovals::Table)
                .col(PositionApprovals::VersionId)
                .col(PositionApprovals::PartnerId)
                .unique()
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        PositionApprovals::Table,
        &[(
            "idx_position_approvals_partner",
            &[PositionApprovals::PartnerId, PositionApprovals::Id],
        )],
    )
    .await
}

async fn create_support_requests(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SupportRequests::Table)
                .col(big_pk_auto(SupportRequests::Id))
                .col(big_integer(SupportRequests::PartnerId))
                .col(big_integer_null(SupportRequests::CampaignId))
                .col(string_len(SupportRequests::Kind, 32))
                .col(string_len(SupportRequests::Title, 200))
                .col(text(SupportRequests::Description))
                .col(string_len(SupportRequests::Status, 16))
                .col(text_null(SupportRequests::DecisionReason))
                .col(big_integer(SupportRequests::CreatedBy))
                .col(timestamp_with_time_zone(SupportRequests::CreatedAt))
                .col(timestamp_with_time_zone(SupportRequests::UpdatedAt))
                .col(big_integer_null(SupportRequests::DecidedBy))
                .col(timestamp_with_time_zone_null(SupportRequests::DecidedAt))
                .check(one_of(
                    SupportRequests::Kind,
                    &["OWN_CAMPAIGN", "PRIORITY_ISSUE"],
                ))
                .check(one_of(
                    SupportRequests::Status,
                    &["SUBMITTED", "ACCEPTED", "DECLINED", "DONE"],
                ))
                .check(
                    Expr::col(SupportRequests::Status)
                        .ne("DECLINED")
                        .or(Expr::col(SupportRequests::DecisionReason).is_not_null()),
                )
                .foreign_key(&mut references(
                    (SupportRequests::Table, SupportRequests::PartnerId),
                    (Partners::Table, Partners::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (SupportRequests::Table, SupportRequests::CampaignId),
                    (Campaigns::Table, Campaigns::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut references(
                    (SupportRequests::Table, SupportRequests::CreatedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut references(
                    (SupportRequests::Table, SupportRequests::DecidedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        SupportRequests::Table,
        &[
            (
                "idx_support_requests_partner",
                &[SupportRequests::PartnerId, SupportRequests::Id],
            ),
            (
                "idx_support_requests_status",
                &[SupportRequests::Status, SupportRequests::Id],
            ),
        ],
    )
    .await
}

#[derive(DeriveIden, Clone, Copy)]
enum Regions {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Partners {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum AdvocacyGoals {
    Table,
    Id,
    Slug,
    Title,
    Description,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
enum Campaigns {
    Table,
    Id,
    Title,
    Summary,
    Body,
    Status,
    LeadRegionId,
    LongShot,
    ImpactScore,
    ImpactNote,
    RelevanceScore,
    RelevanceNote,
    OpportunityScore,
    OpportunityNote,
    AddedValueScore,
    AddedValueNote,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum CampaignGoals {
    Table,
    CampaignId,
    GoalId,
}

#[derive(DeriveIden, Clone, Copy)]
enum CampaignRegions {
    Table,
    CampaignId,
    RegionId,
}

#[derive(DeriveIden, Clone, Copy)]
enum JointActions {
    Table,
    Id,
    CampaignId,
    Title,
    Description,
    Kind,
    OpensAt,
    ClosesAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum OptIns {
    Table,
    Id,
    ActionId,
    PartnerId,
    Active,
    Note,
    OptedInAt,
    OptedInBy,
    WithdrawnAt,
    WithdrawnBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum OptInEvents {
    Table,
    Id,
    ActionId,
    PartnerId,
    Change,
    Note,
    ActorId,
    At,
}

#[derive(DeriveIden, Clone, Copy)]
enum Positions {
    Table,
    Id,
    CampaignId,
    Title,
    Ownership,
    CurrentVersion,
    PublishedVersion,
    PublishedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PositionVersions {
    Table,
    Id,
    PositionId,
    Number,
    Body,
    CreatedBy,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PositionApprovals {
    Table,
    Id,
    VersionId,
    PartnerId,
    RequestedBy,
    RequestedAt,
    Decision,
    Comment,
    RespondedBy,
    RespondedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SupportRequests {
    Table,
    Id,
    PartnerId,
    CampaignId,
    Kind,
    Title,
    Description,
    Status,
    DecisionReason,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
    DecidedBy,
    DecidedAt,
}
