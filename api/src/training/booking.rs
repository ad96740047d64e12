//! Booking seats. Every booking for a session takes the session's row lock first (SQLite's
//! write transactions take turns anyway), so seats are handed out one booking at a time, in
//! order of arrival: each attendee is confirmed while seats last and waitlisted after, with the
//! next number in the session's queue. A freed seat goes to the first in the queue.

use chrono::{DateTime, Utc};
use entities::{
    enums::{AttendeeStatus, TrainingAudience, TrainingFormat, TrainingStatus},
    training_attendee, training_booking, training_session,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder, QuerySelect, sea_query::Expr,
};
use serde_json::json;

use super::{BookingAccess, BookingFacts, SessionAccess, calendar, place, reminders, when};
use crate::{
    audit::{self, Change},
    auth::{Actor, Client, Viewer, tokens, visible::AccessRule},
    db,
    events::Event,
    graphql::error::{ApiError, ApiResult, conflict_on_unique},
    input::EmailAddress,
    mailing::{
        outbox,
        tokens::{Purpose, Token},
    },
    state::AppState,
};

/// Someone to seat.
pub struct NewAttendee {
    pub name: String,
    pub email: EmailAddress,
}

/// The session, locked, if the viewer may see it.
async fn lock_session(
    conn: &impl ConnectionTrait,
    viewer: &Viewer,
    id: i64,
) -> ApiResult<training_session::Model> {
    training_session::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .filter(|row| SessionAccess::grant(viewer, row, &()).is_some())
        .ok_or(ApiError::NotFound("training session"))
}

/// Whether seats can be asked for now.
fn check_open(session: &training_session::Model, now: DateTime<Utc>) -> ApiResult<()> {
    let refuse = |why: &str| Err(ApiError::Conflict(why.to_owned()));
    if session.external_url.is_some() {
        return refuse("this session is run by another provider: book on their site");
    }
    match session.status {
        TrainingStatus::Published => {}
        TrainingStatus::Cancelled => return refuse("this session is cancelled"),
        _ => return refuse("this session is not open for booking"),
    }
    if now > session.booking_deadline {
        return refuse("booking for this session has closed");
    }
    Ok(())
}

/// Books seats: a partner member for named people of their organisation (held at once), or
/// anyone for themselves on a PUBLIC session (held once the emailed link is followed).
pub async fn book(
    state: &AppState,
    actor: Option<&Actor>,
    client: &Client,
    session_id: i64,
    attendees: Vec<NewAttendee>,
) -> ApiResult<training_booking::Model> {
    let now = state.now();
    let viewer = Viewer(actor.cloned());
    let partner_id = match actor {
        Some(actor) if actor.is_team() => {
            return Err(ApiError::Forbidden(
                "staff and admins run sessions; partner members and the public book them",
            ));
        }
        Some(actor) => {
            check_booking_rate(state, actor.user_id, now).await?;
            actor.acting_for()
        }
        None => {
            state.enquiry_rate.check(client.ip, now)?;
            None
        }
    };
    if partner_id.is_none() && attendees.len() != 1 {
        return Err(ApiError::bad_input(
            "input.attendees",
            "a booking from the public is for one person, themselves",
        ));
    }
    let txn = db::begin_write(&state.db).await?;
    let session = lock_session(&txn, &viewer, session_id).await?;
    check_open(&session, now)?;
    if partner_id.is_none() && session.audience != TrainingAudience::Public {
        return Err(ApiError::Unauthenticated(
            "this session is for partner organisations: sign in to book",
        ));
    }
    if let (Some(partner_id), Some(limit)) = (partner_id, session.seats_per_organisation) {
        let held = seats_of_partner(&txn, session_id, partner_id).await?;
        if held + attendees.len() as u64 > u64::try_from(limit).unwrap_or_default() {
            return Err(ApiError::bad_input(
                "input.attendees",
                format!(
                    "one organisation may hold {limit} seats in this session; yours holds {held}"
                ),
            ));
        }
    }
    let booking = training_booking::Entity::insert(training_booking::ActiveModel {
        session_id: Set(session_id),
        partner_id: Set(partner_id),
        booked_by: Set(actor.map(|actor| actor.user_id)),
        link_salt: Set(tokens::new_opaque_token()),
        uid: Set(tokens::new_opaque_token()),
        created_at: Set(now),
        confirmed_at: Set(partner_id.map(|_| now)),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await?;
    let status = match partner_id {
        Some(_) => None,
        None => Some(AttendeeStatus::Unconfirmed),
    };
    let seated = seat(&txn, &session, &booking, attendees, status, now).await?;
    match partner_id {
        Some(_) => tell_seated(&txn, state, &session, &booking, &seated, "", now).await?,
        None => {
            let token = link_token(state, &booking);
            ask_to_confirm(&txn, state, &session, &seated, &token, now).await?;
        }
    }
    if let Some(actor) = actor {
        audit::record(
            &txn,
            actor.user_id,
            now,
            Change::new("training.book", "training_booking", booking.id)
                .with_detail(json!({ "sessionId": session_id, "seats": seated.len() })),
        )
        .await?;
    }
    txn.commit().await?;
    state.mail_queued().await;
    announce_seats(state, &session).await;
    Ok(booking)
}

/// Each booking emails the people it names, so one account may make only so many an hour
/// (counted in the database, across instances).
async fn check_booking_rate(state: &AppState, user_id: i64, now: DateTime<Utc>) -> ApiResult<()> {
    let hour_ago = now - chrono::Duration::hours(1);
    let recent: Vec<DateTime<Utc>> = training_booking::Entity::find()
        .select_only()
        .column(training_booking::Column::CreatedAt)
        .filter(training_booking::Column::BookedBy.eq(user_id))
        .filter(training_booking::Column::CreatedAt.gt(hour_ago))
        .order_by_asc(training_booking::Column::CreatedAt)
        .limit(u64::from(state.config.bookings_per_hour.get()))
        .into_tuple()
        .all(&state.db)
        .await?;
    match recent.first() {
        Some(oldest) if recent.len() as u64 >= u64::from(state.config.bookings_per_hour.get()) => {
            Err(ApiError::RateLimited {
                retry_at: *oldest + chrono::Duration::hours(1),
                now,
            })
        }
        _ => Ok(()),
    }
}

/// Seats the attendees in order, each confirmed while seats last and waitlisted after (or all
/// `fixed`, for a public booking waiting for its link to be followed).
async fn seat(
    conn: &impl ConnectionTrait,
    session: &training_session::Model,
    booking: &training_booking::Model,
    attendees: Vec<NewAttendee>,
    fixed: Option<AttendeeStatus>,
    now: DateTime<Utc>,
) -> ApiResult<Vec<training_attendee::Model>> {
    let mut free = i64::from(session.capacity) - seats_taken(conn, session.id).await?;
    let mut queue = last_in_queue(conn, session.id).await?;
    let mut seated = Vec::with_capacity(attendees.len());
    for attendee in attendees {
        queue += 1;
        let status = fixed.unwrap_or(if free > 0 {
            AttendeeStatus::Confirmed
        } else {
            AttendeeStatus::Waitlisted
        });
        let seated_now = status == AttendeeStatus::Confirmed;
        if seated_now {
            free -= 1;
        }
        let email = attendee.email.into_string();
        let row = training_attendee::Entity::insert(training_attendee::ActiveModel {
            booking_id: Set(booking.id),
            session_id: Set(session.id),
            name: Set(attendee.name),
            email_key: Set(email.to_lowercase()),
            email: Set(email),
            status: Set(status),
            queue_number: Set(queue),
            reminded_at: Set(seated_now
                .then(|| reminders::reminded_on_seating(session, now))
                .flatten()),
            created_at: Set(now),
            ..Default::default()
        })
        .exec_with_returning(conn)
        .await
        .map_err(|error| {
            conflict_on_unique(
                error,
                "someone in this booking already has a seat in the session",
            )
        })?;
        seated.push(row);
    }
    Ok(seated)
}

/// Seats confirmed in a session.
pub async fn seats_taken(conn: &impl ConnectionTrait, session_id: i64) -> ApiResult<i64> {
    let taken = training_attendee::Entity::find()
        .filter(training_attendee::Column::SessionId.eq(session_id))
        .filter(training_attendee::Column::Status.eq(AttendeeStatus::Confirmed))
        .count(conn)
        .await?;
    Ok(i64::try_from(taken).unwrap_or(i64::MAX))
}

async fn seats_of_partner(
    conn: &impl ConnectionTrait,
    session_id: i64,
    partner_id: i64,
) -> ApiResult<u64> {
    let bookings = sea_orm::sea_query::Query::select()
        .column(training_booking::Column::Id)
        .from(training_booking::Entity)
        .and_where(training_booking::Column::PartnerId.eq(partner_id))
        .and_where(training_booking::Column::SessionId.eq(session_id))
        .to_owned();
    Ok(training_attendee::Entity::find()
        .filter(training_attendee::Column::BookingId.in_subquery(bookings))
        .filter(
            training_attendee::Column::Status
                .is_in([AttendeeStatus::Confirmed, AttendeeStatus::Waitlisted]),
        )
        .count(conn)
        .await?)
}

async fn last_in_queue(conn: &impl ConnectionTrait, session_id: i64) -> ApiResult<i64> {
    let last: Option<i64> = training_attendee::Entity::find()
        .select_only()
        .column_as(training_attendee::Column::QueueNumber.max(), "last")
        .filter(training_attendee::Column::SessionId.eq(session_id))
        .into_tuple()
        .one(conn)
        .await?
        .flatten();
    Ok(last.unwrap_or(0))
}

/// Tells each attendee where they stand: a confirmed seat (with the calendar entry, and the
/// joining link for online sessions), or their place on the waitlist. `postscript` ends each
/// letter (for the public, how to cancel).
async fn tell_seated(
    conn: &impl ConnectionTrait,
    state: &AppState,
    session: &training_session::Model,
    booking: &training_booking::Model,
    seated: &[training_attendee::Model],
    postscript: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    for attendee in seated {
        match attendee.status {
            AttendeeStatus::Confirmed => {
                let how = ("is confirmed", postscript);
                seat_confirmed(conn, state, session, booking, attendee, how, now).await?;
            }
            AttendeeStatus::Waitlisted => {
                let letter = format!(
                    "Dear {},\n\n{} is full, so you are on its waitlist. If a seat frees up \
                     it is yours in turn, and we will email you at once.{postscript}\n\n{}\n{}\n",
                    attendee.name,
                    session.title,
                    when(session),
                    place(session)
                );
                outbox::enqueue_written_kind(
                    conn,
                    &attendee.email,
                    &format!("On the waitlist: {}", session.title),
                    letter,
                    now,
                )
                .await?;
            }
            AttendeeStatus::Unconfirmed | AttendeeStatus::Cancelled => {}
        }
    }
    Ok(())
}

/// A confirmed seat's email, with its calendar entry: `how` the seat came (and a postscript).
async fn seat_confirmed(
    conn: &impl ConnectionTrait,
    state: &AppState,
    session: &training_session::Model,
    booking: &training_booking::Model,
    attendee: &training_attendee::Model,
    (how, postscript): (&str, &str),
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let joining = joining_line(session);
    let letter = format!(
        "Dear {},\n\nYour seat at {} {how}.\n\n{}\n{}\n{joining}\n\
         The calendar entry attached keeps itself up to date if anything changes.{postscript}\n",
        attendee.name,
        session.title,
        when(session),
        place(session)
    );
    let entry =
        calendar::booking_entry(state, session, booking, attendee, calendar::Method::Request);
    outbox::enqueue_with_calendar(
        conn,
        &attendee.email,
        &format!("Your seat: {}", session.title),
        letter,
        entry,
        now,
    )
    .await
}

/// The joining link, for those with a confirmed seat at an online or hybrid session.
pub fn joining_line(session: &training_session::Model) -> String {
    match (&session.format, &session.joining_url) {
        (TrainingFormat::Online | TrainingFormat::Hybrid, Some(url)) => {
            format!("To join online: {url}\n")
        }
        _ => String::new(),
    }
}

/// A public booking's email: a link to a page whose button holds the seat (or a place on the
/// waitlist). Only our own words: anyone can book in any address's name.
async fn ask_to_confirm(
    conn: &impl ConnectionTrait,
    state: &AppState,
    session: &training_session::Model,
    seated: &[training_attendee::Model],
    token: &str,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let link = state.config.link("/training/confirm", &[("token", token)]);
    let letter = format!(
        "Someone (we hope you) asked for a seat at one of our training sessions, on {}.\n\n\
         To hold your seat, open this link and press the button:\n{link}\n\n\
         If it was not you, ignore this email: nothing is booked.{}",
        when(session),
        cancel_postscript(state, token)
    );
    for attendee in seated {
        outbox::enqueue_written_kind(
            conn,
            &attendee.email,
            "Please confirm your training booking",
            letter.clone(),
            now,
        )
        .await?;
    }
    Ok(())
}

/// How the public cancel: the page at this link (keep the email).
fn cancel_postscript(state: &AppState, token: &str) -> String {
    let link = state.config.link("/training/cancel", &[("token", token)]);
    format!("\n\nShould you no longer be able to come, cancel here and free the seat:\n{link}")
}

/// The token in a public booking's links: derived from LINK_SECRET and the booking, so every
/// email about it can carry the cancel link without the token being stored.
pub fn link_token(state: &AppState, booking: &training_booking::Model) -> String {
    state.link_keys.make(
        Purpose::TrainingBooking,
        booking.id,
        &booking.link_salt,
        None,
    )
}

/// The booking whose emailed link carries `token`.
pub async fn by_token(
    conn: &impl ConnectionTrait,
    state: &AppState,
    token: &str,
) -> ApiResult<training_booking::Model> {
    let invalid = || ApiError::bad_input("token", "this link is not valid");
    let parsed = Token::parse(token).ok_or_else(invalid)?;
    training_booking::Entity::find_by_id(parsed.id)
        .one(conn)
        .await?
        .filter(|booking| {
            state.link_keys.verify(
                Purpose::TrainingBooking,
                &parsed,
                &booking.link_salt,
                state.now(),
            )
        })
        .ok_or_else(invalid)
}

/// For a booking from the public: how to cancel it, to end each email with.
pub(super) fn public_postscript(state: &AppState, booking: &training_booking::Model) -> String {
    match booking.partner_id {
        Some(_) => String::new(),
        None => cancel_postscript(state, &link_token(state, booking)),
    }
}

/// Holds a public booking's seat (or waitlist place) from its emailed link.
pub async fn confirm(state: &AppState, token: &str) -> ApiResult<training_booking::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let asked = by_token(&txn, state, token).await?;
    let session = lock_session(&txn, &Viewer(None), asked.session_id).await?;
    // Read again under the session's lock: a cancellation may have just gone through.
    let found = reread(&txn, asked.id).await?;
    if found.cancelled_at.is_some() {
        return Err(ApiError::Conflict("this booking was cancelled".to_owned()));
    }
    if found.confirmed_at.is_some() {
        return Ok(found);
    }
    check_open(&session, now)?;
    let waiting = training_attendee::Entity::find()
        .filter(training_attendee::Column::BookingId.eq(found.id))
        .filter(training_attendee::Column::Status.eq(AttendeeStatus::Unconfirmed))
        .order_by_asc(training_attendee::Column::QueueNumber)
        .all(&txn)
        .await?;
    let mut free = i64::from(session.capacity) - seats_taken(&txn, session.id).await?;
    let mut queue = last_in_queue(&txn, session.id).await?;
    let mut seated = Vec::with_capacity(waiting.len());
    for attendee in waiting {
        queue += 1;
        let status = if free > 0 {
            free -= 1;
            AttendeeStatus::Confirmed
        } else {
            AttendeeStatus::Waitlisted
        };
        let mut row: training_attendee::ActiveModel = attendee.into();
        if status == AttendeeStatus::Confirmed {
            row.reminded_at = Set(reminders::reminded_on_seating(&session, now));
        }
        row.status = Set(status);
        row.queue_number = Set(queue);
        let updated = training_attendee::Entity::update(row)
            .exec(&txn)
            .await
            .map_err(|error| {
                conflict_on_unique(error, "you already have a seat in this session")
            })?;
        seated.push(updated);
    }
    let mut row: training_booking::ActiveModel = found.into();
    row.confirmed_at = Set(Some(now));
    let confirmed = training_booking::Entity::update(row).exec(&txn).await?;
    let postscript = public_postscript(state, &confirmed);
    tell_seated(&txn, state, &session, &confirmed, &seated, &postscript, now).await?;
    txn.commit().await?;
    state.mail_queued().await;
    announce_seats(state, &session).await;
    Ok(confirmed)
}

/// Cancels a booking: by whoever made it, its organisation's members, those who run the
/// session, or the holder of its emailed link. Freed seats go to the waitlist in order.
pub async fn cancel(
    state: &AppState,
    actor: Option<&Actor>,
    id: Option<i64>,
    token: Option<&str>,
) -> ApiResult<training_booking::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let (found, holds_link) = match (id, token) {
        (_, Some(token)) => {
            let found = by_token(&txn, state, token).await?;
            if id.is_some_and(|id| id != found.id) {
                return Err(ApiError::bad_input(
                    "token",
                    "this link is for another booking",
                ));
            }
            (found, true)
        }
        (Some(_), None) if actor.is_none() => {
            return Err(ApiError::Unauthenticated(
                "sign in, or use the link in your booking's email",
            ));
        }
        (Some(id), None) => (
            training_booking::Entity::find_by_id(id)
                .one(&txn)
                .await?
                .ok_or(ApiError::NotFound("booking"))?,
            false,
        ),
        (None, None) => return Err(ApiError::bad_input("id", "give the booking's id or token")),
    };
    let viewer = Viewer(actor.cloned());
    let session = lock_session(&txn, &viewer, found.session_id).await?;
    let found = reread(&txn, found.id).await?;
    let facts = BookingFacts {
        session_region: session.region_id,
        holds_link,
    };
    if BookingAccess::grant(&viewer, &found, &facts).is_none() {
        return Err(ApiError::NotFound("booking"));
    }
    if found.cancelled_at.is_some() {
        return Err(ApiError::Conflict(
            "this booking is already cancelled".to_owned(),
        ));
    }
    if session.starts_at <= now {
        return Err(ApiError::Conflict(
            "the session has started; a booking can no longer be cancelled".to_owned(),
        ));
    }
    let held = training_attendee::Entity::find()
        .filter(training_attendee::Column::BookingId.eq(found.id))
        .filter(training_attendee::Column::Status.ne(AttendeeStatus::Cancelled))
        .all(&txn)
        .await?;
    training_attendee::Entity::update_many()
        .col_expr(
            training_attendee::Column::Status,
            Expr::value(AttendeeStatus::Cancelled),
        )
        .filter(training_attendee::Column::BookingId.eq(found.id))
        .exec(&txn)
        .await?;
    let mut row: training_booking::ActiveModel = found.into();
    row.cancelled_at = Set(Some(now));
    let cancelled = training_booking::Entity::update(row).exec(&txn).await?;
    tell_of_cancelled_booking(&txn, state, &session, &cancelled, &held, now).await?;
    promote(&txn, state, &session, now).await?;
    if let Some(actor) = actor {
        audit::record(
            &txn,
            actor.user_id,
            now,
            Change::new("training.cancel_booking", "training_booking", cancelled.id),
        )
        .await?;
    }
    txn.commit().await?;
    state.mail_queued().await;
    announce_seats(state, &session).await;
    Ok(cancelled)
}

/// A booking, read again.
async fn reread(conn: &impl ConnectionTrait, id: i64) -> ApiResult<training_booking::Model> {
    training_booking::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound("booking"))
}

/// Tells the people of a cancelled booking: those seated get their calendar entry cancelled,
/// those waiting a note (they were promised news).
async fn tell_of_cancelled_booking(
    conn: &impl ConnectionTrait,
    state: &AppState,
    session: &training_session::Model,
    cancelled: &training_booking::Model,
    held: &[training_attendee::Model],
    now: DateTime<Utc>,
) -> ApiResult<()> {
    for attendee in held {
        let subject = format!("Cancelled: your booking for {}", session.title);
        let letter = format!(
            "Dear {},\n\nYour booking for {} on {} is cancelled{}.\n",
            attendee.name,
            session.title,
            when(session),
            match attendee.status {
                AttendeeStatus::Waitlisted => ", and you are off its waitlist",
                _ => "",
            }
        );
        match attendee.status {
            AttendeeStatus::Confirmed => {
                let entry = calendar::booking_entry(
                    state,
                    session,
                    cancelled,
                    attendee,
                    calendar::Method::Cancel,
                );
                outbox::enqueue_with_calendar(conn, &attendee.email, &subject, letter, entry, now)
                    .await?;
            }
            AttendeeStatus::Waitlisted => {
                outbox::enqueue_written_kind(conn, &attendee.email, &subject, letter, now).await?;
            }
            AttendeeStatus::Unconfirmed | AttendeeStatus::Cancelled => {}
        }
    }
    Ok(())
}

/// Gives free seats to the waitlist, first come first served, and tells each person promoted;
/// the attendees promoted. Nobody is promoted once the session has started.
pub async fn promote(
    conn: &impl ConnectionTrait,
    state: &AppState,
    session: &training_session::Model,
    now: DateTime<Utc>,
) -> ApiResult<Vec<i64>> {
    if session.status != TrainingStatus::Published || session.starts_at <= now {
        return Ok(Vec::new());
    }
    let free = i64::from(session.capacity) - seats_taken(conn, session.id).await?;
    let Ok(free) = u64::try_from(free) else {
        return Ok(Vec::new());
    };
    if free == 0 {
        return Ok(Vec::new());
    }
    let next = training_attendee::Entity::find()
        .filter(training_attendee::Column::SessionId.eq(session.id))
        .filter(training_attendee::Column::Status.eq(AttendeeStatus::Waitlisted))
        .order_by_asc(training_attendee::Column::QueueNumber)
        .limit(free)
        .all(conn)
        .await?;
    training_attendee::Entity::update_many()
        .col_expr(
            training_attendee::Column::Status,
            Expr::value(AttendeeStatus::Confirmed),
        )
        .col_expr(
            training_attendee::Column::RemindedAt,
            Expr::value(reminders::reminded_on_seating(session, now)),
        )
        .filter(training_attendee::Column::Id.is_in(next.iter().map(|row| row.id)))
        .exec(conn)
        .await?;
    let bookings = bookings_of(conn, next.iter().map(|row| row.booking_id)).await?;
    for attendee in &next {
        if let Some(booking) = bookings.iter().find(|b| b.id == attendee.booking_id) {
            let promoted = training_attendee::Model {
                status: AttendeeStatus::Confirmed,
                ..attendee.clone()
            };
            seat_confirmed(
                conn,
                state,
                session,
                booking,
                &promoted,
                (
                    "is now confirmed: a seat freed up",
                    &public_postscript(state, booking),
                ),
                now,
            )
            .await?;
        }
    }
    Ok(next.iter().map(|row| row.id).collect())
}

pub(super) async fn bookings_of(
    conn: &impl ConnectionTrait,
    ids: impl Iterator<Item = i64>,
) -> ApiResult<Vec<training_booking::Model>> {
    Ok(training_booking::Entity::find()
        .filter(training_booking::Column::Id.is_in(ids))
        .all(conn)
        .await?)
}

/// Everyone holding or waiting for a seat, with their bookings.
async fn everyone_booked(
    conn: &impl ConnectionTrait,
    session_id: i64,
) -> ApiResult<Vec<(training_attendee::Model, training_booking::Model)>> {
    let attendees = training_attendee::Entity::find()
        .filter(training_attendee::Column::SessionId.eq(session_id))
        .filter(
            training_attendee::Column::Status
                .is_in([AttendeeStatus::Confirmed, AttendeeStatus::Waitlisted]),
        )
        .order_by_asc(training_attendee::Column::QueueNumber)
        .all(conn)
        .await?;
    let bookings = bookings_of(conn, attendees.iter().map(|row| row.booking_id)).await?;
    Ok(attendees
        .into_iter()
        .filter_map(|attendee| {
            let booking = bookings
                .iter()
                .find(|b| b.id == attendee.booking_id)?
                .clone();
            Some((attendee, booking))
        })
        .collect())
}

/// The session changed (time, place, title or joining link): the seated get an updated
/// calendar entry, the waitlisted a note; those `just_promoted` have the new details already.
pub async fn tell_of_change(
    conn: &impl ConnectionTrait,
    state: &AppState,
    session: &training_session::Model,
    just_promoted: &[i64],
    now: DateTime<Utc>,
) -> ApiResult<()> {
    for (attendee, booking) in everyone_booked(conn, session.id).await? {
        if just_promoted.contains(&attendee.id) {
            continue;
        }
        if attendee.status == AttendeeStatus::Confirmed {
            seat_confirmed(
                conn,
                state,
                session,
                &booking,
                &attendee,
                (
                    "stands, and the session has changed: please note the details below",
                    &public_postscript(state, &booking),
                ),
                now,
            )
            .await?;
        } else {
            outbox::enqueue_written_kind(
                conn,
                &attendee.email,
                &format!("Changed: {}", session.title),
                format!(
                    "Dear {},\n\n{}, whose waitlist you are on, has changed. It is now:\n\n{}\n{}\n",
                    attendee.name,
                    session.title,
                    when(session),
                    place(session)
                ),
                now,
            )
            .await?;
        }
    }
    Ok(())
}

/// The session is cancelled: the seated get their calendar entry cancelled, everyone a note
/// with the reason.
pub async fn tell_of_cancellation(
    conn: &impl ConnectionTrait,
    state: &AppState,
    session: &training_session::Model,
    now: DateTime<Utc>,
) -> ApiResult<()> {
    let reason = session.cancel_reason.clone().unwrap_or_default();
    for (attendee, booking) in everyone_booked(conn, session.id).await? {
        let subject = format!("Cancelled: {}", session.title);
        let letter = format!(
            "Dear {},\n\nWe are sorry: {} on {} is cancelled.\n\n{reason}\n",
            attendee.name,
            session.title,
            when(session)
        );
        if attendee.status == AttendeeStatus::Confirmed {
            let entry = calendar::booking_entry(
                state,
                session,
                &booking,
                &attendee,
                calendar::Method::Cancel,
            );
            outbox::enqueue_with_calendar(conn, &attendee.email, &subject, letter, entry, now)
                .await?;
        } else {
            outbox::enqueue_written_kind(conn, &attendee.email, &subject, letter, now).await?;
        }
    }
    Ok(())
}

/// Seats left and the waitlist's length, live to every instance's subscribers.
pub async fn announce_seats(state: &AppState, session: &training_session::Model) {
    let counts = match super::report::seat_counts(&state.db, &[session.id]).await {
        Ok(counts) => counts.get(&session.id).copied().unwrap_or_default(),
        Err(error) => return tracing::warn!(%error, "could not count seats to announce"),
    };
    state
        .events
        .publish(Event::TrainingSeatsChanged {
            session_id: session.id,
            seats_left: (i64::from(session.capacity) - counts.confirmed).max(0),
            waitlisted: counts.waitlisted,
        })
        .await;
}

/// Marks whether an attendee came: those who run the session, once it has started, with no
/// limit after (registers are often typed up days later).
pub async fn mark_attendance(
    state: &AppState,
    actor: &Actor,
    attendee_id: i64,
    attendance: entities::enums::Attendance,
) -> ApiResult<training_attendee::Model> {
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let attendee = training_attendee::Entity::find_by_id(attendee_id)
        .one(&txn)
        .await?
        .ok_or(ApiError::NotFound("attendee"))?;
    let session = super::lock_managed(&txn, actor, attendee.session_id).await?;
    if session.status == TrainingStatus::Cancelled {
        return Err(ApiError::Conflict("this session was cancelled".to_owned()));
    }
    if session.starts_at > now {
        return Err(ApiError::Conflict(
            "attendance is marked once the session has started".to_owned(),
        ));
    }
    if attendee.status != AttendeeStatus::Confirmed {
        return Err(ApiError::Conflict(
            "only someone with a confirmed seat can attend".to_owned(),
        ));
    }
    let mut row: training_attendee::ActiveModel = attendee.into();
    row.attendance = Set(Some(attendance));
    let marked = training_attendee::Entity::update(row).exec(&txn).await?;
    audit::record(
        &txn,
        actor.user_id,
        now,
        Change::new("training.attendance", "training_attendee", attendee_id),
    )
    .await?;
    txn.commit().await?;
    Ok(marked)
}
