use sea_orm::entity::prelude::*;

use crate::enums::PetitionState;

/// A petition the charity follows: the last good copy of what the petitions site publishes,
/// and when and how it is next polled.
#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "petitions")]
pub struct Model {
    #[sea_orm(primary_key)]
    pub id: i64,
    /// The site's number for it.
    #[sea_orm(unique)]
    pub external_id: i64,
    /// From an earlier Parliament (served under `/archived/petitions/`).
    pub archived: bool,
    /// None: followed by the national team.
    pub region_id: Option<i64>,
    #[sea_orm(column_type = "Text")]
    pub action: String,
    #[sea_orm(column_type = "Text")]
    pub background: String,
    #[sea_orm(column_type = "Text", nullable)]
    pub additional_details: Option<String>,
    pub state: PetitionState,
    pub signature_count: i64,
    pub opened_at: Option<DateTimeUtc>,
    pub closing_date: Option<Date>,
    pub closed_at: Option<DateTimeUtc>,
    pub response_threshold: i64,
    pub debate_threshold: i64,
    pub response_threshold_reached_at: Option<DateTimeUtc>,
    pub debate_threshold_reached_at: Option<DateTimeUtc>,
    pub government_response_at: Option<DateTimeUtc>,
    pub responded_on: Option<Date>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_summary: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub response_details: Option<String>,
    pub scheduled_debate_date: Option<Date>,
    pub debated: bool,
    pub debated_on: Option<Date>,
    pub debate_outcome_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub debate_overview: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub transcript_url: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub video_url: Option<String>,
    pub parliament_period: Option<String>,
    pub dissolution_at: Option<DateTimeUtc>,
    /// The latest breakdowns, as JSON arrays of `{code, name, count}`.
    #[sea_orm(column_type = "Text")]
    pub by_country: String,
    #[sea_orm(column_type = "Text")]
    pub by_region: String,
    #[sea_orm(column_type = "Text")]
    pub by_constituency: String,
    pub created_by: i64,
    pub created_at: DateTimeUtc,
    pub last_checked_at: Option<DateTimeUtc>,
    #[sea_orm(column_type = "Text", nullable)]
    pub last_error: Option<String>,
    /// When the whole document (with the breakdowns) was last read.
    pub full_fetched_at: Option<DateTimeUtc>,
    /// None: no longer polled.
    pub next_poll_at: Option<DateTimeUtc>,
    /// Failed polls in a row, for the backoff.
    pub failures: i32,
    #[sea_orm(column_type = "Text", nullable)]
    pub document_etag: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub document_last_modified: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub count_etag: Option<String>,
    #[sea_orm(column_type = "Text", nullable)]
    pub count_last_modified: Option<String>,
    pub lease_until: Option<DateTimeUtc>,
    pub lease_token: Option<String>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
