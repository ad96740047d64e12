//! Database schema, one migration per change. A migration that has landed is never edited:
//! later changes come as new migrations.

pub use sea_orm_migration::prelude::*;

mod common;
mod m20261124_000001_foundation;
mod m20261124_000002_campaigns;
mod m20261128_000003_policy_updates;
mod m20261128_000004_mailing_list;
mod m20261201_000005_hardening;
mod m20261201_000006_enquiries_and_evidence;
mod m20261201_000007_early_action;
mod m20261201_000008_training;
mod m20261201_000009_petitions;
mod m20261201_000010_outbox_order;
mod m20261202_000011_outbox_leases;

pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261124_000001_foundation::Migration),
            Box::new(m20261124_000002_campaigns::Migration),
            Box::new(m20261128_000003_policy_updates::Migration),
            Box::new(m20261128_000004_mailing_list::Migration),
            Box::new(m20261201_000005_hardening::Migration),
            Box::new(m20261201_000006_enquiries_and_evidence::Migration),
            Box::new(m20261201_000007_early_action::Migration),
            Box::new(m20261201_000008_training::Migration),
            Box::new(m20261201_000009_petitions::Migration),
            Box::new(m20261201_000010_outbox_order::Migration),
            Box::new(m20261202_000011_outbox_leases::Migration),
        ]
    }
}
