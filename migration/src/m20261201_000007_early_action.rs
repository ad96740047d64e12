//! Asylum Early Action: the six principles and their indicators (kept in editions, so an
//! assessment always shows the wording it answered), the organisations that sign them, and
//! their self-assessments.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{create_indexes, one_of, references};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000007_early_action"
    }
}

/// The six principles: key, title, what it means, and its indicators (observable practices).
const PRINCIPLES: [(&str, &str, &str, &[&str]); 6] = [
    (
        "EARLY_ACTION",
        "Early Action",
        "Act before people reach crisis, not only once they are in it.",
        &[
            "We are in touch with people early in their claim, not only once they are destitute.",
            "We notice where people fall into crisis and change what we do to prevent it.",
            "Part of our time and money goes to prevention, not only to emergency help.",
        ],
    ),
    (
        "LONG_TERM_CHANGE",
        "Belief in Long-Term Change",
        "Work for lasting change in the system while meeting the needs of today.",
        &[
            "We pass on what we see to those who can change policy and practice.",
            "We plan our work over years as well as months.",
            "We look at whether people's situations improve over time, not only at what we did.",
        ],
    ),
    (
        "PARTICIPATORY_DESIGN",
        "Participatory Service Design",
        "People with experience of the asylum system shape the services meant for them.",
        &[
            "People who use our services take part in designing them.",
            "People with lived experience have a place where our decisions are made.",
            "We recognise people's time and expertise, with payment or in other ways.",
        ],
    ),
    (
        "SERVICES_THAT_EMPOWER",
        "Services that Empower",
        "Build on people's strengths and widen the control they have over their lives.",
        &[
            "Our support starts from the skills and knowledge people bring.",
            "People set the goals of the support they receive.",
            "We help people make connections in their community beyond our service.",
            "We take care that people do not come to depend on us.",
        ],
    ),
    (
        "EXPERIMENTATION",
        "Experimentation",
        "Try new approaches, learn from them, and share what did not work as well as what did.",
        &[
            "We try new ways of working and review them honestly.",
            "We share lessons, failures included, with other organisations.",
            "Everyone who works with us is encouraged to suggest improvements.",
        ],
    ),
    (
        "COLLABORATION",
        "Collaboration",
        "Work with other organisations so that nobody falls between services.",
        &[
            "When we refer someone to another service, we follow up.",
            "With people's consent, we share what partners need to help them.",
            "We plan services together with other local organisations.",
        ],
    ),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_principles(manager).await?;
        create_signatories(manager).await?;
        create_assessments(manager).await?;
        seed_principles(manager).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AssessmentAnswers::Table.into_iden(),
            Assessments::Table.into_iden(),
            Signatories::Table.into_iden(),
            PrincipleIndicators::Table.into_iden(),
            Principles::Table.into_iden(),
            PrincipleEditions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_principles(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(PrincipleEditions::Table)
                .col(integer(PrincipleEditions::Number).primary_key())
                .col(timestamp_with_time_zone(PrincipleEditions::CreatedAt))
                .col(big_integer_null(PrincipleEditions::CreatedBy))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(Principles::Table)
                .col(big_pk_auto(Principles::Id))
                .col(string_len_uniq(Principles::Key, 32))
                .col(integer_uniq(Principles::Number))
                .col(string_len(Principles::Title, 200))
                .col(text(Principles::Description))
                .to_owned(),
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(PrincipleIndicators::Table)
                .col(big_pk_auto(PrincipleIndicators::Id))
                .col(big_integer(PrincipleIndicators::PrincipleId))
                .col(integer(PrincipleIndicators::Position))
                .col(text(PrincipleIndicators::Text))
                .col(integer(PrincipleIndicators::IntroducedIn))
                .col(integer_null(PrincipleIndicators::RetiredIn))
                .foreign_key(&mut references(
                    (PrincipleIndicators::Table, PrincipleIndicators::PrincipleId),
                    (Principles::Table, Principles::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        PrincipleIndicators::Table,
        &[(
            "idx_indicators_principle",
            &[
                PrincipleIndicators::PrincipleId,
                PrincipleIndicators::Position,
            ][..],
        )],
    )
    .await
}

async fn create_signatories(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Signatories::Table)
                .col(big_pk_auto(Signatories::Id))
                .col(big_integer_null(Signatories::PartnerId))
                .col(string_len(Signatories::OrganisationName, 200))
                .col(string_len(Signatories::NameKey, 200))
                .col(string_len_null(Signatories::Website, 300))
                .col(string_len_null(Signatories::Town, 100))
                .col(big_integer_null(Signatories::RegionId))
                .col(string_len(Signatories::SignatoryName, 200))
                .col(string_len(Signatories::SignatoryRole, 200))
                .col(string_len(Signatories::Email, 254))
                .col(boolean(Signatories::ListPublicly))
                .col(string_len(Signatories::Status, 16))
                .col(integer(Signatories::Edition))
                .col(string_len(Signatories::TokenHash, 64))
                .col(string_len(Signatories::ManageSalt, 64))
                .col(big_integer_null(Signatories::SignedBy))
                .col(timestamp_with_time_zone(Signatories::SignedAt))
                .col(timestamp_with_time_zone_null(Signatories::ConfirmedAt))
                .col(big_integer_null(Signatories::DecidedBy))
                .col(timestamp_with_time_zone_null(Signatories::DecidedAt))
                .col(text_null(Signatories::RejectionReason))
                .col(timestamp_with_time_zone_null(Signatories::WithdrawnAt))
                .col(text_null(Signatories::WithdrawalReason))
                .col(timestamp_with_time_zone_null(Signatories::ReassessDueAt))
                .check(one_of(
                    Signatories::Status,
                    &[
                        "UNCONFIRMED",
                        "PENDING",
                        "APPROVED",
                        "REJECTED",
                        "WITHDRAWN",
                    ],
                ))
                .foreign_key(&mut references(
                    (Signatories::Table, Signatories::PartnerId),
                    (Partners::Table, Partners::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (Signatories::Table, Signatories::RegionId),
                    (Regions::Table, Regions::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Signatories::Table,
        &[
            (
                "idx_signatories_listed",
                &[
                    Signatories::Status,
                    Signatories::ListPublicly,
                    Signatories::NameKey,
                ][..],
            ),
            ("idx_signatories_region", &[Signatories::RegionId][..]),
            ("idx_signatories_partner", &[Signatories::PartnerId][..]),
            ("idx_signatories_token", &[Signatories::TokenHash][..]),
        ],
    )
    .await?;
    // One standing signature per partner organisation: signing again needs a withdrawal (or a
    // rejection) first.
    manager
        .get_connection()
        .execute_unprepared(
            "CREATE UNIQUE INDEX uq_signatories_standing ON signatories (partner_id) \
             WHERE partner_id IS NOT NULL AND status IN ('PENDING', 'APPROVED')",
        )
        .await?;
    Ok(())
}

async fn create_assessments(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Assessments::Table)
                .col(big_pk_auto(Assessments::Id))
                .col(big_integer(Assessments::SignatoryId))
                .col(integer(Assessments::Edition))
                .col(timestamp_with_time_zone(Assessments::StartedAt))
                .col(timestamp_with_time_zone_null(Assessments::SubmittedAt))
                .foreign_key(&mut references(
                    (Assessments::Table, Assessments::SignatoryId),
                    (Signatories::Table, Signatories::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Assessments::Table,
        &[(
            "idx_assessments_signatory",
            &[Assessments::SignatoryId, Assessments::Id][..],
        )],
    )
    .await?;
    // One assessment in progress per signatory at a time.
    manager
        .get_connection()
        .execute_unprepared(
            "CREATE UNIQUE INDEX uq_assessments_open ON assessments (signatory_id) \
             WHERE submitted_at IS NULL",
        )
        .await?;
    manager
        .create_table(
            Table::create()
                .table(AssessmentAnswers::Table)
                .col(big_integer(AssessmentAnswers::AssessmentId))
                .col(big_integer(AssessmentAnswers::IndicatorId))
                .col(string_len(AssessmentAnswers::Level, 16))
                .col(text_null(AssessmentAnswers::Note))
                .col(string_len_null(AssessmentAnswers::EvidenceUrl, 300))
                .primary_key(
                    Index::create()
                        .col(AssessmentAnswers::AssessmentId)
                        .col(AssessmentAnswers::IndicatorId),
                )
                .check(one_of(
                    AssessmentAnswers::Level,
                    &["NOT_STARTED", "PLANNING", "DOING", "EMBEDDED"],
                ))
                .foreign_key(&mut references(
                    (AssessmentAnswers::Table, AssessmentAnswers::AssessmentId),
                    (Assessments::Table, Assessments::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (AssessmentAnswers::Table, AssessmentAnswers::IndicatorId),
                    (PrincipleIndicators::Table, PrincipleIndicators::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        AssessmentAnswers::Table,
        &[(
            "idx_answers_indicator",
            &[AssessmentAnswers::IndicatorId, AssessmentAnswers::Level][..],
        )],
    )
    .await
}

async fn seed_principles(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    let custom = |error: sea_query::error::Error| DbErr::Custom(error.to_string());
    let mut edition = Query::insert();
    edition
        .into_table(PrincipleEditions::Table)
        .columns([PrincipleEditions::Number, PrincipleEditions::CreatedAt])
        .values([1.into(), Expr::current_timestamp()])
        .map_err(custom)?;
    manager.exec_stmt(edition).await?;
    for (number, (key, title, description, indicators)) in (1i32..).zip(PRINCIPLES) {
        let mut principle = Query::insert();
        principle
            .into_table(Principles::Table)
            .columns([
                Principles::Key,
                Principles::Number,
                Principles::Title,
                Principles::Description,
            ])
            .values([key.into(), number.into(), title.into(), description.into()])
            .map_err(custom)?;
        manager.exec_stmt(principle).await?;
        for (position, text) in (1i32..).zip(indicators.iter()) {
            let mut indicator = Query::insert();
            indicator
                .into_table(PrincipleIndicators::Table)
                .columns([
                    PrincipleIndicators::PrincipleId,
                    PrincipleIndicators::Position,
                    PrincipleIndicators::Text,
                    PrincipleIndicators::IntroducedIn,
                ])
                .select_from(
                    Query::select()
                        .column(Principles::Id)
                        .expr(Expr::val(position))
                        .expr(Expr::val(*text))
                        .expr(Expr::val(1))
                        .from(Principles::Table)
                        .and_where(Expr::col(Principles::Key).eq(key))
                        .to_owned(),
                )
                .map_err(custom)?;
            manager.exec_stmt(indicator).await?;
        }
    }
    Ok(())
}

#[derive(DeriveIden, Clone, Copy)]
enum PrincipleEditions {
    Table,
    Number,
    CreatedAt,
    CreatedBy,
}

#[derive(DeriveIden, Clone, Copy)]
enum Principles {
    Table,
    Id,
    Key,
    Number,
    Title,
    Description,
}

#[derive(DeriveIden, Clone, Copy)]
enum PrincipleIndicators {
    Table,
    Id,
    PrincipleId,
    Position,
    Text,
    IntroducedIn,
    RetiredIn,
}

#[derive(DeriveIden, Clone, Copy)]
enum Signatories {
    Table,
    Id,
    PartnerId,
    OrganisationName,
    NameKey,
    Website,
    Town,
    RegionId,
    SignatoryName,
    SignatoryRole,
    Email,
    ListPublicly,
    Status,
    Edition,
    TokenHash,
    ManageSalt,
    SignedBy,
    SignedAt,
    ConfirmedAt,
    DecidedBy,
    DecidedAt,
    RejectionReason,
    WithdrawnAt,
    WithdrawalReason,
    ReassessDueAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Assessments {
    Table,
    Id,
    SignatoryId,
    Edition,
    StartedAt,
    SubmittedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum AssessmentAnswers {
    Table,
    AssessmentId,
    IndicatorId,
    Level,
    Note,
    EvidenceUrl,
}

#[derive(DeriveIden, Clone, Copy)]
enum Partners {
    Table,
    Id,
}

#[derive(DeriveIden, Clone, Copy)]
enum Regions {
    Table,
    Id,
}
