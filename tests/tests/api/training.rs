//! Training: staff offer sessions, partners and the public book seats handed out in order
//! with a waitlist after, everyone gets the right emails and calendar entries, and staff see
//! who was trained in what.

use std::collections::BTreeSet;

use chrono::{DateTime, Duration, TimeZone, Utc};
use futures_util::future::join_all;
use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime};
use mail_parser::MimeHeaders;
use serde_json::{Value, json};
use tests::{Session, TestApp, error_code, error_field, link, next, token_from_url};

use crate::world::{World, world};

pub const CREATE: &str = "mutation($i: CreateTrainingSessionInput!) {
    createTrainingSession(input: $i) { id status } }";
pub const PUBLISH: &str = "mutation($id: ID!) { publishTrainingSession(id: $id) { status } }";
pub const BOOK: &str = "mutation($i: BookTrainingInput!) { bookTraining(input: $i) {
    id status waitlistPosition attendees { name email status waitlistPosition } } }";
const CANCEL_BOOKING: &str = "mutation($id: ID, $t: String) { cancelBooking(id: $id, token: $t) {
    status } }";
const UPDATE: &str = "mutation($id: ID!, $i: UpdateTrainingSessionInput!) {
    updateTrainingSession(id: $id, input: $i) { capacity seatsLeft waitlistLength startsAt } }";
const SEATS: &str = "query($id: ID!) { trainingSession(id: $id) {
    capacity seatsLeft waitlistLength status } }";
const BOOKING: &str = "query($id: ID, $t: String) { trainingBooking(id: $id, token: $t) {
    status waitlistPosition attendees { name status waitlistPosition } } }";

fn at(time: DateTime<Utc>) -> String {
    time.to_rfc3339()
}

/// A North West session for partners, a week from now, two hours long, online.
pub fn session_input(app: &TestApp, w: &World, title: &str, capacity: i32) -> Value {
    session_input_at(
        &w.north_west,
        title,
        capacity,
        app.state.now() + Duration::days(7),
    )
}

/// A session for partners in `region` starting at `starts`, two hours long, online.
pub fn session_input_at(region: &str, title: &str, capacity: i32, starts: DateTime<Utc>) -> Value {
    json!({
        "title": title,
        "description": "How to **brief** a councillor.",
        "topic": "ADVOCACY",
        "format": "ONLINE",
        "joiningUrl": "https://meet.example.org/room-42",
        "startsAt": at(starts),
        "endsAt": at(starts + Duration::hours(2)),
        "capacity": capacity,
        "audience": "PARTNERS",
        "regionId": region,
    })
}

/// Creates a session as the North West staff and publishes it; its id.
pub async fn published(app: &TestApp, staff: &Session, input: Value) -> String {
    let created = app
        .ok(Some(&staff.access_token), CREATE, json!({ "i": input }))
        .await;
    let id = created["createTrainingSession"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(created["createTrainingSession"]["status"], "DRAFT");
    app.ok(Some(&staff.access_token), PUBLISH, json!({ "id": id }))
        .await;
    id
}

fn people(names: &[&str]) -> Vec<Value> {
    names
        .iter()
        .map(|name| json!({ "name": name, "email": format!("{}@trainees.example.org", name.to_lowercase()) }))
        .collect()
}

pub async fn book(app: &TestApp, member: &Session, session: &str, names: &[&str]) -> Value {
    app.ok(
        Some(&member.access_token),
        BOOK,
        json!({ "i": { "sessionId": session, "attendees": people(names) } }),
    )
    .await["bookTraining"]
        .clone()
}

async fn seats(app: &TestApp, session: &str) -> Value {
    app.ok(None, SEATS, json!({ "id": session })).await["trainingSession"].clone()
}

fn statuses(booking: &Value) -> Vec<(String, Value)> {
    booking["attendees"]
        .as_array()
        .map(|attendees| {
            attendees
                .iter()
                .map(|a| {
                    (
                        a["status"].as_str().unwrap_or_default().to_owned(),
                        a["waitlistPosition"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The calendar attachments of the emails to `address`, oldest first, parsed.
fn invites_to(app: &TestApp, address: &str) -> Vec<Calendar> {
    let folder = app.dir.path().join("mail");
    let mut found: Vec<(std::time::SystemTime, Calendar)> = std::fs::read_dir(folder)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| {
                    let raw = std::fs::read(entry.path()).ok()?;
                    let message = mail_parser::MessageParser::default().parse(&raw)?;
                    let to = message.to()?.first()?.address()?.to_owned();
                    if to != address {
                        return None;
                    }
                    let invite = message
                        .attachments()
                        .find(|part| part.is_content_type("text", "calendar"))?;
                    let text = String::from_utf8_lossy(invite.contents()).into_owned();
                    let calendar = text.parse::<Calendar>().expect("a valid iCalendar file");
                    let modified = entry.metadata().and_then(|m| m.modified()).ok()?;
                    Some((modified, calendar))
                })
                .collect()
        })
        .unwrap_or_default();
    found.sort_by_key(|(modified, _)| *modified);
    found.into_iter().map(|(_, calendar)| calendar).collect()
}

fn start_of(event: &icalendar::Event) -> Option<DateTime<Utc>> {
    match event.get_start()? {
        DatePerhapsTime::DateTime(CalendarDateTime::Utc(time)) => Some(time),
        _ => None,
    }
}

#[tokio::test]
async fn seats_go_in_order_and_the_waitlist_moves_up_when_seats_free() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let draft = app
        .ok(
            Some(&w.staff.access_token),
            CREATE,
            json!({ "i": session_input(&app, &w, "Briefing councillors", 3) }),
        )
        .await["createTrainingSession"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    assert_eq!(
        error_code(&app.gql(None, SEATS, json!({ "id": draft })).await),
        "NOT_FOUND",
        "a draft is the team's"
    );
    app.ok(Some(&w.staff.access_token), PUBLISH, json!({ "id": draft }))
        .await;
    let session = draft;
    let shown = app
        .ok(
            None,
            "query($id: ID!) { trainingSession(id: $id) { title audience capacity seatsLeft joiningUrl descriptionHtml when } }",
            json!({ "id": session }),
        )
        .await;
    assert_eq!(shown["trainingSession"]["seatsLeft"], 3);
    assert_eq!(shown["trainingSession"]["audience"], "PARTNERS");
    assert_eq!(
        shown["trainingSession"]["joiningUrl"],
        Value::Null,
        "the joining link goes only to confirmed attendees"
    );
    assert!(
        shown["trainingSession"]["descriptionHtml"]
            .as_str()
            .is_some_and(|html| html.contains("<strong>brief</strong>"))
    );

    let bolton = book(&app, &w.members[0], &session, &["Amina", "Bilal"]).await;
    assert_eq!(bolton["status"], "CONFIRMED");
    assert_eq!(bolton["waitlistPosition"], Value::Null);
    let salford = book(&app, &w.members[1], &session, &["Chloe", "Dawit"]).await;
    assert_eq!(
        salford["status"], "WAITLISTED",
        "a booking is confirmed only when all its people are"
    );
    assert_eq!(
        statuses(&salford),
        vec![
            ("CONFIRMED".to_owned(), Value::Null),
            ("WAITLISTED".to_owned(), json!(1))
        ],
        "each person is seated on their own, in the order listed"
    );
    assert_eq!(salford["waitlistPosition"], 1);
    let wigan = book(&app, &w.members[2], &session, &["Esi"]).await;
    assert_eq!(
        (&wigan["status"], &wigan["waitlistPosition"]),
        (&json!("WAITLISTED"), &json!(2))
    );
    assert_eq!(
        seats(&app, &session).await,
        json!({ "capacity": 3, "seatsLeft": 0, "waitlistLength": 2, "status": "PUBLISHED" })
    );

    let seated = app.wait_for_mail("amina@trainees.example.org", 1).await;
    assert!(
        seated[0].contains("Your seat: Briefing councillors"),
        "{}",
        seated[0]
    );
    assert!(seated[0].contains("https://meet.example.org/room-42"));
    let waiting = app.wait_for_mail("dawit@trainees.example.org", 1).await;
    assert!(waiting[0].contains("waitlist"), "{}", waiting[0]);
    assert!(
        !waiting[0].contains("meet.example.org"),
        "no joining link for someone without a seat"
    );

    let again = app
        .gql(
            Some(&w.members[2].access_token),
            BOOK,
            json!({ "i": { "sessionId": session, "attendees": [{ "name": "Esi", "email": "ESI@Trainees.example.org" }] } }),
        )
        .await;
    assert_eq!(
        error_code(&again),
        "CONFLICT",
        "one seat per person, whatever the case of the address: {again}"
    );

    let cancelled = app
        .ok(
            Some(&w.members[0].access_token),
            CANCEL_BOOKING,
            json!({ "id": bolton["id"] }),
        )
        .await;
    assert_eq!(cancelled["cancelBooking"]["status"], "CANCELLED");
    let salford_now = app
        .ok(
            Some(&w.members[1].access_token),
            BOOKING,
            json!({ "id": salford["id"] }),
        )
        .await;
    assert_eq!(
        salford_now["trainingBooking"]["status"], "CONFIRMED",
        "the first waiting moved up: {salford_now}"
    );
    let promoted = app.wait_for_mail("dawit@trainees.example.org", 2).await;
    assert!(promoted[1].contains("a seat freed up"), "{}", promoted[1]);
    assert!(promoted[1].contains("https://meet.example.org/room-42"));
    let wigan_now = app
        .ok(
            Some(&w.members[2].access_token),
            BOOKING,
            json!({ "id": wigan["id"] }),
        )
        .await;
    assert_eq!(wigan_now["trainingBooking"]["status"], "CONFIRMED");

    let hackney = book(&app, &w.members[3], &session, &["Farah"]).await;
    assert_eq!(hackney["waitlistPosition"], 1, "a full session again");
    let raised = app
        .ok(
            Some(&w.staff.access_token),
            UPDATE,
            json!({ "id": session, "i": { "capacity": 5 } }),
        )
        .await;
    assert_eq!(
        (
            &raised["updateTrainingSession"]["seatsLeft"],
            &raised["updateTrainingSession"]["waitlistLength"]
        ),
        (&json!(1), &json!(0)),
        "a raised capacity seats the waitlist"
    );
    let farah = app.wait_for_mail("farah@trainees.example.org", 2).await;
    assert!(farah[1].contains("a seat freed up"));
    let lowered = app
        .gql(
            Some(&w.staff.access_token),
            UPDATE,
            json!({ "id": session, "i": { "capacity": 2 } }),
        )
        .await;
    assert_eq!(
        (error_code(&lowered), error_field(&lowered)),
        ("BAD_USER_INPUT", "input.capacity"),
        "capacity cannot go below the seats confirmed"
    );

    let mine = app
        .ok(
            Some(&w.members[1].access_token),
            "query($id: ID!) { trainingSession(id: $id) { myBookings { attendees { name } } } }",
            json!({ "id": session }),
        )
        .await;
    assert_eq!(
        mine["trainingSession"]["myBookings"][0]["attendees"],
        json!([{ "name": "Chloe" }, { "name": "Dawit" }]),
        "a member sees their organisation's booking"
    );

    let clyde = book(&app, &w.members[4], &session, &["Gus", "Hal"]).await;
    assert_eq!(
        statuses(&clyde),
        vec![
            ("CONFIRMED".to_owned(), Value::Null),
            ("WAITLISTED".to_owned(), json!(1))
        ]
    );
    app.ok(
        Some(&w.members[4].access_token),
        CANCEL_BOOKING,
        json!({ "id": clyde["id"] }),
    )
    .await;
    let hal = app.wait_for_mail("hal@trainees.example.org", 2).await;
    assert!(
        hal[1].contains("you are off its waitlist"),
        "someone waiting hears of the cancellation too: {}",
        hal[1]
    );
    app.wait_for_mail("gus@trainees.example.org", 2).await;
    let gus = invites_to(&app, "gus@trainees.example.org");
    assert_eq!(
        gus.last().and_then(|c| c.property_value("METHOD")),
        Some("CANCEL")
    );
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let now = app.state.now();
    let with = |changes: Value| {
        let mut input = session_input(&app, &w, "Bad", 10);
        for (key, value) in changes.as_object().into_iter().flatten() {
            input[key] = value.clone();
        }
        json!({ "i": input })
    };
    let refused = [
        (
            json!({ "startsAt": at(now - Duration::hours(1)), "endsAt": at(now + Duration::hours(1)) }),
            "input.startsAt",
        ),
        (
            json!({ "endsAt": at(now + Duration::days(6)) }),
            "input.endsAt",
        ),
        (json!({ "capacity": 0 }), "input.capacity"),
        (json!({ "capacity": 10_001 }), "input.capacity"),
        (json!({ "title": "  " }), "input.title"),
        (json!({ "joiningUrl": "not a link" }), "input.joiningUrl"),
        (json!({ "format": "IN_PERSON" }), "input.joiningUrl"),
        (
            json!({ "bookingDeadline": at(now + Duration::days(8)) }),
            "input.bookingDeadline",
        ),
        (
            json!({ "seatsPerOrganisation": 0 }),
            "input.seatsPerOrganisation",
        ),
        (json!({ "campaignIds": ["999"] }), "input.campaignIds"),
        (
            json!({ "externalUrl": "https://elsewhere.example.org/" }),
            "input.externalUrl",
        ),
    ];
    for (changes, field) in refused {
        let body = app
            .gql(Some(&w.staff.access_token), CREATE, with(changes.clone()))
            .await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            ("BAD_USER_INPUT", field),
            "{changes}: {body}"
        );
    }
    let listed = "{ trainingSessions(filter: { from: \"2000-01-01T00:00:00Z\" }) { totalCount } }";
    assert_eq!(
        app.ok(Some(&w.staff.access_token), listed, json!({})).await["trainingSessions"]["totalCount"],
        0,
        "nothing was created"
    );

    let mut input = session_input(&app, &w, "Two per organisation", 10);
    input["seatsPerOrganisation"] = json!(2);
    input["bookingDeadline"] = json!(at(now + Duration::days(2)));
    let session = published(&app, &w.staff, input).await;
    let bookings = [
        (
            people(&["A", "B", "C"]),
            "BAD_USER_INPUT",
            "over the organisation's limit",
        ),
        (
            vec![json!({ "name": "Dee", "email": "dee at example" })],
            "BAD_USER_INPUT",
            "a malformed address",
        ),
        (vec![], "BAD_USER_INPUT", "nobody to seat"),
        (
            vec![
                json!({ "name": "Dee", "email": "dee@example.org" }),
                json!({ "name": "Dee again", "email": "DEE@example.org" }),
            ],
            "BAD_USER_INPUT",
            "one person twice",
        ),
    ];
    for (attendees, code, why) in bookings {
        let body = app
            .gql(
                Some(&w.members[0].access_token),
                BOOK,
                json!({ "i": { "sessionId": session, "attendees": attendees } }),
            )
            .await;
        assert_eq!(error_code(&body), code, "{why}: {body}");
    }
    assert_eq!(
        seats(&app, &session).await["seatsLeft"],
        10,
        "no seat taken"
    );
    book(&app, &w.members[0], &session, &["Gift"]).await;
    app.wait_for_mail("gift@trainees.example.org", 1).await;
    let over = app
        .gql(
            Some(&w.members[0].access_token),
            BOOK,
            json!({ "i": { "sessionId": session, "attendees": people(&["Hana", "Ibrahim"]) } }),
        )
        .await;
    assert_eq!(
        error_code(&over),
        "BAD_USER_INPUT",
        "the limit counts seats already held"
    );
    let staff_booking = app
        .gql(
            Some(&w.staff.access_token),
            BOOK,
            json!({ "i": { "sessionId": session, "attendees": people(&["Jo"]) } }),
        )
        .await;
    assert_eq!(error_code(&staff_booking), "FORBIDDEN");
    assert_eq!(
        seats(&app, &session).await["seatsLeft"],
        9,
        "only Gift holds a seat"
    );

    app.clock.advance(Duration::days(3));
    let mut w = w;
    w.sign_everyone_in_again(&app).await;
    let late = app
        .gql(
            Some(&w.members[1].access_token),
            BOOK,
            json!({ "i": { "sessionId": session, "attendees": people(&["Kofi"]) } }),
        )
        .await;
    assert_eq!(error_code(&late), "CONFLICT", "after the deadline: {late}");
    app.ok(
        Some(&w.staff.access_token),
        "mutation($id: ID!) { cancelTrainingSession(id: $id, reason: \"The trainer is ill.\") { status } }",
        json!({ "id": session }),
    )
    .await;
    let on_cancelled = app
        .gql(
            Some(&w.members[1].access_token),
            BOOK,
            json!({ "i": { "sessionId": session, "attendees": people(&["Lin"]) } }),
        )
        .await;
    assert_eq!(error_code(&on_cancelled), "CONFLICT");
    assert_eq!(seats(&app, &session).await["status"], "CANCELLED");
    let told = app.wait_for_mail("gift@trainees.example.org", 2).await;
    assert!(told[1].contains("The trainer is ill."), "{}", told[1]);
}

#[tokio::test]
async fn the_public_book_from_an_emailed_link_and_cancel_from_another() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut input = session_input(&app, &w, "Welcoming in your town", 1);
    input["audience"] = json!("PUBLIC");
    let session = published(&app, &w.staff, input).await;
    let partners_only = published(&app, &w.staff, session_input(&app, &w, "Members only", 5)).await;

    let me = json!([{ "name": "Rosa", "email": "rosa@example.net" }]);
    let refused = app
        .gql(
            None,
            BOOK,
            json!({ "i": { "sessionId": partners_only, "attendees": me } }),
        )
        .await;
    assert_eq!(error_code(&refused), "UNAUTHENTICATED", "{refused}");
    let two = app
        .gql(
            None,
            BOOK,
            json!({ "i": { "sessionId": session, "attendees": people(&["Sam", "Tess"]) } }),
        )
        .await;
    assert_eq!(
        error_code(&two),
        "BAD_USER_INPUT",
        "the public book for themselves"
    );

    let asked = app
        .ok(
            None,
            BOOK,
            json!({ "i": { "sessionId": session, "attendees": me } }),
        )
        .await;
    assert_eq!(asked["bookTraining"]["status"], "PENDING");
    assert_eq!(
        seats(&app, &session).await["seatsLeft"],
        1,
        "nothing is held until the link is followed"
    );
    let mail = app.wait_for_mail("rosa@example.net", 1).await;
    assert!(
        !mail[0].contains("Welcoming in your town"),
        "nothing typed by whoever asked goes to an unconfirmed address"
    );
    let confirm = link(&mail[0], "/training/confirm");
    let page = app.client.get(&confirm).send().await.expect("the page");
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("<form method=\"post\">"),
        "opening the link holds nothing by itself"
    );
    assert_eq!(seats(&app, &session).await["seatsLeft"], 1);
    let token = token_from_url(&confirm);
    let held = app
        .client
        .post(&confirm)
        .form(&[("token", token.as_str())])
        .send()
        .await
        .expect("an answer");
    assert_eq!(held.status(), 200);
    assert_eq!(seats(&app, &session).await["seatsLeft"], 0);
    let booking = app.ok(None, BOOKING, json!({ "t": token })).await;
    assert_eq!(booking["trainingBooking"]["status"], "CONFIRMED");

    let mail = app.wait_for_mail("rosa@example.net", 2).await;
    assert!(mail[1].contains("Your seat: Welcoming in your town"));
    let cancel = link(&mail[1], "/training/cancel");
    let sol = json!([{ "name": "Sol", "email": "sol@example.net" }]);
    app.ok(
        None,
        BOOK,
        json!({ "i": { "sessionId": session, "attendees": sol } }),
    )
    .await;
    let asked = app.wait_for_mail("sol@example.net", 1).await;
    let sol_token = token_from_url(&link(&asked[0], "/training/confirm"));
    let waiting = app
        .ok(
            None,
            "mutation($t: String!) { confirmTrainingBooking(token: $t) { status waitlistPosition } }",
            json!({ "t": sol_token }),
        )
        .await;
    assert_eq!(
        waiting["confirmTrainingBooking"],
        json!({ "status": "WAITLISTED", "waitlistPosition": 1 })
    );
    let left = app
        .client
        .post(&cancel)
        .form(&[("token", token_from_url(&cancel).as_str())])
        .send()
        .await
        .expect("an answer");
    assert_eq!(left.status(), 200);
    assert_eq!(seats(&app, &session).await["seatsLeft"], 0, "Sol moved up");
    let promoted = app.wait_for_mail("sol@example.net", 3).await;
    assert!(promoted[2].contains("a seat freed up"), "{}", promoted[2]);
    let sol_cancel = link(&promoted[2], "/training/cancel");
    let booking_id = token_from_url(&sol_cancel)
        .split('.')
        .next()
        .unwrap_or_default()
        .to_owned();
    let forged = app
        .gql(
            None,
            CANCEL_BOOKING,
            json!({ "t": format!("{booking_id}.{}", "ab".repeat(32)) }),
        )
        .await;
    assert_eq!(
        error_code(&forged),
        "BAD_USER_INPUT",
        "a link is good only as it was sent"
    );
    let sol_left = app
        .ok(
            None,
            CANCEL_BOOKING,
            json!({ "t": token_from_url(&sol_cancel) }),
        )
        .await;
    assert_eq!(
        sol_left["cancelBooking"]["status"], "CANCELLED",
        "the promotion email's cancel link works"
    );
    assert_eq!(seats(&app, &session).await["seatsLeft"], 1);
    app.wait_for_mail("rosa@example.net", 3).await;
    let invites = invites_to(&app, "rosa@example.net");
    assert_eq!(
        invites
            .iter()
            .map(|calendar| calendar
                .property_value("METHOD")
                .unwrap_or_default()
                .to_owned())
            .collect::<Vec<_>>(),
        ["REQUEST", "CANCEL"],
        "the calendar entry is added, then removed"
    );
    let again = app
        .client
        .post(&cancel)
        .form(&[("token", token_from_url(&cancel).as_str())])
        .send()
        .await
        .expect("an answer");
    assert_eq!(again.status(), 400);
    assert!(
        again
            .text()
            .await
            .unwrap_or_default()
            .contains("already cancelled"),
        "a second press says what happened"
    );
}

/// 200 bookings of one person each, sent at once, half to each of two instances.
async fn two_hundred_at_once(app: &TestApp, w: &World, session: &str) -> Vec<Value> {
    let second = app.another_instance(|_| {}).await;
    let requests = (0..200).map(|n| {
        let address = if n % 2 == 0 {
            app.address
        } else {
            second.address
        };
        let variables = json!({ "i": { "sessionId": session, "attendees": [
            { "name": format!("Person {n}"), "email": format!("person{n}@rush.example.org") }] } });
        async move {
            app.gql_at(address, Some(&w.members[0].access_token), BOOK, variables)
                .await
        }
    });
    let answers = join_all(requests).await;
    second.stop().await;
    answers
}

#[tokio::test]
async fn two_hundred_bookings_at_once_for_twenty_seats_seat_twenty_and_queue_the_rest() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let session = published(&app, &w.staff, session_input(&app, &w, "Popular", 20)).await;
    let answers = two_hundred_at_once(&app, &w, &session).await;
    let errors: Vec<&Value> = answers.iter().filter(|a| a["errors"].is_array()).collect();
    assert!(errors.is_empty(), "every booking answered: {errors:?}");
    let all = app
        .ok(
            Some(&w.staff.access_token),
            "query($id: ID!) { trainingSession(id: $id) { seatsLeft waitlistLength
                bookings { status waitlistPosition } } }",
            json!({ "id": session }),
        )
        .await;
    let session = &all["trainingSession"];
    assert_eq!(
        (&session["seatsLeft"], &session["waitlistLength"]),
        (&json!(0), &json!(180))
    );
    let bookings = session["bookings"].as_array().expect("bookings");
    let confirmed = bookings
        .iter()
        .filter(|b| b["status"] == "CONFIRMED")
        .count();
    let positions: Vec<i64> = bookings
        .iter()
        .filter(|b| b["status"] == "WAITLISTED")
        .filter_map(|b| b["waitlistPosition"].as_i64())
        .collect();
    assert_eq!(confirmed, 20, "never oversold");
    assert_eq!(
        positions.iter().copied().collect::<BTreeSet<_>>(),
        (1..=180).collect::<BTreeSet<_>>(),
        "a waitlist without gaps or repeats"
    );
    assert_eq!(positions.len(), 180);
}

#[tokio::test]
async fn reminders_go_out_once_the_day_before_with_two_instances_and_a_restart() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut input = session_input(&app, &w, "Reminded", 5);
    let starts = app.state.now() + Duration::days(3);
    input["startsAt"] = json!(at(starts));
    input["endsAt"] = json!(at(starts + Duration::hours(2)));
    let session = published(&app, &w.staff, input).await;
    book(&app, &w.members[0], &session, &["Uma", "Victor"]).await;
    app.wait_for_mail("uma@trainees.example.org", 1).await;
    let second = app.another_instance(|_| {}).await;

    app.clock.advance(Duration::days(1));
    app.wait_for_outbox_idle().await;
    assert_eq!(
        app.mail_to("uma@trainees.example.org").len(),
        1,
        "two days before, no reminder yet"
    );
    app.clock.advance(Duration::hours(25));
    let reminded = app.wait_for_mail("uma@trainees.example.org", 2).await;
    assert!(
        reminded[1].contains("Tomorrow: Reminded"),
        "{}",
        reminded[1]
    );
    assert!(
        reminded[1].contains("https://meet.example.org/room-42"),
        "the joining link comes with the reminder"
    );
    app.wait_for_mail("victor@trainees.example.org", 2).await;

    second.stop().await;
    let restarted = app.another_instance(|_| {}).await;
    app.clock.advance(Duration::hours(2));
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    app.wait_for_outbox_idle().await;
    for person in ["uma", "victor"] {
        let mail = app.mail_to(&format!("{person}@trainees.example.org"));
        assert_eq!(
            mail.iter()
                .filter(|m| m.contains("Tomorrow: Reminded"))
                .count(),
            1,
            "one reminder each, whatever the instances and restarts"
        );
    }
    restarted.stop().await;
}

#[tokio::test]
async fn the_calendar_feed_and_attachments_keep_uk_time_across_the_clock_change() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    // The clocks go forward on Sunday 28 March 2027: 09:00 UTC is 09:00 in London the day
    // before and 10:00 the day after.
    let before = Utc
        .with_ymd_and_hms(2027, 3, 27, 9, 0, 0)
        .single()
        .expect("a time");
    let after = Utc
        .with_ymd_and_hms(2027, 3, 29, 9, 0, 0)
        .single()
        .expect("a time");
    let mut sessions = Vec::new();
    for (title, starts, audience) in [
        ("Before the change", before, "PARTNERS"),
        ("After the change", after, "PUBLIC"),
    ] {
        let mut input = session_input(&app, &w, title, 10);
        input["startsAt"] = json!(at(starts));
        input["endsAt"] = json!(at(starts + Duration::hours(2)));
        input["audience"] = json!(audience);
        sessions.push(published(&app, &w.staff, input).await);
    }
    let mut elsewhere = session_input(&app, &w, "In London", 10);
    elsewhere["regionId"] = json!(w.london);
    published(&app, &w.admin, elsewhere).await;
    app.ok(
        Some(&w.members[0].access_token),
        BOOK,
        json!({ "i": { "sessionId": sessions[0], "attendees": [
            { "name": "Wanjiru \"Wawa\" Kamau", "email": "wanjiru@trainees.example.org" }] } }),
    )
    .await;

    let shown = app
        .ok(
            None,
            "query($a: ID!, $b: ID!) { a: trainingSession(id: $a) { when } b: trainingSession(id: $b) { when } }",
            json!({ "a": sessions[0], "b": sessions[1] }),
        )
        .await;
    assert_eq!(
        shown["a"]["when"],
        "Saturday 27 March 2027, 09:00–11:00 (UK time)"
    );
    assert_eq!(
        shown["b"]["when"],
        "Monday 29 March 2027, 10:00–12:00 (UK time)"
    );

    let feed = app
        .client
        .get(app.url("/feeds/training.ics?region=north-west&topic=Advocacy"))
        .send()
        .await
        .expect("the feed");
    assert!(
        feed.headers()["content-type"]
            .to_str()
            .is_ok_and(|kind| kind.starts_with("text/calendar"))
    );
    let text = feed.text().await.expect("a body");
    let calendar = text.parse::<Calendar>().expect("a valid iCalendar feed");
    let events: Vec<_> = calendar.events().collect();
    assert_eq!(
        events
            .iter()
            .map(|e| e.get_summary().unwrap_or_default())
            .collect::<Vec<_>>(),
        ["Before the change", "After the change"],
        "the North West's advocacy sessions, London's left out"
    );
    assert_eq!(
        events.iter().map(|e| start_of(e)).collect::<Vec<_>>(),
        [Some(before), Some(after)],
        "the same instants, whatever the clocks do"
    );
    assert!(
        events[0]
            .get_description()
            .is_some_and(|d| d.contains("For members of partner organisations"))
    );
    assert!(
        events[1]
            .get_description()
            .is_some_and(|d| d.contains("Open to everyone"))
    );
    assert!(
        !text.contains("meet.example.org") && !text.contains("wanjiru"),
        "no joining links and nothing about who booked"
    );

    let seated = app.wait_for_mail("wanjiru@trainees.example.org", 1).await;
    assert!(
        seated[0].contains("Saturday 27 March 2027, 09:00"),
        "{}",
        seated[0]
    );
    let later = before + Duration::days(2);
    app.ok(
        Some(&w.staff.access_token),
        UPDATE,
        json!({ "id": sessions[0], "i": { "startsAt": at(later) } }),
    )
    .await;
    let moved = app.wait_for_mail("wanjiru@trainees.example.org", 2).await;
    assert!(
        moved[1].contains("Monday 29 March 2027, 10:00–12:00"),
        "{}",
        moved[1]
    );
    app.ok(
        Some(&w.staff.access_token),
        UPDATE,
        json!({ "id": sessions[0], "i": { "title": "Before the change, in a new room" } }),
    )
    .await;
    let renamed = app.wait_for_mail("wanjiru@trainees.example.org", 3).await;
    assert!(
        renamed[2].contains("Before the change, in a new room"),
        "a new title (or place) is news too: {}",
        renamed[2]
    );
    app.ok(
        Some(&w.staff.access_token),
        "mutation($id: ID!) { cancelTrainingSession(id: $id, reason: \"Venue lost.\") { status } }",
        json!({ "id": sessions[0] }),
    )
    .await;
    app.wait_for_mail("wanjiru@trainees.example.org", 4).await;
    let invites = invites_to(&app, "wanjiru@trainees.example.org");
    let entries: Vec<(String, String, u32, Option<DateTime<Utc>>)> = invites
        .iter()
        .map(|calendar| {
            let event = calendar.events().next().expect("an event");
            (
                calendar
                    .property_value("METHOD")
                    .unwrap_or_default()
                    .to_owned(),
                event.get_uid().unwrap_or_default().to_owned(),
                event.get_sequence().unwrap_or_default(),
                start_of(event),
            )
        })
        .collect();
    assert_eq!(
        entries
            .iter()
            .map(|(method, _, _, start)| (method.as_str(), *start))
            .collect::<Vec<_>>(),
        [
            ("REQUEST", Some(before)),
            ("REQUEST", Some(later)),
            ("REQUEST", Some(later)),
            ("CANCEL", Some(later)),
        ],
        "one entry updated, then cancelled"
    );
    assert!(
        entries.windows(2).all(|pair| pair[0].2 < pair[1].2),
        "SEQUENCE rises with each change: {entries:?}"
    );
    assert!(
        entries.iter().all(|(_, uid, _, _)| *uid == entries[0].1),
        "one stable UID per booking: {entries:?}"
    );
}

/// The session's status once the background work has caught up with the clock.
async fn completed(app: &TestApp, session: &str) -> String {
    for _ in 0..100 {
        let status = seats(app, session).await["status"].clone();
        if status == "COMPLETED" {
            return "COMPLETED".to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    seats(app, session).await["status"].to_string()
}

#[tokio::test]
async fn attendance_shows_who_was_trained_in_what() {
    let app = TestApp::spawn().await;
    let mut w = world(&app).await;
    let mut input = session_input(&app, &w, "Advocacy basics", 10);
    let starts = app.state.now() + Duration::hours(2);
    input["startsAt"] = json!(at(starts));
    input["endsAt"] = json!(at(starts + Duration::hours(2)));
    let session = published(&app, &w.staff, input).await;
    book(&app, &w.members[0], &session, &["Xena", "Yusuf"]).await;
    book(&app, &w.members[1], &session, &["Zainab"]).await;
    const ATTENDEES: &str = "query($id: ID!) { trainingSession(id: $id) { status bookings {
        attendees { id name attendance } } } }";
    let attendees = |body: &Value| -> Vec<(String, String)> {
        body["trainingSession"]["bookings"]
            .as_array()
            .into_iter()
            .flatten()
            .flat_map(|b| b["attendees"].as_array().cloned().unwrap_or_default())
            .map(|a| {
                (
                    a["name"].as_str().unwrap_or_default().to_owned(),
                    a["id"].as_str().unwrap_or_default().to_owned(),
                )
            })
            .collect()
    };
    let listed = app
        .ok(
            Some(&w.staff.access_token),
            ATTENDEES,
            json!({ "id": session }),
        )
        .await;
    let ids = attendees(&listed);
    const MARK: &str =
        "mutation($a: ID!, $m: Attendance!) { markAttendance(attendeeId: $a, attendance: $m) }";
    let early = app
        .gql(
            Some(&w.staff.access_token),
            MARK,
            json!({ "a": ids[0].1, "m": "ATTENDED" }),
        )
        .await;
    assert_eq!(error_code(&early), "CONFLICT", "not before it starts");

    app.clock.advance(Duration::hours(5));
    w.sign_everyone_in_again(&app).await;
    for ((_, id), mark) in ids.iter().zip(["ATTENDED", "ATTENDED", "NO_SHOW"]) {
        app.ok(
            Some(&w.staff.access_token),
            MARK,
            json!({ "a": id, "m": mark }),
        )
        .await;
    }
    assert_eq!(
        completed(&app, &session).await,
        "COMPLETED",
        "a session that has ended is completed"
    );

    const TRAINING: &str = "query($p: ID!) { partner(id: $p) { training {
        sessionsAttended peopleTrained lastAttendedAt byTopic { topic count } } } }";
    let bolton = app
        .ok(
            Some(&w.members[0].access_token),
            TRAINING,
            json!({ "p": w.partners[0] }),
        )
        .await;
    assert_eq!(
        bolton["partner"]["training"],
        json!({ "sessionsAttended": 1, "peopleTrained": 2, "lastAttendedAt": at(starts),
                "byTopic": [{ "topic": "ADVOCACY", "count": 1 }] })
    );
    let salford = app
        .ok(
            Some(&w.staff.access_token),
            TRAINING,
            json!({ "p": w.partners[1] }),
        )
        .await;
    assert_eq!(
        salford["partner"]["training"]["sessionsAttended"], 0,
        "a no-show is not training"
    );

    let report = app
        .ok(
            Some(&w.staff.access_token),
            "query($r: ID, $from: DateTime!, $to: DateTime!) { trainingReport(regionId: $r, from: $from, to: $to) {
                topics { topic sessionsRun seatsOffered booked attended noShows noShowRate partnersReached } } }",
            json!({ "r": w.north_west, "from": at(starts - Duration::days(1)), "to": at(starts + Duration::days(1)) }),
        )
        .await;
    assert_eq!(
        report["trainingReport"]["topics"],
        json!([{ "topic": "ADVOCACY", "sessionsRun": 1, "seatsOffered": 10, "booked": 3,
                 "attended": 2, "noShows": 1, "noShowRate": 1.0 / 3.0, "partnersReached": 1 }])
    );
}

#[tokio::test]
async fn seats_left_are_pushed_live_from_any_instance() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let session = published(&app, &w.staff, session_input(&app, &w, "Live", 2)).await;
    let mut socket = app
        .subscribe(
            None,
            "subscription($id: ID!) { trainingSeatsChanged(sessionId: $id) { seatsLeft waitlistLength } }",
            json!({ "id": session }),
        )
        .await;
    app.wait_for_listeners(1).await;
    let second = app.another_instance(|_| {}).await;
    let booked = app
        .gql_at(
            second.address,
            Some(&w.members[0].access_token),
            BOOK,
            json!({ "i": { "sessionId": session, "attendees": people(&["Ada", "Ben", "Cy"]) } }),
        )
        .await;
    assert!(booked["errors"].is_null(), "{booked}");
    let pushed = next(&mut socket).await;
    assert_eq!(
        pushed["payload"]["data"]["trainingSeatsChanged"],
        json!({ "seatsLeft": 0, "waitlistLength": 1 })
    );
    second.stop().await;
}

#[tokio::test]
async fn an_account_books_only_so_many_times_an_hour() {
    let app = TestApp::spawn_with(|settings| {
        settings.bookings_per_hour = std::num::NonZeroU32::new(2).expect("not zero");
    })
    .await;
    let w = world(&app).await;
    let session = published(&app, &w.staff, session_input(&app, &w, "Limited", 50)).await;
    book(&app, &w.members[0], &session, &["One"]).await;
    book(&app, &w.members[0], &session, &["Two"]).await;
    let third = app
        .gql(
            Some(&w.members[0].access_token),
            BOOK,
            json!({ "i": { "sessionId": session, "attendees": people(&["Three"]) } }),
        )
        .await;
    assert_eq!(
        error_code(&third),
        "RATE_LIMITED",
        "each booking emails the people it names: {third}"
    );
    assert!(third["errors"][0]["extensions"]["retryAfterSeconds"].as_i64() > Some(0));
    assert_eq!(seats(&app, &session).await["seatsLeft"], 48);
    book(&app, &w.members[1], &session, &["Four"]).await;
    assert_eq!(
        seats(&app, &session).await["seatsLeft"],
        47,
        "the limit is each account's own"
    );
}
