use chrono::Duration;
use serde_json::{Value, json};
use tests::{PASSWORD, TestApp, error_code, error_field, token_from_url};

const INVITE: &str = "mutation($i: InviteUserInput!) {
    inviteUser(input: $i) { id email emailedTo role status expiresAt region { slug } partner { name } } }";
const ACCEPT: &str = "mutation($t: String!, $n: String!, $p: String!) {
    acceptInvitation(token: $t, name: $n, password: $p) {
        accessToken user { name email role region { slug } partner { name } } } }";

async fn invite(app: &TestApp, token: &str, input: Value) -> Value {
    app.gql(Some(token), INVITE, json!({ "i": input })).await
}

/// The link emailed for the invitation in `body` (the answer to `inviteUser`).
async fn accept_link(app: &TestApp, body: &Value) -> String {
    let id = body["data"]["inviteUser"]["id"]
        .as_str()
        .expect("an invitation id");
    app.invitation_link(id).await
}

async fn accept_token(app: &TestApp, body: &Value) -> String {
    token_from_url(&accept_link(app, body).await)
}

#[tokio::test]
async fn an_admin_invites_regional_staff_who_open_their_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let wales = app.region_id("wales").await;
    let invited = invite(
        &app,
        &admin.access_token,
        json!({ "email": "Nia@Charity.Example.org", "role": "STAFF", "regionId": wales }),
    )
    .await;
    let invitation = &invited["data"]["inviteUser"];
    assert_eq!(invitation["email"], "nia@charity.example.org");
    assert_eq!(invitation["role"], "STAFF");
    assert_eq!(invitation["status"], "PENDING");
    assert_eq!(invitation["region"]["slug"], "wales");
    let url = accept_link(&app, &invited).await;
    assert!(
        url.starts_with(&app.url("/invitations/accept?token=")),
        "{url}"
    );

    let accepted = app
        .ok(
            None,
            ACCEPT,
            json!({ "t": accept_token(&app, &invited).await, "n": "Nia Evans", "p": PASSWORD }),
        )
        .await;
    let user = &accepted["acceptInvitation"]["user"];
    assert_eq!(user["name"], "Nia Evans");
    assert_eq!(user["email"], "nia@charity.example.org");
    assert_eq!(user["role"], "STAFF");
    assert_eq!(user["region"]["slug"], "wales");
    app.login("nia@charity.example.org", PASSWORD).await;
}

#[tokio::test]
async fn staff_invite_members_for_a_partner_in_their_region() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let staff = app
        .staff(&admin, "north-east", "callum@charity.example.org")
        .await;
    let partner = app
        .partner(&staff, json!({ "name": "Tyneside Befriending", "regionId": app.region_id("north-east").await }))
        .await;
    let invited = invite(
        &app,
        &staff.access_token,
        json!({ "email": "ruth@tyneside.example.org", "role": "PARTNER", "partnerId": partner }),
    )
    .await;
    assert_eq!(
        invited["data"]["inviteUser"]["partner"]["name"],
        "Tyneside Befriending"
    );
    let accepted = app
        .ok(
            None,
            ACCEPT,
            json!({ "t": accept_token(&app, &invited).await, "n": "Ruth", "p": PASSWORD }),
        )
        .await;
    assert_eq!(accepted["acceptInvitation"]["user"]["role"], "PARTNER");
    assert_eq!(
        accepted["acceptInvitation"]["user"]["partner"]["name"],
        "Tyneside Befriending"
    );
}

#[tokio::test]
async fn an_invitation_works_only_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let invited = invite(
        &app,
        &admin.access_token,
        json!({ "email": "ops@charity.example.org", "role": "ADMIN" }),
    )
    .await;
    let token = accept_token(&app, &invited).await;
    app.ok(
        None,
        ACCEPT,
        json!({ "t": token, "n": "Ops", "p": PASSWORD }),
    )
    .await;
    let again = app
        .gql(
            None,
            ACCEPT,
            json!({ "t": token, "n": "Someone else", "p": PASSWORD }),
        )
        .await;
    assert_eq!(
        (error_code(&again), error_field(&again)),
        ("BAD_USER_INPUT", "token")
    );
    assert!(
        again["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("already been used")
    );
}

#[tokio::test]
async fn an_invitation_expires_after_a_week() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let invited = invite(
        &app,
        &admin.access_token,
        json!({ "email": "late@charity.example.org", "role": "ADMIN" }),
    )
    .await;
    app.clock.advance(Duration::days(7) + Duration::seconds(1));
    let late = app
        .gql(
            None,
            ACCEPT,
            json!({ "t": accept_token(&app, &invited).await, "n": "Late", "p": PASSWORD }),
        )
        .await;
    assert_eq!(
        (error_code(&late), error_field(&late)),
        ("BAD_USER_INPUT", "token")
    );
    assert!(
        late["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired")
    );
    let admin = app.login(tests::ADMIN_EMAIL, PASSWORD).await;
    let listed = app
        .ok(
            Some(&admin.access_token),
            "{ invitations { edges { node { email status } } } }",
            json!({}),
        )
        .await;
    assert_eq!(
        listed["invitations"]["edges"][0]["node"]["status"],
        "EXPIRED"
    );
}

#[tokio::test]
async fn a_new_invitation_replaces_the_one_still_waiting() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let input = json!({ "email": "twice@charity.example.org", "role": "ADMIN" });
    let first = invite(&app, &admin.access_token, input.clone()).await;
    let second = invite(&app, &admin.access_token, input).await;
    let old = app
        .gql(
            None,
            ACCEPT,
            json!({ "t": accept_token(&app, &first).await, "n": "Twice", "p": PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&old), "BAD_USER_INPUT");
    app.ok(
        None,
        ACCEPT,
        json!({ "t": accept_token(&app, &second).await, "n": "Twice", "p": PASSWORD }),
    )
    .await;
}

#[tokio::test]
async fn staff_cannot_replace_an_admins_invitation_to_the_same_address() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let region = app.region_id("north-west").await;
    let staff = app
        .staff(&admin, "north-west", "ben@charity.example.org")
        .await;
    let partner = app
        .partner(
            &admin,
            json!({ "name": "Bolton Welcome Hub", "regionId": region }),
        )
        .await;
    let as_staff = invite(
        &app,
        &admin.access_token,
        json!({ "email": "amina@charity.example.org", "role": "STAFF", "regionId": region }),
    )
    .await;
    let replaced = invite(
        &app,
        &staff.access_token,
        json!({ "email": "amina@charity.example.org", "role": "PARTNER", "partnerId": partner }),
    )
    .await;
    assert_eq!(error_code(&replaced), "CONFLICT", "{replaced}");
    let accepted = app
        .ok(
            None,
            ACCEPT,
            json!({ "t": accept_token(&app, &as_staff).await, "n": "Amina", "p": PASSWORD }),
        )
        .await;
    assert_eq!(
        accepted["acceptInvitation"]["user"]["role"], "STAFF",
        "the admin's invitation still stands"
    );
}

#[tokio::test]
async fn a_revoked_invitation_no_longer_opens_an_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let invited = invite(
        &app,
        &admin.access_token,
        json!({ "email": "no@charity.example.org", "role": "ADMIN" }),
    )
    .await;
    let id = invited["data"]["inviteUser"]["id"].clone();
    let revoked = app
        .ok(
            Some(&admin.access_token),
            "mutation($id: ID!) { revokeInvitation(id: $id) { status } }",
            json!({ "id": id }),
        )
        .await;
    assert_eq!(revoked["revokeInvitation"]["status"], "REVOKED");
    let body = app
        .gql(
            None,
            ACCEPT,
            json!({ "t": accept_token(&app, &invited).await, "n": "No", "p": PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn inviting_an_address_that_already_has_an_account_is_a_conflict() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = invite(
        &app,
        &admin.access_token,
        json!({ "email": tests::ADMIN_EMAIL, "role": "ADMIN" }),
    )
    .await;
    assert_eq!(error_code(&body), "CONFLICT");
}

#[tokio::test]
async fn bad_invitation_input_names_the_field_and_creates_nothing() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let wales = app.region_id("wales").await;
    let cases = [
        (json!({ "email": "not-an-email", "role": "ADMIN" }), "email"),
        (json!({ "email": "x@localhost", "role": "ADMIN" }), "email"),
        (
            json!({ "email": format!("{}@example.org", "a".repeat(250)), "role": "ADMIN" }),
            "email",
        ),
        (
            json!({ "email": "s@charity.example.org", "role": "STAFF" }),
            "regionId",
        ),
        (
            json!({ "email": "s@charity.example.org", "role": "STAFF", "regionId": "999" }),
            "regionId",
        ),
        (
            json!({ "email": "s@charity.example.org", "role": "STAFF", "regionId": "abc" }),
            "regionId",
        ),
        (
            json!({ "email": "p@charity.example.org", "role": "PARTNER" }),
            "partnerId",
        ),
        (
            json!({ "email": "p@charity.example.org", "role": "PARTNER", "partnerId": "999" }),
            "partnerId",
        ),
        (
            json!({ "email": "a@charity.example.org", "role": "ADMIN", "regionId": wales }),
            "regionId",
        ),
    ];
    for (input, field) in cases {
        let body = invite(&app, &admin.access_token, input.clone()).await;
        assert_eq!(
            (error_code(&body), error_field(&body)),
            ("BAD_USER_INPUT", field),
            "{input}"
        );
    }
    let listed = app
        .ok(
            Some(&admin.access_token),
            "{ invitations { totalCount } }",
            json!({}),
        )
        .await;
    assert_eq!(listed["invitations"]["totalCount"], 0);
}

#[tokio::test]
async fn accepting_checks_the_name_and_password() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let invited = invite(
        &app,
        &admin.access_token,
        json!({ "email": "new@charity.example.org", "role": "ADMIN" }),
    )
    .await;
    let token = accept_token(&app, &invited).await;
    let short = app
        .gql(
            None,
            ACCEPT,
            json!({ "t": token, "n": "New", "p": "eleven char" }),
        )
        .await;
    assert_eq!(
        (error_code(&short), error_field(&short)),
        ("BAD_USER_INPUT", "password")
    );
    let blank = app
        .gql(
            None,
            ACCEPT,
            json!({ "t": token, "n": "   ", "p": PASSWORD }),
        )
        .await;
    assert_eq!(
        (error_code(&blank), error_field(&blank)),
        ("BAD_USER_INPUT", "name")
    );
    let long = app
        .gql(
            None,
            ACCEPT,
            json!({ "t": token, "n": "n".repeat(101), "p": PASSWORD }),
        )
        .await;
    assert_eq!(
        (error_code(&long), error_field(&long)),
        ("BAD_USER_INPUT", "name")
    );
    // Nothing was spent: the invitation still works.
    app.ok(
        None,
        ACCEPT,
        json!({ "t": token, "n": "New", "p": "exactly12chr" }),
    )
    .await;
}

#[tokio::test]
async fn the_invitation_link_opens_a_form_that_creates_the_account() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let invited = invite(
        &app,
        &admin.access_token,
        json!({ "email": "form@charity.example.org", "role": "ADMIN" }),
    )
    .await;
    let url = accept_link(&app, &invited).await;

    let page = app.client.get(&url).send().await.expect("page");
    assert_eq!(page.status(), 200);
    let html = page.text().await.expect("html");
    assert!(html.contains("<form method=\"post\">"), "{html}");
    assert!(html.contains("name=\"password\""));

    let short = app
        .client
        .post(&url)
        .form(&[
            ("token", accept_token(&app, &invited).await.as_str()),
            ("name", "Form"),
            ("password", "short"),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(short.status(), 400);
    assert!(
        short
            .text()
            .await
            .expect("html")
            .contains("at least 12 characters")
    );

    let done = app
        .client
        .post(&url)
        .form(&[
            ("token", accept_token(&app, &invited).await.as_str()),
            ("name", "Form"),
            ("password", PASSWORD),
        ])
        .send()
        .await
        .expect("answer");
    assert_eq!(done.status(), 200);
    assert!(
        done.text()
            .await
            .expect("html")
            .contains("Your account is ready")
    );
    app.login("form@charity.example.org", PASSWORD).await;
}

#[tokio::test]
async fn staff_see_only_invitations_for_their_regions_partners() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let wales_staff = app.staff(&admin, "wales", "nia@charity.example.org").await;
    let london = app.region_id("london").await;
    let london_partner = app
        .partner(
            &admin,
            json!({ "name": "Hackney Advice", "regionId": london }),
        )
        .await;
    let wales_partner = app
        .partner(
            &wales_staff,
            json!({ "name": "Butetown Drop-in", "regionId": app.region_id("wales").await }),
        )
        .await;
    invite(
        &app,
        &admin.access_token,
        json!({ "email": "l@hackney.example.org", "role": "PARTNER", "partnerId": london_partner }),
    )
    .await;
    invite(
        &app,
        &wales_staff.access_token,
        json!({ "email": "w@butetown.example.org", "role": "PARTNER", "partnerId": wales_partner }),
    )
    .await;

    let seen = app
        .ok(
            Some(&wales_staff.access_token),
            "{ invitations { totalCount edges { node { email } } } }",
            json!({}),
        )
        .await;
    assert_eq!(seen["invitations"]["totalCount"], 1);
    assert_eq!(
        seen["invitations"]["edges"][0]["node"]["email"],
        "w@butetown.example.org"
    );
}
