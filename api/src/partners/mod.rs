//! Partner organisations: the directory staff keep of the network in their region.
//!
//! Who may do what, in one place:
//! - ADMIN: create and edit any partner, anywhere;
//! - STAFF: create and edit partners of their own region only (and never move one out of it);
//! - PARTNER members: edit their own organisation's public profile (name, town, website,
//!   description);
//! - what anyone may see of a partner: [`PartnerAccess`].

pub mod graphql;
pub mod spreadsheet;

use chrono::{DateTime, Utc};
use entities::{
    enums::{PartnerKind, PartnerStatus},
    partner,
};
use sea_orm::{
    ActiveValue::{NotSet, Set},
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Select,
    sea_query::{Expr, ExprTrait, Func, LikeExpr},
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::{Actor, Viewer, visible::AccessRule},
    db,
    graphql::error::{ApiError, ApiResult, conflict_on_unique},
    input, regions,
};

pub const MAX_NAME_LEN: usize = 200;
pub const MAX_TOWN_LEN: usize = 100;
pub const MAX_DESCRIPTION_LEN: usize = 5000;
pub const MAX_CONTACT_NAME_LEN: usize = 200;

const DUPLICATE_NAME: &str = "a partner organisation with this name already exists";

/// What an actor may change on one partner.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditScope {
    /// Every field, including status, region and contact details.
    Everything,
    /// The public profile only: name, town, website, description.
    PublicProfile,
    Nothing,
}

pub fn can_create_partner(actor: &Actor, region_id: Option<i64>) -> bool {
    actor.is_admin() || actor.is_staff_of(region_id)
}

pub fn can_edit_partner(actor: &Actor, partner: &partner::Model) -> EditScope {
    if actor.is_admin() || actor.is_staff_of(partner.region_id) {
        EditScope::Everything
    } else if actor.is_member_of(partner.id) {
        EditScope::PublicProfile
    } else {
        EditScope::Nothing
    }
}

/// Who may see a partner organisation, and how much of it.
pub struct PartnerAccess;

/// What a viewer may see of a partner organisation beyond its public profile.
#[derive(Debug, Clone, Copy)]
pub struct PartnerGrant {
    /// Contact details, support requests and answers on positions: for the staff of its
    /// region, admins and its own members.
    pub private: bool,
    /// Every opt-in and withdrawal: opt-ins are shown to everyone signed in, so their history
    /// is open to all staff and admins, and to the organisation's own members.
    pub opt_in_history: bool,
}

impl AccessRule for PartnerAccess {
    type Row = partner::Model;
    type Facts = ();
    type Grant = PartnerGrant;

    /// The public sees active partners; staff and admins see every partner; members also see
    /// their own organisation whatever its status.
    fn grant(viewer: &Viewer, row: &partner::Model, _: &()) -> Option<PartnerGrant> {
        let actor = viewer.signed_in();
        let own = actor.is_some_and(|actor| actor.is_member_of(row.id));
        let team = actor.is_some_and(Actor::is_team);
        let private =
            own || actor.is_some_and(|actor| actor.is_admin() || actor.is_staff_of(row.region_id));
        (row.status == PartnerStatus::Active || team || own).then_some(PartnerGrant {
            private,
            opt_in_history: team || own,
        })
    }
}

/// A new partner, checked.
#[derive(Debug, Clone)]
pub struct NewPartner {
    pub name: String,
    pub kind: PartnerKind,
    pub region_id: Option<i64>,
    pub town: Option<String>,
    pub website: Option<String>,
    pub description: String,
    pub status: PartnerStatus,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

/// A partner as typed in a form or a spreadsheet row, before it is checked.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartnerFields {
    pub name: String,
    pub kind: Option<PartnerKind>,
    pub town: Option<String>,
    pub website: Option<String>,
    pub description: Option<String>,
    pub status: Option<PartnerStatus>,
    pub contact_name: Option<String>,
    pub contact_email: Option<String>,
    pub contact_phone: Option<String>,
}

impl PartnerFields {
    /// Checks every field (naming the offending one); a missing kind is OTHER and a missing
    /// status ACTIVE.
    pub fn check(self, region_id: Option<i64>) -> ApiResult<NewPartner> {
        Ok(NewPartner {
            name: input::single_line("name", &self.name, MAX_NAME_LEN)?,
            kind: self.kind.unwrap_or(PartnerKind::Other),
            region_id,
            town: input::optional_single_line("town", self.town.as_deref(), MAX_TOWN_LEN)?,
            website: input::website("website", self.website.as_deref())?,
            description: input::optional_text(
                "description",
                self.description.as_deref(),
                MAX_DESCRIPTION_LEN,
            )?
            .unwrap_or_default(),
            status: self.status.unwrap_or(PartnerStatus::Active),
            contact_name: input::optional_single_line(
                "contactName",
                self.contact_name.as_deref(),
                MAX_CONTACT_NAME_LEN,
            )?,
            contact_email: optional_email("contactEmail", self.contact_email.as_deref())?,
            contact_phone: input::phone_number("contactPhone", self.contact_phone.as_deref())?,
        })
    }
}

/// An optional email address, checked; blank is none.
pub fn optional_email(field: &str, raw: Option<&str>) -> ApiResult<Option<String>> {
    match raw.map(str::trim).filter(|text| !text.is_empty()) {
        Some(text) => Ok(Some(input::EmailAddress::parse(field, text)?.into_string())),
        None => Ok(None),
    }
}

/// Changes to a partner, checked; `None` leaves a field as it is, `Some(None)` clears it.
#[derive(Default)]
pub struct PartnerChanges {
    pub name: Option<String>,
    pub kind: Option<PartnerKind>,
    pub region_id: Option<Option<i64>>,
    pub town: Option<Option<String>>,
    pub website: Option<Option<String>>,
    pub description: Option<String>,
    pub status: Option<PartnerStatus>,
    pub contact_name: Option<Option<String>>,
    pub contact_email: Option<Option<String>>,
    pub contact_phone: Option<Option<String>>,
}

impl PartnerChanges {
    /// The fields this change touches, each with whether it is part of the public profile.
    fn touched(&self) -> Vec<(&'static str, bool)> {
        [
            ("name", self.name.is_some(), true),
            ("kind", self.kind.is_some(), false),
            ("regionId", self.region_id.is_some(), false),
            ("town", self.town.is_some(), true),
            ("website", self.website.is_some(), true),
            ("description", self.description.is_some(), true),
            ("status", self.status.is_some(), false),
            ("contactName", self.contact_name.is_some(), false),
            ("contactEmail", self.contact_email.is_some(), false),
            ("contactPhone", self.contact_phone.is_some(), false),
        ]
        .into_iter()
        .filter(|(_, touched, _)| *touched)
        .map(|(field, _, public)| (field, public))
        .collect()
    }

    fn touches_more_than_public_profile(&self) -> bool {
        self.touched().iter().any(|(_, public)| !public)
    }

    fn changed_fields(&self) -> Vec<&'static str> {
        self.touched().into_iter().map(|(field, _)| field).collect()
    }
}

pub async fn create(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewPartner,
) -> ApiResult<partner::Model> {
    if let Some(region_id) = new.region_id {
        regions::existing(db, "regionId", region_id).await?;
    }
    if !can_create_partner(actor, new.region_id) {
        return Err(ApiError::Forbidden(
            "only admins, and staff for their own region, can add partners",
        ));
    }
    let txn = db::begin_write(db).await?;
    let created = insert(&txn, actor, now, new).await?;
    txn.commit().await?;
    Ok(created)
}

/// Adds a partner organisation (permission already checked), with its audit entry, inside the
/// caller's transaction.
pub async fn insert(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    now: DateTime<Utc>,
    new: NewPartner,
) -> ApiResult<partner::Model> {
    let created = partner::Entity::insert(partner::ActiveModel {
        id: NotSet,
        name_key: Set(crate::input::name_key(&new.name)),
        name: Set(new.name),
        kind: Set(new.kind),
        region_id: Set(new.region_id),
        town: Set(new.town),
        website: Set(new.website),
        description: Set(new.description),
        status: Set(new.status),
        contact_name: Set(new.contact_name),
        contact_email: Set(new.contact_email),
        contact_phone: Set(new.contact_phone),
        created_at: Set(now),
        updated_at: Set(now),
    })
    .exec_with_returning(conn)
    .await
    .map_err(|error| conflict_on_unique(error, DUPLICATE_NAME))?;
    audit::record(
        conn,
        actor.user_id,
        now,
        Change::new("partner.create", "partner", created.id)
            .with_detail(json!({ "name": created.name, "regionId": created.region_id })),
    )
    .await?;
    Ok(created)
}

pub async fn update(
    db: &DatabaseConnection,
    actor: &Actor,
    now: DateTime<Utc>,
    id: i64,
    changes: PartnerChanges,
) -> ApiResult<partner::Model> {
    if let Some(Some(region_id)) = changes.region_id {
        regions::existing(db, "regionId", region_id).await?;
    }
    let txn = db::begin_write(db).await?;
    let current = partner::Entity::find_by_id(id)
        .lock_exclusive()
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("partner"))?;
    check_update_allowed(actor, &current, &changes)?;
    let changed = changes.changed_fields();
    let mut row: partner::ActiveModel = current.into();
    apply(&mut row, changes);
    row.updated_at = Set(now);
    let updated = partner::Entity::update(row)
        .exec(&txn)
        .await
        .map_err(|error| conflict_on_unique(error, DUPLICATE_NAME))?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("partner.update", "partner", id).with_detail(json!({ "fields": changed })),
    )
    .await?;
    txn.commit().await?;
    Ok(updated)
}

fn check_update_allowed(
    actor: &Actor,
    current: &partner::Model,
    changes: &PartnerChanges,
) -> ApiResult<()> {
    match can_edit_partner(actor, current) {
        EditScope::Nothing => Err(ApiError::Forbidden(
            "you cannot edit this partner organisation",
        )),
        EditScope::PublicProfile if changes.touches_more_than_public_profile() => {
            Err(ApiError::Forbidden(
                "members can change their organisation's public profile only \
                 (name, town, website, description)",
            ))
        }
        EditScope::PublicProfile => Ok(()),
        EditScope::Everything => match changes.region_id {
            Some(target) if !can_create_partner(actor, target) => Err(ApiError::Forbidden(
                "staff can only keep partners within their own region",
            )),
            _ => Ok(()),
        },
    }
}

fn apply(row: &mut partner::ActiveModel, changes: PartnerChanges) {
    if let Some(name) = changes.name {
        row.name_key = Set(crate::input::name_key(&name));
        row.name = Set(name);
    }
    if let Some(kind) = changes.kind {
        row.kind = Set(kind);
    }
    if let Some(region_id) = changes.region_id {
        row.region_id = Set(region_id);
    }
    if let Some(town) = changes.town {
        row.town = Set(town);
    }
    if let Some(website) = changes.website {
        row.website = Set(website);
    }
    if let Some(description) = changes.description {
        row.description = Set(description);
    }
    if let Some(status) = changes.status {
        row.status = Set(status);
    }
    if let Some(contact_name) = changes.contact_name {
        row.contact_name = Set(contact_name);
    }
    if let Some(contact_email) = changes.contact_email {
        row.contact_email = Set(contact_email);
    }
    if let Some(contact_phone) = changes.contact_phone {
        row.contact_phone = Set(contact_phone);
    }
}

/// Which partners a list shows.
#[derive(Default, Clone)]
pub struct ListFilter {
    /// `Some(None)`: partners outside every region.
    pub region_id: Option<Option<i64>>,
    pub status: Option<PartnerStatus>,
    pub kind: Option<PartnerKind>,
    pub search: Option<String>,
}

/// The partners a viewer may see that match the filter, in name order (not yet paged).
pub fn visible(viewer: &Viewer, filter: &ListFilter) -> Select<partner::Entity> {
    let mut query = partner::Entity::find();
    match viewer.signed_in() {
        Some(actor) if actor.is_team() => {}
        Some(actor) => {
            let own = actor.partner_id.unwrap_or_default();
            query = query.filter(
                Condition::any()
                    .add(partner::Column::Status.eq(PartnerStatus::Active))
                    .add(partner::Column::Id.eq(own)),
            );
        }
        None => query = query.filter(partner::Column::Status.eq(PartnerStatus::Active)),
    }
    match filter.region_id {
        Some(Some(region_id)) => query = query.filter(partner::Column::RegionId.eq(region_id)),
        Some(None) => query = query.filter(partner::Column::RegionId.is_null()),
        None => {}
    }
    if let Some(status) = filter.status {
        query = query.filter(partner::Column::Status.eq(status));
    }
    if let Some(kind) = filter.kind {
        query = query.filter(partner::Column::Kind.eq(kind));
    }
    if let Some(search) = &filter.search {
        query = query.filter(matches_text(search));
    }
    query
}

/// Name, town or description contains the words, ignoring case.
fn matches_text(search: &str) -> Condition {
    let pattern = crate::input::contains_pattern(search);
    let like = |column: partner::Column| {
        Expr::expr(Func::lower(Expr::col(column))).like(LikeExpr::new(pattern.clone()).escape('\\'))
    };
    Condition::any()
        .add(Expr::col(partner::Column::NameKey).like(LikeExpr::new(pattern.clone()).escape('\\')))
        .add(like(partner::Column::Town))
        .add(like(partner::Column::Description))
}

/// Rows after the cursor `(name_key, id)`, in cursor order.
pub fn after_cursor(
    query: Select<partner::Entity>,
    after: Option<&(String, i64)>,
) -> Select<partner::Entity> {
    let query = match after {
        Some((name_key, id)) => query.filter(
            Condition::any()
                .add(partner::Column::NameKey.gt(name_key.as_str()))
                .add(
                    Condition::all()
                        .add(partner::Column::NameKey.eq(name_key.as_str()))
                        .add(partner::Column::Id.gt(*id)),
                ),
        ),
        None => query,
    };
    query
        .order_by_asc(partner::Column::NameKey)
        .order_by_asc(partner::Column::Id)
}
