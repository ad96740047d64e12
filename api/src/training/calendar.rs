//! Calendar entries (RFC 5545). A booking's entry keeps one UID for its whole life and a
//! SEQUENCE that rises with each change, so calendar apps update the entry they have (and, on
//! `METHOD:CANCEL`, remove it) instead of adding another. The public feed lists published
//! sessions with no joining links and nothing about who booked.

use chrono::Utc;
use entities::{
    enums::{TrainingAudience, TrainingStatus},
    training_attendee, training_booking, training_session,
};
use icalendar::{Calendar, Component, Event, EventLike, EventStatus, Property};

use super::place;
use crate::state::AppState;

const PRODUCT: &str = "-//Partner network//Training//EN";

/// What an emailed entry asks of the calendar.
#[derive(Clone, Copy)]
pub enum Method {
    Request,
    Cancel,
}

fn host(state: &AppState) -> String {
    state
        .config
        .public_url
        .host_str()
        .unwrap_or("localhost")
        .to_owned()
}

fn calendar(method: Option<&str>) -> Calendar {
    let mut calendar = Calendar::empty();
    calendar.append_property(Property::new("VERSION", "2.0"));
    calendar.append_property(Property::new("PRODID", PRODUCT));
    calendar.append_property(Property::new("CALSCALE", "GREGORIAN"));
    if let Some(method) = method {
        calendar.append_property(Property::new("METHOD", method));
    }
    calendar
}

/// The session as an event, without anything private.
fn event(session: &training_session::Model, uid: &str) -> Event {
    let mut event = Event::new();
    event
        .uid(uid)
        .summary(&session.title)
        .description(&session.description)
        .starts(session.starts_at)
        .ends(session.ends_at)
        .location(&place(session))
        .timestamp(Utc::now());
    event
}

/// One attendee's entry for a booking: a request (seat confirmed or changed) or a
/// cancellation.
pub fn booking_entry(
    state: &AppState,
    session: &training_session::Model,
    booking: &training_booking::Model,
    attendee: &training_attendee::Model,
    method: Method,
) -> String {
    let uid = format!("booking-{}@{}", booking.uid, host(state));
    let mut event = event(session, &uid);
    let (method, sequence, status) = match method {
        Method::Request => ("REQUEST", session.sequence, EventStatus::Confirmed),
        // A cancellation supersedes whatever was sent before it.
        Method::Cancel => ("CANCEL", session.sequence + 1, EventStatus::Cancelled),
    };
    event
        .sequence(u32::try_from(sequence).unwrap_or_default())
        .status(status);
    if let Some(url) = super::booking::joining_line(session)
        .strip_prefix("To join online: ")
        .map(str::trim)
    {
        event.url(url);
    }
    let organiser_address = state
        .config
        .mail_from
        .parse::<lettre::message::Mailbox>()
        .map(|mailbox| mailbox.email.to_string())
        .unwrap_or_else(|_| state.config.mail_from.clone());
    let mut organiser = Property::new("ORGANIZER", format!("mailto:{organiser_address}"));
    organiser.add_parameter("CN", "Partner network training");
    event.append_property(organiser);
    let mut attendee_line = Property::new("ATTENDEE", format!("mailto:{}", attendee.email));
    // A quoted parameter cannot hold a double quote: one in a name would end it early.
    attendee_line.add_parameter("CN", &attendee.name.replace('"', "'"));
    event.append_property(attendee_line);
    let mut calendar = calendar(Some(method));
    calendar.push(event.done());
    calendar.done().to_string()
}

/// The public feed of published sessions.
pub fn feed(state: &AppState, sessions: &[training_session::Model]) -> String {
    let mut calendar = calendar(None);
    calendar.name("Training");
    for session in sessions
        .iter()
        .filter(|session| session.status == TrainingStatus::Published)
    {
        let uid = format!("session-{}@{}", session.id, host(state));
        let mut event = event(session, &uid);
        let audience = match session.audience {
            TrainingAudience::Partners => "For members of partner organisations.",
            TrainingAudience::Public => "Open to everyone.",
        };
        event
            .description(&format!("{audience}\n\n{}", session.description))
            .sequence(u32::try_from(session.sequence).unwrap_or_default())
            .categories([audience]);
        if let Some(url) = &session.external_url {
            event.url(url);
        }
        calendar.push(event.done());
    }
    calendar.done().to_string()
}
