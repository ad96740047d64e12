use serde_json::{Value, json};
use tests::{TestApp, error_code, error_field};

use crate::world::world;

const CAMPAIGN: &str = "query($id: ID!) { campaign(id: $id) {
    title summary body status scope regions { slug } leadRegion { slug }
    goals { totalCount edges { node { slug title } } }
    prioritisation { impact { score note } relevance { score } total longShot }
    viewerCanManage } }";

#[tokio::test]
async fn the_eight_goals_are_there_for_everyone() {
    let app = TestApp::spawn().await;
    let data = app
        .ok(None, "{ advocacyGoals { id slug title } }", json!({}))
        .await;
    let slugs: Vec<&str> = data["advocacyGoals"]
        .as_array()
        .expect("goals")
        .iter()
        .map(|goal| goal["slug"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        slugs,
        [
            "end-destitution",
            "permission-to-work",
            "free-healthcare",
            "better-decisions",
            "legal-advice",
            "less-detention",
            "welcome-and-english",
            "dignity-and-respect",
        ]
    );
}

#[tokio::test]
async fn staff_start_a_draft_for_their_region_that_only_the_team_sees() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let data = app
        .ok(
            Some(&w.staff.access_token),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id status leadRegion { slug } } }",
            json!({ "i": {
                "title": "Lift the ban",
                "summary": "Permission to work after six months.",
                "goalIds": [w.goals[1]],
                "prioritisation": {
                    "impact": { "score": 5, "note": "Would end enforced poverty for thousands." },
                    "relevance": { "score": 4 },
                    "longShot": true
                }
            } }),
        )
        .await;
    let created = &data["createCampaign"];
    assert_eq!(created["status"], "DRAFT");
    assert_eq!(
        created["leadRegion"]["slug"], "north-west",
        "staff lead for their own region"
    );
    let id = created["id"].clone();

    let seen = app
        .ok(
            Some(&w.london_staff.access_token),
            CAMPAIGN,
            json!({ "id": id }),
        )
        .await;
    assert_eq!(seen["campaign"]["scope"], "NATIONAL");
    assert_eq!(seen["campaign"]["prioritisation"]["impact"]["score"], 5);
    assert_eq!(seen["campaign"]["prioritisation"]["total"], 9);
    assert_eq!(seen["campaign"]["prioritisation"]["longShot"], true);
    assert_eq!(
        seen["campaign"]["viewerCanManage"], false,
        "London staff may read but not run it"
    );

    for token in [None, Some(w.members[0].access_token.as_str())] {
        let hidden = app.gql(token, CAMPAIGN, json!({ "id": id })).await;
        assert_eq!(error_code(&hidden), "NOT_FOUND");
    }
    let list = app
        .ok(None, "{ campaigns { totalCount } }", json!({}))
        .await;
    assert_eq!(list["campaigns"]["totalCount"], 0);
}

#[tokio::test]
async fn once_active_everyone_sees_the_campaign_but_not_its_prioritisation() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = w.active_campaign(&app, "Lift the ban").await;
    for token in [None, Some(w.members[3].access_token.as_str())] {
        let data = app.ok(token, CAMPAIGN, json!({ "id": id })).await;
        let campaign = &data["campaign"];
        assert_eq!(campaign["status"], "ACTIVE");
        assert_eq!(campaign["scope"], "REGIONAL");
        assert_eq!(campaign["regions"], json!([{ "slug": "north-west" }]));
        assert_eq!(campaign["prioritisation"], Value::Null);
        assert_eq!(campaign["goals"]["totalCount"], 2);
        assert_eq!(
            campaign["goals"]["edges"][0]["node"]["slug"], "end-destitution",
            "goals in their agreed order"
        );
    }
}

#[tokio::test]
async fn status_moves_only_along_the_allowed_paths() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = w.draft_campaign(&app, "Lift the ban").await;
    let steps = [
        ("PAUSED", Some("CONFLICT")),
        ("WON", Some("CONFLICT")),
        ("ACTIVE", None),
        ("DRAFT", Some("CONFLICT")),
        ("PAUSED", None),
        ("PAUSED", Some("CONFLICT")),
        ("ACTIVE", None),
        ("PAUSED", None),
        ("WON", None),
        ("ACTIVE", Some("CONFLICT")),
        ("CLOSED", Some("CONFLICT")),
    ];
    for (target, refusal) in steps {
        let body = w.set_status(&app, &id, target).await;
        match refusal {
            None => assert_eq!(
                body["data"]["setCampaignStatus"]["status"], target,
                "{body}"
            ),
            Some(code) => assert_eq!(error_code(&body), code, "to {target}: {body}"),
        }
    }
}

#[tokio::test]
async fn staff_cannot_lead_or_run_another_regions_campaign() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let other_lead = app
        .gql(
            Some(&w.staff.access_token),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "title": "T", "summary": "S", "goalIds": [w.goals[0]], "leadRegionId": w.london } }),
        )
        .await;
    assert_eq!(error_code(&other_lead), "FORBIDDEN");
    let id = w.draft_campaign(&app, "Lift the ban").await;
    let update = "mutation($id: ID!, $i: UpdateCampaignInput!) { updateCampaign(id: $id, input: $i) { title leadRegion { slug } } }";
    let by_london = app
        .gql(
            Some(&w.london_staff.access_token),
            update,
            json!({ "id": id, "i": { "title": "Mine now" } }),
        )
        .await;
    assert_eq!(error_code(&by_london), "FORBIDDEN");
    let hand_over = app
        .gql(
            Some(&w.staff.access_token),
            update,
            json!({ "id": id, "i": { "leadRegionId": w.london } }),
        )
        .await;
    assert_eq!(error_code(&hand_over), "FORBIDDEN");
    let by_admin = app
        .ok(
            Some(&w.admin.access_token),
            update,
            json!({ "id": id, "i": { "leadRegionId": w.london, "title": "Handed over" } }),
        )
        .await;
    assert_eq!(by_admin["updateCampaign"]["leadRegion"]["slug"], "london");
}

#[tokio::test]
async fn updating_replaces_goals_regions_and_prioritisation() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let id = w.draft_campaign(&app, "Lift the ban").await;
    app.ok(
        Some(&w.staff.access_token),
        "mutation($id: ID!, $i: UpdateCampaignInput!) { updateCampaign(id: $id, input: $i) { id } }",
        json!({ "id": id, "i": {
            "goalIds": [w.goals[2]],
            "regionIds": [w.north_west, w.london],
            "summary": "A new summary.",
            "prioritisation": { "opportunity": { "score": 2, "note": "Little appetite in Parliament." } }
        } }),
    )
    .await;
    let data = app
        .ok(Some(&w.staff.access_token), CAMPAIGN, json!({ "id": id }))
        .await;
    let campaign = &data["campaign"];
    assert_eq!(campaign["summary"], "A new summary.");
    assert_eq!(campaign["title"], "Lift the ban", "left out, so kept");
    assert_eq!(
        campaign["goals"]["edges"],
        json!([{ "node": { "slug": "free-healthcare", "title": "Free healthcare" } }])
    );
    assert_eq!(
        campaign["regions"],
        json!([{ "slug": "north-west" }, { "slug": "london" }])
    );
    assert_eq!(campaign["prioritisation"]["impact"]["score"], Value::Null);
    assert_eq!(campaign["prioritisation"]["total"], 2);
}

#[tokio::test]
async fn campaigns_are_filtered_by_status_region_goal_and_words() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    w.active_campaign(&app, "Lift the ban").await;
    w.draft_campaign(&app, "Healthcare for all").await;
    app.ok(
            Some(&w.admin.access_token),
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "title": "End detention of children", "summary": "No child detained.", "goalIds": [w.goals[5]], "regionIds": [w.london] } }),
        )
        .await;
    let query = "query($f: CampaignFilter) { campaigns(filter: $f) { totalCount edges { node { title } } } }";
    let titles = |data: &Value| -> Vec<String> {
        data["campaigns"]["edges"]
            .as_array()
            .expect("edges")
            .iter()
            .map(|edge| {
                edge["node"]["title"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .collect()
    };
    let token = Some(w.admin.access_token.as_str());
    let cases = [
        (
            json!({}),
            vec![
                "End detention of children",
                "Healthcare for all",
                "Lift the ban",
            ],
        ),
        (
            json!({ "status": "DRAFT" }),
            vec!["End detention of children", "Healthcare for all"],
        ),
        (
            json!({ "regionId": w.london }),
            vec!["End detention of children"],
        ),
        (
            json!({ "regionId": w.north_west }),
            vec!["Healthcare for all", "Lift the ban"],
        ),
        (
            json!({ "goalId": w.goals[5] }),
            vec!["End detention of children"],
        ),
        (json!({ "search": "HEALTH" }), vec!["Healthcare for all"]),
    ];
    for (filter, expected) in cases {
        let data = app.ok(token, query, json!({ "f": filter })).await;
        assert_eq!(titles(&data), expected, "filter {filter}");
    }
    let public = app.ok(None, query, json!({})).await;
    assert_eq!(titles(&public), ["Lift the ban"]);
}

#[tokio::test]
async fn bad_campaign_input_names_the_field_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let base = json!({ "title": "T", "summary": "S", "goalIds": [w.goals[0]] });
    let with = |field: &str, value: Value| {
        let mut input = base.clone();
        input[field] = value;
        input
    };
    let cases = [
        (with("title", json!("  ")), "title"),
        (with("title", json!("t".repeat(201))), "title"),
        (with("summary", json!("s".repeat(501))), "summary"),
        (with("body", json!("b".repeat(20_001))), "body"),
        (with("goalIds", json!([])), "goalIds"),
        (with("goalIds", json!(["9999"])), "goalIds"),
        (with("goalIds", json!(["x"])), "goalIds"),
        (with("regionIds", json!(["9999"])), "regionIds"),
        (with("leadRegionId", json!("9999")), "leadRegionId"),
        (
            with("prioritisation", json!({ "impact": { "score": 6 } })),
            "prioritisation.impact.score",
        ),
        (
            with("prioritisation", json!({ "addedValue": { "score": 0 } })),
            "prioritisation.addedValue.score",
        ),
        (
            with(
                "prioritisation",
                json!({ "relevance": { "score": 3, "note": "n".repeat(2001) } }),
            ),
            "prioritisation.relevance.note",
        ),
    ];
    for (input, field) in cases {
        let body = app
            .gql(
                Some(&w.admin.access_token),
                "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
                json!({ "i": input }),
            )
            .await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            ("BAD_USER_INPUT", field),
            "{body}"
        );
    }
    let count = app
        .ok(
            Some(&w.admin.access_token),
            "{ campaigns { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(count["campaigns"]["totalCount"], 0);
}

/// The fields of each object come back in the order the query names them, as the GraphQL
/// specification says, even where a later field is ready first (`title` needs no further
/// read; the actions wait for their loader).
#[tokio::test]
async fn fields_come_back_in_the_order_the_query_names_them() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    w.action(&app, &campaign, json!({})).await;
    let query = "query($id: ID!) { campaign(id: $id) {
        jointActions { totalCount nodes { opensAt title } } ...Named status
        positions { totalCount } id } }
        fragment Named on Campaign { title goals { totalCount } }";
    let body = app
        .client
        .post(app.url("/graphql"))
        .json(&json!({ "query": query, "variables": { "id": campaign } }))
        .send()
        .await
        .expect("an answer")
        .text()
        .await
        .expect("a body");
    let keys: Vec<&str> = [
        "\"campaign\"",
        "\"jointActions\"",
        "\"opensAt\"",
        "\"title\":\"Write to your MP\"",
        "\"title\":\"Lift the ban\"",
        "\"goals\"",
        "\"status\"",
        "\"positions\"",
        "\"id\"",
    ]
    .into_iter()
    .filter(|key| body.contains(key))
    .collect();
    assert_eq!(keys.len(), 9, "every field is in the answer: {body}");
    let positions: Vec<usize> = keys.iter().filter_map(|key| body.find(key)).collect();
    assert!(
        positions.windows(2).all(|pair| pair[0] < pair[1]),
        "fields out of the query's order: {body}"
    );
}
