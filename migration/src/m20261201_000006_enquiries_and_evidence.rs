//! Partnership enquiries (organisations asking to join the network) and observations (what
//! partners and staff see among the people they work with, in aggregate, never as cases);
//! and a kind of email written whole when queued, for the messages these send.

use sea_orm_migration::{
    prelude::*,
    schema::*,
    sea_orm::{ConnectionTrait, DbBackend, Statement},
};

use crate::common::{create_indexes, one_of, references};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000006_enquiries_and_evidence"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        allow_written_mail(manager).await?;
        create_enquiries(manager).await?;
        create_observations(manager).await?;
        create_update_evidence(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            PolicyUpdateEvidence::Table.into_iden(),
            ObservationRevisions::Table.into_iden(),
            ObservationGoals::Table.into_iden(),
            Observations::Table.into_iden(),
            EnquiryGoals::Table.into_iden(),
            PartnershipEnquiries::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

const MAIL_KINDS: &str = "'CONFIRMATION', 'NOTICE', 'UPDATE', 'DIGEST', 'INVITATION', 'WRITTEN'";

/// Adds `WRITTEN` to the kinds an outbox row may have. PostgreSQL changes the check in place;
/// SQLite cannot alter a check, so the table is rebuilt the documented way: a new table from
/// the old one's own definition with the check widened, the rows copied, the old table
/// dropped, the new one renamed, and the old indexes made again.
async fn allow_written_mail(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let db = manager.get_connection();
    if manager.get_database_backend() == DbBackend::Postgres {
        db.execute_unprepared("ALTER TABLE outbox DROP CONSTRAINT outbox_kind_check")
            .await?;
        db.execute_unprepared(&format!(
            "ALTER TABLE outbox ADD CONSTRAINT outbox_kind_check CHECK (kind IN ({MAIL_KINDS}))"
        ))
        .await?;
        return Ok(());
    }
    let definitions = |kind: &str| {
        Statement::from_string(
            DbBackend::Sqlite,
            format!(
                "SELECT sql FROM sqlite_master WHERE type = '{kind}' AND tbl_name = 'outbox' \
                 AND sql IS NOT NULL"
            ),
        )
    };
    let table: String = db
        .query_one_raw(definitions("table"))
        .await?
        .ok_or_else(|| DbErr::Custom("the outbox table is missing".to_owned()))?
        .try_get("", "sql")?;
    let widened = table
        .replacen("\"outbox\"", "\"outbox_new\"", 1)
        .replace("'INVITATION')", "'INVITATION', 'WRITTEN')");
    if !widened.contains("'WRITTEN'") {
        return Err(DbErr::Custom(
            "the outbox's kind check is not where it was expected".to_owned(),
        ));
    }
    let mut steps = vec![
        widened,
        "INSERT INTO outbox_new SELECT * FROM outbox".to_owned(),
        "DROP TABLE outbox".to_owned(),
        "ALTER TABLE outbox_new RENAME TO outbox".to_owned(),
    ];
    for row in db.query_all_raw(definitions("index")).await? {
        steps.push(row.try_get::<String>("", "sql")?);
    }
    // One batch, so every step runs on one connection, in one transaction.
    db.execute_unprepared(&format!(
        "SAVEPOINT widen_outbox; {}; RELEASE widen_outbox",
        steps.join("; ")
    ))
    .await?;
    Ok(())
}

async fn create_enquiries(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PartnershipEnquiries::Table)
                .col(big_pk_auto(PartnershipEnquiries::Id))
                .col(string_len(PartnershipEnquiries::OrganisationName, 200))
                .col(string_len(PartnershipEnquiries::NameKey, 200))
                .col(string_len(PartnershipEnquiries::Kind, 32))
                .col(string_len_null(PartnershipEnquiries::Town, 100))
                .col(big_integer_null(PartnershipEnquiries::RegionId))
                .col(string_len_null(PartnershipEnquiries::Website, 300))
                .col(text(PartnershipEnquiries::Description))
                .col(string_len(PartnershipEnquiries::ContactName, 200))
                .col(string_len(PartnershipEnquiries::ContactEmail, 254))
                .col(text(PartnershipEnquiries::Message))
                .col(string_len(PartnershipEnquiries::Status, 16))
                .col(string_len(PartnershipEnquiries::TokenHash, 64))
                .col(timestamp_with_time_zone(PartnershipEnquiries::CreatedAt))
                .col(timestamp_with_time_zone_null(
                    PartnershipEnquiries::ConfirmedAt,
                ))
                .col(big_integer_null(PartnershipEnquiries::DecidedBy))
                .col(timestamp_with_time_zone_null(
                    PartnershipEnquiries::DecidedAt,
                ))
                .col(text_null(PartnershipEnquiries::DecisionReason))
                .col(big_integer_null(PartnershipEnquiries::PartnerId))
                .check(one_of(
                    PartnershipEnquiries::Status,
                    &["UNCONFIRMED", "OPEN", "ACCEPTED", "DECLINED"],
                ))
                .foreign_key(&mut references(
                    (PartnershipEnquiries::Table, PartnershipEnquiries::RegionId),
                    (Regions::Table, Regions::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut references(
                    (PartnershipEnquiries::Table, PartnershipEnquiries::PartnerId),
                    (Partners::Table, Partners::Id),
                    ForeignKeyAction::SetNull,
                ))
                .foreign_key(&mut references(
                    (PartnershipEnquiries::Table, PartnershipEnquiries::DecidedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .index(
                    Index::create()
                        .name("uq_enquiries_token")
                        .col(PartnershipEnquiries::TokenHash)
                        .unique(),
                )
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        PartnershipEnquiries::Table,
        &[
            (
                "idx_enquiries_status_region",
                &[
                    PartnershipEnquiries::Status,
                    PartnershipEnquiries::RegionId,
                    PartnershipEnquiries::Id,
                ][..],
            ),
            (
                "idx_enquiries_email",
                &[
                    PartnershipEnquiries::ContactEmail,
                    PartnershipEnquiries::CreatedAt,
                ][..],
            ),
            ("idx_enquiries_name", &[PartnershipEnquiries::NameKey][..]),
            (
                "idx_enquiries_website",
                &[PartnershipEnquiries::Website][..],
            ),
        ],
    )
    .await?;
    link_to_goals(
        manager,
        EnquiryGoals::Table,
        EnquiryGoals::EnquiryId,
        EnquiryGoals::GoalId,
        PartnershipEnquiries::Table,
        PartnershipEnquiries::Id,
    )
    .await
}

async fn create_observations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Observations::Table)
                .col(big_pk_auto(Observations::Id))
                .col(big_integer_null(Observations::PartnerId))
                .col(big_integer_null(Observations::RegionId))
                .col(string_len(Observations::Topic, 40))
                .col(date(Observations::PeriodStart))
                .col(date(Observations::PeriodEnd))
                .col(integer(Observations::PeopleAffected))
                .col(text(Observations::Summary))
                .col(big_integer(Observations::CreatedBy))
                .col(timestamp_with_time_zone(Observations::CreatedAt))
                .col(timestamp_with_time_zone(Observations::UpdatedAt))
                .check(Expr::col(Observations::PeopleAffected).gte(3))
                .check(Expr::col(Observations::PeriodEnd).gte(Expr::col(Observations::PeriodStart)))
                .foreign_key(&mut references(
                    (Observations::Table, Observations::PartnerId),
                    (Partners::Table, Partners::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (Observations::Table, Observations::RegionId),
                    (Regions::Table, Regions::Id),
                    ForeignKeyAction::Restrict,
                ))
                .foreign_key(&mut references(
                    (Observations::Table, Observations::CreatedBy),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Observations::Table,
        &[
            (
                "idx_observations_region_period",
                &[Observations::RegionId, Observations::PeriodStart][..],
            ),
            (
                "idx_observations_partner",
                &[Observations::PartnerId, Observations::Id][..],
            ),
            (
                "idx_observations_topic_period",
                &[Observations::Topic, Observations::PeriodStart][..],
            ),
        ],
    )
    .await?;
    link_to_goals(
        manager,
        ObservationGoals::Table,
        ObservationGoals::ObservationId,
        ObservationGoals::GoalId,
        Observations::Table,
        Observations::Id,
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(ObservationRevisions::Table)
                .col(big_pk_auto(ObservationRevisions::Id))
                .col(big_integer(ObservationRevisions::ObservationId))
                .col(string_len(ObservationRevisions::Topic, 40))
                .col(date(ObservationRevisions::PeriodStart))
                .col(date(ObservationRevisions::PeriodEnd))
                .col(integer(ObservationRevisions::PeopleAffected))
                .col(text(ObservationRevisions::Summary))
                .col(big_integer(ObservationRevisions::ReplacedBy))
                .col(timestamp_with_time_zone(ObservationRevisions::ReplacedAt))
                .foreign_key(&mut references(
                    (
                        ObservationRevisions::Table,
                        ObservationRevisions::ObservationId,
                    ),
                    (Observations::Table, Observations::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (
                        ObservationRevisions::Table,
                        ObservationRevisions::ReplacedBy,
                    ),
                    (Users::Table, Users::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        ObservationRevisions::Table,
        &[(
            "idx_observation_revisions",
            &[
                ObservationRevisions::ObservationId,
                ObservationRevisions::Id,
            ][..],
        )],
    )
    .await
}

/// A link table from `owner` rows to advocacy goals, both sides cascading.
async fn link_to_goals<T, O>(
    manager: &SchemaManager<'_>,
    table: T,
    owner_column: T,
    goal_column: T,
    owner_table: O,
    owner_id: O,
) -> Result<(), DbErr>
where
    T: IntoIden + Copy + 'static,
    O: IntoIden + Copy + 'static,
{
    manager
        .create_table(
            Table::create()
                .table(table)
                .col(big_integer(owner_column))
                .col(big_integer(goal_column))
                .primary_key(Index::create().col(owner_column).col(goal_column))
                .foreign_key(&mut references(
                    (table, owner_column),
                    (owner_table, owner_id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (table, goal_column),
                    (AdvocacyGoals::Table, AdvocacyGoals::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        table,
        &[(
            &format!("idx_{}_goal", table.into_iden()),
            &[goal_column][..],
        )],
    )
    .await
}

/// Evidence staff attach to a policy update: the report filter whose (suppressed) figures the
/// update shows to everyone who can read it.
async fn create_update_evidence(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PolicyUpdateEvidence::Table)
                .col(big_integer(PolicyUpdateEvidence::UpdateId).primary_key())
                .col(big_integer_null(PolicyUpdateEvidence::GoalId))
                .col(big_integer_null(PolicyUpdateEvidence::RegionId))
                .col(string_len_null(PolicyUpdateEvidence::Topic, 40))
                .col(date(PolicyUpdateEvidence::FromDate))
                .col(date(PolicyUpdateEvidence::ToDate))
                .col(string_len(PolicyUpdateEvidence::Every, 8))
                .check(one_of(PolicyUpdateEvidence::Every, &["MONTH", "QUARTER"]))
                .foreign_key(&mut references(
                    (PolicyUpdateEvidence::Table, PolicyUpdateEvidence::UpdateId),
                    (PolicyUpdates::Table, PolicyUpdates::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await
}

#[derive(DeriveIden, Clone, Copy)]
enum PartnershipEnquiries {
    Table,
    Id,
    OrganisationName,
    NameKey,
    Kind,
    Town,
    RegionId,
    Website,
    Description,
    ContactName,
    ContactEmail,
    Message,
    Status,
    TokenHash,
    CreatedAt,
    ConfirmedAt,
    DecidedBy,
    DecidedAt,
    DecisionReason,
    PartnerId,
}

#[derive(DeriveIden, Clone, Copy)]
enum EnquiryGoals {
    #[sea_orm(iden = "partnership_enquiry_goals")]
    Table,
    EnquiryId,
    GoalId,
}

#[derive(DeriveIden, Clone, Copy)]
enum Observations {
    Table,
    Id,
    PartnerId,
    RegionId,
    Topic,
    PeriodStart,
    PeriodEnd,
    PeopleAffected,
    Summary,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ObservationGoals {
    Table,
    ObservationId,
    GoalId,
}

#[derive(DeriveIden, Clone, Copy)]
enum ObservationRevisions {
    Table,
    Id,
    ObservationId,
    Topic,
    PeriodStart,
    PeriodEnd,
    PeopleAffected,
    Summary,
    ReplacedBy,
    ReplacedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyUpdateEvidence {
    #[sea_orm(iden = "policy_update_evidence")]
    Table,
    UpdateId,
    GoalId,
    RegionId,
    Topic,
    FromDate,
    ToDate,
    Every,
}

#[derive(DeriveIden, Clone, Copy)]
enum Regions {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Partners {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum AdvocacyGoals {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum PolicyUpdates {
    Table,
    Id,
}
