//! Training: sessions the charity offers its partners (and, for some, the public), seats handed
//! out in order of arrival while they last and a waitlist after, the emails and calendar
//! entries that go with them, and a record of who attended.
//!
//! Who may do what, in one place:
//! - staff offer and run sessions for their region or nationally; admins any
//!   ([`can_manage`]); they mark attendance once a session has started;
//! - a partner member books seats for their own organisation; for a PUBLIC session anyone books
//!   one seat for themselves, held once they follow the emailed link;
//! - a booking is cancelled by whoever made it, their organisation's members, the session's
//!   managers, or (for the public) the holder of the emailed link;
//! - who sees a session and a booking: [`SessionAccess`], [`BookingAccess`].

pub mod booking;
pub mod calendar;
pub mod demo;
pub mod graphql;
pub mod reminders;
pub mod report;

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, Utc};
use chrono_tz::Europe::London;
use entities::{
    campaign,
    enums::{TrainingAudience, TrainingFormat, TrainingLinkKind, TrainingStatus, TrainingTopic},
    principle, training_attendee, training_booking, training_session, training_session_link,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QuerySelect, sea_query::Expr,
};
use serde_json::json;

use crate::{
    audit::{self, Change},
    auth::{Actor, Viewer, visible::AccessRule},
    db,
    graphql::error::{ApiError, ApiResult},
    state::AppState,
};

pub const MAX_TITLE_LEN: usize = 200;
pub const MAX_DESCRIPTION_LEN: usize = 20_000;
pub const MAX_CAPACITY: i32 = 10_000;
pub const MAX_ATTENDEES: usize = 50;
pub const MAX_LINKS: usize = 20;

/// Staff run sessions for their own region and national ones; admins run any.
pub fn can_manage(actor: &Actor, region_id: Option<i64>) -> bool {
    actor.works_on(region_id)
}

/// Who sees a session: drafts are the team's; everything else is public (the public list says
/// who each session is for).
pub struct SessionAccess;

#[derive(Debug, Clone, Copy)]
pub struct SessionGrant {
    /// The viewer runs the session: bookings, attendees, the joining link.
    pub manages: bool,
}

impl AccessRule for SessionAccess {
    type Row = training_session::Model;
    type Facts = ();
    type Grant = SessionGrant;

    fn grant(viewer: &Viewer, row: &training_session::Model, _: &()) -> Option<SessionGrant> {
        let actor = viewer.signed_in();
        let manages = actor.is_some_and(|actor| can_manage(actor, row.region_id));
        let team = actor.is_some_and(Actor::is_team);
        (team || row.status != TrainingStatus::Draft).then_some(SessionGrant { manages })
    }
}

/// Who sees a booking and its attendees' names and addresses: whoever made it, its
/// organisation's members, the staff of the session's region (and national sessions' staff),
/// admins, and the holder of its emailed link.
pub struct BookingAccess;

/// What is known beside the booking: its session's region, and whether the viewer holds the
/// booking's link.
#[derive(Debug, Clone, Copy)]
pub struct BookingFacts {
    pub session_region: Option<i64>,
    pub holds_link: bool,
}

impl AccessRule for BookingAccess {
    type Row = training_booking::Model;
    type Facts = BookingFacts;
    type Grant = ();

    fn grant(viewer: &Viewer, row: &training_booking::Model, facts: &BookingFacts) -> Option<()> {
        let actor = viewer.signed_in();
        let own = actor.is_some_and(|actor| {
            row.booked_by == Some(actor.user_id)
                || row.partner_id.is_some_and(|id| actor.is_member_of(id))
        });
        let runs = actor.is_some_and(|actor| can_manage(actor, facts.session_region));
        (own || runs || facts.holds_link).then_some(())
    }
}

/// A session's details, checked.
pub struct SessionDetails {
    pub title: String,
    pub description: String,
    pub description_html: String,
    pub topic: TrainingTopic,
    pub format: TrainingFormat,
    pub venue: Option<String>,
    pub town: Option<String>,
    pub joining_url: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    pub booking_deadline: Option<DateTime<Utc>>,
    pub audience: TrainingAudience,
    pub seats_per_organisation: Option<i32>,
    pub region_id: Option<i64>,
    pub provider: Option<String>,
    pub external_url: Option<String>,
    pub links: Links,
}

/// What a session is linked to.
#[derive(Default, Clone)]
pub struct Links {
    pub campaigns: BTreeSet<i64>,
    pub goals: BTreeSet<i64>,
    pub principles: BTreeSet<i64>,
}

impl Links {
    fn rows(&self, session_id: i64) -> Vec<training_session_link::ActiveModel> {
        let of = |kind: TrainingLinkKind, ids: &BTreeSet<i64>| {
            ids.iter()
                .map(move |id| training_session_link::ActiveModel {
                    session_id: Set(session_id),
                    kind: Set(kind),
                    target_id: Set(*id),
                })
                .collect::<Vec<_>>()
        };
        [
            of(TrainingLinkKind::Campaign, &self.campaigns),
            of(TrainingLinkKind::Goal, &self.goals),
            of(TrainingLinkKind::Principle, &self.principles),
        ]
        .concat()
    }
}

/// Refuses times that make no sense: in the past, ending before starting, a deadline after
/// the start.
fn check_times(
    now: DateTime<Utc>,
    starts_at: DateTime<Utc>,
    ends_at: DateTime<Utc>,
    deadline: DateTime<Utc>,
) -> ApiResult<()> {
    if starts_at <= now {
        return Err(ApiError::bad_input(
            "input.startsAt",
            "must be in the future",
        ));
    }
    if ends_at <= starts_at {
        return Err(ApiError::bad_input(
            "input.endsAt",
            "must be after startsAt",
        ));
    }
    if ends_at - starts_at > Duration::days(14) {
        return Err(ApiError::bad_input(
            "input.endsAt",
            "a session lasts at most two weeks",
        ));
    }
    if deadline > starts_at {
        return Err(ApiError::bad_input(
            "input.bookingDeadline",
            "must not be after the session starts",
        ));
    }
    Ok(())
}

/// Refuses links to campaigns, goals or principles that do not exist.
async fn check_links(conn: &impl ConnectionTrait, links: &Links) -> ApiResult<()> {
    let known = |found: u64, wanted: &BTreeSet<i64>, field: &str| {
        if found == wanted.len() as u64 {
            Ok(())
        } else {
            Err(ApiError::bad_input(field, "names one that does not exist"))
        }
    };
    let campaigns = campaign::Entity::find()
        .filter(campaign::Column::Id.is_in(links.campaigns.iter().copied()))
        .count(conn)
        .await?;
    known(campaigns, &links.campaigns, "input.campaignIds")?;
    crate::campaigns::check_goals(conn, "input.goalIds", &links.goals).await?;
    let principles = principle::Entity::find()
        .filter(principle::Column::Id.is_in(links.principles.iter().copied()))
        .count(conn)
        .await?;
    known(principles, &links.principles, "input.principleIds")
}

/// Offers a session, as a draft.
pub async fn create(
    state: &AppState,
    actor: &Actor,
    details: SessionDetails,
) -> ApiResult<training_session::Model> {
    if !can_manage(actor, details.region_id) {
        return Err(ApiError::Forbidden(
            "staff offer sessions for their own region or nationally; admins any",
        ));
    }
    let now = state.now();
    let deadline = details.booking_deadline.unwrap_or(details.starts_at);
    check_times(now, details.starts_at, details.ends_at, deadline)?;
    if let Some(region_id) = details.region_id {
        crate::regions::existing(&state.db, "input.regionId", region_id).await?;
    }
    check_links(&state.db, &details.links).await?;
    let txn = db::begin_write(&state.db).await?;
    let created = training_session::Entity::insert(training_session::ActiveModel {
        title: Set(details.title),
        description: Set(details.description),
        description_html: Set(details.description_html),
        topic: Set(details.topic),
        format: Set(details.format),
        venue: Set(details.venue),
        town: Set(details.town),
        joining_url: Set(details.joining_url),
        starts_at: Set(details.starts_at),
        ends_at: Set(details.ends_at),
        capacity: Set(details.capacity),
        booking_deadline: Set(deadline),
        audience: Set(details.audience),
        seats_per_organisation: Set(details.seats_per_organisation),
        region_id: Set(details.region_id),
        status: Set(TrainingStatus::Draft),
        provider: Set(details.provider),
        external_url: Set(details.external_url),
        sequence: Set(0),
        created_by: Set(actor.user_id),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let links = details.links.rows(created.id);
    if !links.is_empty() {
        training_session_link::Entity::insert_many(links)
            .exec_without_returning(&txn)
            .await?;
    }
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("training.create", "training_session", created.id),
    )
    .await?;
    txn.commit().await?;
    Ok(created)
}

/// The session, locked, if the actor runs it.
pub async fn lock_managed(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: i64,
) -> ApiResult<training_session::Model> {
    let found = training_session::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .filter(|row| SessionAccess::grant(&Viewer(Some(actor.clone())), row, &()).is_some())
        .ok_or(ApiError::NotFound("training session"))?;
    if !can_manage(actor, found.region_id) {
        return Err(ApiError::Forbidden(
            "sessions are run by the staff of their region (or national staff) and admins",
        ));
    }
    Ok(found)
}

/// What changes in a session. Moving it, or giving it a new joining link, tells everyone
/// booked.
#[derive(Default)]
pub struct SessionChanges {
    pub title: Option<String>,
    pub description: Option<(String, String)>,
    pub venue: Option<Option<String>>,
    pub town: Option<Option<String>>,
    pub joining_url: Option<Option<String>>,
    pub times: Option<(DateTime<Utc>, DateTime<Utc>)>,
    pub capacity: Option<i32>,
    pub booking_deadline: Option<DateTime<Utc>>,
    pub seats_per_organisation: Option<Option<i32>>,
}

impl SessionChanges {
    /// Whether the change alters what booked people were sent: the title, the place, or the
    /// joining link.
    fn alter_what_attendees_were_sent(&self, current: &training_session::Model) -> bool {
        self.title
            .as_ref()
            .is_some_and(|title| *title != current.title)
            || self
                .venue
                .as_ref()
                .is_some_and(|venue| *venue != current.venue)
            || self.town.as_ref().is_some_and(|town| *town != current.town)
            || self
                .joining_url
                .as_ref()
                .is_some_and(|url| *url != current.joining_url)
    }
}

/// A moved session's reminders go out again, the day before its new time.
async fn remind_again(conn: &impl ConnectionTrait, session_id: i64) -> ApiResult<()> {
    training_attendee::Entity::update_many()
        .col_expr(
            training_attendee::Column::RemindedAt,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .filter(training_attendee::Column::SessionId.eq(session_id))
        .exec(conn)
        .await?;
    Ok(())
}

pub async fn update(
    state: &AppState,
    actor: &Actor,
    id: i64,
    changes: SessionChanges,
) -> ApiResult<training_session::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let current = lock_managed(&txn, actor, id).await?;
    if matches!(
        current.status,
        TrainingStatus::Cancelled | TrainingStatus::Completed
    ) {
        return Err(ApiError::Conflict(
            "a cancelled or completed session cannot change".to_owned(),
        ));
    }
    let (starts_at, ends_at) = changes
        .times
        .unwrap_or((current.starts_at, current.ends_at));
    let moved = (starts_at, ends_at) != (current.starts_at, current.ends_at);
    let deadline = changes
        .booking_deadline
        .unwrap_or(current.booking_deadline)
        .min(starts_at);
    if moved || changes.booking_deadline.is_some() {
        check_times(now, starts_at, ends_at, deadline)?;
    }
    let confirmed = booking::seats_taken(&txn, id).await?;
    if let Some(capacity) = changes.capacity
        && i64::from(capacity) < confirmed
    {
        return Err(ApiError::bad_input(
            "input.capacity",
            format!("{confirmed} seats are already confirmed; capacity cannot go below that"),
        ));
    }
    if current.format == TrainingFormat::InPerson
        && changes.joining_url.as_ref().is_some_and(Option::is_some)
    {
        return Err(ApiError::bad_input(
            "input.joiningUrl",
            "an in-person session has no joining link",
        ));
    }
    let tell = moved || changes.alter_what_attendees_were_sent(&current);
    let mut row: training_session::ActiveModel = current.clone().into();
    if let Some(title) = changes.title {
        row.title = Set(title);
    }
    if let Some((markdown, html)) = changes.description {
        row.description = Set(markdown);
        row.description_html = Set(html);
    }
    if let Some(venue) = changes.venue {
        row.venue = Set(venue);
    }
    if let Some(town) = changes.town {
        row.town = Set(town);
    }
    if let Some(url) = changes.joining_url {
        row.joining_url = Set(url);
    }
    if let Some(capacity) = changes.capacity {
        row.capacity = Set(capacity);
    }
    if let Some(limit) = changes.seats_per_organisation {
        row.seats_per_organisation = Set(limit);
    }
    row.starts_at = Set(starts_at);
    row.ends_at = Set(ends_at);
    row.booking_deadline = Set(deadline);
    if tell {
        row.sequence = Set(current.sequence + 1);
    }
    row.updated_at = Set(now);
    let updated = training_session::Entity::update(row).exec(&txn).await?;
    if moved {
        remind_again(&txn, id).await?;
    }
    let promoted = booking::promote(&txn, state, &updated, now).await?;
    if tell && updated.status == TrainingStatus::Published {
        booking::tell_of_change(&txn, state, &updated, &promoted, now).await?;
    }
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("training.update", "training_session", id)
            .with_detail(json!({ "moved": moved, "promoted": promoted.len() })),
    )
    .await?;
    txn.commit().await?;
    state.mail_queued().await;
    if moved {
        // The reminders' time moved with it.
        state
            .events
            .publish(crate::events::Event::TrainingScheduled)
            .await;
    }
    booking::announce_seats(state, &updated).await;
    Ok(updated)
}

/// Publishes a draft: it is listed and open for booking.
pub async fn publish(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> ApiResult<training_session::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let current = lock_managed(&txn, actor, id).await?;
    if current.status != TrainingStatus::Draft {
        return Err(ApiError::Conflict(
            "only a draft session can be published".to_owned(),
        ));
    }
    if current.starts_at <= now {
        return Err(ApiError::Conflict(
            "the session's time has passed; move it before publishing".to_owned(),
        ));
    }
    let mut row: training_session::ActiveModel = current.into();
    row.status = Set(TrainingStatus::Published);
    row.updated_at = Set(now);
    let published = training_session::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("training.publish", "training_session", id),
    )
    .await?;
    txn.commit().await?;
    state
        .events
        .publish(crate::events::Event::TrainingScheduled)
        .await;
    Ok(published)
}

/// Cancels a session: everyone booked is told, and their calendar entries are cancelled.
pub async fn cancel(
    state: &AppState,
    actor: &Actor,
    id: i64,
    reason: String,
) -> ApiResult<training_session::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let current = lock_managed(&txn, actor, id).await?;
    if matches!(
        current.status,
        TrainingStatus::Cancelled | TrainingStatus::Completed
    ) {
        return Err(ApiError::Conflict(
            "this session is already cancelled or completed".to_owned(),
        ));
    }
    let mut row: training_session::ActiveModel = current.clone().into();
    row.status = Set(TrainingStatus::Cancelled);
    row.cancel_reason = Set(Some(reason));
    row.sequence = Set(current.sequence + 1);
    row.updated_at = Set(now);
    let cancelled = training_session::Entity::update(row).exec(&txn).await?;
    booking::tell_of_cancellation(&txn, state, &cancelled, now).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("training.cancel", "training_session", id),
    )
    .await?;
    txn.commit().await?;
    state.mail_queued().await;
    booking::announce_seats(state, &cancelled).await;
    Ok(cancelled)
}

/// When a session runs, as people in the UK read it: "Tuesday 31 March 2026, 10:00–12:30 (UK
/// time)", right across the clock changes.
pub fn when(session: &training_session::Model) -> String {
    let starts = session.starts_at.with_timezone(&London);
    let ends = session.ends_at.with_timezone(&London);
    let end_format = if starts.date_naive() == ends.date_naive() {
        "%H:%M"
    } else {
        "%A %-d %B %Y, %H:%M"
    };
    format!(
        "{}–{} (UK time)",
        starts.format("%A %-d %B %Y, %H:%M"),
        ends.format(end_format)
    )
}

/// Where a session is, in a line.
pub fn place(session: &training_session::Model) -> String {
    let venue = [session.venue.as_deref(), session.town.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .join(", ");
    match session.format {
        TrainingFormat::Online => "Online".to_owned(),
        TrainingFormat::InPerson => venue,
        TrainingFormat::Hybrid if venue.is_empty() => "Online".to_owned(),
        TrainingFormat::Hybrid => format!("{venue}, and online"),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{TimeZone, Utc};

    use super::when;

    fn session_at(start: (i32, u32, u32, u32), hours: i64) -> entities::training_session::Model {
        let starts_at = Utc
            .with_ymd_and_hms(start.0, start.1, start.2, start.3, 0, 0)
            .single()
            .unwrap_or_default();
        entities::training_session::Model {
            id: 1,
            title: String::new(),
            description: String::new(),
            description_html: String::new(),
            topic: entities::enums::TrainingTopic::Advocacy,
            format: entities::enums::TrainingFormat::Online,
            venue: None,
            town: None,
            joining_url: None,
            starts_at,
            ends_at: starts_at + chrono::Duration::hours(hours),
            capacity: 1,
            booking_deadline: starts_at,
            audience: entities::enums::TrainingAudience::Partners,
            seats_per_organisation: None,
            region_id: None,
            status: entities::enums::TrainingStatus::Published,
            cancel_reason: None,
            provider: None,
            external_url: None,
            sequence: 0,
            created_by: 1,
            created_at: starts_at,
            updated_at: starts_at,
        }
    }

    #[test]
    fn times_are_shown_in_uk_time_across_the_clock_change() {
        // 09:00 UTC on the Saturday before the clocks go forward, and on the Monday after.
        assert_eq!(
            when(&session_at((2026, 3, 28, 9), 2)),
            "Saturday 28 March 2026, 09:00–11:00 (UK time)"
        );
        assert_eq!(
            when(&session_at((2026, 3, 30, 9), 2)),
            "Monday 30 March 2026, 10:00–12:00 (UK time)"
        );
    }
}
