//! Petitions the charity follows (UK Parliament petitions): the last good copy of each, its
//! signature count over time, daily constituency figures, milestones recorded once, the campaigns
//! it serves and the partner organisations promoting it. Polling state (when next, validators,
//! failures, a lease) lives on the petition row.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{create_indexes, one_of, references};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000009_petitions"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_petitions(manager).await?;
        create_counts(manager).await?;
        create_constituency_days(manager).await?;
        create_milestones(manager).await?;
        create_watches(manager).await?;
        create_campaign_links(manager).await?;
        create_promoters(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PetitionPromoters::Table.into_iden(),
            PetitionCampaigns::Table.into_iden(),
            PetitionWatches::Table.into_iden(),
            PetitionMilestones::Table.into_iden(),
            PetitionConstituencyDays::Table.into_iden(),
            PetitionCounts::Table.into_iden(),
            Petitions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_petitions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Petitions::Table)
                .col(big_pk_auto(Petitions::Id))
                .col(big_integer_uniq(Petitions::ExternalId))
                .col(boolean(Petitions::Archived))
                .col(big_integer_null(Petitions::RegionId))
                .col(text(Petitions::Action))
                .col(text(Petitions::Background))
                .col(text_null(Petitions::AdditionalDetails))
                .col(string_len(Petitions::State, 16))
                .col(big_integer(Petitions::SignatureCount))
                .col(timestamp_with_time_zone_null(Petitions::OpenedAt))
                .col(date_null(Petitions::ClosingDate))
                .col(timestamp_with_time_zone_null(Petitions::ClosedAt))
                .col(big_integer(Petitions::ResponseThreshold))
                .col(big_integer(Petitions::DebateThreshold))
                .col(timestamp_with_time_zone_null(
                    Petitions::ResponseThresholdReachedAt,
                ))
                .col(timestamp_with_time_zone_null(
                    Petitions::DebateThresholdReachedAt,
                ))
                .col(timestamp_with_time_zone_null(
                    Petitions::GovernmentResponseAt,
                ))
                .col(date_null(Petitions::RespondedOn))
                .col(text_null(Petitions::ResponseSummary))
                .col(text_null(Petitions::ResponseDetails))
                .col(date_null(Petitions::ScheduledDebateDate))
                .col(boolean(Petitions::Debated))
                .col(date_null(Petitions::DebatedOn))
                .col(timestamp_with_time_zone_null(Petitions::DebateOutcomeAt))
                .col(text_null(Petitions::DebateOverview))
                .col(text_null(Petitions::TranscriptUrl))
                .col(text_null(Petitions::VideoUrl))
                .col(string_len_null(Petitions::ParliamentPeriod, 20))
                .col(timestamp_with_time_zone_null(Petitions::DissolutionAt))
                .col(text(Petitions::ByCountry))
                .col(text(Petitions::ByRegion))
                .col(text(Petitions::ByConstituency))
                .col(big_integer(Petitions::CreatedBy))
                .col(timestamp_with_time_zone(Petitions::CreatedAt))
                .col(timestamp_with_time_zone_null(Petitions::LastCheckedAt))
                .col(text_null(Petitions::LastError))
                .col(timestamp_with_time_zone_null(Petitions::FullFetchedAt))
                .col(timestamp_with_time_zone_null(Petitions::NextPollAt))
                .col(integer(Petitions::Failures))
                .col(text_null(Petitions::DocumentEtag))
                .col(text_null(Petitions::DocumentLastModified))
                .col(text_null(Petitions::CountEtag))
                .col(text_null(Petitions::CountLastModified))
                .col(timestamp_with_time_zone_null(Petitions::LeaseUntil))
                .col(string_len_null(Petitions::LeaseToken, 64))
                .check(one_of(
                    Petitions::State,
                    &["OPEN", "CLOSED", "REJECTED", "REMOVED"],
                ))
                .check(Expr::col(Petitions::SignatureCount).gte(0))
                .check(Expr::col(Petitions::ResponseThreshold).gt(0))
                .check(Expr::col(Petitions::DebateThreshold).gt(0))
                .foreign_key(&mut references(
                    (Petitions::Table, Petitions::RegionId),
                    (Regions::Table, Regions::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Petitions::Table,
        &[
            ("idx_petitions_next_poll", &[Petitions::NextPollAt][..]),
            (
                "idx_petitions_state",
                &[Petitions::State, Petitions::Id][..],
            ),
            (
                "idx_petitions_region",
                &[Petitions::RegionId, Petitions::Id][..],
            ),
        ],
    )
    .await
}

async fn create_counts(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PetitionCounts::Table)
                .col(big_integer(PetitionCounts::PetitionId))
                .col(timestamp_with_time_zone(PetitionCounts::At))
                .col(big_integer(PetitionCounts::SignatureCount))
                .primary_key(
                    Index::create()
                        .col(PetitionCounts::PetitionId)
                        .col(PetitionCounts::At),
                )
                .foreign_key(&mut references(
                    (PetitionCounts::Table, PetitionCounts::PetitionId),
                    (Petitions::Table, Petitions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await
}

async fn create_constituency_days(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PetitionConstituencyDays::Table)
                .col(big_integer(PetitionConstituencyDays::PetitionId))
                .col(date(PetitionConstituencyDays::Day))
                .col(text(PetitionConstituencyDays::Counts))
                .primary_key(
                    Index::create()
                        .col(PetitionConstituencyDays::PetitionId)
                        .col(PetitionConstituencyDays::Day),
                )
                .foreign_key(&mut references(
                    (
                        PetitionConstituencyDays::Table,
                        PetitionConstituencyDays::PetitionId,
                    ),
                    (Petitions::Table, Petitions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await
}

async fn create_milestones(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PetitionMilestones::Table)
                .col(big_pk_auto(PetitionMilestones::Id))
                .col(big_integer(PetitionMilestones::PetitionId))
                .col(string_len(PetitionMilestones::Kind, 32))
                .col(big_integer(PetitionMilestones::Count))
                .col(timestamp_with_time_zone(PetitionMilestones::ReachedAt))
                .col(timestamp_with_time_zone(PetitionMilestones::SeenAt))
                .col(boolean(PetitionMilestones::Announced))
                .check(one_of(
                    PetitionMilestones::Kind,
                    &[
                        "WATCHED_COUNT",
                        "RESPONSE_THRESHOLD",
                        "DEBATE_THRESHOLD",
                        "GOVERNMENT_RESPONSE",
                        "DEBATE_SCHEDULED",
                        "DEBATED",
                        "CLOSED",
                        "CLOSED_EARLY_BY_ELECTION",
                        "REMOVED",
                    ],
                ))
                .foreign_key(&mut references(
                    (PetitionMilestones::Table, PetitionMilestones::PetitionId),
                    (Petitions::Table, Petitions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    // Recorded once, whichever instance sees it first and however often the count dips.
    manager
        .create_index(
            Index::create()
                .name("idx_petition_milestones_once")
                .table(PetitionMilestones::Table)
                .col(PetitionMilestones::PetitionId)
                .col(PetitionMilestones::Kind)
                .col(PetitionMilestones::Count)
                .unique()
                .to_owned(),
        )
        .await
}

async fn create_watches(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PetitionWatches::Table)
                .col(big_integer(PetitionWatches::PetitionId))
                .col(big_integer(PetitionWatches::Count))
                .primary_key(
                    Index::create()
                        .col(PetitionWatches::PetitionId)
                        .col(PetitionWatches::Count),
                )
                .check(Expr::col(PetitionWatches::Count).gt(0))
                .foreign_key(&mut references(
                    (PetitionWatches::Table, PetitionWatches::PetitionId),
                    (Petitions::Table, Petitions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await
}

async fn create_campaign_links(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PetitionCampaigns::Table)
                .col(big_integer(PetitionCampaigns::PetitionId))
                .col(big_integer(PetitionCampaigns::CampaignId))
                .primary_key(
                    Index::create()
                        .col(PetitionCampaigns::PetitionId)
                        .col(PetitionCampaigns::CampaignId),
                )
                .foreign_key(&mut references(
                    (PetitionCampaigns::Table, PetitionCampaigns::PetitionId),
                    (Petitions::Table, Petitions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (PetitionCampaigns::Table, PetitionCampaigns::CampaignId),
                    (Campaigns::Table, Campaigns::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        PetitionCampaigns::Table,
        &[(
            "idx_petition_campaigns_campaign",
            &[PetitionCampaigns::CampaignId, PetitionCampaigns::PetitionId][..],
        )],
    )
    .await
}

async fn create_promoters(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PetitionPromoters::Table)
                .col(big_integer(PetitionPromoters::PetitionId))
                .col(big_integer(PetitionPromoters::PartnerId))
                .col(big_integer(PetitionPromoters::PromotedBy))
                .col(timestamp_with_time_zone(PetitionPromoters::PromotedAt))
                .primary_key(
                    Index::create()
                        .col(PetitionPromoters::PetitionId)
                        .col(PetitionPromoters::PartnerId),
                )
                .foreign_key(&mut references(
                    (PetitionPromoters::Table, PetitionPromoters::PetitionId),
                    (Petitions::Table, Petitions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (PetitionPromoters::Table, PetitionPromoters::PartnerId),
                    (Partners::Table, Partners::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        PetitionPromoters::Table,
        &[(
            "idx_petition_promoters_partner",
            &[PetitionPromoters::PartnerId, PetitionPromoters::PromotedAt][..],
        )],
    )
    .await
}

#[derive(DeriveIden, Clone, Copy)]
enum Petitions {
    Table,
    Id,
    ExternalId,
    Archived,
    RegionId,
    Action,
    Background,
    AdditionalDetails,
    State,
    SignatureCount,
    OpenedAt,
    ClosingDate,
    ClosedAt,
    ResponseThreshold,
    DebateThreshold,
    ResponseThresholdReachedAt,
    DebateThresholdReachedAt,
    GovernmentResponseAt,
    RespondedOn,
    ResponseSummary,
    ResponseDetails,
    ScheduledDebateDate,
    Debated,
    DebatedOn,
    DebateOutcomeAt,
    DebateOverview,
    TranscriptUrl,
    VideoUrl,
    ParliamentPeriod,
    DissolutionAt,
    ByCountry,
    ByRegion,
    ByConstituency,
    CreatedBy,
    CreatedAt,
    LastCheckedAt,
    LastError,
    FullFetchedAt,
    NextPollAt,
    Failures,
    DocumentEtag,
    DocumentLastModified,
    CountEtag,
    CountLastModified,
    LeaseUntil,
    LeaseToken,
}

#[derive(DeriveIden, Clone, Copy)]
enum PetitionCounts {
    Table,
    PetitionId,
    At,
    SignatureCount,
}

#[derive(DeriveIden, Clone, Copy)]
enum PetitionConstituencyDays {
    Table,
    PetitionId,
    Day,
    Counts,
}

#[derive(DeriveIden, Clone, Copy)]
enum PetitionMilestones {
    Table,
    Id,
    PetitionId,
    Kind,
    Count,
    ReachedAt,
    SeenAt,
    Announced,
}

#[derive(DeriveIden, Clone, Copy)]
enum PetitionWatches {
    Table,
    PetitionId,
    Count,
}

#[derive(DeriveIden, Clone, Copy)]
enum PetitionCampaigns {
    Table,
    PetitionId,
    CampaignId,
}

#[derive(DeriveIden, Clone, Copy)]
enum PetitionPromoters {
    Table,
    PetitionId,
    PartnerId,
    PromotedBy,
    PromotedAt,
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Campaigns {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
}
