//! Policy updates: the text, its topics and linked campaigns, earlier wordings kept when a
//! published update is corrected, and a full-text index (FTS5 on SQLite, a weighted
//! `tsvector` on PostgreSQL).

use sea_orm_migration::{prelude::*, schema::*, sea_orm::DbBackend};

use crate::common::{create_indexes, one_of, references};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261128_000003_policy_updates"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_updates(manager).await?;
        create_links(manager).await?;
        create_revisions(manager).await?;
        create_search_index(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DbBackend::Sqlite {
            for statement in [
                "DROP TRIGGER IF EXISTS policy_updates_fts_insert",
                "DROP TRIGGER IF EXISTS policy_updates_fts_update",
                "DROP TRIGGER IF EXISTS policy_updates_fts_delete",
                "DROP TABLE IF EXISTS policy_updates_fts",
            ] {
                manager
                    .get_connection()
                    .execute_unprepared(statement)
                    .await?;
            }
        }
        for table in [
            PolicyUpdateRevisions::Table.into_iden(),
            PolicyUpdateCampaigns::Table.into_iden(),
            PolicyUpdateTopics::Table.into_iden(),
            PolicyUpdates::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_updates(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PolicyUpdates::Table)
                .col(big_pk_auto(PolicyUpdates::Id))
                .col(string_len(PolicyUpdates::Title, 200))
                .col(text(PolicyUpdates::Summary))
                .col(text(PolicyUpdates::Body))
                .col(text(PolicyUpdates::BodyHtml))
                .col(string_len(PolicyUpdates::Kind, 32))
                .col(big_integer_null(PolicyUpdates::RegionId))
                .col(string_len(PolicyUpdates::Audience, 16))
                .col(string_len(PolicyUpdates::Status, 16))
                .col(timestamp_with_time_zone_null(PolicyUpdates::PublishedAt))
                .col(timestamp_with_time_zone_null(PolicyUpdates::AnnouncedAt))
                .col(timestamp_with_time_zone_null(PolicyUpdates::CorrectedAt))
                .col(big_integer(PolicyUpdates::CreatedBy))
                .col(timestamp_with_time_zone(PolicyUpdates::CreatedAt))
                .col(timestamp_with_time_zone(PolicyUpdates::UpdatedAt))
                .check(one_of(
                    PolicyUpdates::Kind,
                    &["POLICY_DEVELOPMENT", "CAMPAIGN_ACTION", "RESOURCE", "EVENT"],
                ))
                .check(one_of(PolicyUpdates::Audience, &["PUBLIC", "PARTNERS"]))
                .check(one_of(
                    PolicyUpdates::Status,
                    &["DRAFT", "PUBLISHED", "ARCHIVED"],
                ))
                .check(
                    Expr::col(PolicyUpdates::Status)
                        .eq("DRAFT")
                        .or(Expr::col(PolicyUpdates::PublishedAt).is_not_null()),
                )
                .foreign_key(&mut references(
                    (PolicyUpdates::Table, PolicyUpdates::RegionId),
                    (Regions::Table, Regions::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut references(
                    (PolicyUpdates::Table, PolicyUpdates::CreatedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        PolicyUpdates::Table,
        &[
            (
                "idx_policy_updates_listing",
                &[
                    PolicyUpdates::Status,
                    PolicyUpdates::PublishedAt,
                    PolicyUpdates::Id,
                ][..],
            ),
            (
                "idx_policy_updates_region",
                &[PolicyUpdates::RegionId, PolicyUpdates::Id][..],
            ),
            (
                "idx_policy_updates_kind",
                &[PolicyUpdates::Kind, PolicyUpdates::Id][..],
            ),
            (
                "idx_policy_updates_unannounced",
                &[PolicyUpdates::AnnouncedAt, PolicyUpdates::PublishedAt][..],
            ),
        ],
    )
    .await
}

async fn create_links(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PolicyUpdateTopics::Table)
                .col(big_integer(PolicyUpdateTopics::UpdateId))
                .col(string_len(PolicyUpdateTopics::Topic, 40))
                .primary_key(
                    Index::create()
                        .col(PolicyUpdateTopics::UpdateId)
                        .col(PolicyUpdateTopics::Topic),
                )
                .foreign_key(&mut references(
                    (PolicyUpdateTopics::Table, PolicyUpdateTopics::UpdateId),
                    (PolicyUpdates::Table, PolicyUpdates::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        PolicyUpdateTopics::Table,
        &[(
            "idx_policy_update_topics_topic",
            &[PolicyUpdateTopics::Topic, PolicyUpdateTopics::UpdateId][..],
        )],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(PolicyUpdateCampaigns::Table)
                .col(big_integer(PolicyUpdateCampaigns::UpdateId))
                .col(big_integer(PolicyUpdateCampaigns::CampaignId))
                .primary_key(
                    Index::create()
                        .col(PolicyUpdateCampaigns::UpdateId)
                        .col(PolicyUpdateCampaigns::CampaignId),
                )
                .foreign_key(&mut references(
                    (
                        PolicyUpdateCampaigns::Table,
                        PolicyUpdateCampaigns::UpdateId,
                    ),
                    (PolicyUpdates::Table, PolicyUpdates::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (
                        PolicyUpdateCampaigns::Table,
                        PolicyUpdateCampaigns::CampaignId,
                    ),
                    (Campaigns::Table, Campaigns::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        PolicyUpdateCampaigns::Table,
        &[(
            "idx_policy_update_campaigns_campaign",
            &[
                PolicyUpdateCampaigns::CampaignId,
                PolicyUpdateCampaigns::UpdateId,
            ][..],
        )],
    )
    .await
}

async fn create_revisions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PolicyUpdateRevisions::Table)
                .col(big_pk_auto(PolicyUpdateRevisions::Id))
                .col(big_integer(PolicyUpdateRevisions::UpdateId))
                .col(string_len(PolicyUpdateRevisions::Title, 200))
                .col(text(PolicyUpdateRevisions::Summary))
                .col(text(PolicyUpdateRevisions::Body))
                .col(big_integer(PolicyUpdateRevisions::ReplacedBy))
                .col(timestamp_with_time_zone(PolicyUpdateRevisions::ReplacedAt))
                .foreign_key(&mut references(
                    (
                        PolicyUpdateRevisions::Table,
                        PolicyUpdateRevisions::UpdateId,
                    ),
                    (PolicyUpdates::Table, PolicyUpdates::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (
                        PolicyUpdateRevisions::Table,
                        PolicyUpdateRevisions::ReplacedBy,
                    ),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        PolicyUpdateRevisions::Table,
        &[(
            "idx_policy_update_revisions_update",
            &[PolicyUpdateRevisions::UpdateId, PolicyUpdateRevisions::Id][..],
        )],
    )
    .await
}

/// Title weighs most, then the summary, then the body.
async fn create_search_index(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let statements: &[&str] = match manager.get_database_backend() {
        DbBackend::Postgres => &[
            "ALTER TABLE policy_updates ADD COLUMN search tsvector GENERATED ALWAYS AS (
                setweight(to_tsvector('english', title), 'A') ||
                setweight(to_tsvector('english', summary), 'B') ||
                setweight(to_tsvector('english', body), 'C')) STORED",
            "CREATE INDEX idx_policy_updates_search ON policy_updates USING GIN (search)",
        ],
        _ => &[
            "CREATE VIRTUAL TABLE policy_updates_fts USING fts5(
                title, summary, body, content='policy_updates', content_rowid='id',
                tokenize='porter unicode61')",
            "CREATE TRIGGER policy_updates_fts_insert AFTER INSERT ON policy_updates BEGIN
                INSERT INTO policy_updates_fts(rowid, title, summary, body)
                VALUES (new.id, new.title, new.summary, new.body);
             END",
            "CREATE TRIGGER policy_updates_fts_delete AFTER DELETE ON policy_updates BEGIN
                INSERT INTO policy_updates_fts(policy_updates_fts, rowid, title, summary, body)
                VALUES ('delete', old.id, old.title, old.summary, old.body);
             END",
            "CREATE TRIGGER policy_updates_fts_update AFTER UPDATE ON policy_updates BEGIN
                INSERT INTO policy_updates_fts(policy_updates_fts, rowid, title, summary, body)
                VALUES ('delete', old.id, old.title, old.summary, old.body);
                INSERT INTO policy_updates_fts(rowid, title, summary, body)
                VALUES (new.id, new.title, new.summary, new.body);
             END",
        ],
    };
    for statement in statements {
        manager
            .get_connection()
            .execute_unprepared(statement)
            .await?;
    }
    Ok(())
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyUpdates {
    Table,
    Id,
    Title,
    Summary,
    Body,
    BodyHtml,
    Kind,
    RegionId,
    Audience,
    Status,
    PublishedAt,
    AnnouncedAt,
    CorrectedAt,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyUpdateTopics {
    Table,
    UpdateId,
    Topic,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyUpdateCampaigns {
    Table,
    UpdateId,
    CampaignId,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyUpdateRevisions {
    Table,
    Id,
    UpdateId,
    Title,
    Summary,
    Body,
    ReplacedBy,
    ReplacedAt,
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
enum Campaigns {
    Table,
    Id,
}
