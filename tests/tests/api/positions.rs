use futures_util::future::join_all;
use serde_json::{Value, json};
use tests::{TestApp, error_code};

use crate::world::{PARTNER_NAMES, World, names, world};

const POSITION: &str = "query($id: ID!) { position(id: $id) {
    title ownership status attribution
    publishedVersion { number body }
    currentVersion { number body }
    backers { name } } }";

const VERSIONS: &str = "query($id: ID!) { position(id: $id) {
    versions { number body approvals { partner { name } decision version } } } }";

#[tokio::test]
async fn the_charitys_own_position_says_so_plainly() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let position = w
        .position(
            &app,
            &campaign,
            "OWN",
            "People seeking asylum should be allowed to work.",
        )
        .await;
    let draft = app.gql(None, POSITION, json!({ "id": position })).await;
    assert_eq!(
        error_code(&draft),
        "NOT_FOUND",
        "unpublished positions are not public"
    );
    assert_eq!(
        error_code(&w.request_approval(&app, &position, &[0]).await),
        "CONFLICT"
    );

    assert_eq!(
        w.publish(&app, &position).await["data"]["publishPosition"]["status"],
        "PUBLISHED"
    );
    let data = app.ok(None, POSITION, json!({ "id": position })).await;
    let shown = &data["position"];
    assert_eq!(shown["ownership"], "OWN");
    assert_eq!(shown["attribution"], "This is the charity's own position.");
    assert_eq!(shown["backers"], json!([]));
    assert_eq!(
        shown["publishedVersion"]["body"],
        "People seeking asylum should be allowed to work."
    );
    assert_eq!(
        shown["currentVersion"],
        Value::Null,
        "the public reads the published text only"
    );
}

#[tokio::test]
async fn a_partner_backed_position_lists_exactly_the_partners_that_approved_its_text() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let position = w
        .position(&app, &campaign, "PARTNER_BACKED", "Version one.")
        .await;
    assert_eq!(
        error_code(&w.publish(&app, &position).await),
        "CONFLICT",
        "no backers yet"
    );

    w.request_approval(&app, &position, &[0, 1, 2]).await;
    assert_eq!(
        w.respond(&app, 0, &position, "APPROVE", 1).await["data"]["respondToPositionApproval"]["decision"],
        "APPROVE"
    );
    w.respond(&app, 1, &position, "DECLINE", 1).await;
    assert_eq!(
        w.publish(&app, &position).await["data"]["publishPosition"]["status"],
        "PUBLISHED"
    );
    let data = app.ok(None, POSITION, json!({ "id": position })).await;
    assert_eq!(names(&data["position"]["backers"]), [PARTNER_NAMES[0]]);
    assert_eq!(
        data["position"]["attribution"],
        format!("Backed by partners: {}.", PARTNER_NAMES[0])
    );

    // A revision starts version 2; the public keeps seeing version 1 and its backers.
    w.revise(&app, &position, "Version two.").await;
    let after = app.ok(None, POSITION, json!({ "id": position })).await;
    assert_eq!(after["position"]["status"], "REVISED");
    assert_eq!(after["position"]["publishedVersion"]["number"], 1);
    assert_eq!(names(&after["position"]["backers"]), [PARTNER_NAMES[0]]);
    assert_eq!(
        error_code(&w.publish(&app, &position).await),
        "CONFLICT",
        "version 2 has no approvals of its own"
    );
    // Partners answer version 2 only when asked about it.
    assert_eq!(
        error_code(&w.respond(&app, 0, &position, "APPROVE", 2).await),
        "FORBIDDEN"
    );

    w.request_approval(&app, &position, &[0, 1]).await;
    w.respond(&app, 1, &position, "APPROVE", 2).await;
    w.publish(&app, &position).await;
    let republished = app.ok(None, POSITION, json!({ "id": position })).await;
    assert_eq!(
        republished["position"]["publishedVersion"]["body"],
        "Version two."
    );
    assert_eq!(
        names(&republished["position"]["backers"]),
        [PARTNER_NAMES[1]],
        "Bolton approved version 1 only"
    );

    let history = app
        .ok(
            Some(&w.staff.access_token),
            VERSIONS,
            json!({ "id": position }),
        )
        .await;
    let versions = &history["position"]["versions"];
    assert_eq!(
        versions[0]["approvals"],
        json!([
            { "partner": { "name": PARTNER_NAMES[0] }, "decision": "APPROVE", "version": 1 },
            { "partner": { "name": PARTNER_NAMES[1] }, "decision": "DECLINE", "version": 1 },
            { "partner": { "name": PARTNER_NAMES[2] }, "decision": null, "version": 1 },
        ]),
        "earlier approvals stay with the earlier version"
    );
    assert_eq!(
        versions[1]["approvals"],
        json!([
            { "partner": { "name": PARTNER_NAMES[0] }, "decision": null, "version": 2 },
            { "partner": { "name": PARTNER_NAMES[1] }, "decision": "APPROVE", "version": 2 },
        ])
    );
}

#[tokio::test]
async fn an_answer_about_a_text_that_has_changed_is_refused() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let position = w
        .position(&app, &campaign, "PARTNER_BACKED", "Version one.")
        .await;
    w.request_approval(&app, &position, &[0]).await;
    w.revise(&app, &position, "Version two.").await;
    let stale = w.respond(&app, 0, &position, "APPROVE", 1).await;
    assert_eq!(error_code(&stale), "CONFLICT");
    assert!(
        stale["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("version 2")
    );
}

#[tokio::test]
async fn only_asked_members_read_a_draft_and_answer() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let position = w
        .position(&app, &campaign, "PARTNER_BACKED", "Draft text.")
        .await;
    w.request_approval(&app, &position, &[0]).await;

    let asked = app
        .ok(
            Some(&w.members[0].access_token),
            POSITION,
            json!({ "id": position }),
        )
        .await;
    assert_eq!(asked["position"]["currentVersion"]["body"], "Draft text.");
    let not_asked = app
        .gql(
            Some(&w.members[1].access_token),
            POSITION,
            json!({ "id": position }),
        )
        .await;
    assert_eq!(error_code(&not_asked), "NOT_FOUND");
    assert_eq!(
        error_code(&w.respond(&app, 1, &position, "APPROVE", 1).await),
        "FORBIDDEN"
    );

    let by_staff = app
        .gql(
            Some(&w.staff.access_token),
            "mutation($p: ID!) { respondToPositionApproval(positionId: $p, decision: APPROVE, version: 1) { decision } }",
            json!({ "p": position }),
        )
        .await;
    assert_eq!(
        error_code(&by_staff),
        "FORBIDDEN",
        "staff do not answer for partners"
    );

    let own_view = app
        .ok(Some(&w.members[0].access_token), "query($id: ID!) { position(id: $id) { currentVersion { approvals { partner { name } } } } }", json!({ "id": position }))
        .await;
    assert_eq!(
        names(&own_view["position"]["currentVersion"]["approvals"]),
        [PARTNER_NAMES[0]]
    );
}

#[tokio::test]
async fn bad_position_input_names_the_field() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let create = "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }";
    for (input, field) in [
        (
            json!({ "campaignId": campaign, "title": "", "ownership": "OWN", "body": "b" }),
            "title",
        ),
        (
            json!({ "campaignId": campaign, "title": "t", "ownership": "OWN", "body": " " }),
            "body",
        ),
        (
            json!({ "campaignId": "x", "title": "t", "ownership": "OWN", "body": "b" }),
            "campaignId",
        ),
    ] {
        let body = app
            .gql(Some(&w.staff.access_token), create, json!({ "i": input }))
            .await;
        assert_eq!(
            (error_code(&body), tests::error_field(&body)),
            ("BAD_USER_INPUT", field)
        );
    }
    let position = w.position(&app, &campaign, "PARTNER_BACKED", "Text.").await;
    let none = app
        .gql(
            Some(&w.staff.access_token),
            "mutation($p: ID!) { requestPositionApproval(positionId: $p, partnerIds: []) { id } }",
            json!({ "p": position }),
        )
        .await;
    assert_eq!(
        (error_code(&none), tests::error_field(&none)),
        ("BAD_USER_INPUT", "partnerIds")
    );
    let unknown = app
        .gql(Some(&w.staff.access_token), "mutation($p: ID!) { requestPositionApproval(positionId: $p, partnerIds: [\"9999\"]) { id } }", json!({ "p": position }))
        .await;
    assert_eq!(
        (error_code(&unknown), tests::error_field(&unknown)),
        ("BAD_USER_INPUT", "partnerIds")
    );
}

/// Answers race a revision and a publishing: every answer lands on the version the partner
/// read or is refused, and a published text's backers are partners whose approval of that
/// text had landed, never anyone else; without the race, exactly the approvers back it.
#[tokio::test]
async fn simultaneous_answers_revisions_and_publishing_never_misattribute_a_backer() {
    const PUBLISH: &str = "mutation($id: ID!) { publishPosition(id: $id) {
        publishedVersion { number } backers { name } } }";
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let position = w
        .position(&app, &campaign, "PARTNER_BACKED", "Version one.")
        .await;
    w.request_approval(&app, &position, &[0, 1, 2, 3, 4]).await;

    for round in 0..3 {
        let read = current_version(&app, &w, &position).await;
        let answers = (0..5).map(|member| w.respond(&app, member, &position, "APPROVE", read));
        let text = format!("Version after round {round}.");
        let revision = w.revise(&app, &position, &text);
        let publishing = app.gql(
            Some(&w.staff.access_token),
            PUBLISH,
            json!({ "id": position }),
        );
        let (answers, _, published) = tokio::join!(join_all(answers), revision, publishing);
        let mut landed = Vec::new();
        for (member, answer) in answers.iter().enumerate() {
            let code = error_code(answer);
            assert!(
                answer["errors"].is_null() || code == "CONFLICT" || code == "FORBIDDEN",
                "an answer either lands or is refused: {answer}"
            );
            if answer["errors"].is_null() {
                landed.push(PARTNER_NAMES[member].to_owned());
            }
        }
        if published["errors"].is_null() {
            let position = &published["data"]["publishPosition"];
            assert_eq!(
                position["publishedVersion"]["number"], read,
                "only the version partners were asked about can have been published"
            );
            let backers = names(&position["backers"]);
            assert!(!backers.is_empty(), "published with backers: {published}");
            assert!(
                backers.iter().all(|name| landed.contains(name)),
                "backers {backers:?} are partners whose approval landed: {landed:?}"
            );
        } else {
            assert_eq!(
                error_code(&published),
                "CONFLICT",
                "publishing before any approval is refused: {published}"
            );
        }
        w.request_approval(&app, &position, &[0, 1, 2, 3, 4]).await;
    }

    let read = current_version(&app, &w, &position).await;
    for member in [0, 2] {
        let answer = w.respond(&app, member, &position, "APPROVE", read).await;
        assert!(answer["errors"].is_null(), "{answer}");
    }
    let published = app
        .ok(
            Some(&w.staff.access_token),
            PUBLISH,
            json!({ "id": position }),
        )
        .await;
    assert_eq!(
        published["publishPosition"]["publishedVersion"]["number"],
        read
    );
    assert_eq!(
        names(&published["publishPosition"]["backers"]),
        [PARTNER_NAMES[0], PARTNER_NAMES[2]],
        "exactly the two approvers back the published text"
    );
}

async fn current_version(app: &TestApp, w: &World, position: &str) -> i32 {
    app.ok(
        Some(&w.staff.access_token),
        POSITION,
        json!({ "id": position }),
    )
    .await["position"]["currentVersion"]["number"]
        .as_i64()
        .and_then(|n| i32::try_from(n).ok())
        .expect("a current version")
}

/// A backer that takes its approval back after publication is shown as having withdrawn,
/// with the date, and staff see the position flagged; the position never quietly shows no
/// backers.
#[tokio::test]
async fn a_withdrawn_approval_is_recorded_shown_and_flagged() {
    const SHOWN: &str = "query($id: ID!) { position(id: $id) {
        attribution backers { name } backing { name withdrawnAt } flag { reason } } }";
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let position = w
        .position(&app, &campaign, "PARTNER_BACKED", "Work is a right.")
        .await;
    w.request_approval(&app, &position, &[0, 1]).await;
    w.respond(&app, 0, &position, "APPROVE", 1).await;
    w.respond(&app, 1, &position, "APPROVE", 1).await;
    w.publish(&app, &position).await;

    let withdrawn = w.respond(&app, 1, &position, "DECLINE", 1).await;
    assert!(withdrawn["errors"].is_null(), "{withdrawn}");
    let public = app.ok(None, SHOWN, json!({ "id": position })).await;
    assert_eq!(names(&public["position"]["backers"]), [PARTNER_NAMES[0]]);
    let backing = public["position"]["backing"].as_array().expect("backing");
    assert_eq!(
        backing.len(),
        2,
        "both publication backers are still listed"
    );
    let gone = backing
        .iter()
        .find(|backer| backer["name"] == PARTNER_NAMES[1])
        .expect("the one that withdrew");
    assert!(gone["withdrawnAt"].is_string(), "with its date: {gone}");
    let attribution = public["position"]["attribution"]
        .as_str()
        .unwrap_or_default();
    assert!(
        attribution.contains(PARTNER_NAMES[0])
            && attribution.contains(&format!("{} withdrew its backing on", PARTNER_NAMES[1])),
        "{attribution}"
    );
    assert!(
        public["position"]["flag"].is_null(),
        "the flag is for staff"
    );
    let staff = app
        .ok(
            Some(&w.staff.access_token),
            SHOWN,
            json!({ "id": position }),
        )
        .await;
    assert!(
        staff["position"]["flag"]["reason"]
            .as_str()
            .is_some_and(|reason| reason.contains(PARTNER_NAMES[1])),
        "{staff}"
    );

    w.respond(&app, 0, &position, "DECLINE", 1).await;
    let nobody = app.ok(None, SHOWN, json!({ "id": position })).await;
    assert_eq!(nobody["position"]["backers"], json!([]));
    let attribution = nobody["position"]["attribution"]
        .as_str()
        .unwrap_or_default();
    assert!(
        attribution.contains("none backs it now")
            && attribution.contains(PARTNER_NAMES[0])
            && attribution.contains(PARTNER_NAMES[1]),
        "it says so rather than showing no backers: {attribution}"
    );
    let late = w.respond(&app, 0, &position, "APPROVE", 1).await;
    assert!(late["errors"].is_null());
    let still = app.ok(None, SHOWN, json!({ "id": position })).await;
    assert_eq!(
        still["position"]["backers"],
        json!([]),
        "an approval after publication does not make a backer; publishing again does"
    );
}

#[tokio::test]
async fn an_answer_must_name_the_version_it_approves() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let position = w
        .position(&app, &campaign, "PARTNER_BACKED", "Work is a right.")
        .await;
    w.request_approval(&app, &position, &[0]).await;
    let unnamed = app
        .gql(
            Some(&w.members[0].access_token),
            "mutation($p: ID!) { respondToPositionApproval(positionId: $p, decision: APPROVE) { decision } }",
            json!({ "p": position }),
        )
        .await;
    assert_eq!(error_code(&unnamed), "GRAPHQL_VALIDATION_FAILED");
}

/// While a revision waits for approvals, a backer of the published text can still withdraw
/// from it; approving the old text is refused.
#[tokio::test]
async fn a_backer_can_withdraw_from_the_published_text_while_a_revision_waits() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let position = w
        .position(&app, &campaign, "PARTNER_BACKED", "Work is a right.")
        .await;
    w.request_approval(&app, &position, &[0, 1]).await;
    w.respond(&app, 0, &position, "APPROVE", 1).await;
    w.respond(&app, 1, &position, "APPROVE", 1).await;
    w.publish(&app, &position).await;
    w.revise(&app, &position, "Work is a right, after three months.")
        .await;

    let approving_old = w.respond(&app, 1, &position, "APPROVE", 1).await;
    assert_eq!(error_code(&approving_old), "CONFLICT", "{approving_old}");
    let withdrawn = w.respond(&app, 1, &position, "DECLINE", 1).await;
    assert!(withdrawn["errors"].is_null(), "{withdrawn}");
    let public = app
        .ok(
            None,
            "query($id: ID!) { position(id: $id) { backers { name } } }",
            json!({ "id": position }),
        )
        .await;
    assert_eq!(names(&public["position"]["backers"]), [PARTNER_NAMES[0]]);
}
