//! Training: sessions staff offer, bookings that hold seats for named attendees (confirmed in
//! order of arrival while seats last, then waitlisted), and what each attendee did. Emails can
//! carry a calendar entry.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{create_indexes, one_of, references};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261201_000008_training"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_sessions(manager).await?;
        create_links(manager).await?;
        create_bookings(manager).await?;
        create_attendees(manager).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .add_column(text_null(Outbox::Calendar))
                    .to_owned(),
            )
            .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .alter_table(
                Table::alter()
                    .table(Outbox::Table)
                    .drop_column(Outbox::Calendar)
                    .to_owned(),
            )
            .await?;
        for table in [
            TrainingAttendees::Table.into_iden(),
            TrainingBookings::Table.into_iden(),
            TrainingSessionLinks::Table.into_iden(),
            TrainingSessions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

async fn create_sessions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(TrainingSessions::Table)
                .col(big_pk_auto(TrainingSessions::Id))
                .col(string_len(TrainingSessions::Title, 200))
                .col(text(TrainingSessions::Description))
                .col(text(TrainingSessions::DescriptionHtml))
                .col(string_len(TrainingSessions::Topic, 16))
                .col(string_len(TrainingSessions::Format, 16))
                .col(string_len_null(TrainingSessions::Venue, 200))
                .col(string_len_null(TrainingSessions::Town, 100))
                .col(string_len_null(TrainingSessions::JoiningUrl, 300))
                .col(timestamp_with_time_zone(TrainingSessions::StartsAt))
                .col(timestamp_with_time_zone(TrainingSessions::EndsAt))
                .col(integer(TrainingSessions::Capacity))
                .col(timestamp_with_time_zone(TrainingSessions::BookingDeadline))
                .col(string_len(TrainingSessions::Audience, 16))
                .col(integer_null(TrainingSessions::SeatsPerOrganisation))
                .col(big_integer_null(TrainingSessions::RegionId))
                .col(string_len(TrainingSessions::Status, 16))
                .col(text_null(TrainingSessions::CancelReason))
                .col(string_len_null(TrainingSessions::Provider, 200))
                .col(string_len_null(TrainingSessions::ExternalUrl, 300))
                .col(integer(TrainingSessions::Sequence))
                .col(big_integer(TrainingSessions::CreatedBy))
                .col(timestamp_with_time_zone(TrainingSessions::CreatedAt))
                .col(timestamp_with_time_zone(TrainingSessions::UpdatedAt))
                .check(one_of(
                    TrainingSessions::Status,
                    &["DRAFT", "PUBLISHED", "COMPLETED", "CANCELLED"],
                ))
                .check(one_of(
                    TrainingSessions::Topic,
                    &[
                        "ADVOCACY",
                        "CAMPAIGNING",
                        "ASYLUM_SYSTEM",
                        "EARLY_ACTION",
                        "OTHER",
                    ],
                ))
                .check(one_of(
                    TrainingSessions::Format,
                    &["IN_PERSON", "ONLINE", "HYBRID"],
                ))
                .check(one_of(TrainingSessions::Audience, &["PARTNERS", "PUBLIC"]))
                .check(Expr::col(TrainingSessions::Capacity).between(1, 10_000))
                .check(
                    Expr::col(TrainingSessions::EndsAt).gt(Expr::col(TrainingSessions::StartsAt)),
                )
                .check(
                    Expr::col(TrainingSessions::SeatsPerOrganisation)
                        .is_null()
                        .or(Expr::col(TrainingSessions::SeatsPerOrganisation).gte(1)),
                )
                .foreign_key(&mut references(
                    (TrainingSessions::Table, TrainingSessions::RegionId),
                    (Regions::Table, Regions::Id),
                    ForeignKeyAction::Restrict,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        TrainingSessions::Table,
        &[
            (
                "idx_training_sessions_listed",
                &[TrainingSessions::Status, TrainingSessions::StartsAt][..],
            ),
            (
                "idx_training_sessions_region",
                &[TrainingSessions::RegionId, TrainingSessions::StartsAt][..],
            ),
            (
                "idx_training_sessions_starts",
                &[TrainingSessions::StartsAt][..],
            ),
            (
                "idx_training_sessions_topic",
                &[TrainingSessions::Topic, TrainingSessions::StartsAt][..],
            ),
            (
                "idx_training_sessions_ending",
                &[TrainingSessions::Status, TrainingSessions::EndsAt][..],
            ),
        ],
    )
    .await
}

/// A session's campaigns, goals and Early Action principles, in one link table.
async fn create_links(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(TrainingSessionLinks::Table)
                .col(big_integer(TrainingSessionLinks::SessionId))
                .col(string_len(TrainingSessionLinks::Kind, 16))
                .col(big_integer(TrainingSessionLinks::TargetId))
                .primary_key(
                    Index::create()
                        .col(TrainingSessionLinks::SessionId)
                        .col(TrainingSessionLinks::Kind)
                        .col(TrainingSessionLinks::TargetId),
                )
                .check(one_of(
                    TrainingSessionLinks::Kind,
                    &["CAMPAIGN", "GOAL", "PRINCIPLE"],
                ))
                .foreign_key(&mut references(
                    (TrainingSessionLinks::Table, TrainingSessionLinks::SessionId),
                    (TrainingSessions::Table, TrainingSessions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        TrainingSessionLinks::Table,
        &[(
            "idx_training_links_target",
            &[TrainingSessionLinks::Kind, TrainingSessionLinks::TargetId][..],
        )],
    )
    .await
}

async fn create_bookings(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(TrainingBookings::Table)
                .col(big_pk_auto(TrainingBookings::Id))
                .col(big_integer(TrainingBookings::SessionId))
                .col(big_integer_null(TrainingBookings::PartnerId))
                .col(big_integer_null(TrainingBookings::BookedBy))
                .col(string_len(TrainingBookings::LinkSalt, 64))
                .col(string_len(TrainingBookings::Uid, 64))
                .col(timestamp_with_time_zone(TrainingBookings::CreatedAt))
                .col(timestamp_with_time_zone_null(TrainingBookings::ConfirmedAt))
                .col(timestamp_with_time_zone_null(TrainingBookings::CancelledAt))
                .foreign_key(&mut references(
                    (TrainingBookings::Table, TrainingBookings::SessionId),
                    (TrainingSessions::Table, TrainingSessions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (TrainingBookings::Table, TrainingBookings::PartnerId),
                    (Partners::Table, Partners::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        TrainingBookings::Table,
        &[
            (
                "idx_training_bookings_session",
                &[TrainingBookings::SessionId, TrainingBookings::Id][..],
            ),
            (
                "idx_training_bookings_partner",
                &[TrainingBookings::PartnerId][..],
            ),
        ],
    )
    .await
}

async fn create_attendees(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(TrainingAttendees::Table)
                .col(big_pk_auto(TrainingAttendees::Id))
                .col(big_integer(TrainingAttendees::BookingId))
                .col(big_integer(TrainingAttendees::SessionId))
                .col(string_len(TrainingAttendees::Name, 200))
                .col(string_len(TrainingAttendees::Email, 254))
                .col(string_len(TrainingAttendees::EmailKey, 254))
                .col(string_len(TrainingAttendees::Status, 16))
                .col(big_integer(TrainingAttendees::QueueNumber))
                .col(string_len_null(TrainingAttendees::Attendance, 16))
                .col(timestamp_with_time_zone_null(TrainingAttendees::RemindedAt))
                .col(timestamp_with_time_zone(TrainingAttendees::CreatedAt))
                .check(one_of(
                    TrainingAttendees::Status,
                    &["UNCONFIRMED", "CONFIRMED", "WAITLISTED", "CANCELLED"],
                ))
                .check(one_of(
                    TrainingAttendees::Attendance,
                    &["ATTENDED", "NO_SHOW"],
                ))
                .foreign_key(&mut references(
                    (TrainingAttendees::Table, TrainingAttendees::BookingId),
                    (TrainingBookings::Table, TrainingBookings::Id),
                    ForeignKeyAction::Cascade,
                ))
                .foreign_key(&mut references(
                    (TrainingAttendees::Table, TrainingAttendees::SessionId),
                    (TrainingSessions::Table, TrainingSessions::Id),
                    ForeignKeyAction::Cascade,
                ))
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        TrainingAttendees::Table,
        &[
            (
                "idx_training_attendees_queue",
                &[
                    TrainingAttendees::SessionId,
                    TrainingAttendees::Status,
                    TrainingAttendees::QueueNumber,
                ][..],
            ),
            (
                "idx_training_attendees_booking",
                &[TrainingAttendees::BookingId][..],
            ),
        ],
    )
    .await?;
    // One seat (held or waited for) per person per session; arrival order is unique too, so
    // the waitlist has no ties.
    let conn = manager.get_connection();
    conn.execute_unprepared(
        "CREATE UNIQUE INDEX uq_training_attendee_person ON training_attendees \
         (session_id, email_key) WHERE status IN ('CONFIRMED', 'WAITLISTED')",
    )
    .await?;
    conn.execute_unprepared(
        "CREATE UNIQUE INDEX uq_training_attendee_queue ON training_attendees \
         (session_id, queue_number)",
    )
    .await?;
    Ok(())
}

#[derive(DeriveIden, Clone, Copy)]
enum TrainingSessions {
    Table,
    Id,
    Title,
    Description,
    DescriptionHtml,
    Topic,
    Format,
    Venue,
    Town,
    JoiningUrl,
    StartsAt,
    EndsAt,
    Capacity,
    BookingDeadline,
    Audience,
    SeatsPerOrganisation,
    RegionId,
    Status,
    CancelReason,
    Provider,
    ExternalUrl,
    Sequence,
    CreatedBy,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TrainingSessionLinks {
    Table,
    SessionId,
    Kind,
    TargetId,
}

#[derive(DeriveIden, Clone, Copy)]
enum TrainingBookings {
    Table,
    Id,
    SessionId,
    PartnerId,
    BookedBy,
    LinkSalt,
    Uid,
    CreatedAt,
    ConfirmedAt,
    CancelledAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum TrainingAttendees {
    Table,
    Id,
    BookingId,
    SessionId,
    Name,
    Email,
    EmailKey,
    Status,
    QueueNumber,
    Attendance,
    RemindedAt,
    CreatedAt,
}

#[derive(DeriveIden)]
enum Outbox {
    Table,
    Calendar,
}

#[derive(DeriveIden)]
enum Regions {
    Table,
    Id,
}

#[derive(DeriveIden)]
enum Partners {
    Table,
    Id,
}
