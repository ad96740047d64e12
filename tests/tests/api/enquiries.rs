//! Organisations ask to work with the charity: they confirm their address, the right staff
//! are told and decide, and the organisation becomes a partner whose contact is invited in.

use serde_json::{Value, json};
use tests::{TestApp, error_code, error_field, link, token_from_url};

use crate::world::{World, world};

const REQUEST: &str =
    "mutation($i: RequestPartnershipInput!) { requestPartnership(input: $i) { message } }";
const LIST: &str =
    "query($f: EnquiryFilter) { partnershipEnquiries(filter: $f) { totalCount edges { node {
    id organisationName status town region { slug } goals { slug } contactEmail
    likelyDuplicates { name matchedOn partner { name } enquiryId } } } } }";

fn enquiry(name: &str, email: &str, region: Option<&str>) -> Value {
    json!({
        "organisationName": name,
        "kind": "FAITH_GROUP",
        "town": "Bolton",
        "regionId": region,
        "website": "https://stjohns.example.org/",
        "description": "A church hall drop-in on Thursdays.",
        "contactName": "Grace Okafor",
        "contactEmail": email,
        "message": "We would like to join your campaigns on asylum support.",
    })
}

/// Asks, then confirms from the emailed link's page; returns the enquiry's id as staff see it.
async fn asked_and_confirmed(app: &TestApp, w: &World, input: Value) -> Value {
    let email = input["contactEmail"].as_str().expect("an email").to_owned();
    let name = input["organisationName"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    let before = app.mail_to(&email).len();
    let asked = app.ok(None, REQUEST, json!({ "i": input })).await;
    assert!(
        asked["requestPartnership"]["message"]
            .as_str()
            .is_some_and(|message| message.contains("Check your inbox"))
    );
    let mail = app.wait_for_mail(&email, before + 1).await;
    assert!(
        !mail.last().is_some_and(|mail| mail.contains(&name)),
        "nothing the asker typed goes to an address that has not confirmed"
    );
    let url = link(mail.last().expect("the confirmation"), "/enquiries/confirm");
    assert!(url.contains("/enquiries/confirm?token="), "{url}");
    let page = app.client.get(&url).send().await.expect("the page");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("<form method=\"post\">"),
        "following the link confirms nothing by itself"
    );
    let listed = app.ok(Some(&w.admin.access_token), LIST, json!({})).await;
    let unconfirmed = listed["partnershipEnquiries"]["totalCount"].clone();
    let confirmed = app
        .client
        .post(&url)
        .form(&[("token", token_from_url(&url))])
        .send()
        .await
        .expect("an answer");
    assert_eq!(confirmed.status(), 200);
    let listed = app.ok(Some(&w.admin.access_token), LIST, json!({})).await;
    assert_eq!(
        listed["partnershipEnquiries"]["totalCount"],
        unconfirmed.as_u64().unwrap_or_default() + 1,
        "it reaches staff only once confirmed"
    );
    listed["partnershipEnquiries"]["edges"][0]["node"].clone()
}

#[tokio::test]
async fn an_organisation_asks_confirms_and_the_regions_staff_make_it_a_partner() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let mut input = enquiry(
        "St John's Welcome",
        "grace@stjohns.example.org",
        Some(&w.north_west),
    );
    input["goalIds"] = json!([w.goals[0], w.goals[6]]);
    let shown = asked_and_confirmed(&app, &w, input).await;
    assert_eq!(shown["status"], "OPEN");
    assert_eq!(shown["region"]["slug"], "north-west");
    assert_eq!(
        shown["goals"],
        json!([{ "slug": "end-destitution" }, { "slug": "welcome-and-english" }])
    );
    let told = app.wait_for_mail("ben@charity.example.org", 2).await;
    assert!(
        told.iter().any(|mail| mail.contains("St John's Welcome")),
        "the region's staff are told"
    );
    let elsewhere = app
        .ok(Some(&w.london_staff.access_token), LIST, json!({}))
        .await;
    assert_eq!(elsewhere["partnershipEnquiries"]["totalCount"], 0);
    assert_eq!(
        error_code(
            &app.gql(Some(&w.members[0].access_token), LIST, json!({}))
                .await
        ),
        "FORBIDDEN"
    );

    let accepted = app
        .ok(
            Some(&w.staff.access_token),
            "mutation($id: ID!) { acceptPartnershipEnquiry(id: $id, status: ACTIVE) {
                status partner { name status contactEmail region { slug } } } }",
            json!({ "id": shown["id"] }),
        )
        .await;
    let partner = &accepted["acceptPartnershipEnquiry"]["partner"];
    assert_eq!(accepted["acceptPartnershipEnquiry"]["status"], "ACCEPTED");
    assert_eq!(
        partner,
        &json!({ "name": "St John's Welcome", "status": "ACTIVE",
                 "contactEmail": "grace@stjohns.example.org", "region": { "slug": "north-west" } })
    );
    let mail = app.wait_for_mail("grace@stjohns.example.org", 2).await;
    let invitation = link(mail.last().expect("an invitation"), "/invitations/accept");
    let joined = app
        .ok(
            None,
            "mutation($t: String!) { acceptInvitation(token: $t, name: \"Grace\", password: \"a long enough password\") {
                user { partner { name } } } }",
            json!({ "t": token_from_url(&invitation) }),
        )
        .await;
    assert_eq!(
        joined["acceptInvitation"]["user"]["partner"]["name"],
        "St John's Welcome"
    );
    let again = app
        .gql(
            Some(&w.staff.access_token),
            "mutation($id: ID!) { declinePartnershipEnquiry(id: $id, reason: \"Changed our minds\") { status } }",
            json!({ "id": shown["id"] }),
        )
        .await;
    assert_eq!(error_code(&again), "CONFLICT", "a decision is final");
    let log = app
        .ok(
            Some(&w.admin.access_token),
            "{ auditLog(first: 5) { edges { node { action } } } }",
            json!({}),
        )
        .await;
    assert!(log.to_string().contains("enquiry.accept"), "{log}");
}

#[tokio::test]
async fn with_no_region_the_national_team_decides_and_a_decline_is_explained() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let shown = asked_and_confirmed(
        &app,
        &w,
        enquiry("Highland Sanctuary", "iona@highland.example.org", None),
    )
    .await;
    let told = app.wait_for_mail(tests::ADMIN_EMAIL, 1).await;
    assert!(told.iter().any(|mail| mail.contains("Highland Sanctuary")));
    let by_staff = app
        .gql(
            Some(&w.staff.access_token),
            "mutation($id: ID!) { declinePartnershipEnquiry(id: $id, reason: \"No\") { status } }",
            json!({ "id": shown["id"] }),
        )
        .await;
    assert_eq!(
        error_code(&by_staff),
        "NOT_FOUND",
        "regional staff do not see it"
    );
    let declined = app
        .ok(
            Some(&w.admin.access_token),
            "mutation($id: ID!) { declinePartnershipEnquiry(id: $id,
                reason: \"We have no staff in Scotland yet; our Scottish partners can help.\") {
                status decisionReason decidedBy { name } } }",
            json!({ "id": shown["id"] }),
        )
        .await;
    assert_eq!(declined["declinePartnershipEnquiry"]["status"], "DECLINED");
    let mail = app.wait_for_mail("iona@highland.example.org", 2).await;
    let reply = mail.last().expect("a reply");
    assert!(
        reply.contains("We have no staff in Scotland yet"),
        "{reply}"
    );
    assert!(reply.contains("Dear Grace Okafor"));
}

#[tokio::test]
async fn an_organisation_that_looks_known_is_flagged_not_refused() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    app.partner(
        &w.admin,
        json!({ "name": "St Johns Hall", "regionId": w.north_west, "website": "https://stjohns.example.org/" }),
    )
    .await;
    asked_and_confirmed(
        &app,
        &w,
        enquiry(
            "Bolton Welcome Hub",
            "first@example.org",
            Some(&w.north_west),
        ),
    )
    .await;
    let mut same_name = enquiry(
        "Bolton  welcome hub",
        "second@example.org",
        Some(&w.north_west),
    );
    same_name["website"] = Value::Null;
    let shown = asked_and_confirmed(&app, &w, same_name).await;
    let duplicates = shown["likelyDuplicates"].as_array().expect("a list");
    assert!(
        duplicates
            .iter()
            .any(|found| found["matchedOn"] == "NAME_AND_TOWN" && found["enquiryId"].is_string()),
        "the same name and town as another open enquiry: {duplicates:?}"
    );
    let first = app.ok(Some(&w.staff.access_token), LIST, json!({})).await["partnershipEnquiries"]
        ["edges"][1]["node"]["likelyDuplicates"]
        .clone();
    assert!(
        first
            .as_array()
            .expect("a list")
            .iter()
            .any(|found| found["matchedOn"] == "WEBSITE"
                && found["partner"]["name"] == "St Johns Hall"),
        "the same website as a partner: {first}"
    );
}

#[tokio::test]
async fn the_answer_never_tells_and_floods_are_stopped() {
    let app = TestApp::spawn_with(|settings| {
        settings.enquiries_per_hour = std::num::NonZeroU32::new(10).expect("not zero");
    })
    .await;
    let w = world(&app).await;
    let known = app
        .ok(
            None,
            REQUEST,
            json!({ "i": enquiry("Bolton Welcome Hub", "a@example.org", Some(&w.north_west)) }),
        )
        .await;
    let unknown = app
        .ok(
            None,
            REQUEST,
            json!({ "i": enquiry("Quite New Group", "b@example.org", Some(&w.north_west)) }),
        )
        .await;
    assert_eq!(
        known, unknown,
        "the same answer whether or not the organisation is known"
    );
    for _ in 0..3 {
        app.ok(
            None,
            REQUEST,
            json!({ "i": enquiry("Again", "a@example.org", None) }),
        )
        .await;
    }
    app.wait_for_outbox_idle().await;
    assert_eq!(
        app.mail_to("a@example.org").len(),
        3,
        "three confirmation requests an hour to one address, no more"
    );
    let mut last = Value::Null;
    for i in 0..6 {
        last = app
            .gql(
                None,
                REQUEST,
                json!({ "i": enquiry("Flood", &format!("flood{i}@example.org"), None) }),
            )
            .await;
    }
    assert_eq!(
        error_code(&last),
        "RATE_LIMITED",
        "ten enquiries an hour from one address"
    );
}

#[tokio::test]
async fn bad_enquiries_name_the_field_and_send_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let cases: [(&str, Value, &str); 7] = [
        ("organisationName", json!("Two\nlines"), "organisationName"),
        ("website", json!("javascript:alert(1)"), "website"),
        ("contactEmail", json!("\"a b\"@example.org"), "contactEmail"),
        ("message", json!("   "), "message"),
        ("regionId", json!("999"), "regionId"),
        ("goalIds", json!(["999"]), "goalIds"),
        ("contactName", json!("\u{202e}evil"), "contactName"),
    ];
    for (key, value, field) in cases {
        let mut input = enquiry("Fine Name", "bad@example.org", Some(&w.north_west));
        input[key] = value;
        let refused = app.gql(None, REQUEST, json!({ "i": input })).await;
        assert_eq!(
            (error_code(&refused), error_field(&refused)),
            ("BAD_USER_INPUT", field),
            "{key}: {refused}"
        );
    }
    app.wait_for_outbox_idle().await;
    assert!(
        app.mail_to("bad@example.org").is_empty(),
        "nothing was written or sent"
    );
}

#[tokio::test]
async fn the_confirmation_expires() {
    let app = TestApp::spawn().await;
    app.ok(
        None,
        REQUEST,
        json!({ "i": enquiry("Late Group", "late@example.org", None) }),
    )
    .await;
    let mail = app.wait_for_mail("late@example.org", 1).await;
    let token = token_from_url(&link(&mail[0], "/enquiries/confirm"));
    app.clock.advance(chrono::Duration::days(8));
    let late = app
        .gql(
            None,
            "mutation($t: String!) { confirmPartnershipEnquiry(token: $t) }",
            json!({ "t": token }),
        )
        .await;
    assert_eq!(
        (error_code(&late), error_field(&late)),
        ("BAD_USER_INPUT", "token")
    );
}

#[tokio::test]
async fn a_likely_duplicate_in_another_region_is_not_named_to_staff_who_cannot_read_it() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    asked_and_confirmed(
        &app,
        &w,
        enquiry(
            "St John's Welcome",
            "grace@stjohns.example.org",
            Some(&w.north_west),
        ),
    )
    .await;
    asked_and_confirmed(
        &app,
        &w,
        enquiry(
            "St John's London",
            "ade@stjohns.example.org",
            Some(&w.london),
        ),
    )
    .await;
    let london = app
        .ok(Some(&w.london_staff.access_token), LIST, json!({}))
        .await;
    let node = &london["partnershipEnquiries"]["edges"][0]["node"];
    assert_eq!(node["organisationName"], "St John's London");
    assert_eq!(
        node["likelyDuplicates"],
        json!([]),
        "the North West enquiry is not London's to read"
    );
    let admin = app
        .ok(
            Some(&w.admin.access_token),
            LIST,
            json!({ "f": { "regionId": w.london } }),
        )
        .await;
    assert_eq!(
        admin["partnershipEnquiries"]["edges"][0]["node"]["likelyDuplicates"][0]["name"],
        "St John's Welcome",
        "admins see it"
    );
}
