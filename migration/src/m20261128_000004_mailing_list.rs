//! The mailing list (subscribers, their interests, the hashed suppression list) and the
//! transactional outbox every email goes through.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{create_indexes, one_of, references};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000004_mailing_list"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_subscribers(manager).await?;
        create_interests(manager).await?;
        create_suppressions(manager).await?;
        create_outbox(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            Outbox::Table.into_iden(),
            Suppressions::Table.into_iden(),
            SubscriberTopics::Table.into_iden(),
            SubscriberCampaigns::Table.into_iden(),
            Subscribers::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_subscribers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Subscribers::Table)
                .col(big_pk_auto(Subscribers::Id))
                .col(string_len_uniq(Subscribers::Email, 254))
                .col(string_len_null(Subscribers::Name, 200))
                .col(big_integer_null(Subscribers::RegionId))
                .col(string_len(Subscribers::Frequency, 16))
                .col(string_len(Subscribers::Status, 16))
                .col(string_len(Subscribers::TokenSalt, 64))
                .col(timestamp_with_time_zone(Subscribers::ConfirmationSentAt))
                .col(timestamp_with_time_zone_null(Subscribers::ConsentAt))
                .col(string_len_null(Subscribers::ConsentSource, 100))
                .col(text_null(Subscribers::ConsentWording))
                .col(timestamp_with_time_zone(Subscribers::CreatedAt))
                .col(timestamp_with_time_zone(Subscribers::UpdatedAt))
                .col(timestamp_with_time_zone_null(Subscribers::UnsubscribedAt))
                .check(one_of(
                    Subscribers::Frequency,
                    &["IMMEDIATE", "DAILY", "WEEKLY"],
                ))
                .check(one_of(
                    Subscribers::Status,
                    &["PENDING", "CONFIRMED", "UNSUBSCRIBED"],
                ))
                .foreign_key(&mut references(
                    (Subscribers::Table, Subscribers::RegionId),
                    (Regions::Table, Regions::Id),
                    ForeignKeyAction::SetNull,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Subscribers::Table,
        &[(
            "idx_subscribers_audience",
            &[
                Subscribers::Status,
                Subscribers::Frequency,
                Subscribers::RegionId,
            ][..],
        )],
    )
    .await
}

async fn create_interests(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(SubscriberCampaigns::Table)
                .col(big_integer(SubscriberCampaigns::SubscriberId))
                .col(big_integer(SubscriberCampaigns::CampaignId))
                .primary_key(
                    Index::create()
                        .col(SubscriberCampaigns::SubscriberId)
                        .col(SubscriberCampaigns::CampaignId),
                )
                .foreign_key(&mut references(
                    (
                        SubscriberCampaigns::Table,
                        SubscriberCampaigns::SubscriberId,
                    ),
                    (Subscribers::Table, Subscribers::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (SubscriberCampaigns::Table, SubscriberCampaigns::CampaignId),
                    (Campaigns::Table, Campaigns::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        SubscriberCampaigns::Table,
        &[(
            "idx_subscriber_campaigns_campaign",
            &[
                SubscriberCampaigns::CampaignId,
                SubscriberCampaigns::SubscriberId,
            ][..],
        )],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(SubscriberTopics::Table)
                .col(big_integer(SubscriberTopics::SubscriberId))
                .col(string_len(SubscriberTopics::Topic, 40))
                .primary_key(
                    Index::create()
                        .col(SubscriberTopics::SubscriberId)
                        .col(SubscriberTopics::Topic),
                )
                .foreign_key(&mut references(
                    (SubscriberTopics::Table, SubscriberTopics::SubscriberId),
                    (Subscribers::Table, Subscribers::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        SubscriberTopics::Table,
        &[(
            "idx_subscriber_topics_topic",
            &[SubscriberTopics::Topic, SubscriberTopics::SubscriberId][..],
        )],
    )
    .await
}

async fn create_suppressions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Suppressions::Table)
                .col(string_len(Suppressions::EmailHash, 64).primary_key())
                .col(timestamp_with_time_zone(Suppressions::CreatedAt))
                .to_owned(),
        )
        .await
}

async fn create_outbox(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Outbox::Table)
                .col(big_pk_auto(Outbox::Id))
                .col(string_len(Outbox::Kind, 16))
                .col(string_len(Outbox::Recipient, 254))
                .col(big_integer_null(Outbox::SubscriberId))
                .col(big_integer_null(Outbox::UpdateId))
                .col(string_len(Outbox::Subject, 300))
                .col(text(Outbox::Body))
                .col(string_len(Outbox::Status, 16))
                .col(integer(Outbox::Attempts))
                .col(timestamp_with_time_zone(Outbox::NextAttemptAt))
                .col(timestamp_with_time_zone_null(Outbox::LockedUntil))
                .col(text_null(Outbox::LastError))
                .col(timestamp_with_time_zone(Outbox::CreatedAt))
                .col(timestamp_with_time_zone_null(Outbox::SentAt))
                .check(one_of(
                    Outbox::Kind,
                    &["CONFIRMATION", "NOTICE", "UPDATE", "DIGEST", "INVITATION"],
                ))
                .check(one_of(Outbox::Status, &["PENDING", "SENT", "DEAD"]))
                .foreign_key(&mut references(
                    (Outbox::Table, Outbox::SubscriberId),
                    (Subscribers::Table, Subscribers::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (Outbox::Table, Outbox::UpdateId),
                    (PolicyUpdates::Table, PolicyUpdates::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Outbox::Table,
        &[
            (
                "idx_outbox_due",
                &[Outbox::Status, Outbox::NextAttemptAt, Outbox::Id][..],
            ),
            ("idx_outbox_subscriber", &[Outbox::SubscriberId][..]),
            ("idx_outbox_update", &[Outbox::UpdateId][..]),
        ],
    )
    .await
}

#[derive(DeriveIden, Clone, Copy)]
enum Subscribers {
    Table,
    Id,
    Email,
    Name,
    RegionId,
    Frequency,
    Status,
    TokenSalt,
    ConfirmationSentAt,
    ConsentAt,
    ConsentSource,
    ConsentWording,
    CreatedAt,
    UpdatedAt,
    UnsubscribedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubscriberCampaigns {
    Table,
    SubscriberId,
    CampaignId,
}

#[derive(DeriveIden, Clone, Copy)]
enum SubscriberTopics {
    Table,
    SubscriberId,
    Topic,
}

#[derive(DeriveIden, Clone, Copy)]
enum Suppressions {
    Table,
    EmailHash,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    Kind,
    Recipient,
    SubscriberId,
    UpdateId,
    Subject,
    Body,
    Status,
    Attempts,
    NextAttemptAt,
    LockedUntil,
    LastError,
    CreatedAt,
    SentAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Regions {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Campaigns {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyUpdates {
    Table,
    Id,
}
