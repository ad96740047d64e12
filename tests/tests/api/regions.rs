use serde_json::json;
use tests::{TestApp, error_code};

#[tokio::test]
async fn anyone_sees_the_six_regions_with_their_offices() {
    let app = TestApp::spawn().await;
    let data = app
        .ok(None, "{ regions { id slug name officeCity } }", json!({}))
        .await;
    let regions: Vec<(String, String, String)> = data["regions"]
        .as_array()
        .expect("a list")
        .iter()
        .map(|r| {
            (
                r["slug"].as_str().unwrap_or_default().to_owned(),
                r["name"].as_str().unwrap_or_default().to_owned(),
                r["officeCity"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    let expected = [
        ("west-midlands", "West Midlands", "Birmingham"),
        ("north-west", "North West", "Manchester"),
        ("yorkshire-and-humber", "Yorkshire and Humber", "Leeds"),
        ("north-east", "North East", "Newcastle"),
        ("wales", "Wales", "Cardiff"),
        ("london", "London", "London"),
    ];
    assert_eq!(
        regions,
        expected
            .iter()
            .map(|(s, n, c)| (s.to_string(), n.to_string(), c.to_string()))
            .collect::<Vec<_>>()
    );
}

#[tokio::test]
async fn a_regions_staff_list_is_for_signed_in_users_only() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.staff(&admin, "wales", "nia@charity.example.org").await;
    let query = r#"{ region(slug: "wales") { name staff { name email } } }"#;

    let anonymous = app.gql(None, query, json!({})).await;
    assert_eq!(error_code(&anonymous), "UNAUTHENTICATED");

    let signed_in = app.ok(Some(&admin.access_token), query, json!({})).await;
    assert_eq!(
        signed_in["region"]["staff"],
        json!([{ "name": "Sam Staff", "email": "nia@charity.example.org" }])
    );
}

#[tokio::test]
async fn an_unknown_region_is_not_found() {
    let app = TestApp::spawn().await;
    let body = app
        .gql(None, r#"{ region(slug: "cornwall") { id } }"#, json!({}))
        .await;
    assert_eq!(error_code(&body), "NOT_FOUND");
}
