//! The read matrix: every kind of non-public data, reached through every path the schema
//! offers to it (top level, nested in other types, in connections, and live), as each kind of
//! viewer. What each sees is written out, so a path that forgets a rule shows up here.

use serde_json::{Value, json};
use tests::{Frame, Session, TestApp, error_code, next_frame};

use crate::world::{World, world};

const ROLES: [&str; 6] = [
    "anonymous",
    "member of another partner",
    "staff of another region",
    "staff of the partner's region",
    "admin",
    "member of the partner",
];

/// What a viewer got: an error code, or `shown` (a value), `hidden` (null), `none` (an empty
/// list, or nothing there), or a number.
fn outcome(body: &Value, pointer: &str) -> String {
    if body["errors"].is_array() {
        return error_code(body).to_owned();
    }
    match body["data"].pointer(pointer) {
        None => "none".to_owned(),
        Some(Value::Null) => "hidden".to_owned(),
        Some(Value::Array(items)) if items.is_empty() => "none".to_owned(),
        Some(Value::Number(number)) => number.to_string(),
        Some(_) => "shown".to_owned(),
    }
}

struct Fixture {
    world: World,
    /// Bolton Welcome Hub (North West), whose data is looked at.
    partner: String,
    prospect: String,
    campaign: String,
    draft_campaign: String,
    action: String,
    published_position: String,
    unpublished_position: String,
    draft_update: String,
    /// Bolton's signature of the Early Action principles (listed, assessed once).
    signatory: String,
    /// A North West training session, and the booking Bolton's member made for one person.
    training_session: String,
    training_booking: String,
}

/// Bolton signs the principles and assesses itself; an outside group's signature waits for
/// staff. Bolton's signature id.
async fn early_action(app: &TestApp, w: &World) -> String {
    use crate::principles::{As, SIGN, assessed, indicator_ids, outside_form, signed_outside};
    let signed = app
        .ok(
            Some(&w.members[0].access_token),
            SIGN,
            json!({ "i": { "partnerId": w.partners[0], "signatoryName": "Mariam Yusuf",
                           "signatoryRole": "Coordinator", "listPublicly": true } }),
        )
        .await;
    let id = signed["signPrinciples"]["signatory"]["id"]
        .as_str()
        .expect("signed")
        .to_owned();
    let indicators = indicator_ids(app).await;
    assessed(
        app,
        As::Member(&w.members[0]),
        &id,
        &indicators,
        |_| "DOING",
    )
    .await;
    let token = signed_outside(
        app,
        outside_form(
            "Pending Group",
            "pat@pending.example.org",
            Some(&w.north_west),
            true,
        ),
    )
    .await;
    app.ok(
        None,
        "mutation($t: String!) { confirmSignature(token: $t) }",
        json!({ "t": token }),
    )
    .await;
    id
}

impl Fixture {
    /// The six viewers, in the order of [`ROLES`].
    fn sessions(&self) -> [Option<&Session>; 6] {
        let w = &self.world;
        [
            None,
            Some(&w.members[3]),
            Some(&w.london_staff),
            Some(&w.staff),
            Some(&w.admin),
            Some(&w.members[0]),
        ]
    }
}

async fn fixture(app: &TestApp) -> Fixture {
    let w = world(app).await;
    let partner = w.partners[0].clone();
    let admin = Some(w.admin.access_token.as_str());
    app.ok(
        admin,
        "mutation($id: ID!) { updatePartner(id: $id, input: { contactEmail: \"office@bolton.example.org\" }) { id } }",
        json!({ "id": partner }),
    )
    .await;
    let prospect = app
        .partner(
            &w.admin,
            json!({ "name": "Prospect Group", "regionId": w.north_west, "status": "PROSPECTIVE" }),
        )
        .await;
    let prospect_member = app
        .member(&w.admin, &prospect, "prospect@partners.example.org")
        .await;
    let campaign = w.active_campaign(app, "Lift the ban").await;
    let draft_campaign = w.draft_campaign(app, "Not yet public").await;
    let action = w.action(app, &campaign, json!({})).await;
    w.opt_in(app, 0, &action, Some("Count us in")).await;
    app.ok(
        Some(&prospect_member.access_token),
        "mutation($a: ID!) { optIntoJointAction(actionId: $a) { id } }",
        json!({ "a": action }),
    )
    .await;
    let published_position = w
        .position(app, &campaign, "PARTNER_BACKED", "Work is a right.")
        .await;
    w.request_approval(app, &published_position, &[0]).await;
    w.respond(app, 0, &published_position, "APPROVE", 1).await;
    w.publish(app, &published_position).await;
    let unpublished_position = w
        .position(app, &campaign, "OWN", "Still being drafted.")
        .await;
    app.ok(
        Some(&w.members[0].access_token),
        "mutation { requestSupport(input: { kind: OWN_CAMPAIGN, title: \"A vigil\", description: \"Help us plan it.\" }) { id } }",
        json!({}),
    )
    .await;
    app.ok(
        Some(&w.members[0].access_token),
        "mutation($i: ObservationInput!) { recordObservation(input: $i) { id } }",
        json!({ "i": { "goalIds": [w.goals[0]], "topic": "housing", "periodStart": "2026-01-05",
                       "periodEnd": "2026-01-31", "peopleAffected": 9, "summary": "Nine families moved." } }),
    )
    .await;
    app.ok(
        None,
        "mutation { requestPartnership(input: { organisationName: \"Asking Group\", contactName: \"Ann\",
            contactEmail: \"ann@asking.example.org\", message: \"May we join?\", regionId: \"2\" }) { message } }",
        json!({}),
    )
    .await;
    let mail = app.wait_for_mail("ann@asking.example.org", 1).await;
    app.ok(
        None,
        "mutation($t: String!) { confirmPartnershipEnquiry(token: $t) }",
        json!({ "t": tests::token_from_url(&tests::link(&mail[0], "/enquiries/confirm")) }),
    )
    .await;
    let draft_update = app
        .ok(
            Some(&w.staff.access_token),
            "mutation($r: ID) { createPolicyUpdate(input: { title: \"Draft briefing\", summary: \"s\", body: \"b\", kind: RESOURCE, regionId: $r }) { id } }",
            json!({ "r": w.north_west }),
        )
        .await["createPolicyUpdate"]["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let signatory = early_action(app, &w).await;
    let training_session = crate::training::published(
        app,
        &w.staff,
        crate::training::session_input(app, &w, "Briefing councillors", 10),
    )
    .await;
    let booked = crate::training::book(app, &w.members[0], &training_session, &["Amina"]).await;
    Fixture {
        signatory,
        training_session,
        training_booking: booked["id"].as_str().expect("a booking").to_owned(),
        world: w,
        partner,
        prospect,
        campaign,
        draft_campaign,
        action,
        published_position,
        unpublished_position,
        draft_update,
    }
}

/// One way to one kind of data, and what each role must get.
struct Path {
    name: &'static str,
    query: &'static str,
    variables: fn(&Fixture) -> Value,
    pointer: &'static str,
    expected: [&'static str; 6],
}

const CONTACT: [&str; 6] = ["hidden", "hidden", "hidden", "shown", "shown", "shown"];
const RECORDS: [&str; 6] = [
    "UNAUTHENTICATED",
    "FORBIDDEN",
    "FORBIDDEN",
    "shown",
    "shown",
    "shown",
];
const TEAM_ONLY: [&str; 6] = [
    "NOT_FOUND",
    "NOT_FOUND",
    "shown",
    "shown",
    "shown",
    "NOT_FOUND",
];

const EARLY_ACTION_CONTACT: [&str; 6] = ["hidden", "hidden", "shown", "shown", "shown", "shown"];

fn paths() -> Vec<Path> {
    vec![
        Path {
            name: "a partner's contact details, top level",
            query: "query($p: ID!) { partner(id: $p) { contactEmail } }",
            variables: |f| json!({ "p": f.partner }),
            pointer: "/partner/contactEmail",
            expected: CONTACT,
        },
        Path {
            name: "a partner's contact details, in the directory",
            query: "{ partners(filter: { search: \"Bolton\" }) { edges { node { contactEmail } } } }",
            variables: |_| json!({}),
            pointer: "/partners/edges/0/node/contactEmail",
            expected: CONTACT,
        },
        Path {
            name: "a partner's contact details, through its region",
            query: "{ region(slug: \"north-west\") { partners(first: 1) { edges { node { contactEmail } } } } }",
            variables: |_| json!({}),
            pointer: "/region/partners/edges/0/node/contactEmail",
            expected: CONTACT,
        },
        Path {
            name: "a partner's contact details, through an opt-in",
            query: "query($a: ID!) { jointAction(id: $a) { optIns(first: 1) { edges { node { partner { contactEmail } } } } } }",
            variables: |f| json!({ "a": f.action }),
            pointer: "/jointAction/optIns/edges/0/node/partner/contactEmail",
            expected: [
                "UNAUTHENTICATED",
                "hidden",
                "hidden",
                "shown",
                "shown",
                "shown",
            ],
        },
        Path {
            name: "a partner's contact details, through a position's backers",
            query: "query($p: ID!) { position(id: $p) { backers { contactEmail } } }",
            variables: |f| json!({ "p": f.published_position }),
            pointer: "/position/backers/0/contactEmail",
            expected: CONTACT,
        },
        Path {
            name: "who opted in",
            query: "query($a: ID!) { jointAction(id: $a) { optIns { edges { node { note } } } } }",
            variables: |f| json!({ "a": f.action }),
            pointer: "/jointAction/optIns/edges",
            expected: [
                "UNAUTHENTICATED",
                "shown",
                "shown",
                "shown",
                "shown",
                "shown",
            ],
        },
        Path {
            name: "a prospective partner, through an opt-in",
            query: "query($a: ID!) { jointAction(id: $a) { optIns { edges { node { partner { name } } } } } }",
            variables: |f| json!({ "a": f.action }),
            pointer: "/jointAction/optIns/edges/1/node/partner",
            expected: [
                "UNAUTHENTICATED",
                "hidden",
                "shown",
                "shown",
                "shown",
                "hidden",
            ],
        },
        Path {
            name: "a prospective partner, top level",
            query: "query($p: ID!) { partner(id: $p) { name } }",
            variables: |f| json!({ "p": f.prospect }),
            pointer: "/partner/name",
            expected: TEAM_ONLY,
        },
        Path {
            name: "a region's staff and their addresses",
            query: "{ region(slug: \"north-west\") { staff { email } } }",
            variables: |_| json!({}),
            pointer: "/region/staff/0/email",
            expected: [
                "UNAUTHENTICATED",
                "shown",
                "shown",
                "shown",
                "shown",
                "shown",
            ],
        },
        Path {
            name: "a member's address, through the action's history",
            query: "query($a: ID!) { jointAction(id: $a) { history { edges { node { by { email } } } } } }",
            variables: |f| json!({ "a": f.action }),
            pointer: "/jointAction/history/edges/0/node/by/email",
            expected: [
                "UNAUTHENTICATED",
                "none",
                "hidden",
                "shown",
                "shown",
                "shown",
            ],
        },
        Path {
            name: "a partner's answers on positions, through the partner",
            query: "query($p: ID!) { partner(id: $p) { positionResponses { edges { node { decision } } } } }",
            variables: |f| json!({ "p": f.partner }),
            pointer: "/partner/positionResponses/edges/0/node/decision",
            expected: RECORDS,
        },
        Path {
            name: "a partner's answers on positions, through the versions",
            query: "query($p: ID!) { position(id: $p) { versions { approvals { decision } } } }",
            variables: |f| json!({ "p": f.published_position }),
            pointer: "/position/versions/0/approvals/0/decision",
            expected: [
                "UNAUTHENTICATED",
                "FORBIDDEN",
                "none",
                "shown",
                "shown",
                "FORBIDDEN",
            ],
        },
        Path {
            name: "a partner's answers on positions, through the current text",
            query: "query($p: ID!) { position(id: $p) { currentVersion { approvals { decision } } } }",
            variables: |f| json!({ "p": f.published_position }),
            pointer: "/position/currentVersion/approvals/0/decision",
            expected: ["none", "none", "none", "shown", "shown", "shown"],
        },
        Path {
            name: "a partner's support requests, through the partner",
            query: "query($p: ID!) { partner(id: $p) { supportRequests { edges { node { title } } } } }",
            variables: |f| json!({ "p": f.partner }),
            pointer: "/partner/supportRequests/edges/0/node/title",
            expected: RECORDS,
        },
        Path {
            name: "a partner's support requests, top level",
            query: "query($p: ID) { supportRequests(filter: { partnerId: $p }) { edges { node { title } } } }",
            variables: |f| json!({ "p": f.partner }),
            pointer: "/supportRequests/edges/0/node/title",
            expected: ["UNAUTHENTICATED", "none", "none", "shown", "shown", "shown"],
        },
        Path {
            name: "subscriber numbers",
            query: "{ subscriberCounts { total } }",
            variables: |_| json!({}),
            pointer: "/subscriberCounts/total",
            expected: ["UNAUTHENTICATED", "FORBIDDEN", "0", "0", "0", "FORBIDDEN"],
        },
        Path {
            name: "the audit log",
            query: "{ auditLog(first: 1) { edges { node { action } } } }",
            variables: |_| json!({}),
            pointer: "/auditLog/edges/0/node/action",
            expected: [
                "UNAUTHENTICATED",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "shown",
                "FORBIDDEN",
            ],
        },
        Path {
            name: "an unpublished policy update, top level",
            query: "query($u: ID!) { policyUpdate(id: $u) { title } }",
            variables: |f| json!({ "u": f.draft_update }),
            pointer: "/policyUpdate/title",
            expected: TEAM_ONLY,
        },
        Path {
            name: "unpublished policy updates, in the list",
            query: "{ policyUpdates(filter: { status: DRAFT }) { edges { node { title } } } }",
            variables: |_| json!({}),
            pointer: "/policyUpdates/edges/0/node/title",
            expected: ["none", "none", "shown", "shown", "shown", "none"],
        },
        Path {
            name: "an unpublished position, top level",
            query: "query($p: ID!) { position(id: $p) { title } }",
            variables: |f| json!({ "p": f.unpublished_position }),
            pointer: "/position/title",
            expected: TEAM_ONLY,
        },
        Path {
            name: "unpublished positions, through the campaign",
            query: "query($c: ID!) { campaign(id: $c) { positions { totalCount } } }",
            variables: |f| json!({ "c": f.campaign }),
            pointer: "/campaign/positions/totalCount",
            expected: ["1", "1", "2", "2", "2", "1"],
        },
        Path {
            name: "a draft campaign, top level",
            query: "query($c: ID!) { campaign(id: $c) { title } }",
            variables: |f| json!({ "c": f.draft_campaign }),
            pointer: "/campaign/title",
            expected: TEAM_ONLY,
        },
        Path {
            name: "observations, top level",
            query: "{ observations { edges { node { summary } } } }",
            variables: |_| json!({}),
            pointer: "/observations/edges/0/node/summary",
            expected: ["UNAUTHENTICATED", "none", "none", "shown", "shown", "shown"],
        },
        Path {
            name: "a figure drawn from one organisation, in the report",
            query: "{ evidenceReport(filter: { from: \"2026-01-01\", to: \"2026-12-31\" }) {
                series { points { peopleAffected } } } }",
            variables: |_| json!({}),
            pointer: "/evidenceReport/series/0/points/0/peopleAffected",
            expected: [
                "UNAUTHENTICATED",
                "hidden",
                "hidden",
                "hidden",
                "9",
                "hidden",
            ],
        },
        Path {
            name: "a partnership enquiry's contact",
            query: "{ partnershipEnquiries { edges { node { contactEmail } } } }",
            variables: |_| json!({}),
            pointer: "/partnershipEnquiries/edges/0/node/contactEmail",
            expected: [
                "UNAUTHENTICATED",
                "FORBIDDEN",
                "none",
                "shown",
                "shown",
                "FORBIDDEN",
            ],
        },
        Path {
            name: "who signed the principles for an organisation, top level",
            query: "query($s: ID) { signatory(id: $s) { signatoryName } }",
            variables: |f| json!({ "s": f.signatory }),
            pointer: "/signatory/signatoryName",
            expected: EARLY_ACTION_CONTACT,
        },
        Path {
            name: "a signatory's email, in the public list",
            query: "{ signatories(filter: { search: \"Bolton\" }) { edges { node { email } } } }",
            variables: |_| json!({}),
            pointer: "/signatories/edges/0/node/email",
            expected: EARLY_ACTION_CONTACT,
        },
        Path {
            name: "a signatory's self-assessments",
            query: "query($s: ID) { signatory(id: $s) { assessments { id } } }",
            variables: |f| json!({ "s": f.signatory }),
            pointer: "/signatory/assessments",
            expected: [
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "shown",
            ],
        },
        Path {
            name: "a signatory's progress (one assessment so far)",
            query: "query($s: ID) { signatory(id: $s) { progress { latestSubmittedAt } } }",
            variables: |f| json!({ "s": f.signatory }),
            pointer: "/signatory/progress",
            expected: [
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "hidden",
            ],
        },
        Path {
            name: "a signature waiting for staff",
            query: "{ signatories(filter: { search: \"Pending\" }) { edges { node { organisationName } } } }",
            variables: |_| json!({}),
            pointer: "/signatories/edges/0/node/organisationName",
            expected: ["none", "none", "shown", "shown", "shown", "none"],
        },
        Path {
            name: "a region's Early Action report",
            query: "query($r: ID) { principlesReport(regionId: $r) { assessed { suppressed } } }",
            variables: |f| json!({ "r": f.world.north_west }),
            pointer: "/principlesReport/assessed",
            expected: [
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "shown",
                "shown",
                "FORBIDDEN",
            ],
        },
        Path {
            name: "a national report figure drawn from one organisation",
            query: "{ principlesReport { assessed { count } } }",
            variables: |_| json!({}),
            pointer: "/principlesReport/assessed/count",
            expected: ["hidden", "hidden", "hidden", "hidden", "1", "hidden"],
        },
        Path {
            name: "attendees' addresses, in a session's bookings",
            query: "query($s: ID!) { trainingSession(id: $s) { bookings { attendees { email } } } }",
            variables: |f| json!({ "s": f.training_session }),
            pointer: "/trainingSession/bookings/0/attendees/0/email",
            expected: [
                "FORBIDDEN",
                "FORBIDDEN",
                "FORBIDDEN",
                "shown",
                "shown",
                "FORBIDDEN",
            ],
        },
        Path {
            name: "attendees' names, by booking",
            query: "query($b: ID) { trainingBooking(id: $b) { attendees { name } } }",
            variables: |f| json!({ "b": f.training_booking }),
            pointer: "/trainingBooking/attendees/0/name",
            expected: [
                "NOT_FOUND",
                "NOT_FOUND",
                "NOT_FOUND",
                "shown",
                "shown",
                "shown",
            ],
        },
        Path {
            name: "attendees' addresses, in the viewer's own bookings in the session list",
            query: "{ trainingSessions { edges { node { myBookings { attendees { email } } } } } }",
            variables: |_| json!({}),
            pointer: "/trainingSessions/edges/0/node/myBookings/0/attendees/0/email",
            expected: ["none", "none", "none", "none", "none", "shown"],
        },
        Path {
            name: "a session's joining link",
            query: "query($s: ID!) { trainingSession(id: $s) { joiningUrl } }",
            variables: |f| json!({ "s": f.training_session }),
            pointer: "/trainingSession/joiningUrl",
            expected: ["hidden", "hidden", "hidden", "shown", "shown", "hidden"],
        },
        Path {
            name: "a partner's engagement",
            query: "query($p: ID!) { partner(id: $p) { engagement { jointActionsJoined } } }",
            variables: |f| json!({ "p": f.partner }),
            pointer: "/partner/engagement",
            expected: RECORDS,
        },
        Path {
            name: "a region's engagement report",
            query: "query($r: ID) { engagementReport(regionId: $r) { engagement { lastActiveAt } } }",
            variables: |f| json!({ "r": f.world.north_west }),
            pointer: "/engagementReport/0/engagement",
            expected: [
                "UNAUTHENTICATED",
                "FORBIDDEN",
                "FORBIDDEN",
                "shown",
                "shown",
                "FORBIDDEN",
            ],
        },
        Path {
            name: "a partner's training record",
            query: "query($p: ID!) { partner(id: $p) { training { peopleTrained } } }",
            variables: |f| json!({ "p": f.partner }),
            pointer: "/partner/training",
            expected: RECORDS,
        },
        Path {
            name: "a campaign's prioritisation",
            query: "query($c: ID!) { campaign(id: $c) { prioritisation { total } } }",
            variables: |f| json!({ "c": f.campaign }),
            pointer: "/campaign/prioritisation",
            expected: ["hidden", "hidden", "shown", "shown", "shown", "hidden"],
        },
    ]
}

#[tokio::test]
async fn every_kind_of_private_data_through_every_path_as_every_viewer() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let mut wrong = Vec::new();
    for path in paths() {
        for (role, session) in f.sessions().iter().enumerate() {
            let token = session.map(|session| session.access_token.as_str());
            let body = app.gql(token, path.query, (path.variables)(&f)).await;
            let got = outcome(&body, path.pointer);
            if got != path.expected[role] {
                wrong.push(format!(
                    "{} as {}: expected {}, got {got} ({body})",
                    path.name, ROLES[role], path.expected[role]
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));
}

/// Live, each viewer sees of an opt-in what `optIns` would show them.
#[tokio::test]
async fn a_live_opt_in_shows_each_viewer_what_the_query_would() {
    let app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let listening = app.state.events.listeners();
    let mut sockets = Vec::new();
    for session in f.sessions() {
        sockets.push(
            app.subscribe(
                session.map(|session| session.access_token.as_str()),
                "subscription($a: ID!) { jointActionOptInsChanged(actionId: $a) {
                    optInCount partner { name contactEmail } } }",
                json!({ "a": f.action }),
            )
            .await,
        );
    }
    app.wait_for_listeners(listening + 2 * sockets.len()).await;
    f.world.withdraw(&app, 0, &f.action).await;
    let expected = [
        json!(null),
        json!({ "name": "Bolton Welcome Hub", "contactEmail": null }),
        json!({ "name": "Bolton Welcome Hub", "contactEmail": null }),
        json!({ "name": "Bolton Welcome Hub", "contactEmail": "office@bolton.example.org" }),
        json!({ "name": "Bolton Welcome Hub", "contactEmail": "office@bolton.example.org" }),
        json!({ "name": "Bolton Welcome Hub", "contactEmail": "office@bolton.example.org" }),
    ];
    for (role, socket) in sockets.iter_mut().enumerate() {
        let Frame::Message(event) = next_frame(socket, 10).await else {
            panic!("{} got no event", ROLES[role]);
        };
        let change = &event["payload"]["data"]["jointActionOptInsChanged"];
        assert_eq!(change["optInCount"], 1, "{}: {event}", ROLES[role]);
        assert_eq!(
            change["partner"], expected[role],
            "{}: {event}",
            ROLES[role]
        );
    }
}
