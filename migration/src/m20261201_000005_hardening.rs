//! Hardening: one waiting invitation per address, fenced outbox leases, rate limits on the
//! mail a subscriber can be sent, and the backers a published position was published with.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{create_indexes, references};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000005_hardening"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        one_waiting_invitation_per_address(manager).await?;
        add_columns(manager).await?;
        create_position_backers(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_table(Table::drop().table(PositionBackers::Table).to_owned())
            .await?;
        manager
            .get_connection()
            .execute_unprepared("DROP INDEX IF EXISTS uq_invitations_waiting")
            .await?;
        for (table, column) in added_columns() {
            manager
                .alter_table(Table::alter().table(table).drop_column(column).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Older duplicates are withdrawn first (as a newer invitation always replaced them), then a
/// partial unique index lets the database refuse a second waiting invitation to one address.
async fn one_waiting_invitation_per_address(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    db.execute_unprepared(
        "UPDATE invitations SET revoked_at = created_at \
         WHERE accepted_at IS NULL AND revoked_at IS NULL AND id NOT IN ( \
           SELECT MAX(id) FROM invitations \
           WHERE accepted_at IS NULL AND revoked_at IS NULL GROUP BY email)",
    )
    .await?;
    db.execute_unprepared(
        "CREATE UNIQUE INDEX uq_invitations_waiting ON invitations (email) \
         WHERE accepted_at IS NULL AND revoked_at IS NULL",
    )
    .await?;
    Ok(())
}

fn added_columns() -> [(Alias, Alias); 5] {
    [
        (Alias::new("outbox"), Alias::new("lease_token")),
        (Alias::new("subscribers"), Alias::new("notice_sent_at")),
        (Alias::new("subscribers"), Alias::new("data_link_sent_at")),
        (Alias::new("positions"), Alias::new("flagged_at")),
        (Alias::new("positions"), Alias::new("flag_reason")),
    ]
}

/// SQLite adds one column per statement.
async fn add_columns(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let columns = [
        (Alias::new("outbox"), string_len_null("lease_token", 64)),
        (
            Alias::new("subscribers"),
            timestamp_with_time_zone_null("notice_sent_at"),
        ),
        (
            Alias::new("subscribers"),
            timestamp_with_time_zone_null("data_link_sent_at"),
        ),
        (
            Alias::new("positions"),
            timestamp_with_time_zone_null("flagged_at"),
        ),
        (Alias::new("positions"), text_null("flag_reason")),
    ];
    for (table, mut column) in columns {
        manager
            .alter_table(
                Table::alter()
                    .table(table)
                    .add_column(&mut column)
                    .to_owned(),
            )
            .await?;
    }
    Ok(())
}

async fn create_position_backers(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PositionBackers::Table)
                .col(big_pk_auto(PositionBackers::Id))
                .col(big_integer(PositionBackers::PositionId))
                .col(integer(PositionBackers::Version))
                .col(big_integer(PositionBackers::PartnerId))
                .col(timestamp_with_time_zone(PositionBackers::ApprovedAt))
                .col(timestamp_with_time_zone_null(PositionBackers::WithdrawnAt))
                .col(text_null(PositionBackers::WithdrawalComment))
                .foreign_key(&mut references(
                    (PositionBackers::Table, PositionBackers::PositionId),
                    (Positions::Table, Positions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (PositionBackers::Table, PositionBackers::PartnerId),
                    (Partners::Table, Partners::Id),
                    ForeignKeyAction::Cascade,
                ))
                .index(
                    Index::create()
                        .name("uq_position_backers")
                        .col(PositionBackers::PositionId)
                        .col(PositionBackers::PartnerId)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        PositionBackers::Table,
        &[(
            "idx_position_backers_partner",
            &[PositionBackers::PartnerId][..],
        )],
    )
    .await
}

#[derive(DeriveIden, Clone, Copy)]
enum PositionBackers {
    Table,
    Id,
    PositionId,
    Version,
    PartnerId,
    ApprovedAt,
    WithdrawnAt,
    WithdrawalComment,
}

#[derive(DeriveIden)]
enum Positions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
}
