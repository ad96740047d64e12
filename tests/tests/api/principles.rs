//! Asylum Early Action: organisations sign the six principles (a partner through a member, an
//! outside organisation from the public form, confirmed by email and approved by staff), the
//! public list shows only what each chose to show, signatories assess themselves year after
//! year and see their progress, and the sector sees a report no one can be singled out from.

use chrono::Duration;
use serde_json::{Value, json};
use tests::{Session, TestApp, error_code, error_field, link, token_from_url};

use crate::world::{World, world};

pub const SIGN: &str = "mutation($i: SignPrinciplesInput!) {
    signPrinciples(input: $i) { message signatory { id organisationName status } } }";
const PUBLIC_LIST: &str = "query($f: SignatoryFilter) { signatories(filter: $f) { totalCount
    edges { node { organisationName town region { slug } website signedAt
    signatoryName signatoryRole email status } } } }";
const ASSESSMENT: &str = "id submittedAt answers { level indicator { id text } }";
const PROGRESS: &str = "query($id: ID, $t: String) { signatory(id: $id, token: $t) {
    progress { principles { principle { key } up down same
    indicators { indicator { text } previousIndicator { text } level previousLevel change } } } } }";
const REPORT: &str = "query($r: ID) { principlesReport(regionId: $r) {
    region { slug } assessed { count suppressed } compared { count suppressed }
    principles { principle { key } indicators { indicator { id }
        levels { level count suppressed }
        movedUp { count suppressed } movedDown { count suppressed } stayedSame { count suppressed } } }
    needsLearning { key } } }";

/// An organisation outside the network signed from the public form and confirmed by email.
pub struct Outside {
    pub id: String,
    /// The token of the manage link emailed on approval.
    pub manage: String,
}

pub fn outside_form(name: &str, email: &str, region: Option<&str>, listed: bool) -> Value {
    json!({
        "organisationName": name,
        "website": format!("https://{}/", email.rsplit('@').next().unwrap_or("example.org")),
        "town": "Bolton",
        "regionId": region,
        "signatoryName": "Nadia Rahman",
        "signatoryRole": "Director",
        "email": email,
        "listPublicly": listed,
    })
}

/// Signs from the public form; the token of the confirmation link emailed.
pub async fn signed_outside(app: &TestApp, input: Value) -> String {
    let email = input["email"].as_str().expect("an email").to_owned();
    let before = app.mail_to(&email).len();
    let answer = app.ok(None, SIGN, json!({ "i": input })).await;
    assert_eq!(
        answer["signPrinciples"]["signatory"],
        Value::Null,
        "nothing about the signature is shown before it is confirmed"
    );
    let mail = app.wait_for_mail(&email, before + 1).await;
    let url = link(
        mail.last().expect("the confirmation"),
        "/principles/confirm",
    );
    assert!(url.contains("/principles/confirm?token="), "{url}");
    token_from_url(&url)
}

/// Signed, confirmed through the link's page, approved by `decider`; its id and manage token.
pub async fn approved_outside(app: &TestApp, decider: &Session, input: Value) -> Outside {
    let email = input["email"].as_str().expect("an email").to_owned();
    let token = signed_outside(app, input).await;
    let id = confirmed(app, decider, &token).await;
    let before = app.mail_to(&email).len();
    app.ok(
        Some(&decider.access_token),
        "mutation($id: ID!) { approveSignatory(id: $id) { status } }",
        json!({ "id": id }),
    )
    .await;
    let mail = app.wait_for_mail(&email, before + 1).await;
    let manage = token_from_url(&link(mail.last().expect("approval"), "/principles/manage"));
    Outside { id, manage }
}

/// Confirms by pressing the page's button; the signature's id as staff then see it.
async fn confirmed(app: &TestApp, staff: &Session, token: &str) -> String {
    let pressed = app
        .client
        .post(app.url("/principles/confirm"))
        .form(&[("token", token)])
        .send()
        .await
        .expect("an answer");
    assert_eq!(pressed.status(), 200);
    let pending = app
        .ok(
            Some(&staff.access_token),
            "{ signatories(filter: { status: PENDING }, first: 100) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    pending["signatories"]["edges"]
        .as_array()
        .and_then(|edges| edges.last())
        .and_then(|edge| edge["node"]["id"].as_str())
        .expect("the confirmed signature waits for staff")
        .to_owned()
}

/// Every current indicator's id, principle by principle.
pub async fn indicator_ids(app: &TestApp) -> Vec<String> {
    let principles = app
        .ok(None, "{ principles { indicators { id } } }", json!({}))
        .await;
    principles["principles"]
        .as_array()
        .expect("principles")
        .iter()
        .flat_map(|p| p["indicators"].as_array().cloned().unwrap_or_default())
        .map(|i| i["id"].as_str().expect("an id").to_owned())
        .collect()
}

/// Who speaks for a signatory: a member's session, or the manage link's token.
#[derive(Clone, Copy)]
pub enum As<'a> {
    Member(&'a Session),
    Link(&'a str),
}

impl As<'_> {
    fn session(&self) -> Option<&str> {
        match self {
            As::Member(session) => Some(&session.access_token),
            As::Link(_) => None,
        }
    }

    fn token(&self) -> Value {
        match self {
            As::Member(_) => Value::Null,
            As::Link(token) => json!(token),
        }
    }
}

/// Starts, answers every indicator with `level(i)`, and submits; the assessment's id.
pub async fn assessed(
    app: &TestApp,
    who: As<'_>,
    signatory: &str,
    indicators: &[String],
    level: impl Fn(usize) -> &'static str,
) -> String {
    let started = app
        .ok(
            who.session(),
            "mutation($s: ID!, $t: String) { startSelfAssessment(signatoryId: $s, token: $t) { id } }",
            json!({ "s": signatory, "t": who.token() }),
        )
        .await;
    let id = started["startSelfAssessment"]["id"]
        .as_str()
        .expect("an assessment")
        .to_owned();
    let answers: Vec<Value> = indicators
        .iter()
        .enumerate()
        .map(|(i, indicator)| json!({ "indicatorId": indicator, "level": level(i) }))
        .collect();
    app.ok(
        who.session(),
        "mutation($id: ID!, $a: [AnswerInput!]!, $t: String) {
            saveSelfAssessment(id: $id, answers: $a, token: $t) { id } }",
        json!({ "id": id, "a": answers, "t": who.token() }),
    )
    .await;
    app.ok(
        who.session(),
        "mutation($id: ID!, $t: String) { submitSelfAssessment(id: $id, token: $t) { submittedAt } }",
        json!({ "id": id, "t": who.token() }),
    )
    .await;
    id
}

fn names(list: &Value) -> Vec<String> {
    list["signatories"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            edge["node"]["organisationName"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

#[tokio::test]
async fn the_six_principles_are_public_with_their_indicators() {
    let app = TestApp::spawn().await;
    let principles = app
        .ok(
            None,
            "{ principles { id key number title description indicators { id text } } }",
            json!({}),
        )
        .await;
    let list = principles["principles"].as_array().expect("principles");
    let keys: Vec<&str> = list.iter().filter_map(|p| p["key"].as_str()).collect();
    assert_eq!(
        keys,
        [
            "EARLY_ACTION",
            "LONG_TERM_CHANGE",
            "PARTICIPATORY_DESIGN",
            "SERVICES_THAT_EMPOWER",
            "EXPERIMENTATION",
            "COLLABORATION"
        ]
    );
    for (n, principle) in list.iter().enumerate() {
        assert_eq!(principle["number"], n as u64 + 1);
        assert!(
            !principle["description"]
                .as_str()
                .unwrap_or_default()
                .is_empty()
        );
        let indicators = principle["indicators"]
            .as_array()
            .expect("indicators")
            .len();
        assert!((3..=5).contains(&indicators), "{principle}");
    }
}

#[tokio::test]
async fn a_partner_signs_through_a_member_and_the_public_list_shows_only_what_it_chose() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let bolton = &w.members[0];
    let signed = app
        .ok(
            Some(&bolton.access_token),
            SIGN,
            json!({ "i": { "partnerId": w.partners[0], "signatoryName": "Mariam Yusuf",
                           "signatoryRole": "Coordinator", "listPublicly": false } }),
        )
        .await;
    let signatory = signed["signPrinciples"]["signatory"].clone();
    assert_eq!(
        signatory["status"], "APPROVED",
        "a partner is signed at once"
    );
    let id = signatory["id"].as_str().expect("an id").to_owned();

    let public = app.ok(None, PUBLIC_LIST, json!({})).await;
    assert_eq!(
        public["signatories"]["totalCount"], 0,
        "it chose not to be listed"
    );
    let own = app
        .ok(Some(&bolton.access_token), PUBLIC_LIST, json!({}))
        .await;
    assert_eq!(
        names(&own),
        ["Bolton Welcome Hub"],
        "its members see their own"
    );
    assert_eq!(
        own["signatories"]["edges"][0]["node"]["signatoryName"],
        "Mariam Yusuf"
    );

    let again = app
        .gql(
            Some(&bolton.access_token),
            SIGN,
            json!({ "i": { "partnerId": w.partners[0], "signatoryName": "Mariam Yusuf",
                           "signatoryRole": "Coordinator" } }),
        )
        .await;
    assert_eq!(
        error_code(&again),
        "CONFLICT",
        "one standing signature at a time"
    );

    app.ok(
        Some(&bolton.access_token),
        "mutation($id: ID!) { updateSignatory(id: $id, input: { listPublicly: true }) { listPublicly } }",
        json!({ "id": id }),
    )
    .await;
    let public = app.ok(None, PUBLIC_LIST, json!({})).await;
    let node = &public["signatories"]["edges"][0]["node"];
    assert_eq!(node["organisationName"], "Bolton Welcome Hub");
    assert_eq!(node["region"]["slug"], "north-west");
    assert!(node["signedAt"].is_string());
    for private in ["signatoryName", "signatoryRole", "email", "status"] {
        assert_eq!(node[private], Value::Null, "{private} is not public");
    }

    let withdrawn = app
        .ok(
            Some(&bolton.access_token),
            "mutation($id: ID!) { withdrawSignature(id: $id, reason: \"Our trustees are reviewing it\") {
                status withdrawnAt withdrawalReason } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(withdrawn["withdrawSignature"]["status"], "WITHDRAWN");
    let public = app.ok(None, PUBLIC_LIST, json!({})).await;
    assert_eq!(
        public["signatories"]["totalCount"], 0,
        "off the list at once"
    );
    let history = app
        .ok(
            Some(&w.staff.access_token),
            "{ signatories(filter: { status: WITHDRAWN }) { edges { node { organisationName withdrawalReason } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        history["signatories"]["edges"][0]["node"]["withdrawalReason"],
        "Our trustees are reviewing it",
        "history keeps that it had signed"
    );
    let signed_again = app
        .ok(
            Some(&bolton.access_token),
            SIGN,
            json!({ "i": { "partnerId": w.partners[0], "signatoryName": "Mariam Yusuf",
                           "signatoryRole": "Coordinator", "listPublicly": true } }),
        )
        .await;
    assert_eq!(
        signed_again["signPrinciples"]["signatory"]["status"], "APPROVED",
        "it may sign again later"
    );
}

#[tokio::test]
async fn an_outside_organisation_confirms_by_button_and_the_regions_staff_decide() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let input = outside_form(
        "Hope Street Shelter",
        "nadia@hopestreet.example.org",
        Some(&w.north_west),
        true,
    );
    let token = signed_outside(&app, input).await;
    let page = app
        .client
        .get(app.url(&format!("/principles/confirm?token={token}")))
        .send()
        .await
        .expect("the page");
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("<form method=\"post\">"),
        "opening the link signs nobody up"
    );
    let waiting = app
        .ok(Some(&w.staff.access_token), PUBLIC_LIST, json!({}))
        .await;
    assert_eq!(
        waiting["signatories"]["totalCount"], 0,
        "not before it is confirmed"
    );

    let id = confirmed(&app, &w.staff, &token).await;
    let elsewhere = app
        .gql(
            Some(&w.london_staff.access_token),
            "mutation($id: ID!) { approveSignatory(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&elsewhere), "FORBIDDEN");
    let approved = app
        .ok(
            Some(&w.staff.access_token),
            "mutation($id: ID!) { approveSignatory(id: $id) { status signatoryName email } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(
        approved["approveSignatory"],
        json!({ "status": "APPROVED", "signatoryName": "Nadia Rahman",
                "email": "nadia@hopestreet.example.org" })
    );
    let mail = app.wait_for_mail("nadia@hopestreet.example.org", 2).await;
    let manage = link(mail.last().expect("approval"), "/principles/manage");
    let page = app.client.get(&manage).send().await.expect("the page");
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("Hope Street Shelter"),
        "the manage link opens the organisation's page"
    );
    let public = app.ok(None, PUBLIC_LIST, json!({})).await;
    assert_eq!(names(&public), ["Hope Street Shelter"]);

    let rejected_token = signed_outside(
        &app,
        outside_form(
            "Quick Visa Ltd",
            "sales@quickvisa.example.org",
            Some(&w.north_west),
            true,
        ),
    )
    .await;
    let rejected_id = confirmed(&app, &w.staff, &rejected_token).await;
    let rejected = app
        .ok(
            Some(&w.staff.access_token),
            "mutation($id: ID!) { rejectSignatory(id: $id, reason: \"We list organisations that help without charge.\") { status } }",
            json!({ "id": rejected_id }),
        )
        .await;
    assert_eq!(rejected["rejectSignatory"]["status"], "REJECTED");
    let told = app.wait_for_mail("sales@quickvisa.example.org", 2).await;
    assert!(
        told.last()
            .is_some_and(|mail| mail.contains("help without charge")),
        "the organisation is told why"
    );
    let public = app.ok(None, PUBLIC_LIST, json!({})).await;
    assert_eq!(names(&public), ["Hope Street Shelter"]);

    let withdrawn = app
        .ok(
            None,
            "mutation($id: ID!, $t: String) { withdrawSignature(id: $id, token: $t) { status } }",
            json!({ "id": id, "t": token_from_url(&manage) }),
        )
        .await;
    assert_eq!(
        withdrawn["withdrawSignature"]["status"], "WITHDRAWN",
        "the manage link's holder withdraws without an account"
    );
    let public = app.ok(None, PUBLIC_LIST, json!({})).await;
    assert_eq!(public["signatories"]["totalCount"], 0);
}

#[tokio::test]
async fn bad_signatures_are_refused_and_nothing_is_written() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut no_role = outside_form("Group A", "a@group.example.org", None, true);
    no_role["signatoryRole"] = json!("  ");
    let mut bad_email = outside_form("Group B", "not-an-address", None, true);
    bad_email["email"] = json!("not-an-address");
    let mut bad_site = outside_form("Group C", "c@group.example.org", None, true);
    bad_site["website"] = json!("javascript:alert(1)");
    let mut mixed = outside_form("Group D", "d@group.example.org", None, true);
    mixed["partnerId"] = json!(w.partners[0]);
    for (input, field) in [
        (no_role, "signatoryRole"),
        (bad_email, "email"),
        (bad_site, "website"),
        (mixed, "partnerId"),
    ] {
        let refused = app
            .gql(
                Some(&w.members[0].access_token),
                SIGN,
                json!({ "i": input }),
            )
            .await;
        assert_eq!(error_code(&refused), "BAD_USER_INPUT", "{refused}");
        assert_eq!(error_field(&refused), field);
    }
    let listed = app
        .ok(
            Some(&w.admin.access_token),
            "{ signatories(filter: { status: UNCONFIRMED }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["signatories"]["totalCount"], 0,
        "nothing was written"
    );
    assert!(
        app.mailbox()
            .iter()
            .all(|mail| !mail.contains("Early Action"))
    );
}

#[tokio::test]
async fn a_signatory_assesses_itself_year_after_year_and_sees_its_progress() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let shelter = approved_outside(
        &app,
        &w.staff,
        outside_form(
            "Hope Street Shelter",
            "nadia@hopestreet.example.org",
            Some(&w.north_west),
            false,
        ),
    )
    .await;
    let indicators = indicator_ids(&app).await;
    let first_wording = app
        .ok(None, "{ principles { indicators { text } } }", json!({}))
        .await["principles"][0]["indicators"][0]["text"]
        .clone();

    let started = app
        .ok(
            None,
            "mutation($s: ID!, $t: String) { startSelfAssessment(signatoryId: $s, token: $t) { id } }",
            json!({ "s": shelter.id, "t": shelter.manage }),
        )
        .await;
    let first = started["startSelfAssessment"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let save = "mutation($id: ID!, $a: [AnswerInput!]!, $t: String) {
        saveSelfAssessment(id: $id, answers: $a, token: $t) { answers { level } } }";
    let part = app
        .ok(
            None,
            save,
            json!({ "id": first, "t": shelter.manage, "a": [
                { "indicatorId": indicators[0], "level": "PLANNING", "note": "A pilot with the council",
                  "evidenceUrl": "https://hopestreet.example.org/pilot" } ] }),
        )
        .await;
    assert_eq!(
        part["saveSelfAssessment"]["answers"],
        json!([{ "level": "PLANNING" }])
    );
    let early = app
        .gql(
            None,
            "mutation($id: ID!, $t: String) { submitSelfAssessment(id: $id, token: $t) { id } }",
            json!({ "id": first, "t": shelter.manage }),
        )
        .await;
    assert_eq!(
        error_code(&early),
        "BAD_USER_INPUT",
        "every indicator is answered first"
    );
    app.ok(
        None,
        save,
        json!({ "id": first, "t": shelter.manage, "a": indicators.iter().skip(1)
            .map(|i| json!({ "indicatorId": i, "level": "PLANNING" })).collect::<Vec<_>>() }),
    )
    .await;
    app.ok(
        None,
        "mutation($id: ID!, $t: String) { submitSelfAssessment(id: $id, token: $t) { submittedAt } }",
        json!({ "id": first, "t": shelter.manage }),
    )
    .await;
    let after = app
        .gql(
            None,
            save,
            json!({ "id": first, "t": shelter.manage, "a": [{ "indicatorId": indicators[0], "level": "EMBEDDED" }] }),
        )
        .await;
    assert_eq!(
        error_code(&after),
        "CONFLICT",
        "a submitted assessment is read-only"
    );

    let reworded = app
        .ok(
            Some(&w.admin.access_token),
            "mutation($id: ID!) { updateIndicator(id: $id, text: \"We reach people in the first weeks of their claim.\") {
                indicators { id text } } }",
            json!({ "id": indicators[0] }),
        )
        .await;
    let new_first = reworded["updateIndicator"]["indicators"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    assert_ne!(
        new_first, indicators[0],
        "an edited indicator is a new version"
    );
    let next = app
        .gql(
            None,
            "mutation($s: ID!, $t: String) { startSelfAssessment(signatoryId: $s, token: $t) { id } }",
            json!({ "s": shelter.id, "t": shelter.manage }),
        )
        .await;
    let second = next["data"]["startSelfAssessment"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let wrong_version = app
        .gql(
            None,
            save,
            json!({ "id": second, "t": shelter.manage, "a": [{ "indicatorId": indicators[0], "level": "DOING" }] }),
        )
        .await;
    assert_eq!(
        error_code(&wrong_version),
        "BAD_USER_INPUT",
        "an answer for an indicator of another version is refused"
    );
    let mut current = indicators.clone();
    current[0] = new_first;
    let levels = ["EMBEDDED", "NOT_STARTED", "PLANNING"];
    app.ok(
        None,
        save,
        json!({ "id": second, "t": shelter.manage, "a": current.iter().enumerate()
            .map(|(i, id)| json!({ "indicatorId": id, "level": levels[i % 3] })).collect::<Vec<_>>() }),
    )
    .await;
    app.ok(
        None,
        "mutation($id: ID!, $t: String) { submitSelfAssessment(id: $id, token: $t) { id } }",
        json!({ "id": second, "t": shelter.manage }),
    )
    .await;

    let progress = app.ok(None, PROGRESS, json!({ "t": shelter.manage })).await;
    let early_action = &progress["signatory"]["progress"]["principles"][0];
    assert_eq!(early_action["principle"]["key"], "EARLY_ACTION");
    assert_eq!(
        (
            &early_action["up"],
            &early_action["down"],
            &early_action["same"]
        ),
        (&json!(1), &json!(1), &json!(1)),
        "{early_action}"
    );
    let reached = &early_action["indicators"][0];
    assert_eq!(reached["change"], "UP");
    assert_eq!(reached["level"], "EMBEDDED");
    assert_eq!(reached["previousLevel"], "PLANNING");
    assert_eq!(
        reached["indicator"]["text"],
        "We reach people in the first weeks of their claim."
    );
    assert_eq!(
        reached["previousIndicator"]["text"], first_wording,
        "each side shows the wording that was answered"
    );

    let staff_view = app
        .gql(
            Some(&w.staff.access_token),
            &format!(
                "query($id: ID) {{ signatory(id: $id) {{ email assessments {{ {ASSESSMENT} }} }} }}"
            ),
            json!({ "id": shelter.id }),
        )
        .await;
    assert_eq!(
        error_code(&staff_view),
        "FORBIDDEN",
        "staff see contact details but not one organisation's assessments"
    );
    let own_view = app
        .ok(
            None,
            &format!(
                "query($t: String) {{ signatory(token: $t) {{ assessments {{ {ASSESSMENT} }} }} }}"
            ),
            json!({ "t": shelter.manage }),
        )
        .await;
    let assessments = own_view["signatory"]["assessments"]
        .as_array()
        .expect("list");
    assert_eq!(assessments.len(), 2);
    assert_eq!(
        assessments[1]["answers"]
            .as_array()
            .expect("answers")
            .iter()
            .find(|a| a["indicator"]["id"] == json!(indicators[0]))
            .map(|a| a["indicator"]["text"].clone()),
        Some(first_wording),
        "an assessment always shows the wording that was answered"
    );
}

#[tokio::test]
async fn signatories_are_invited_to_reassess_each_year() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let shelter = approved_outside(
        &app,
        &w.staff,
        outside_form(
            "Hope Street Shelter",
            "nadia@hopestreet.example.org",
            Some(&w.north_west),
            true,
        ),
    )
    .await;
    let indicators = indicator_ids(&app).await;
    assessed(
        &app,
        As::Link(&shelter.manage),
        &shelter.id,
        &indicators,
        |_| "DOING",
    )
    .await;
    let before = app.mail_to("nadia@hopestreet.example.org").len();
    app.clock.advance(Duration::days(300));
    app.wait_for_outbox_idle().await;
    assert_eq!(
        app.mail_to("nadia@hopestreet.example.org").len(),
        before,
        "not before a year has passed"
    );
    app.clock.advance(Duration::days(70));
    let mail = app
        .wait_for_mail("nadia@hopestreet.example.org", before + 1)
        .await;
    let invitation = mail.last().expect("an invitation");
    assert!(invitation.contains("assess"), "{invitation}");
    assert!(invitation.contains("/principles/manage?token="));
    app.clock.advance(Duration::days(30));
    app.wait_for_outbox_idle().await;
    assert_eq!(
        app.mail_to("nadia@hopestreet.example.org").len(),
        before + 1,
        "once a year, not every round"
    );
}

/// Ten North West organisations: first all at PLANNING, then three NOT_STARTED, two PLANNING
/// and five DOING on every indicator.
const LATEST: [&str; 10] = [
    "NOT_STARTED",
    "NOT_STARTED",
    "NOT_STARTED",
    "PLANNING",
    "PLANNING",
    "DOING",
    "DOING",
    "DOING",
    "DOING",
    "DOING",
];

pub async fn ten_assessed_twice(app: &TestApp, w: &World) -> Vec<Outside> {
    let indicators = indicator_ids(app).await;
    let mut signatories = Vec::new();
    for (n, latest) in LATEST.iter().enumerate() {
        let org = approved_outside(
            app,
            &w.staff,
            outside_form(
                &format!("Network Group {n}"),
                &format!("director{n}@group{n}.example.org"),
                Some(&w.north_west),
                n % 2 == 0,
            ),
        )
        .await;
        assessed(
            app,
            As::Link(&org.manage),
            &org.id,
            &indicators,
            |_| "PLANNING",
        )
        .await;
        assessed(app, As::Link(&org.manage), &org.id, &indicators, |_| latest).await;
        signatories.push(org);
    }
    signatories
}

fn figure(value: &Value) -> Option<i64> {
    value["count"].as_i64()
}

#[tokio::test]
async fn the_report_withholds_small_figures_so_none_can_be_worked_out() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    ten_assessed_twice(&app, &w).await;

    let exact = app
        .ok(
            Some(&w.admin.access_token),
            REPORT,
            json!({ "r": w.north_west }),
        )
        .await;
    let row = &exact["principlesReport"]["principles"][0]["indicators"][0];
    assert_eq!(
        row["levels"],
        json!([
            { "level": "NOT_STARTED", "count": 3, "suppressed": false },
            { "level": "PLANNING", "count": 2, "suppressed": false },
            { "level": "DOING", "count": 5, "suppressed": false },
            { "level": "EMBEDDED", "count": 0, "suppressed": false },
        ]),
        "admins see every figure"
    );
    assert_eq!(
        (
            figure(&row["movedUp"]),
            figure(&row["movedDown"]),
            figure(&row["stayedSame"])
        ),
        (Some(5), Some(3), Some(2))
    );

    let public = app.ok(None, REPORT, json!({})).await;
    let report = &public["principlesReport"];
    assert_eq!(
        report["assessed"],
        json!({ "count": 10, "suppressed": false })
    );
    let row = &report["principles"][0]["indicators"][0];
    assert_eq!(
        row["levels"],
        json!([
            { "level": "NOT_STARTED", "count": null, "suppressed": true },
            { "level": "PLANNING", "count": null, "suppressed": true },
            { "level": "DOING", "count": 5, "suppressed": false },
            { "level": "EMBEDDED", "count": null, "suppressed": true },
        ]),
        "three, two and none are drawn from fewer than five organisations"
    );
    let assessed = report["assessed"]["count"].as_i64().expect("assessed");
    for principle in report["principles"].as_array().expect("principles") {
        for row in principle["indicators"].as_array().expect("indicators") {
            let levels = row["levels"].as_array().expect("levels");
            let withheld = levels.iter().filter(|l| l["suppressed"] == true).count();
            let shown: i64 = levels.iter().filter_map(figure).sum();
            assert_ne!(
                withheld, 1,
                "a lone withheld figure is the total minus the rest: {row}"
            );
            if withheld > 0 {
                assert!(
                    assessed - shown >= 5,
                    "the withheld figures together come from five or more: {row}"
                );
            }
            for level in levels {
                assert!(level["suppressed"] == true || figure(level).is_some_and(|n| n >= 5));
            }
        }
    }
    let text = public.to_string();
    for private in ["Nadia Rahman", "Director", "@", "Network Group"] {
        assert!(
            !text.contains(private),
            "the report never names anyone: {private}"
        );
    }
    assert_eq!(
        report["needsLearning"],
        json!([]),
        "half are at DOING, so no principle has most signatories at NOT_STARTED or PLANNING"
    );

    let region = app
        .ok(
            Some(&w.staff.access_token),
            REPORT,
            json!({ "r": w.north_west }),
        )
        .await;
    assert_eq!(region["principlesReport"]["region"]["slug"], "north-west");
    for (who, token) in [
        ("the public", None),
        (
            "another region's staff",
            Some(w.london_staff.access_token.as_str()),
        ),
        ("a partner member", Some(w.members[0].access_token.as_str())),
    ] {
        let refused = app.gql(token, REPORT, json!({ "r": w.north_west })).await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{who}");
    }
}

#[tokio::test]
async fn the_public_list_never_shows_a_person() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    approved_outside(
        &app,
        &w.staff,
        outside_form(
            "Hope Street Shelter",
            "nadia@hopestreet.example.org",
            Some(&w.north_west),
            true,
        ),
    )
    .await;
    let everything = "{ signatories { edges { node { organisationName town website signedAt
        signatoryName signatoryRole email status rejectionReason withdrawalReason
        region { slug } partner { name } } } } }";
    let public = app.ok(None, everything, json!({})).await;
    assert_eq!(names(&public), ["Hope Street Shelter"]);
    let text = public.to_string();
    for private in [
        "Nadia Rahman",
        "Director",
        "nadia@hopestreet.example.org",
        "APPROVED",
    ] {
        assert!(!text.contains(private), "{private} is not public: {text}");
    }
    let by_search = app
        .ok(
            None,
            PUBLIC_LIST,
            json!({ "f": { "search": "hope", "regionId": w.north_west } }),
        )
        .await;
    assert_eq!(names(&by_search), ["Hope Street Shelter"]);
    let other_region = app
        .ok(None, PUBLIC_LIST, json!({ "f": { "regionId": w.london } }))
        .await;
    assert_eq!(other_region["signatories"]["totalCount"], 0);
    let by_status = app
        .gql(
            None,
            "{ signatories(filter: { status: PENDING }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(error_code(&by_status), "FORBIDDEN");
}

#[tokio::test]
async fn staff_export_their_regions_signatories_as_a_safe_csv() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    approved_outside(
        &app,
        &w.staff,
        outside_form(
            "=HYPERLINK(\"http://evil.example\")",
            "nadia@hopestreet.example.org",
            Some(&w.north_west),
            false,
        ),
    )
    .await;
    let exported = app
        .ok(
            Some(&w.staff.access_token),
            "mutation($r: ID) { exportSignatoriesCsv(regionId: $r) { filename csv rowCount } }",
            json!({ "r": w.north_west }),
        )
        .await;
    let export = &exported["exportSignatoriesCsv"];
    assert_eq!(export["rowCount"], 1);
    let csv = export["csv"].as_str().expect("csv");
    assert!(
        csv.starts_with("organisation,status,listed,region"),
        "{csv}"
    );
    assert!(csv.contains("nadia@hopestreet.example.org"));
    assert!(csv.contains("\"'=HYPERLINK"), "a formula is defused: {csv}");
    assert!(
        export["filename"]
            .as_str()
            .is_some_and(|name| name.starts_with("signatories-north-west-"))
    );
    let audit = app
        .ok(
            Some(&w.admin.access_token),
            "{ auditLog(first: 5) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    assert!(
        audit.to_string().contains("signatories.export"),
        "the export is recorded: {audit}"
    );
    for (who, token, region) in [
        (
            "another region's staff",
            &w.london_staff,
            Some(&w.north_west),
        ),
        ("staff, for every region", &w.staff, None),
        ("a partner member", &w.members[0], Some(&w.north_west)),
    ] {
        let refused = app
            .gql(
                Some(&token.access_token),
                "mutation($r: ID) { exportSignatoriesCsv(regionId: $r) { csv } }",
                json!({ "r": region }),
            )
            .await;
        assert_eq!(error_code(&refused), "FORBIDDEN", "{who}");
    }
}
