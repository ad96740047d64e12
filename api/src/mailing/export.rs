//! A region's confirmed subscribers as CSV, for admins and the region's own staff (admins
//! alone for subscribers who chose no region). Each export hands out personal data, so each is
//! recorded in the audit log.

use std::collections::HashMap;

use entities::{
    campaign, enums::SubscriberStatus, subscriber, subscriber_campaign, subscriber_topic,
};
use sea_orm::{
    ActiveEnum, ColumnTrait, EntityTrait, JoinType, QueryFilter, QueryOrder, QuerySelect,
    RelationDef,
    sea_query::{Expr, ExprTrait, Query, SelectStatement},
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::Actor,
    graphql::error::{ApiError, ApiResult},
    state::AppState,
};

const COLUMNS: [&str; 9] = [
    "email",
    "name",
    "region",
    "frequency",
    "topics",
    "campaigns",
    "subscribed_at",
    "consent_at",
    "consent_source",
];

pub struct SubscriberExport {
    /// A name for the downloaded file, e.g. `subscribers-north-west-2026-12-01.csv`.
    pub filename: String,
    pub csv: String,
    pub rows: usize,
}

/// The confirmed subscribers of `region_id` (`None`: those who chose no region), one row
/// each, ordered by address.
pub async fn region_subscribers(
    state: &AppState,
    actor: &Actor,
    region_id: Option<i64>,
) -> ApiResult<SubscriberExport> {
    if !super::can_export_region(actor, region_id) {
        return Err(ApiError::Forbidden(
            "only admins and the region's staff export its subscribers",
        ));
    }
    let region = match region_id {
        Some(id) => state
            .regions
            .iter()
            .find(|region| region.id == id)
            .map(|region| region.slug.clone())
            .ok_or_else(|| ApiError::bad_input("regionId", "no such region"))?,
        None => "no-region".to_owned(),
    };
    let people = subscriber::Entity::find()
        .filter(chosen(region_id))
        .order_by_asc(subscriber::Column::Email)
        .all(&state.db)
        .await?;
    let topics = topics_by_subscriber(state, region_id).await?;
    let campaigns = campaigns_by_subscriber(state, region_id).await?;
    let csv = write_csv(&people, &region, &topics, &campaigns)?;
    let now = state.now();
    audit::record(
        &state.db,
        actor.user_id,
        now,
        Change {
            action: "subscribers.export",
            target_type: "region",
            target_id: region_id,
            detail: Some(json!({ "region": region, "rows": people.len() })),
        },
    )
    .await?;
    Ok(SubscriberExport {
        filename: format!("subscribers-{region}-{}.csv", now.format("%Y-%m-%d")),
        csv,
        rows: people.len(),
    })
}

/// Confirmed subscribers of the region (or of none).
fn chosen(region_id: Option<i64>) -> Expr {
    let region = match region_id {
        Some(id) => subscriber::Column::RegionId.eq(id),
        None => subscriber::Column::RegionId.is_null(),
    };
    subscriber::Column::Status
        .eq(SubscriberStatus::Confirmed)
        .and(region)
}

fn chosen_ids(region_id: Option<i64>) -> SelectStatement {
    Query::select()
        .column(subscriber::Column::Id)
        .from(subscriber::Entity)
        .and_where(chosen(region_id))
        .to_owned()
}

async fn topics_by_subscriber(
    state: &AppState,
    region_id: Option<i64>,
) -> ApiResult<HashMap<i64, Vec<String>>> {
    let rows: Vec<(i64, String)> = subscriber_topic::Entity::find()
        .select_only()
        .column(subscriber_topic::Column::SubscriberId)
        .column(subscriber_topic::Column::Topic)
        .filter(subscriber_topic::Column::SubscriberId.in_subquery(chosen_ids(region_id)))
        .order_by_asc(subscriber_topic::Column::Topic)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(grouped(rows))
}

async fn campaigns_by_subscriber(
    state: &AppState,
    region_id: Option<i64>,
) -> ApiResult<HashMap<i64, Vec<String>>> {
    let followed: RelationDef = subscriber_campaign::Entity::belongs_to(campaign::Entity)
        .from(subscriber_campaign::Column::CampaignId)
        .to(campaign::Column::Id)
        .into();
    let rows: Vec<(i64, String)> = subscriber_campaign::Entity::find()
        .select_only()
        .column(subscriber_campaign::Column::SubscriberId)
        .column(campaign::Column::Title)
        .join(JoinType::InnerJoin, followed)
        .filter(subscriber_campaign::Column::SubscriberId.in_subquery(chosen_ids(region_id)))
        .order_by_asc(campaign::Column::Title)
        .into_tuple()
        .all(&state.db)
        .await?;
    Ok(grouped(rows))
}

fn grouped(rows: Vec<(i64, String)>) -> HashMap<i64, Vec<String>> {
    let mut by_subscriber: HashMap<i64, Vec<String>> = HashMap::new();
    for (subscriber_id, value) in rows {
        by_subscriber.entry(subscriber_id).or_default().push(value);
    }
    by_subscriber
}

fn write_csv(
    people: &[subscriber::Model],
    region: &str,
    topics: &HashMap<i64, Vec<String>>,
    campaigns: &HashMap<i64, Vec<String>>,
) -> ApiResult<String> {
    let joined = |lists: &HashMap<i64, Vec<String>>, id: i64| {
        lists
            .get(&id)
            .map(|list| list.join("; "))
            .unwrap_or_default()
    };
    let rows = people.iter().map(|person| {
        [
            person.email.clone(),
            person.name.clone().unwrap_or_default(),
            region.to_owned(),
            person.frequency.to_value(),
            joined(topics, person.id),
            joined(campaigns, person.id),
            person.created_at.to_rfc3339(),
            person
                .consent_at
                .map(|at| at.to_rfc3339())
                .unwrap_or_default(),
            person.consent_source.clone().unwrap_or_default(),
        ]
    });
    crate::spreadsheet::csv(&COLUMNS, rows)
}
