//! Policy updates: writing, publishing now or later, corrections, who reads what, filters,
//! ranked search and the live feed of newly published updates.

use chrono::Duration;
use serde_json::{Value, json};
use tests::{TestApp, error_code, error_field, next};

use crate::world::{World, world};

const CREATE: &str = "mutation($i: CreatePolicyUpdateInput!) {
    createPolicyUpdate(input: $i) { id status title bodyHtml topics region { slug } audience } }";
const READ: &str = "query($id: ID!) { policyUpdate(id: $id) {
    title body bodyHtml status publishedAt isUpdated revisions { body } topics
    campaigns { title } viewerCanEdit } }";
const LIST: &str = "query($f: PolicyUpdateFilter) {
    policyUpdates(filter: $f) { totalCount edges { node { title } } } }";

async fn draft(app: &TestApp, w: &World, input: Value) -> String {
    let mut full = json!({
        "title": "Asylum support rates frozen",
        "summary": "The weekly allowance will not rise this year.",
        "body": "The Home Office has **frozen** support rates.",
        "kind": "POLICY_DEVELOPMENT",
        "regionId": w.north_west,
    });
    if let (Some(full), Some(input)) = (full.as_object_mut(), input.as_object()) {
        full.extend(input.clone());
    }
    app.ok(Some(&w.staff.access_token), CREATE, json!({ "i": full }))
        .await["createPolicyUpdate"]["id"]
        .as_str()
        .expect("update id")
        .to_owned()
}

async fn publish(app: &TestApp, w: &World, id: &str, at: Option<String>) -> Value {
    app.gql(
        Some(&w.staff.access_token),
        "mutation($id: ID!, $at: DateTime) { publishPolicyUpdate(id: $id, at: $at) { status publishedAt } }",
        json!({ "id": id, "at": at }),
    )
    .await
}

fn titles(data: &Value) -> Vec<String> {
    data["policyUpdates"]["edges"]
        .as_array()
        .map(|edges| {
            edges
                .iter()
                .map(|edge| {
                    edge["node"]["title"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn a_draft_is_rendered_safely_and_seen_by_the_team_only() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let created = app
        .ok(
            Some(&w.staff.access_token),
            CREATE,
            json!({ "i": {
                "title": "Right to work", "summary": "s", "kind": "CAMPAIGN_ACTION",
                "body": "# Act now\n\n<script>alert('x')</script>\n\n[a link](javascript:alert(1)) and *this*",
                "topics": ["Right to Work", " right-to-work ", "Detention!"],
                "regionId": w.north_west,
            } }),
        )
        .await;
    let update = &created["createPolicyUpdate"];
    assert_eq!(update["status"], "DRAFT");
    assert_eq!(update["topics"], json!(["detention", "right-to-work"]));
    let html = update["bodyHtml"].as_str().unwrap_or_default();
    assert!(
        html.contains("<h1>Act now</h1>") && html.contains("<em>this</em>"),
        "{html}"
    );
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );

    let id = update["id"].as_str().unwrap_or_default();
    let anonymous = app.gql(None, READ, json!({ "id": id })).await;
    assert_eq!(error_code(&anonymous), "NOT_FOUND");
    let member = app
        .gql(Some(&w.members[0].access_token), READ, json!({ "id": id }))
        .await;
    assert_eq!(error_code(&member), "NOT_FOUND");
    let colleague = app
        .ok(
            Some(&w.london_staff.access_token),
            READ,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(colleague["policyUpdate"]["viewerCanEdit"], false);
    assert_eq!(
        titles(&app.ok(None, LIST, json!({})).await),
        Vec::<String>::new()
    );
}

#[tokio::test]
async fn published_updates_reach_their_audience() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let public = draft(&app, &w, json!({ "title": "For everyone" })).await;
    let partners = draft(
        &app,
        &w,
        json!({ "title": "For partners", "audience": "PARTNERS" }),
    )
    .await;
    for id in [&public, &partners] {
        assert_eq!(
            publish(&app, &w, id, None).await["data"]["publishPolicyUpdate"]["status"],
            "PUBLISHED"
        );
    }
    assert_eq!(
        titles(&app.ok(None, LIST, json!({})).await),
        ["For everyone"]
    );
    assert_eq!(
        error_code(&app.gql(None, READ, json!({ "id": partners })).await),
        "NOT_FOUND"
    );
    assert_eq!(
        titles(
            &app.ok(Some(&w.members[3].access_token), LIST, json!({}))
                .await
        ),
        ["For partners", "For everyone"]
    );
}

#[tokio::test]
async fn a_scheduled_update_goes_live_and_is_announced_at_its_time() {
    let app = TestApp::spawn().await;
    let mut w = world(&app).await;
    let mut socket = app
        .subscribe(
            None,
            "subscription { policyUpdatePublished(filter: { topic: \"Detention\" }) { title } }",
            json!({}),
        )
        .await;
    let other = draft(
        &app,
        &w,
        json!({ "title": "Elsewhere", "topics": ["housing"] }),
    )
    .await;
    let id = draft(
        &app,
        &w,
        json!({ "title": "Later", "topics": ["detention"] }),
    )
    .await;
    let at = (app.state.now() + Duration::hours(2)).to_rfc3339();
    let scheduled = publish(&app, &w, &id, Some(at.clone())).await;
    assert_eq!(
        scheduled["data"]["publishPolicyUpdate"]["publishedAt"]
            .as_str()
            .map(|s| chrono::DateTime::parse_from_rfc3339(s).ok()),
        Some(chrono::DateTime::parse_from_rfc3339(&at).ok())
    );
    publish(&app, &w, &other, None).await;
    assert_eq!(
        error_code(&app.gql(None, READ, json!({ "id": id })).await),
        "NOT_FOUND",
        "not before its time"
    );

    app.clock.advance(Duration::hours(3));
    w.sign_everyone_in_again(&app).await;
    let announced = next(&mut socket).await;
    assert_eq!(
        announced["payload"]["data"]["policyUpdatePublished"]["title"], "Later",
        "only the topic asked for, once its time came: {announced}"
    );
    assert_eq!(
        app.ok(None, READ, json!({ "id": id })).await["policyUpdate"]["status"],
        "PUBLISHED"
    );
}

#[tokio::test]
async fn a_correction_keeps_the_earlier_wording_and_shows_as_updated() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = draft(&app, &w, json!({ "body": "Rates rise by 1%." })).await;
    app.ok(
        Some(&w.staff.access_token),
        "mutation($id: ID!) { updatePolicyUpdate(id: $id, input: { body: \"Rates rise by 2%.\" }) { id } }",
        json!({ "id": id }),
    )
    .await;
    let before = app
        .ok(Some(&w.staff.access_token), READ, json!({ "id": id }))
        .await;
    assert_eq!(
        before["policyUpdate"]["isUpdated"], false,
        "editing a draft is not a correction"
    );
    publish(&app, &w, &id, None).await;
    app.ok(
        Some(&w.admin.access_token),
        "mutation($id: ID!) { updatePolicyUpdate(id: $id, input: { body: \"Rates rise by 3%.\" }) { id } }",
        json!({ "id": id }),
    )
    .await;
    let after = app.ok(None, READ, json!({ "id": id })).await;
    assert_eq!(after["policyUpdate"]["isUpdated"], true);
    assert_eq!(after["policyUpdate"]["body"], "Rates rise by 3%.");
    assert_eq!(
        after["policyUpdate"]["revisions"],
        json!([{ "body": "Rates rise by 2%." }])
    );

    let archived = app
        .ok(
            Some(&w.staff.access_token),
            "mutation($id: ID!) { archivePolicyUpdate(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(archived["archivePolicyUpdate"]["status"], "ARCHIVED");
    assert_eq!(
        titles(&app.ok(None, LIST, json!({})).await),
        Vec::<String>::new(),
        "archived updates leave the list"
    );
}

#[tokio::test]
async fn updates_are_filtered_and_searched_best_match_first() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "End detention").await;
    let items = [
        json!({ "title": "Detention centre inspection", "summary": "Findings published.",
                "body": "Inspectors found poor conditions.", "topics": ["detention"],
                "campaignIds": [campaign] }),
        json!({ "title": "Housing report", "summary": "Hotel use and detention-like sites.",
                "body": "Barracks remain open.", "regionId": w.london, "kind": "RESOURCE" }),
        json!({ "title": "Training day", "summary": "Learn about the asylum process.",
                "body": "Bring a colleague.", "regionId": null, "kind": "EVENT" }),
    ];
    for item in items {
        let token = if item["regionId"].is_string() {
            &w.london_staff.access_token
        } else {
            &w.staff.access_token
        };
        let mut input = json!({ "summary": "s", "body": "b", "kind": "POLICY_DEVELOPMENT", "regionId": w.north_west });
        if let (Some(input), Some(item)) = (input.as_object_mut(), item.as_object()) {
            input.extend(item.clone());
        }
        let id =
            app.ok(Some(token), CREATE, json!({ "i": input })).await["createPolicyUpdate"]["id"]
                .clone();
        app.ok(
            Some(token),
            "mutation($id: ID!) { publishPolicyUpdate(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    }
    let list = |filter: Value| {
        let app = &app;
        async move { titles(&app.ok(None, LIST, json!({ "f": filter })).await) }
    };
    assert_eq!(
        list(json!({ "regionId": w.london })).await,
        ["Housing report"]
    );
    assert_eq!(list(json!({ "regionId": null })).await, ["Training day"]);
    assert_eq!(list(json!({ "kind": "EVENT" })).await, ["Training day"]);
    assert_eq!(
        list(json!({ "topic": "Detention" })).await,
        ["Detention centre inspection"]
    );
    assert_eq!(
        list(json!({ "campaignId": campaign })).await,
        ["Detention centre inspection"]
    );
    assert_eq!(
        list(json!({ "search": "detention" })).await,
        ["Detention centre inspection", "Housing report"],
        "a title match ranks above a summary match"
    );
    assert_eq!(
        list(json!({ "search": "barracks* \" ^( -" })).await,
        ["Housing report"],
        "search syntax in the words is taken as words"
    );
    let paged = app
        .ok(
            None,
            "{ policyUpdates(filter: { search: \"detention\" }, first: 1) { pageInfo { endCursor } } }",
            json!({}),
        )
        .await;
    let cursor = paged["policyUpdates"]["pageInfo"]["endCursor"].clone();
    let second = app
        .ok(
            None,
            "query($c: String) { policyUpdates(filter: { search: \"detention\" }, first: 1, after: $c) { edges { node { title } } } }",
            json!({ "c": cursor }),
        )
        .await;
    assert_eq!(titles(&second), ["Housing report"]);
}

#[tokio::test]
async fn bad_update_input_names_the_field_and_writes_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let base = json!({ "title": "t", "summary": "s", "body": "b", "kind": "RESOURCE" });
    let cases = [
        (json!({ "title": "  " }), "title"),
        (json!({ "body": "x".repeat(50_001) }), "body"),
        (json!({ "topics": ["!!!"] }), "topics"),
        (
            json!({ "topics": (0..11).map(|i| format!("t{i}")).collect::<Vec<_>>() }),
            "topics",
        ),
        (json!({ "campaignIds": ["999"] }), "campaignIds"),
        (json!({ "regionId": "999" }), "regionId"),
    ];
    for (change, field) in cases {
        let mut input = base.clone();
        if let (Some(input), Some(change)) = (input.as_object_mut(), change.as_object()) {
            input.extend(change.clone());
        }
        let refused = app
            .gql(Some(&w.admin.access_token), CREATE, json!({ "i": input }))
            .await;
        assert_eq!(
            (error_code(&refused), error_field(&refused)),
            ("BAD_USER_INPUT", field),
            "{refused}"
        );
    }
    let drafts = app
        .ok(
            Some(&w.admin.access_token),
            "{ policyUpdates(filter: { status: DRAFT }) { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(drafts["policyUpdates"]["totalCount"], 0);

    let id = draft(&app, &w, json!({})).await;
    let past = (app.state.now() - Duration::days(1)).to_rfc3339();
    let refused = publish(&app, &w, &id, Some(past)).await;
    assert_eq!(
        (error_code(&refused), error_field(&refused)),
        ("BAD_USER_INPUT", "at")
    );
    let archive_draft = app
        .gql(
            Some(&w.staff.access_token),
            "mutation($id: ID!) { archivePolicyUpdate(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(error_code(&archive_draft), "CONFLICT");
    publish(&app, &w, &id, None).await;
    assert_eq!(
        error_code(&publish(&app, &w, &id, None).await),
        "CONFLICT",
        "publishing twice"
    );
}
