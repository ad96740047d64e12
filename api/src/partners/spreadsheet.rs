//! Partner lists in and out of spreadsheets. An import is checked row by row before anything is
//! written, and answers with what each row would do (or did): created, updated (matched by name
//! and town, or by website), unchanged, or skipped with the reason; when it writes, it writes
//! every valid row in one transaction. An export has the same columns, cells defused so a
//! spreadsheet never runs them, and re-imports to no change.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use entities::{
    enums::{PartnerKind, PartnerStatus},
    partner,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};
use serde_json::json;

use super::{NewPartner, PartnerChanges, PartnerFields, apply, can_create_partner, insert};
use crate::{
    audit::{self, Change},
    auth::Actor,
    db,
    graphql::error::{ApiError, ApiResult, conflict_on_unique},
    input, regions,
};

/// Rows one import may hold.
pub const MAX_ROWS: usize = 5_000;
/// The columns, in the order exports write them.
pub const COLUMNS: [&str; 9] = [
    "name",
    "kind",
    "town",
    "website",
    "description",
    "contact_name",
    "contact_email",
    "contact_phone",
    "status",
];
const FIELD: &str = "csv";

/// What a row did, or would do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Created,
    Updated,
    Unchanged,
    Skipped,
}

/// One row of the report.
#[derive(Debug, Clone)]
pub struct ReportLine {
    /// The row's line in the file (the header is line 1).
    pub line: u64,
    pub name: String,
    pub outcome: Outcome,
    /// The partner it matched or created (none for a row to be created by a dry run).
    pub partner_id: Option<i64>,
    pub reason: Option<String>,
}

/// Who may import into or export a region's partners: admins any (none: partners outside the
/// regions), staff their own region's.
fn check_allowed(actor: &Actor, region_id: Option<i64>) -> ApiResult<()> {
    if can_create_partner(actor, region_id) {
        Ok(())
    } else {
        Err(ApiError::Forbidden(
            "staff import and export their own region's partners; admins any",
        ))
    }
}

/// Checks every row of `csv` against the directory, and (unless `dry_run`) writes the valid
/// ones in one transaction.
pub async fn import(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    region_id: Option<i64>,
    csv: &str,
    dry_run: bool,
) -> ApiResult<Vec<ReportLine>> {
    check_allowed(actor, region_id)?;
    if let Some(region_id) = region_id {
        regions::existing(db, "regionId", region_id).await?;
    }
    let (rows, present) = read_rows(csv)?;
    let existing = matching_partners(db, &rows).await?;
    let mut plan = plan(&rows, &existing, region_id, &present);
    if dry_run {
        return Ok(plan.into_iter().map(|(line, _)| line).collect());
    }
    let txn = db::begin_write(db).await?;
    for (line, write) in &mut plan {
        match write.take() {
            Some(Write::Create(new)) => {
                line.partner_id = Some(insert(&txn, actor, now, *new).await?.id);
            }
            Some(Write::Update(current, changes)) => {
                update(&txn, actor, now, *current, *changes).await?;
            }
            None => {}
        }
    }
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("partner.import", "region", region_id.unwrap_or(0))
            .with_detail(json!({ "rows": plan.len() })),
    )
    .await?;
    txn.commit().await?;
    Ok(plan.into_iter().map(|(line, _)| line).collect())
}

/// The partners of a region as CSV, in name order, for staff of the region and admins.
pub async fn export(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    region_id: Option<i64>,
) -> ApiResult<(String, usize)> {
    check_allowed(actor, region_id)?;
    if let Some(region_id) = region_id {
        regions::existing(db, "regionId", region_id).await?;
    }
    let in_region = match region_id {
        Some(region_id) => partner::Column::RegionId.eq(region_id),
        None => partner::Column::RegionId.is_null(),
    };
    let partners = partner::Entity::find()
        .filter(in_region)
        .order_by_asc(partner::Column::NameKey)
        .all(db)
        .await?;
    audit::record(
        db,
        actor.user_id,
        now,
        Change::new("partner.export", "region", region_id.unwrap_or(0))
            .with_detail(json!({ "rows": partners.len() })),
    )
    .await?;
    let csv = crate::spreadsheet::csv(&COLUMNS, partners.iter().map(cells))?;
    Ok((csv, partners.len()))
}

fn cells(partner: &partner::Model) -> Vec<String> {
    let text = |value: &Option<String>| value.clone().unwrap_or_default();
    vec![
        partner.name.clone(),
        kind_name(partner.kind).to_owned(),
        text(&partner.town),
        text(&partner.website),
        partner.description.clone(),
        text(&partner.contact_name),
        text(&partner.contact_email),
        text(&partner.contact_phone),
        status_name(partner.status).to_owned(),
    ]
}

/// A row as read: its line, the name as typed, and its fields or why it cannot be used.
struct Row {
    line: u64,
    name: String,
    checked: Result<NewPartner, String>,
}

/// The columns a file has: a matched partner's other fields are left as they are.
type Present = std::collections::BTreeSet<&'static str>;

/// Reads the file: a header naming known columns (`name` among them), then at most
/// [`MAX_ROWS`] rows.
fn read_rows(csv: &str) -> ApiResult<(Vec<Row>, Present)> {
    if csv.contains('\u{FFFD}') || csv.contains('\0') {
        return Err(ApiError::bad_input(
            FIELD,
            "the file is not UTF-8 text: save it from the spreadsheet as \"CSV UTF-8\"",
        ));
    }
    let csv = csv.strip_prefix('\u{FEFF}').unwrap_or(csv);
    let mut reader = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(csv.as_bytes());
    let header = reader
        .headers()
        .map_err(|_| ApiError::bad_input(FIELD, "the first line must name the columns"))?
        .clone();
    let columns = columns(&header)?;
    let mut rows = Vec::new();
    for (index, record) in reader.records().enumerate() {
        if index >= MAX_ROWS {
            return Err(ApiError::bad_input(
                FIELD,
                format!("at most {MAX_ROWS} rows at a time"),
            ));
        }
        let record = record.map_err(|error| {
            let line = error
                .position()
                .map_or(index as u64 + 2, csv::Position::line);
            ApiError::bad_input(FIELD, format!("line {line} is not well-formed CSV"))
        })?;
        // The line in the file (a quoted cell may span lines).
        let line = record
            .position()
            .map_or(index as u64 + 2, csv::Position::line);
        if record.iter().all(str::is_empty) {
            continue;
        }
        let cell = |column: &str| {
            columns
                .get(column)
                .and_then(|index| record.get(*index))
                .unwrap_or_default()
        };
        let checked = if record.len() > header.len() {
            Err("has more cells than the header (a comma inside a cell needs quotes)".to_owned())
        } else {
            fields(&cell).and_then(|fields| fields.check(None).map_err(reason))
        };
        rows.push(Row {
            line,
            name: cell("name").chars().take(200).collect(),
            checked,
        });
    }
    Ok((rows, columns.keys().copied().collect()))
}

/// Why a row's field was refused, naming the field.
fn reason(error: ApiError) -> String {
    match error {
        ApiError::BadInput { field, message } => format!("{field} {message}"),
        other => other.to_string(),
    }
}

/// Which column holds what; names are matched ignoring case, spaces and underscores
/// (`Contact email`, `contact_email`, `contactEmail`).
fn columns(header: &csv::StringRecord) -> ApiResult<HashMap<&'static str, usize>> {
    let folded = |text: &str| {
        text.chars()
            .filter(|c| c.is_alphanumeric())
            .collect::<String>()
            .to_lowercase()
    };
    let mut columns = HashMap::new();
    for (index, title) in header.iter().enumerate() {
        let known = COLUMNS
            .iter()
            .find(|column| folded(column) == folded(title))
            .ok_or_else(|| {
                ApiError::bad_input(
                    FIELD,
                    format!(
                        "unknown column \"{}\"; the columns are {}",
                        title.chars().take(40).collect::<String>(),
                        COLUMNS.join(", ")
                    ),
                )
            })?;
        if columns.insert(*known, index).is_some() {
            return Err(ApiError::bad_input(
                FIELD,
                format!("the column {known} appears twice"),
            ));
        }
    }
    if !columns.contains_key("name") {
        return Err(ApiError::bad_input(FIELD, "the header has no name column"));
    }
    Ok(columns)
}

/// A row's cells as partner fields, refusing cells a spreadsheet would run as formulas.
fn fields<'a>(cell: &dyn Fn(&str) -> &'a str) -> Result<PartnerFields, String> {
    let text = |column: &str| -> Result<Option<String>, String> {
        let raw = cell(column);
        let value = undefused(raw, column == "contact_phone")
            .ok_or_else(|| format!("{column} starts like a spreadsheet formula (=, +, - or @)"))?;
        Ok(Some(value.to_owned()).filter(|value| !value.is_empty()))
    };
    let kind = text("kind")?
        .map(|kind| parse_kind(&kind).ok_or(format!("kind \"{kind}\" is not one of the kinds")))
        .transpose()?;
    let status = text("status")?
        .map(|status| {
            parse_status(&status).ok_or(format!(
                "status \"{status}\" must be PROSPECTIVE, ACTIVE or LAPSED"
            ))
        })
        .transpose()?;
    Ok(PartnerFields {
        name: text("name")?.unwrap_or_default(),
        kind,
        town: text("town")?,
        website: text("website")?,
        description: text("description")?,
        status,
        contact_name: text("contact_name")?,
        contact_email: text("contact_email")?,
        contact_phone: text("contact_phone")?,
    })
}

/// A cell as meant: an apostrophe put before a formula character or another apostrophe (by
/// our exports, or by someone typing in a spreadsheet) says it is text, and is dropped.
/// `None`: a bare formula. A phone number may start with `+`.
fn undefused(cell: &str, phone: bool) -> Option<&str> {
    let formula = |text: &str| text.starts_with(['=', '+', '-', '@']);
    match cell.strip_prefix('\'') {
        Some(rest) if formula(rest) || rest.starts_with('\'') => Some(rest),
        _ if phone && cell.starts_with('+') && !cell[1..].starts_with(['=', '+', '-', '@']) => {
            Some(cell)
        }
        _ if formula(cell) => None,
        _ => Some(cell),
    }
}

const KINDS: [(&str, PartnerKind); 6] = [
    ("COMMUNITY_GROUP", PartnerKind::CommunityGroup),
    ("FAITH_GROUP", PartnerKind::FaithGroup),
    ("SANCTUARY_GROUP", PartnerKind::SanctuaryGroup),
    ("LAW_CENTRE", PartnerKind::LawCentre),
    ("CHARITY", PartnerKind::Charity),
    ("OTHER", PartnerKind::Other),
];
const STATUSES: [(&str, PartnerStatus); 3] = [
    ("PROSPECTIVE", PartnerStatus::Prospective),
    ("ACTIVE", PartnerStatus::Active),
    ("LAPSED", PartnerStatus::Lapsed),
];

/// `Law centre`, `law_centre` and `LAW_CENTRE` are the same kind.
fn enum_key(text: &str) -> String {
    text.trim().to_uppercase().replace([' ', '-'], "_")
}

fn parse_kind(text: &str) -> Option<PartnerKind> {
    let key = enum_key(text);
    KINDS
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, kind)| *kind)
}

fn parse_status(text: &str) -> Option<PartnerStatus> {
    let key = enum_key(text);
    STATUSES
        .iter()
        .find(|(name, _)| *name == key)
        .map(|(_, status)| *status)
}

fn kind_name(kind: PartnerKind) -> &'static str {
    KINDS
        .iter()
        .find(|(_, known)| *known == kind)
        .map_or("OTHER", |(name, _)| name)
}

fn status_name(status: PartnerStatus) -> &'static str {
    STATUSES
        .iter()
        .find(|(_, known)| *known == status)
        .map_or("ACTIVE", |(name, _)| name)
}

/// The partners the rows could match, by name or website, in one query.
async fn matching_partners(
    db: &DatabaseConnection,
    rows: &[Row],
) -> ApiResult<Vec<partner::Model>> {
    let valid = || rows.iter().filter_map(|row| row.checked.as_ref().ok());
    let names: Vec<String> = valid().map(|new| input::name_key(&new.name)).collect();
    let websites: Vec<String> = valid().filter_map(|new| new.website.clone()).collect();
    if names.is_empty() {
        return Ok(Vec::new());
    }
    Ok(partner::Entity::find()
        .filter(
            Condition::any()
                .add(partner::Column::NameKey.is_in(names))
                .add(partner::Column::Website.is_in(websites)),
        )
        .all(db)
        .await?)
}

/// What a valid row will write.
enum Write {
    Create(Box<NewPartner>),
    Update(Box<partner::Model>, Box<PartnerChanges>),
}

fn plan(
    rows: &[Row],
    existing: &[partner::Model],
    region_id: Option<i64>,
    present: &Present,
) -> Vec<(ReportLine, Option<Write>)> {
    let mut seen = Seen::default();
    rows.iter()
        .map(|row| {
            let mut line = ReportLine {
                line: row.line,
                name: row.name.clone(),
                outcome: Outcome::Skipped,
                partner_id: None,
                reason: None,
            };
            let write = match decide(row, existing, region_id, present, &mut seen) {
                Ok((outcome, partner_id, write)) => {
                    line.outcome = outcome;
                    line.partner_id = partner_id;
                    write
                }
                Err(reason) => {
                    line.reason = Some(reason);
                    None
                }
            };
            (line, write)
        })
        .collect()
}

type Decision = (Outcome, Option<i64>, Option<Write>);

/// The lines that named each organisation so far, by name and by the partner they matched.
#[derive(Default)]
struct Seen {
    names: HashMap<String, u64>,
    partners: HashMap<i64, u64>,
}

fn decide(
    row: &Row,
    existing: &[partner::Model],
    region_id: Option<i64>,
    present: &Present,
    seen: &mut Seen,
) -> Result<Decision, String> {
    let new = row.checked.clone()?;
    let key = input::name_key(&new.name);
    if let Some(first) = seen.names.insert(key.clone(), row.line) {
        return Err(format!("the same organisation as line {first}"));
    }
    // Without a town column, a name alone identifies the organisation.
    let same_town = |partner: &partner::Model| {
        !present.contains("town")
            || partner.town.as_deref().map(str::to_lowercase)
                == new.town.as_deref().map(str::to_lowercase)
    };
    let matched = existing
        .iter()
        .find(|partner| partner.name_key == key && same_town(partner))
        .or_else(|| {
            existing.iter().find(|partner| {
                new.website.is_some() && partner.website.as_deref() == new.website.as_deref()
            })
        });
    let Some(current) = matched else {
        if existing.iter().any(|partner| partner.name_key == key) {
            return Err(
                "another organisation in the directory has this name (in another town)".to_owned(),
            );
        }
        let new = NewPartner { region_id, ..new };
        return Ok((Outcome::Created, None, Some(Write::Create(Box::new(new)))));
    };
    if current.region_id != region_id {
        return Err("matches an organisation of another region".to_owned());
    }
    if let Some(first) = seen.partners.insert(current.id, row.line) {
        return Err(format!("the same organisation as line {first}"));
    }
    let renamed_onto_another = existing
        .iter()
        .any(|partner| partner.name_key == key && partner.id != current.id);
    if renamed_onto_another {
        return Err("another organisation in the directory has this name".to_owned());
    }
    let changes = changes(current, new, present);
    if changes.changed_fields().is_empty() {
        return Ok((Outcome::Unchanged, Some(current.id), None));
    }
    Ok((
        Outcome::Updated,
        Some(current.id),
        Some(Write::Update(Box::new(current.clone()), Box::new(changes))),
    ))
}

/// The fields a row changes on a partner: only those of columns the file has.
fn changes(current: &partner::Model, new: NewPartner, present: &Present) -> PartnerChanges {
    let differs = |column: &str, same: bool| present.contains(column) && !same;
    PartnerChanges {
        name: differs("name", current.name == new.name).then_some(new.name),
        kind: differs("kind", current.kind == new.kind).then_some(new.kind),
        region_id: None,
        town: differs("town", current.town == new.town).then_some(new.town),
        website: differs("website", current.website == new.website).then_some(new.website),
        description: differs("description", current.description == new.description)
            .then_some(new.description),
        status: differs("status", current.status == new.status).then_some(new.status),
        contact_name: differs("contact_name", current.contact_name == new.contact_name)
            .then_some(new.contact_name),
        contact_email: differs("contact_email", current.contact_email == new.contact_email)
            .then_some(new.contact_email),
        contact_phone: differs("contact_phone", current.contact_phone == new.contact_phone)
            .then_some(new.contact_phone),
    }
}

async fn update(
    conn: &impl sea_orm::ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    current: partner::Model,
    changes: PartnerChanges,
) -> ApiResult<()> {
    let id = current.id;
    let fields = changes.changed_fields();
    let mut row: partner::ActiveModel = current.into();
    apply(&mut row, changes);
    row.updated_at = Set(now);
    partner::Entity::update(row)
        .exec(conn)
        .await
        .map_err(|error| conflict_on_unique(error, super::DUPLICATE_NAME))?;
    audit::record(
        conn,
        actor.user_id,
        now,
        Change::new("partner.update", "partner", id)
            .with_detail(json!({ "fields": fields, "source": "import" })),
    )
    .await?;
    Ok(())
}
