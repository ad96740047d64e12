//! Accounts, regions, partner organisations, sessions, invitations and the audit log.

use sea_orm_migration::{prelude::*, schema::*};

use crate::common::{create_indexes, one_of};

pub struct Migration;

impl MigrationName for Migration {
    fn name(&self) -> &str {
        "m20261124_000001_foundation"
    }
}

/// The six nations and regions with staff, in the order the charity lists them.
const REGIONS: [(&str, &str, &str); 6] = [
    ("west-midlands", "West Midlands", "Birmingham"),
    ("north-west", "North West", "Manchester"),
    ("yorkshire-and-humber", "Yorkshire and Humber", "Leeds"),
    ("north-east", "North East", "Newcastle"),
    ("wales", "Wales", "Cardiff"),
    ("london", "London", "London"),
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        create_regions(manager).await?;
        create_partners(manager).await?;
        create_users(manager).await?;
        create_sessions(manager).await?;
        create_invitations(manager).await?;
        create_login_throttles(manager).await?;
        create_audit_entries(manager).await?;
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        for table in [
            AuditEntries::Table.into_iden(),
            LoginThrottles::Table.into_iden(),
            Invitations::Table.into_iden(),
            RefreshTokens::Table.into_iden(),
            Sessions::Table.into_iden(),
            Users::Table.into_iden(),
            Partners::Table.into_iden(),
            Regions::Table.into_iden(),
        ] {
            manager
                .drop_table(Table::drop().table(table).to_owned())
                .await?;
        }
        Ok(())
    }
}

/// Admins belong to no region or partner, staff to exactly one region, partner members to
/// exactly one organisation. Shared by accounts and the invitations that create them.
fn role_binding_check(
    role: impl IntoIden,
    region: impl IntoIden,
    partner: impl IntoIden,
) -> SimpleExpr {
    let (role, region, partner) = (role.into_iden(), region.into_iden(), partner.into_iden());
    let is = |value: &str| Expr::col(role.clone()).eq(value);
    is("ADMIN")
        .and(Expr::col(region.clone()).is_null())
        .and(Expr::col(partner.clone()).is_null())
        .or(is("STAFF")
            .and(Expr::col(region.clone()).is_not_null())
            .and(Expr::col(partner.clone()).is_null()))
        .or(is("PARTNER")
            .and(Expr::col(region).is_null())
            .and(Expr::col(partner).is_not_null()))
}

const ROLES: [&str; 3] = ["ADMIN", "STAFF", "PARTNER"];

async fn create_regions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Regions::Table)
                .col(big_pk_auto(Regions::Id))
                .col(string_len_uniq(Regions::Slug, 64))
                .col(string_len(Regions::Name, 100))
                .col(string_len(Regions::OfficeCity, 100))
                .col(integer(Regions::Position))
                .to_owned(),
        )
        .await?;
    let mut insert = Query::insert();
    insert.into_table(Regions::Table).columns([
        Regions::Slug,
        Regions::Name,
        Regions::OfficeCity,
        Regions::Position,
    ]);
    for (position, (slug, name, city)) in (1i32..).zip(REGIONS) {
        insert
            .values([slug.into(), name.into(), city.into(), position.into()])
            .map_err(|e| DbErr::Custom(e.to_string()))?;
    }
    manager.exec_stmt(insert).await
}

async fn create_partners(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Partners::Table)
                .col(big_pk_auto(Partners::Id))
                .col(string_len(Partners::Name, 200))
                .col(string_len_uniq(Partners::NameKey, 200))
                .col(string_len(Partners::Kind, 32))
                .col(big_integer_null(Partners::RegionId))
                .col(string_len_null(Partners::Town, 100))
                .col(string_len_null(Partners::Website, 300))
                .col(text(Partners::Description))
                .col(string_len(Partners::Status, 16))
                .col(string_len_null(Partners::ContactName, 200))
                .col(string_len_null(Partners::ContactEmail, 254))
                .col(string_len_null(Partners::ContactPhone, 40))
                .col(timestamp_with_time_zone(Partners::CreatedAt))
                .col(timestamp_with_time_zone(Partners::UpdatedAt))
                .check(one_of(
                    Partners::Kind,
                    &[
                        "COMMUNITY_GROUP",
                        "FAITH_GROUP",
                        "SANCTUARY_GROUP",
                        "LAW_CENTRE",
                        "CHARITY",
                        "OTHER",
                    ],
                ))
                .check(one_of(
                    Partners::Status,
                    &["PROSPECTIVE", "ACTIVE", "LAPSED"],
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(Partners::Table, Partners::RegionId)
                        .to(Regions::Table, Regions::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
    for (name, columns) in [
        (
            "idx_partners_region_name",
            vec![Partners::RegionId, Partners::NameKey],
        ),
        (
            "idx_partners_status_name",
            vec![Partners::Status, Partners::NameKey],
        ),
        (
            "idx_partners_kind_name",
            vec![Partners::Kind, Partners::NameKey],
        ),
    ] {
        let mut index = Index::create();
        index.name(name).table(Partners::Table);
        for column in columns {
            index.col(column);
        }
        manager.create_index(index.to_owned()).await?;
    }
    Ok(())
}

async fn create_users(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Users::Table)
                .col(big_pk_auto(Users::Id))
                .col(string_len_uniq(Users::Email, 254))
                .col(string_len(Users::Name, 100))
                .col(string_len(Users::PasswordHash, 200))
                .col(string_len(Users::Role, 16))
                .col(big_integer_null(Users::RegionId))
                .col(big_integer_null(Users::PartnerId))
                .col(boolean(Users::Active))
                .col(timestamp_with_time_zone(Users::CreatedAt))
                .col(timestamp_with_time_zone_null(Users::DeactivatedAt))
                .col(timestamp_with_time_zone_null(Users::LastLoginAt))
                .check(one_of(Users::Role, &ROLES))
                .check(role_binding_check(
                    Users::Role,
                    Users::RegionId,
                    Users::PartnerId,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::RegionId)
                        .to(Regions::Table, Regions::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Users::Table, Users::PartnerId)
                        .to(Partners::Table, Partners::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Users::Table,
        &[
            ("idx_users_region", &[Users::RegionId]),
            ("idx_users_partner", &[Users::PartnerId]),
        ],
    )
    .await
}

async fn create_sessions(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Sessions::Table)
                .col(big_pk_auto(Sessions::Id))
                .col(big_integer(Sessions::UserId))
                .col(timestamp_with_time_zone(Sessions::CreatedAt))
                .col(timestamp_with_time_zone_null(Sessions::RevokedAt))
                .col(string_len_null(Sessions::RevokedReason, 64))
                .foreign_key(
                    ForeignKey::create()
                        .from(Sessions::Table, Sessions::UserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Sessions::Table,
        &[("idx_sessions_user", &[Sessions::UserId])],
    )
    .await?;
    manager
        .create_table(
            Table::create()
                .table(RefreshTokens::Table)
                .col(big_pk_auto(RefreshTokens::Id))
                .col(big_integer(RefreshTokens::SessionId))
                .col(string_len_uniq(RefreshTokens::TokenHash, 64))
                .col(timestamp_with_time_zone(RefreshTokens::CreatedAt))
                .col(timestamp_with_time_zone(RefreshTokens::ExpiresAt))
                .col(timestamp_with_time_zone_null(RefreshTokens::UsedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(RefreshTokens::Table, RefreshTokens::SessionId)
                        .to(Sessions::Table, Sessions::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        RefreshTokens::Table,
        &[("idx_refresh_tokens_session", &[RefreshTokens::SessionId])],
    )
    .await
}

async fn create_invitations(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(Invitations::Table)
                .col(big_pk_auto(Invitations::Id))
                .col(string_len(Invitations::Email, 254))
                .col(string_len(Invitations::Role, 16))
                .col(big_integer_null(Invitations::RegionId))
                .col(big_integer_null(Invitations::PartnerId))
                .col(string_len_uniq(Invitations::TokenHash, 64))
                .col(big_integer(Invitations::InvitedBy))
                .col(timestamp_with_time_zone(Invitations::CreatedAt))
                .col(timestamp_with_time_zone(Invitations::ExpiresAt))
                .col(timestamp_with_time_zone_null(Invitations::AcceptedAt))
                .col(big_integer_null(Invitations::AcceptedUserId))
                .col(timestamp_with_time_zone_null(Invitations::RevokedAt))
                .check(one_of(Invitations::Role, &ROLES))
                .check(role_binding_check(
                    Invitations::Role,
                    Invitations::RegionId,
                    Invitations::PartnerId,
                ))
                .foreign_key(
                    ForeignKey::create()
                        .from(Invitations::Table, Invitations::RegionId)
                        .to(Regions::Table, Regions::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Invitations::Table, Invitations::PartnerId)
                        .to(Partners::Table, Partners::Id)
                        .on_delete(ForeignKeyAction::Cascade),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Invitations::Table, Invitations::InvitedBy)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::Restrict),
                )
                .foreign_key(
                    ForeignKey::create()
                        .from(Invitations::Table, Invitations::AcceptedUserId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        Invitations::Table,
        &[
            ("idx_invitations_email", &[Invitations::Email]),
            ("idx_invitations_region", &[Invitations::RegionId]),
            ("idx_invitations_partner", &[Invitations::PartnerId]),
        ],
    )
    .await
}

async fn create_login_throttles(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(LoginThrottles::Table)
                .col(string_len(LoginThrottles::EmailKey, 64).primary_key())
                .col(integer(LoginThrottles::Failures))
                .col(timestamp_with_time_zone(LoginThrottles::WindowStartedAt))
                .col(timestamp_with_time_zone_null(LoginThrottles::LockedUntil))
                .to_owned(),
        )
        .await
}

async fn create_audit_entries(manager: &SchemaManager<'_>) -> Result<(), DbErr> {
    manager
        .create_table(
            Table::create()
                .table(AuditEntries::Table)
                .col(big_pk_auto(AuditEntries::Id))
                .col(big_integer_null(AuditEntries::ActorId))
                .col(string_len(AuditEntries::Action, 64))
                .col(string_len(AuditEntries::TargetType, 32))
                .col(string_len_null(AuditEntries::TargetId, 64))
                .col(text_null(AuditEntries::Detail))
                .col(timestamp_with_time_zone(AuditEntries::CreatedAt))
                .foreign_key(
                    ForeignKey::create()
                        .from(AuditEntries::Table, AuditEntries::ActorId)
                        .to(Users::Table, Users::Id)
                        .on_delete(ForeignKeyAction::SetNull),
                )
                .to_owned(),
        )
        .await?;
    create_indexes(
        manager,
        AuditEntries::Table,
        &[("idx_audit_entries_actor", &[AuditEntries::ActorId])],
    )
    .await
}

#[derive(DeriveIden, Clone, Copy)]
enum Regions {
    Table,
    Id,
    Slug,
    Name,
    OfficeCity,
    Position,
}

#[derive(DeriveIden, Clone, Copy)]
enum Partners {
    Table,
    Id,
    Name,
    NameKey,
    Kind,
    RegionId,
    Town,
    Website,
    Description,
    Status,
    ContactName,
    ContactEmail,
    ContactPhone,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Users {
    Table,
    Id,
    Email,
    Name,
    PasswordHash,
    Role,
    RegionId,
    PartnerId,
    Active,
    CreatedAt,
    DeactivatedAt,
    LastLoginAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Sessions {
    Table,
    Id,
    UserId,
    CreatedAt,
    RevokedAt,
    RevokedReason,
}

#[derive(DeriveIden, Clone, Copy)]
enum RefreshTokens {
    Table,
    Id,
    SessionId,
    TokenHash,
    CreatedAt,
    ExpiresAt,
    UsedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Invitations {
    Table,
    Id,
    Email,
    Role,
    RegionId,
    PartnerId,
    TokenHash,
    InvitedBy,
    CreatedAt,
    ExpiresAt,
    AcceptedAt,
    AcceptedUserId,
    RevokedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum LoginThrottles {
    Table,
    EmailKey,
    Failures,
    WindowStartedAt,
    LockedUntil,
}

#[derive(DeriveIden, Clone, Copy)]
enum AuditEntries {
    Table,
    Id,
    ActorId,
    Action,
    TargetType,
    TargetId,
    Detail,
    CreatedAt,
}
