use serde_json::{Value, json};
use tests::{Session, TestApp, error_code, error_field};

use crate::world::{PARTNER_NAMES, names, world};

const REQUEST: &str = "mutation($i: RequestSupportInput!) { requestSupport(input: $i) { id status partner { name } } }";
const DECIDE: &str = "mutation($id: ID!, $s: SupportStatus!, $r: String) {
    updateSupportRequest(id: $id, status: $s, reason: $r) { status reason decidedBy { email } } }";
const MINE: &str =
    "{ supportRequests { totalCount edges { node { title status reason partner { name } } } } }";

async fn request(app: &TestApp, member: &Session, title: &str) -> String {
    let data = app
        .ok(
            Some(&member.access_token),
            REQUEST,
            json!({ "i": { "kind": "OWN_CAMPAIGN", "title": title, "description": "A march to the town hall in March." } }),
        )
        .await;
    assert_eq!(data["requestSupport"]["status"], "SUBMITTED");
    data["requestSupport"]["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn decide(
    app: &TestApp,
    who: &Session,
    id: &str,
    status: &str,
    reason: Option<&str>,
) -> Value {
    app.gql(
        Some(&who.access_token),
        DECIDE,
        json!({ "id": id, "s": status, "r": reason }),
    )
    .await
}

#[tokio::test]
async fn the_regions_staff_accept_a_request_and_the_partner_sees_it_done() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = request(&app, &w.members[0], "Support our town hall march").await;
    let accepted = decide(&app, &w.staff, &id, "ACCEPTED", None).await;
    assert_eq!(
        accepted["data"]["updateSupportRequest"]["status"], "ACCEPTED",
        "{accepted}"
    );
    assert_eq!(
        accepted["data"]["updateSupportRequest"]["decidedBy"]["email"],
        "ben@charity.example.org"
    );
    decide(&app, &w.staff, &id, "DONE", None).await;
    let mine = app
        .ok(Some(&w.members[0].access_token), MINE, json!({}))
        .await;
    assert_eq!(
        mine["supportRequests"]["edges"][0]["node"]["status"],
        "DONE"
    );
}

#[tokio::test]
async fn declining_needs_a_reason_which_the_partner_reads() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = request(&app, &w.members[1], "Back our petition").await;
    let no_reason = decide(&app, &w.staff, &id, "DECLINED", None).await;
    assert_eq!(
        (error_code(&no_reason), error_field(&no_reason)),
        ("BAD_USER_INPUT", "reason")
    );
    decide(
        &app,
        &w.staff,
        &id,
        "DECLINED",
        Some("It concerns one person's case; we campaign on policy."),
    )
    .await;
    let mine = app
        .ok(Some(&w.members[1].access_token), MINE, json!({}))
        .await;
    assert_eq!(
        mine["supportRequests"]["edges"][0]["node"]["reason"],
        "It concerns one person's case; we campaign on policy."
    );
}

#[tokio::test]
async fn requests_move_only_forward() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = request(&app, &w.members[0], "Help").await;
    assert_eq!(
        error_code(&decide(&app, &w.staff, &id, "DONE", None).await),
        "CONFLICT"
    );
    assert_eq!(
        error_code(&decide(&app, &w.staff, &id, "SUBMITTED", None).await),
        "BAD_USER_INPUT"
    );
    decide(&app, &w.staff, &id, "DECLINED", Some("Not now")).await;
    assert_eq!(
        error_code(&decide(&app, &w.staff, &id, "ACCEPTED", None).await),
        "CONFLICT"
    );
}

#[tokio::test]
async fn each_request_is_triaged_by_its_regions_staff_or_the_national_team() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let regional = request(&app, &w.members[0], "North West request").await;
    let national = request(&app, &w.members[4], "Glasgow request").await;
    assert_eq!(
        error_code(&decide(&app, &w.london_staff, &regional, "ACCEPTED", None).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&decide(&app, &w.members[0], &regional, "ACCEPTED", None).await),
        "FORBIDDEN"
    );
    assert_eq!(
        error_code(&decide(&app, &w.staff, &national, "ACCEPTED", None).await),
        "FORBIDDEN"
    );
    assert_eq!(
        decide(&app, &w.admin, &national, "ACCEPTED", None).await["data"]["updateSupportRequest"]["status"],
        "ACCEPTED"
    );

    let staff_view = app.ok(Some(&w.staff.access_token), MINE, json!({})).await;
    assert_eq!(
        names(&staff_view["supportRequests"]["edges"]),
        [PARTNER_NAMES[0]]
    );
    let other_member = app
        .ok(Some(&w.members[1].access_token), MINE, json!({}))
        .await;
    assert_eq!(other_member["supportRequests"]["totalCount"], 0);
    let admin_view = app.ok(Some(&w.admin.access_token), MINE, json!({})).await;
    assert_eq!(admin_view["supportRequests"]["totalCount"], 2);
}

#[tokio::test]
async fn only_partner_members_ask_for_support_with_proper_input() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let by_staff = app
        .gql(
            Some(&w.staff.access_token),
            REQUEST,
            json!({ "i": { "kind": "PRIORITY_ISSUE", "title": "t", "description": "d" } }),
        )
        .await;
    assert_eq!(error_code(&by_staff), "FORBIDDEN");
    for (input, field) in [
        (
            json!({ "kind": "PRIORITY_ISSUE", "title": "", "description": "d" }),
            "title",
        ),
        (
            json!({ "kind": "PRIORITY_ISSUE", "title": "t", "description": " " }),
            "description",
        ),
        (
            json!({ "kind": "PRIORITY_ISSUE", "title": "t", "description": "d", "campaignId": "9999" }),
            "campaignId",
        ),
    ] {
        let body = app
            .gql(
                Some(&w.members[0].access_token),
                REQUEST,
                json!({ "i": input }),
            )
            .await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            ("BAD_USER_INPUT", field)
        );
    }
}

#[tokio::test]
async fn staff_see_a_partners_whole_engagement() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    w.opt_in(&app, 0, &action, None).await;
    let position = w.position(&app, &campaign, "PARTNER_BACKED", "Text.").await;
    w.request_approval(&app, &position, &[0]).await;
    w.respond(&app, 0, &position, "DECLINE", 1).await;
    request(&app, &w.members[0], "Support our march").await;

    let query = "query($id: ID!) { partner(id: $id) {
        jointActionHistory { edges { node { change action { title } } } }
        positionResponses { edges { node { decision version position { title } } } }
        supportRequests { edges { node { title status } } } } }";
    let data = app
        .ok(
            Some(&w.staff.access_token),
            query,
            json!({ "id": w.partners[0] }),
        )
        .await;
    let partner = &data["partner"];
    assert_eq!(
        partner["jointActionHistory"]["edges"],
        json!([{ "node": { "change": "OPTED_IN", "action": { "title": "Write to your MP" } } }])
    );
    assert_eq!(
        partner["positionResponses"]["edges"],
        json!([{ "node": { "decision": "DECLINE", "version": 1, "position": { "title": "Lift the ban" } } }])
    );
    assert_eq!(
        partner["supportRequests"]["edges"],
        json!([{ "node": { "title": "Support our march", "status": "SUBMITTED" } }])
    );

    let own = app
        .ok(
            Some(&w.members[0].access_token),
            query,
            json!({ "id": w.partners[0] }),
        )
        .await;
    assert_eq!(
        own["partner"], data["partner"],
        "members see their own organisation's history"
    );
    let other = app
        .gql(
            Some(&w.members[1].access_token),
            query,
            json!({ "id": w.partners[0] }),
        )
        .await;
    assert_eq!(error_code(&other), "FORBIDDEN");
    let public = app.gql(None, query, json!({ "id": w.partners[0] })).await;
    assert_eq!(error_code(&public), "UNAUTHENTICATED");
}
