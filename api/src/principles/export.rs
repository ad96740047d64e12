//! Signatories as CSV for staff (their region's) and admins (any region, or all): contact
//! details included, so each export is recorded in the audit log.

use entities::{enums::SignatoryStatus, signatory};
use sea_orm::{ActiveEnum, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::Actor,
    graphql::error::{ApiError, ApiResult},
    state::AppState,
};

const COLUMNS: [&str; 14] = [
    "organisation",
    "status",
    "listed",
    "region",
    "town",
    "website",
    "signatory_name",
    "signatory_role",
    "email",
    "edition",
    "signed_at",
    "decided_at",
    "withdrawn_at",
    "withdrawal_reason",
];

pub struct SignatoryExport {
    pub filename: String,
    pub csv: String,
    pub rows: usize,
}

/// Every confirmed signature of `region_id` (`None`: all regions, for admins), by name.
pub async fn signatories(
    state: &AppState,
    actor: &Actor,
    region_id: Option<i64>,
) -> ApiResult<SignatoryExport> {
    let allowed = actor.is_admin() || (region_id.is_some() && actor.is_staff_of(region_id));
    if !allowed {
        return Err(ApiError::Forbidden(
            "staff export their own region's signatories; admins any region's",
        ));
    }
    let region = |id: Option<i64>| {
        id.and_then(|id| state.regions.iter().find(|region| region.id == id))
            .map(|region| region.slug.clone())
    };
    let slug = match region_id {
        Some(id) => {
            region(Some(id)).ok_or_else(|| ApiError::bad_input("regionId", "no such region"))?
        }
        None => "all-regions".to_owned(),
    };
    let mut query = signatory::Entity::find()
        .filter(signatory::Column::Status.ne(SignatoryStatus::Unconfirmed));
    if let Some(id) = region_id {
        query = query.filter(signatory::Column::RegionId.eq(id));
    }
    let rows = query
        .order_by_asc(signatory::Column::NameKey)
        .order_by_asc(signatory::Column::Id)
        .all(&state.db)
        .await?;
    let at = |at: Option<chrono::DateTime<chrono::Utc>>| {
        at.map(|at| at.to_rfc3339()).unwrap_or_default()
    };
    let csv = crate::spreadsheet::csv(
        &COLUMNS,
        rows.iter().map(|row| {
            [
                row.organisation_name.clone(),
                row.status.to_value(),
                row.list_publicly.to_string(),
                region(row.region_id).unwrap_or_default(),
                row.town.clone().unwrap_or_default(),
                row.website.clone().unwrap_or_default(),
                row.signatory_name.clone(),
                row.signatory_role.clone(),
                row.email.clone(),
                row.edition.to_string(),
                row.signed_at.to_rfc3339(),
                at(row.decided_at),
                at(row.withdrawn_at),
                row.withdrawal_reason.clone().unwrap_or_default(),
            ]
        }),
    )?;
    let now = state.now();
    audit::record(
        &state.db,
        actor.user_id,
        now,
        Change {
            action: "signatories.export",
            target_type: "region",
            target_id: region_id,
            detail: Some(json!({ "region": slug, "rows": rows.len() })),
        },
    )
    .await?;
    Ok(SignatoryExport {
        filename: format!("signatories-{slug}-{}.csv", now.format("%Y-%m-%d")),
        csv,
        rows: rows.len(),
    })
}
