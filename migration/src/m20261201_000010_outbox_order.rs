//! The mail worker takes pending messages in id order: an index that walks pending rows in that
//! order lets it stop after one batch, where sorting every pending row cost a full scan of the
//! queue per batch.

use sea_orm_migration::prelude::*;

use crate::common::create_indexes;

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000010_outbox_order"
    }
}

const INDEX: &str = "idx_outbox_pending_in_order";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_indexes(
            manager,
            Outbox::Table,
            &[(INDEX, &[Outbox::Status, Outbox::Id][..])],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .drop_index(Index::drop().name(INDEX).table(Outbox::Table).to_owned())
            .await
    }
}

#[derive(DeriveIden, Clone, Copy)]
enum Outbox {
    Table,
    Id,
    Status,
}
