use chrono::{Duration, Utc};
use futures_util::future::join_all;
use serde_json::{Value, json};
use tests::{Socket, TestApp, error_code, next};

use crate::world::{PARTNER_NAMES, names, world};

const ACTION: &str = "query($id: ID!) { jointAction(id: $id) {
    title kind isOpen optInCount
    optIns { totalCount edges { node { partner { name } note active } } }
    optInsByRegion { region { slug } count } } }";

const HISTORY: &str = "query($id: ID!) { jointAction(id: $id) {
    history { totalCount edges { node { partner { name } change note by { email } at } } } } }";

#[tokio::test]
async fn a_partner_opts_in_with_a_note_and_is_counted_and_listed() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    let answer = w
        .opt_in(&app, 0, &action, Some("We will bring twenty letters."))
        .await;
    assert_eq!(
        answer["data"]["optIntoJointAction"]["optInCount"], 1,
        "{answer}"
    );
    w.opt_in(&app, 4, &action, None).await;

    let data = app
        .ok(Some(&w.staff.access_token), ACTION, json!({ "id": action }))
        .await;
    let action_data = &data["jointAction"];
    assert_eq!(action_data["optInCount"], 2);
    assert_eq!(action_data["optIns"]["totalCount"], 2);
    assert_eq!(
        names(&action_data["optIns"]["edges"]),
        [PARTNER_NAMES[0], PARTNER_NAMES[4]]
    );
    assert_eq!(
        action_data["optIns"]["edges"][0]["node"]["note"],
        "We will bring twenty letters."
    );
    let mut by_region = action_data["optInsByRegion"]
        .as_array()
        .expect("list")
        .clone();
    by_region.sort_by_key(|entry| entry["region"]["slug"].as_str().unwrap_or("").to_owned());
    assert_eq!(
        by_region,
        [
            json!({ "region": null, "count": 1 }),
            json!({ "region": { "slug": "north-west" }, "count": 1 })
        ]
    );
}

#[tokio::test]
async fn opting_in_twice_is_one_opt_in_and_history_keeps_every_change() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    w.opt_in(&app, 1, &action, Some("First")).await;
    app.clock.advance(Duration::minutes(1));
    let again = w.opt_in(&app, 1, &action, None).await;
    assert_eq!(again["data"]["optIntoJointAction"]["optInCount"], 1);
    app.clock.advance(Duration::minutes(1));
    let out = w.withdraw(&app, 1, &action).await;
    assert_eq!(out["data"]["withdrawFromJointAction"]["optInCount"], 0);
    let out_again = w.withdraw(&app, 1, &action).await;
    assert_eq!(
        out_again["data"]["withdrawFromJointAction"]["optInCount"],
        0
    );
    app.clock.advance(Duration::minutes(1));
    w.opt_in(&app, 1, &action, Some("Back in")).await;

    let data = app
        .ok(
            Some(&w.staff.access_token),
            HISTORY,
            json!({ "id": action }),
        )
        .await;
    let history = &data["jointAction"]["history"];
    assert_eq!(history["totalCount"], 3);
    let changes: Vec<(&str, &str)> = history["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| {
            (
                edge["node"]["change"].as_str().unwrap_or_default(),
                edge["node"]["by"]["email"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("OPTED_IN", "member1@partners.example.org"),
            ("WITHDRAWN", "member1@partners.example.org"),
            ("OPTED_IN", "member1@partners.example.org"),
        ]
    );
    let times: Vec<&str> = history["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["at"].as_str().unwrap_or_default())
        .collect();
    assert!(times[0] < times[1] && times[1] < times[2], "{times:?}");
}

#[tokio::test]
async fn a_withdrawn_partner_is_counted_and_listed_nowhere() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    w.opt_in(&app, 0, &action, None).await;
    w.opt_in(&app, 3, &action, None).await;
    w.withdraw(&app, 3, &action).await;
    let data = app
        .ok(Some(&w.admin.access_token), ACTION, json!({ "id": action }))
        .await;
    let action_data = &data["jointAction"];
    assert_eq!(action_data["optInCount"], 1);
    assert_eq!(names(&action_data["optIns"]["edges"]), [PARTNER_NAMES[0]]);
    assert_eq!(
        action_data["optInsByRegion"],
        json!([{ "region": { "slug": "north-west" }, "count": 1 }])
    );
}

#[tokio::test]
async fn closed_unopened_paused_and_draft_actions_refuse_opt_ins() {
    let app = TestApp::spawn().await;
    let mut w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let now = app.state.now();
    let closed = w
        .action(
            &app,
            &campaign,
            json!({ "opensAt": now - Duration::days(10), "closesAt": now - Duration::days(1) }),
        )
        .await;
    let later = w
        .action(
            &app,
            &campaign,
            json!({ "opensAt": now + Duration::days(3) }),
        )
        .await;
    let open = w
        .action(
            &app,
            &campaign,
            json!({ "closesAt": now + Duration::days(3) }),
        )
        .await;

    assert_eq!(
        error_code(&w.opt_in(&app, 0, &closed, None).await),
        "CONFLICT"
    );
    assert_eq!(
        error_code(&w.opt_in(&app, 0, &later, None).await),
        "CONFLICT"
    );
    assert_eq!(
        w.opt_in(&app, 0, &open, None).await["data"]["optIntoJointAction"]["optInCount"],
        1
    );
    assert_eq!(error_code(&w.withdraw(&app, 0, &closed).await), "CONFLICT");

    app.clock.advance(Duration::days(4));
    w.sign_everyone_in_again(&app).await;
    assert_eq!(
        error_code(&w.opt_in(&app, 1, &open, None).await),
        "CONFLICT",
        "closed by now"
    );
    assert_eq!(
        error_code(&w.withdraw(&app, 0, &open).await),
        "CONFLICT",
        "its list is final"
    );
    assert_eq!(
        w.opt_in(&app, 1, &later, None).await["data"]["optIntoJointAction"]["optInCount"],
        1,
        "opened by now"
    );

    w.set_status(&app, &campaign, "PAUSED").await;
    let paused = w.opt_in(&app, 2, &later, None).await;
    assert_eq!(error_code(&paused), "CONFLICT");
    assert!(
        paused["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("not active")
    );

    let draft = w.draft_campaign(&app, "Not yet").await;
    let draft_action = w.action(&app, &draft, json!({})).await;
    assert_eq!(
        error_code(&w.opt_in(&app, 0, &draft_action, None).await),
        "NOT_FOUND"
    );
}

#[tokio::test]
async fn only_partner_members_opt_in_and_only_for_their_own_organisation() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    let mutation = "mutation($a: ID!) { optIntoJointAction(actionId: $a) { optInCount } }";
    for token in [&w.staff, &w.admin] {
        let body = app
            .gql(Some(&token.access_token), mutation, json!({ "a": action }))
            .await;
        assert_eq!(error_code(&body), "FORBIDDEN");
    }
    assert_eq!(
        error_code(&app.gql(None, mutation, json!({ "a": action })).await),
        "UNAUTHENTICATED"
    );
    let data = app
        .ok(
            None,
            "query($id: ID!) { jointAction(id: $id) { optInCount } }",
            json!({ "id": action }),
        )
        .await;
    assert_eq!(
        data["jointAction"]["optInCount"], 0,
        "nobody was opted in on anyone's behalf"
    );
}

#[tokio::test]
async fn the_public_sees_counts_and_signed_in_people_see_who() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    w.opt_in(&app, 0, &action, None).await;
    let public = app.gql(None, ACTION, json!({ "id": action })).await;
    assert_eq!(public["data"]["jointAction"]["optInCount"], 1);
    assert_eq!(
        error_code(&public),
        "UNAUTHENTICATED",
        "the list of partners needs sign-in"
    );
    let member = app
        .ok(
            Some(&w.members[3].access_token),
            ACTION,
            json!({ "id": action }),
        )
        .await;
    assert_eq!(
        names(&member["jointAction"]["optIns"]["edges"]),
        [PARTNER_NAMES[0]]
    );
}

#[tokio::test]
async fn staff_see_which_partners_of_their_region_have_not_answered() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    w.opt_in(&app, 0, &action, None).await;
    w.opt_in(&app, 1, &action, None).await;
    w.withdraw(&app, 1, &action).await;
    let query = "query($id: ID!, $r: ID) { jointAction(id: $id) {
        partnersNotResponded(regionId: $r) { totalCount edges { node { name } } } } }";
    let staff = app
        .ok(Some(&w.staff.access_token), query, json!({ "id": action }))
        .await;
    assert_eq!(
        names(&staff["jointAction"]["partnersNotResponded"]["edges"]),
        [PARTNER_NAMES[2]]
    );
    let admin = app
        .ok(Some(&w.admin.access_token), query, json!({ "id": action }))
        .await;
    assert_eq!(
        names(&admin["jointAction"]["partnersNotResponded"]["edges"]),
        [PARTNER_NAMES[4], PARTNER_NAMES[3], PARTNER_NAMES[2]]
    );
    let admin_london = app
        .ok(
            Some(&w.admin.access_token),
            query,
            json!({ "id": action, "r": w.london }),
        )
        .await;
    assert_eq!(
        names(&admin_london["jointAction"]["partnersNotResponded"]["edges"]),
        [PARTNER_NAMES[3]]
    );
    let member = app
        .gql(
            Some(&w.members[0].access_token),
            query,
            json!({ "id": action }),
        )
        .await;
    assert_eq!(error_code(&member), "FORBIDDEN");
}

#[tokio::test]
async fn members_see_their_own_answer_and_history_only() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    w.opt_in(&app, 0, &action, Some("ours")).await;
    w.opt_in(&app, 1, &action, Some("theirs")).await;
    let answer = app
        .ok(
            Some(&w.members[0].access_token),
            "query($id: ID!) { jointAction(id: $id) { viewerAnswer { active note } } }",
            json!({ "id": action }),
        )
        .await;
    assert_eq!(
        answer["jointAction"]["viewerAnswer"],
        json!({ "active": true, "note": "ours" })
    );
    let none = app
        .ok(
            Some(&w.members[2].access_token),
            "query($id: ID!) { jointAction(id: $id) { viewerAnswer { active } } }",
            json!({ "id": action }),
        )
        .await;
    assert_eq!(none["jointAction"]["viewerAnswer"], Value::Null);
    let history = app
        .ok(
            Some(&w.members[0].access_token),
            HISTORY,
            json!({ "id": action }),
        )
        .await;
    assert_eq!(
        names(&history["jointAction"]["history"]["edges"]),
        [PARTNER_NAMES[0]]
    );
}

#[tokio::test]
async fn fifty_simultaneous_opt_ins_leave_one() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    let answers = join_all((0..50).map(|_| w.opt_in(&app, 2, &action, None))).await;
    for answer in &answers {
        assert!(
            answer.get("errors").is_none(),
            "every attempt succeeds: {answer}"
        );
    }
    let data = app
        .ok(Some(&w.staff.access_token), ACTION, json!({ "id": action }))
        .await;
    assert_eq!(data["jointAction"]["optInCount"], 1);
    assert_eq!(data["jointAction"]["optIns"]["totalCount"], 1);
    let history = app
        .ok(
            Some(&w.staff.access_token),
            HISTORY,
            json!({ "id": action }),
        )
        .await;
    assert_eq!(
        history["jointAction"]["history"]["totalCount"], 1,
        "one opt-in recorded"
    );
}

#[tokio::test]
async fn managers_edit_actions_and_check_the_dates() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    let update = "mutation($id: ID!, $i: UpdateJointActionInput!) { updateJointAction(id: $id, input: $i) { title kind closesAt } }";
    let now = Utc::now();
    let edited = app
        .ok(Some(&w.staff.access_token), update, json!({ "id": action, "i": { "title": "Sign the statement", "kind": "JOINT_STATEMENT", "closesAt": now + Duration::days(7) } }))
        .await;
    assert_eq!(edited["updateJointAction"]["kind"], "JOINT_STATEMENT");
    let backwards = app
        .gql(
            Some(&w.staff.access_token),
            update,
            json!({ "id": action, "i": { "opensAt": now + Duration::days(8) } }),
        )
        .await;
    assert_eq!(
        (error_code(&backwards), tests::error_field(&backwards)),
        ("BAD_USER_INPUT", "closesAt")
    );
    let by_london = app
        .gql(
            Some(&w.london_staff.access_token),
            update,
            json!({ "id": action, "i": { "title": "X" } }),
        )
        .await;
    assert_eq!(error_code(&by_london), "FORBIDDEN");
    let blank = app
        .gql(
            Some(&w.staff.access_token),
            update,
            json!({ "id": action, "i": { "title": " " } }),
        )
        .await;
    assert_eq!(
        (error_code(&blank), tests::error_field(&blank)),
        ("BAD_USER_INPUT", "title")
    );
}

async fn subscribe(app: &TestApp, token: Option<&str>, action: &str) -> Socket {
    app.subscribe(
        token,
        "subscription($a: ID!) { jointActionOptInsChanged(actionId: $a) {
            optInCount change partner { name } action { id } } }",
        json!({ "a": action }),
    )
    .await
}

#[tokio::test]
async fn subscribers_see_the_count_change_live_and_only_signed_in_people_see_who() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    let other = w
        .action(&app, &campaign, json!({ "title": "Another" }))
        .await;
    let listening = app.state.events.listeners();
    let mut public = subscribe(&app, None, &action).await;
    let mut member = subscribe(&app, Some(&w.members[3].access_token), &action).await;
    // Each socket listens (for the end of its session), and so does each subscription.
    app.wait_for_listeners(listening + 4).await;

    w.opt_in(&app, 3, &other, None).await;
    w.opt_in(&app, 0, &action, None).await;
    let first = next(&mut public).await;
    assert_eq!(first["type"], "next");
    assert_eq!(
        first["payload"]["data"]["jointActionOptInsChanged"],
        json!({ "optInCount": 1, "change": "OPTED_IN", "partner": null, "action": { "id": action } }),
        "only this action's changes arrive, and the public sees the count but not who"
    );
    assert_eq!(
        next(&mut member).await["payload"]["data"]["jointActionOptInsChanged"]["partner"],
        json!({ "name": PARTNER_NAMES[0] }),
        "a signed-in member sees who, as `optIns` shows them"
    );
    w.opt_in(&app, 0, &action, None).await;
    w.withdraw(&app, 0, &action).await;
    let second = next(&mut public).await;
    assert_eq!(
        second["payload"]["data"]["jointActionOptInsChanged"]["change"], "WITHDRAWN",
        "a repeated opt-in changes nothing and is not announced"
    );
    assert_eq!(
        second["payload"]["data"]["jointActionOptInsChanged"]["optInCount"],
        0
    );
}

#[tokio::test]
async fn nobody_subscribes_to_a_draft_campaigns_action() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let draft = w.draft_campaign(&app, "Not yet").await;
    let action = w.action(&app, &draft, json!({})).await;
    let mut socket = subscribe(&app, None, &action).await;
    let answer = next(&mut socket).await;
    assert_eq!(
        answer["type"], "error",
        "a subscription that cannot start is an error, not an empty `next`: {answer}"
    );
    assert_eq!(answer["id"], "live");
    assert_eq!(answer["payload"][0]["extensions"]["code"], "NOT_FOUND");
    w.opt_in(&app, 0, &action, None).await;
    let after =
        tokio::time::timeout(std::time::Duration::from_millis(500), next(&mut socket)).await;
    assert!(
        after.is_err(),
        "nothing follows the error, not even `complete`: {after:?}"
    );
}
