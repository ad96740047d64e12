//! The Atom feed of public updates, read as a feed reader reads it, and the update pages its
//! entries link to.

use serde_json::json;
use tests::TestApp;

use crate::world::world;

async fn publish(app: &TestApp, token: &str, input: serde_json::Value) -> String {
    let created = app
        .ok(
            Some(token),
            "mutation($i: CreatePolicyUpdateInput!) { createPolicyUpdate(input: $i) { id } }",
            json!({ "i": input }),
        )
        .await;
    let id = created["createPolicyUpdate"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    app.ok(
        Some(token),
        "mutation($id: ID!) { publishPolicyUpdate(id: $id) { id } }",
        json!({ "id": id }),
    )
    .await;
    id
}

async fn read_feed(app: &TestApp, query: &str) -> feed_rs::model::Feed {
    let answer = app
        .client
        .get(app.url(&format!("/feeds/updates.atom{query}")))
        .send()
        .await
        .expect("answer");
    assert_eq!(answer.status(), 200);
    assert!(
        answer
            .headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/atom+xml"))
    );
    let body = answer.bytes().await.expect("body");
    feed_rs::parser::parse(&body[..]).expect("a valid feed")
}

fn titles(feed: &feed_rs::model::Feed) -> Vec<String> {
    feed.entries
        .iter()
        .map(|entry| {
            entry
                .title
                .as_ref()
                .map(|t| t.content.clone())
                .unwrap_or_default()
        })
        .collect()
}

#[tokio::test]
async fn the_feed_lists_public_updates_with_stable_ids_and_links() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let base = json!({ "summary": "s", "body": "Read **this**.", "kind": "RESOURCE" });
    let with = |extra: serde_json::Value| {
        let mut input = base.clone();
        if let (Some(input), Some(extra)) = (input.as_object_mut(), extra.as_object()) {
            input.extend(extra.clone());
        }
        input
    };
    let first = publish(
        &app,
        &w.staff.access_token,
        with(
            json!({ "title": "North West news", "regionId": w.north_west, "topics": ["housing"] }),
        ),
    )
    .await;
    publish(
        &app,
        &w.london_staff.access_token,
        with(json!({ "title": "London news", "regionId": w.london })),
    )
    .await;
    publish(
        &app,
        &w.staff.access_token,
        with(json!({ "title": "Partners only", "audience": "PARTNERS" })),
    )
    .await;

    let feed = read_feed(&app, "").await;
    assert_eq!(titles(&feed), ["London news", "North West news"]);
    let entry = &feed.entries[1];
    assert!(
        entry.id.ends_with(&format!("/updates/{first}")),
        "{}",
        entry.id
    );
    assert!(entry.updated.is_some() && entry.published.is_some());
    let content = entry
        .content
        .as_ref()
        .and_then(|c| c.body.clone())
        .unwrap_or_default();
    assert!(content.contains("<strong>this</strong>"), "{content}");
    assert_eq!(
        read_feed(&app, "").await.entries[1].id,
        entry.id,
        "ids are stable"
    );

    assert_eq!(
        titles(&read_feed(&app, "?region=north-west").await),
        ["North West news"]
    );
    assert_eq!(
        titles(&read_feed(&app, "?topic=Housing").await),
        ["North West news"]
    );

    let page = app
        .client
        .get(&entry.links[0].href)
        .send()
        .await
        .expect("page");
    assert_eq!(page.status(), 200);
    assert!(
        page.text()
            .await
            .unwrap_or_default()
            .contains("North West news")
    );
    let unknown = app
        .client
        .get(app.url("/feeds/updates.atom?region=atlantis"))
        .send()
        .await
        .expect("answer");
    assert_eq!(unknown.status(), 404);
}
