use serde_json::json;
use tests::{TestApp, error_code};

const LOG: &str = "{ auditLog(first: 50) { totalCount edges { node {
    action targetType targetId detail actor { email } createdAt } } } }";

#[tokio::test]
async fn admins_read_who_changed_what_newest_first() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let staff = app.staff(&admin, "wales", "nia@charity.example.org").await;
    let partner = app
        .partner(
            &staff,
            json!({ "name": "Butetown Drop-in", "regionId": app.region_id("wales").await }),
        )
        .await;
    app.ok(
        Some(&staff.access_token),
        "mutation($id: ID!) { updatePartner(id: $id, input: { town: \"Cardiff\" }) { id } }",
        json!({ "id": partner }),
    )
    .await;

    let data = app.ok(Some(&admin.access_token), LOG, json!({})).await;
    let entries = data["auditLog"]["edges"].as_array().expect("edges");
    let actions: Vec<&str> = entries
        .iter()
        .map(|e| e["node"]["action"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(
        actions,
        [
            "partner.update",
            "partner.create",
            "invitation.accept",
            "invitation.create",
            "auth.login",
            "user.create_admin",
        ]
    );
    let update = &entries[0]["node"];
    assert_eq!(update["actor"]["email"], "nia@charity.example.org");
    assert_eq!(update["targetType"], "partner");
    assert_eq!(update["targetId"], partner.as_str());
    assert_eq!(update["detail"], json!({ "fields": ["town"] }));
    assert_eq!(data["auditLog"]["totalCount"], 6);
}

#[tokio::test]
async fn only_admins_read_the_audit_log() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let staff = app.staff(&admin, "wales", "nia@charity.example.org").await;
    assert_eq!(
        error_code(&app.gql(None, LOG, json!({})).await),
        "UNAUTHENTICATED"
    );
    assert_eq!(
        error_code(&app.gql(Some(&staff.access_token), LOG, json!({})).await),
        "FORBIDDEN"
    );
}
