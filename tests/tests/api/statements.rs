//! A nested list costs a fixed number of SQL statements, however many rows it shows.

use futures_util::{StreamExt, stream};
use serde_json::json;
use tests::{Session, TestApp};

const SLUGS: [&str; 6] = [
    "west-midlands",
    "north-west",
    "yorkshire-and-humber",
    "north-east",
    "wales",
    "london",
];

const NESTED: &str = "{ partners(first: 100) { totalCount edges { node {
    name contactEmail viewerCanEdit region { name officeCity staff { name email } } } } } }";

async fn statements_for_partner_list(count: usize) -> (u64, usize) {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let mut regions = Vec::new();
    for (i, slug) in SLUGS.iter().enumerate() {
        regions.push(app.region_id(slug).await);
        app.staff(&admin, slug, &format!("staff{i}@charity.example.org"))
            .await;
    }
    create_partners(&app, &admin, &regions, count).await;

    let before = app.statements();
    let data = app.ok(Some(&admin.access_token), NESTED, json!({})).await;
    let used = app.statements() - before;
    let shown = data["partners"]["edges"].as_array().map_or(0, Vec::len);
    assert_eq!(data["partners"]["totalCount"], count);
    (used, shown)
}

async fn create_partners(app: &TestApp, admin: &Session, regions: &[String], count: usize) {
    stream::iter(0..count)
        .for_each_concurrent(8, |i| {
            let region = if i % 7 == 6 { None } else { Some(regions[i % 7].clone()) };
            async move {
                app.partner(admin, json!({ "name": format!("Partner {i:04}"), "regionId": region, "contactEmail": format!("p{i}@example.org") }))
                    .await;
            }
        })
        .await;
}

#[tokio::test]
async fn the_partner_list_costs_the_same_for_five_rows_as_for_five_hundred() {
    let (few, shown_few) = statements_for_partner_list(5).await;
    let (many, shown_many) = statements_for_partner_list(500).await;
    assert_eq!((shown_few, shown_many), (5, 100));
    assert_eq!(
        few, many,
        "statements for 5 rows: {few}, for 500 rows: {many}"
    );
    // Sign-in check, the page, the count, regions, staff.
    assert!(few <= 5, "{few} statements");
}
