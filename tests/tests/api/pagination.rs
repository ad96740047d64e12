use std::collections::HashSet;

use serde_json::{Value, json};
use tests::{TestApp, error_code, error_field};

const PAGE: &str = "query($first: Int, $after: String) {
    partners(first: $first, after: $after) {
        totalCount edges { cursor node { name } } pageInfo { hasNextPage endCursor } } }";

async fn app_with_partners(count: usize) -> (TestApp, String) {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    for i in 0..count {
        app.partner(&admin, json!({ "name": format!("Partner {i:03}") }))
            .await;
    }
    (app, admin.access_token)
}

fn names(data: &Value) -> Vec<String> {
    data["partners"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .map(|edge| edge["node"]["name"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test]
async fn pages_default_to_twenty_and_walk_the_whole_list_once() {
    let (app, token) = app_with_partners(45).await;
    let first = app.ok(Some(&token), PAGE, json!({})).await;
    assert_eq!(names(&first).len(), 20);
    assert_eq!(first["partners"]["totalCount"], 45);
    assert_eq!(first["partners"]["pageInfo"]["hasNextPage"], true);

    let mut seen = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = app
            .ok(Some(&token), PAGE, json!({ "first": 20, "after": after }))
            .await;
        seen.extend(names(&data));
        let info = &data["partners"]["pageInfo"];
        if info["hasNextPage"] == false {
            break;
        }
        after = info["endCursor"].clone();
    }
    let expected: Vec<String> = (0..45).map(|i| format!("Partner {i:03}")).collect();
    assert_eq!(seen, expected, "every partner once, in name order");
    assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 45);
}

#[tokio::test]
async fn a_page_is_stable_when_rows_are_added_before_the_cursor() {
    let (app, token) = app_with_partners(5).await;
    let first = app.ok(Some(&token), PAGE, json!({ "first": 2 })).await;
    assert_eq!(names(&first), ["Partner 000", "Partner 001"]);
    let cursor = first["partners"]["pageInfo"]["endCursor"].clone();
    let admin = tests::Session {
        user_id: String::new(),
        access_token: token.clone(),
        refresh_token: String::new(),
    };
    app.partner(&admin, json!({ "name": "Partner 000a" })).await;
    let next = app
        .ok(Some(&token), PAGE, json!({ "first": 2, "after": cursor }))
        .await;
    assert_eq!(
        names(&next),
        ["Partner 002", "Partner 003"],
        "keyset: continues after the last name seen"
    );
}

#[tokio::test]
async fn the_last_page_says_there_is_no_next_page() {
    let (app, token) = app_with_partners(3).await;
    let data = app.ok(Some(&token), PAGE, json!({ "first": 3 })).await;
    assert_eq!(names(&data).len(), 3);
    assert_eq!(data["partners"]["pageInfo"]["hasNextPage"], false);
    let cursor = data["partners"]["pageInfo"]["endCursor"].clone();
    let after = app
        .ok(Some(&token), PAGE, json!({ "first": 3, "after": cursor }))
        .await;
    assert!(names(&after).is_empty());
    assert_eq!(after["partners"]["pageInfo"]["hasNextPage"], false);
    assert_eq!(after["partners"]["pageInfo"]["endCursor"], Value::Null);
}

#[tokio::test]
async fn an_empty_page_can_be_asked_for() {
    let (app, token) = app_with_partners(2).await;
    let data = app.ok(Some(&token), PAGE, json!({ "first": 0 })).await;
    assert!(names(&data).is_empty());
    assert_eq!(data["partners"]["pageInfo"]["hasNextPage"], true);
    assert_eq!(data["partners"]["totalCount"], 2);
}

#[tokio::test]
async fn page_sizes_above_one_hundred_or_below_zero_are_refused() {
    let (app, token) = app_with_partners(0).await;
    let max = app.ok(Some(&token), PAGE, json!({ "first": 100 })).await;
    assert!(names(&max).is_empty());
    for first in [101, 1000, -1] {
        let body = app.gql(Some(&token), PAGE, json!({ "first": first })).await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            ("BAD_USER_INPUT", "first"),
            "first: {first}"
        );
    }
}

#[tokio::test]
async fn a_cursor_that_did_not_come_from_the_list_is_refused() {
    let (app, token) = app_with_partners(1).await;
    for after in ["nonsense", "eyJhIjoxfQ", ""] {
        let body = app.gql(Some(&token), PAGE, json!({ "after": after })).await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            ("BAD_USER_INPUT", "after"),
            "after: {after:?}"
        );
    }
}
