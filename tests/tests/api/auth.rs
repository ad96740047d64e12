use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::Duration;
use jsonwebtoken::{EncodingKey, Header};
use serde_json::{Value, json};
use tests::{ADMIN_EMAIL, PASSWORD, TestApp, error_code, error_field, session_from};

const ME: &str = "{ me { id name email role } }";
const LOGIN: &str = "mutation($e: String!, $p: String!) {
    login(email: $e, password: $p) { accessToken refreshToken user { id email } } }";
const REFRESH: &str = "mutation($t: String!) {
    refreshSession(refreshToken: $t) { accessToken refreshToken user { id } } }";

async fn me_status(app: &TestApp, token: &str) -> (u16, Value) {
    let response = app
        .client
        .post(app.url("/graphql"))
        .header("accept", "application/graphql-response+json")
        .bearer_auth(token)
        .json(&json!({ "query": ME }))
        .send()
        .await
        .expect("answer");
    let status = response.status().as_u16();
    (status, response.json().await.expect("json"))
}

#[tokio::test]
async fn signing_in_gives_tokens_that_identify_the_person() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let me = app.ok(Some(&admin.access_token), ME, json!({})).await;
    assert_eq!(me["me"]["email"], ADMIN_EMAIL);
    assert_eq!(me["me"]["role"], "ADMIN");
    assert_eq!(me["me"]["id"], admin.user_id.as_str());
}

#[tokio::test]
async fn addresses_are_matched_regardless_of_case_and_spaces() {
    let app = TestApp::spawn().await;
    app.admin().await;
    let body = app
        .gql(
            None,
            LOGIN,
            json!({ "e": "  Director@Charity.Example.ORG ", "p": PASSWORD }),
        )
        .await;
    assert_eq!(body["data"]["login"]["user"]["email"], ADMIN_EMAIL);
}

#[tokio::test]
async fn a_wrong_password_and_an_unknown_address_get_the_same_refusal() {
    let app = TestApp::spawn().await;
    app.admin().await;
    let wrong_password = app
        .gql(
            None,
            LOGIN,
            json!({ "e": ADMIN_EMAIL, "p": "not the password" }),
        )
        .await;
    let unknown = app
        .gql(
            None,
            LOGIN,
            json!({ "e": "nobody@charity.example.org", "p": PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&wrong_password), "UNAUTHENTICATED");
    assert_eq!(error_code(&unknown), "UNAUTHENTICATED");
    assert_eq!(
        wrong_password["errors"][0]["message"],
        unknown["errors"][0]["message"]
    );
}

#[tokio::test]
async fn without_a_token_me_asks_you_to_sign_in() {
    let app = TestApp::spawn().await;
    let body = app.gql(None, ME, json!({})).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn repeated_failures_lock_the_address_until_the_lockout_passes() {
    let app = TestApp::spawn().await;
    app.admin().await;
    for _ in 0..5 {
        let body = app
            .gql(
                None,
                LOGIN,
                json!({ "e": ADMIN_EMAIL, "p": "guess guess guess" }),
            )
            .await;
        assert_eq!(error_code(&body), "UNAUTHENTICATED");
    }
    let locked = app
        .gql(None, LOGIN, json!({ "e": ADMIN_EMAIL, "p": PASSWORD }))
        .await;
    assert_eq!(
        error_code(&locked),
        "RATE_LIMITED",
        "even the right password waits: {locked}"
    );
    let retry_after = locked["errors"][0]["extensions"]["retryAfterSeconds"]
        .as_i64()
        .expect("retryAfterSeconds");
    assert!(
        (1..=15 * 60).contains(&retry_after),
        "retry after {retry_after}s"
    );
    assert!(locked["errors"][0]["extensions"]["retryAt"].is_string());

    // Another address is not affected.
    let other = app
        .gql(
            None,
            LOGIN,
            json!({ "e": "someone@charity.example.org", "p": PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&other), "UNAUTHENTICATED");

    app.clock.advance(Duration::minutes(16));
    let after = app
        .gql(None, LOGIN, json!({ "e": ADMIN_EMAIL, "p": PASSWORD }))
        .await;
    assert!(after["data"]["login"]["accessToken"].is_string(), "{after}");
}

#[tokio::test]
async fn failures_spread_out_over_time_do_not_lock_the_address() {
    let app = TestApp::spawn().await;
    app.admin().await;
    for _ in 0..8 {
        app.gql(
            None,
            LOGIN,
            json!({ "e": ADMIN_EMAIL, "p": "guess guess guess" }),
        )
        .await;
        app.clock.advance(Duration::minutes(5));
    }
    let body = app
        .gql(None, LOGIN, json!({ "e": ADMIN_EMAIL, "p": PASSWORD }))
        .await;
    assert!(body["data"]["login"].is_object(), "{body}");
}

#[tokio::test]
async fn an_access_token_stops_working_when_it_expires() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.clock.advance(Duration::minutes(14));
    assert_eq!(me_status(&app, &admin.access_token).await.0, 200);
    app.clock.advance(Duration::minutes(2));
    let (status, body) = me_status(&app, &admin.access_token).await;
    assert_eq!(status, 401);
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired")
    );
}

fn segments(token: &str) -> Vec<String> {
    token.split('.').map(str::to_owned).collect()
}

fn claims_of(token: &str) -> Value {
    let payload = URL_SAFE_NO_PAD
        .decode(&segments(token)[1])
        .expect("base64 payload");
    serde_json::from_slice(&payload).expect("json claims")
}

#[tokio::test]
async fn tampered_and_forged_tokens_are_refused() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let parts = segments(&admin.access_token);
    let mut claims = claims_of(&admin.access_token);

    // Changing the payload breaks the signature.
    claims["sub"] = json!("999");
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    );
    // An unsigned token claiming `alg: none`.
    let none_header = URL_SAFE_NO_PAD.encode(r#"{"alg":"none","typ":"JWT"}"#);
    let unsigned = format!("{none_header}.{}.", parts[1]);
    // Right claims, signed with another key.
    let claims = claims_of(&admin.access_token);
    let other_key = jsonwebtoken::encode(
        &Header::default(),
        &claims,
        &EncodingKey::from_secret(b"some other secret that is long enough"),
    )
    .expect("encode");
    // Signed with the right key but for another audience.
    let mut wrong_audience_claims = claims.clone();
    wrong_audience_claims["aud"] = json!("someone-else");
    let wrong_audience = jsonwebtoken::encode(
        &Header::default(),
        &wrong_audience_claims,
        &EncodingKey::from_secret(b"test signing secret that is long enough to use"),
    )
    .expect("encode");
    let mut wrong_issuer_claims = claims.clone();
    wrong_issuer_claims["iss"] = json!("someone-else");
    let wrong_issuer = jsonwebtoken::encode(
        &Header::default(),
        &wrong_issuer_claims,
        &EncodingKey::from_secret(b"test signing secret that is long enough to use"),
    )
    .expect("encode");

    for (what, token) in [
        ("tampered", tampered),
        ("alg none", unsigned),
        ("other key", other_key),
        ("wrong audience", wrong_audience),
        ("wrong issuer", wrong_issuer),
        ("garbage", "not-a-token".to_owned()),
    ] {
        let (status, body) = me_status(&app, &token).await;
        assert_eq!(status, 401, "{what}");
        assert_eq!(error_code(&body), "UNAUTHENTICATED", "{what}");
    }
}

#[tokio::test]
async fn a_refresh_token_is_exchanged_for_new_tokens_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let first = app
        .ok(None, REFRESH, json!({ "t": admin.refresh_token }))
        .await;
    let rotated = session_from(&first["refreshSession"]);
    assert_ne!(rotated.refresh_token, admin.refresh_token);
    assert_eq!(me_status(&app, &rotated.access_token).await.0, 200);

    // The rotated one works once more; the first one is spent.
    let second = app
        .ok(None, REFRESH, json!({ "t": rotated.refresh_token }))
        .await;
    let latest = session_from(&second["refreshSession"]);
    assert_eq!(me_status(&app, &latest.access_token).await.0, 200);
}

#[tokio::test]
async fn reusing_a_spent_refresh_token_ends_the_whole_session() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let rotated = session_from(
        &app.ok(None, REFRESH, json!({ "t": admin.refresh_token }))
            .await["refreshSession"],
    );

    let reuse = app
        .gql(None, REFRESH, json!({ "t": admin.refresh_token }))
        .await;
    assert_eq!(error_code(&reuse), "UNAUTHENTICATED");

    // The thief's copy and the owner's newer tokens are all dead now.
    let newer = app
        .gql(None, REFRESH, json!({ "t": rotated.refresh_token }))
        .await;
    assert_eq!(error_code(&newer), "UNAUTHENTICATED");
    assert_eq!(me_status(&app, &rotated.access_token).await.0, 401);

    // Signing in again opens a fresh session.
    let again = app.login(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(me_status(&app, &again.access_token).await.0, 200);
}

#[tokio::test]
async fn a_refresh_token_expires() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    app.clock.advance(Duration::days(31));
    let body = app
        .gql(None, REFRESH, json!({ "t": admin.refresh_token }))
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap_or_default()
            .contains("expired")
    );
}

#[tokio::test]
async fn an_unknown_refresh_token_is_refused() {
    let app = TestApp::spawn().await;
    let body = app.gql(None, REFRESH, json!({ "t": "made-up" })).await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
}

#[tokio::test]
async fn signing_out_ends_the_session_and_its_tokens() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let other_device = app.login(ADMIN_EMAIL, PASSWORD).await;
    let out = app
        .ok(
            None,
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": admin.refresh_token }),
        )
        .await;
    assert_eq!(out["logout"], true);
    assert_eq!(me_status(&app, &admin.access_token).await.0, 401);
    let refresh = app
        .gql(None, REFRESH, json!({ "t": admin.refresh_token }))
        .await;
    assert_eq!(error_code(&refresh), "UNAUTHENTICATED");
    // Other sign-ins are separate sessions and carry on.
    assert_eq!(me_status(&app, &other_device.access_token).await.0, 200);
}

/// Statements one signed-in request that reads nothing costs: the session check or nothing.
async fn statements_to_recognise(app: &TestApp, token: &str) -> u64 {
    let before = app.statements();
    app.ok(Some(token), "{ __typename }", json!({})).await;
    app.statements() - before
}

/// The status of `me` once this instance has had the moment PostgreSQL takes to deliver a
/// notification from another instance (on SQLite the instances share one process, and the
/// first answer is the one that counts).
async fn status_once_heard(app: &TestApp, token: &str) -> u16 {
    for _ in 0..100 {
        let status = me_status(app, token).await.0;
        if status == 401 {
            return status;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    me_status(app, token).await.0
}

/// A session checked moments ago is taken from memory (no statement), so its ending must reach
/// every instance: a sign-out or a deactivation on another instance is refused here as soon as
/// the notification arrives, not when the memory expires.
#[tokio::test]
async fn a_session_ended_on_another_instance_is_refused_here_at_once() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let staff = app
        .staff(&admin, "london", "kwame@charity.example.org")
        .await;
    let second_device = app.login("kwame@charity.example.org", PASSWORD).await;
    let other = app.another_instance(|_| {}).await;

    // This instance trusts its memory once it hears every ending (on PostgreSQL, once its
    // listener is connected, which takes a moment after start).
    let mut remembered = false;
    for _ in 0..50 {
        statements_to_recognise(&app, &staff.access_token).await;
        if statements_to_recognise(&app, &staff.access_token).await == 0 {
            remembered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(
        remembered,
        "a session checked moments ago costs no statement"
    );
    statements_to_recognise(&app, &second_device.access_token).await;

    let out = app
        .gql_at(
            other.address,
            None,
            "mutation($t: String!) { logout(refreshToken: $t) }",
            json!({ "t": staff.refresh_token }),
        )
        .await;
    assert_eq!(out["data"]["logout"], true);
    assert_eq!(status_once_heard(&app, &staff.access_token).await, 401);
    assert_eq!(
        me_status(&app, &second_device.access_token).await.0,
        200,
        "the other session carries on"
    );

    let deactivated = app
        .gql_at(
            other.address,
            Some(&admin.access_token),
            "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
            json!({ "id": staff.user_id }),
        )
        .await;
    assert_eq!(deactivated["data"]["deactivateUser"]["active"], false);
    assert_eq!(
        status_once_heard(&app, &second_device.access_token).await,
        401
    );
    other.stop().await;
}

#[tokio::test]
async fn a_deactivated_account_loses_access_at_once_and_cannot_sign_in() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let staff = app
        .staff(&admin, "london", "kwame@charity.example.org")
        .await;
    assert_eq!(me_status(&app, &staff.access_token).await.0, 200);

    app.ok(
        Some(&admin.access_token),
        "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
        json!({ "id": staff.user_id }),
    )
    .await;
    assert_eq!(me_status(&app, &staff.access_token).await.0, 401);
    let refresh = app
        .gql(None, REFRESH, json!({ "t": staff.refresh_token }))
        .await;
    assert_eq!(error_code(&refresh), "UNAUTHENTICATED");
    let login = app
        .gql(
            None,
            LOGIN,
            json!({ "e": "kwame@charity.example.org", "p": PASSWORD }),
        )
        .await;
    assert_eq!(error_code(&login), "UNAUTHENTICATED");

    app.ok(
        Some(&admin.access_token),
        "mutation($id: ID!) { reactivateUser(id: $id) { active } }",
        json!({ "id": staff.user_id }),
    )
    .await;
    let back = app.login("kwame@charity.example.org", PASSWORD).await;
    assert_eq!(me_status(&app, &back.access_token).await.0, 200);
}

#[tokio::test]
async fn an_admin_cannot_deactivate_themself() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let body = app
        .gql(
            Some(&admin.access_token),
            "mutation($id: ID!) { deactivateUser(id: $id) { active } }",
            json!({ "id": admin.user_id }),
        )
        .await;
    assert_eq!(error_code(&body), "BAD_USER_INPUT");
}

#[tokio::test]
async fn guesses_at_the_current_password_count_like_sign_in_guesses() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";
    for _ in 0..5 {
        let wrong = app
            .gql(
                Some(&admin.access_token),
                change,
                json!({ "c": "guess guess guess", "n": "a brand new passphrase" }),
            )
            .await;
        assert_eq!(error_code(&wrong), "BAD_USER_INPUT");
    }
    let locked = app
        .gql(
            Some(&admin.access_token),
            change,
            json!({ "c": PASSWORD, "n": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(
        error_code(&locked),
        "RATE_LIMITED",
        "a sixth guess waits, whoever holds the session: {locked}"
    );
    let sign_in = app
        .gql(None, LOGIN, json!({ "e": ADMIN_EMAIL, "p": PASSWORD }))
        .await;
    assert_eq!(
        error_code(&sign_in),
        "RATE_LIMITED",
        "the account's lock is the same one sign-in uses"
    );
}

#[tokio::test]
async fn changing_the_password_ends_other_sessions() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let laptop = app.login(ADMIN_EMAIL, PASSWORD).await;
    let change = "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }";

    let short = app
        .gql(
            Some(&admin.access_token),
            change,
            json!({ "c": PASSWORD, "n": "short" }),
        )
        .await;
    assert_eq!(
        (error_code(&short), error_field(&short)),
        ("BAD_USER_INPUT", "newPassword")
    );
    let wrong = app
        .gql(
            Some(&admin.access_token),
            change,
            json!({ "c": "not it at all", "n": "a brand new passphrase" }),
        )
        .await;
    assert_eq!(
        (error_code(&wrong), error_field(&wrong)),
        ("BAD_USER_INPUT", "currentPassword")
    );

    app.ok(
        Some(&admin.access_token),
        change,
        json!({ "c": PASSWORD, "n": "a brand new passphrase" }),
    )
    .await;
    assert_eq!(me_status(&app, &admin.access_token).await.0, 200);
    assert_eq!(me_status(&app, &laptop.access_token).await.0, 401);
    let old = app
        .gql(None, LOGIN, json!({ "e": ADMIN_EMAIL, "p": PASSWORD }))
        .await;
    assert_eq!(error_code(&old), "UNAUTHENTICATED");
    app.login(ADMIN_EMAIL, "a brand new passphrase").await;
}

#[tokio::test]
async fn a_malformed_email_at_sign_in_names_the_field() {
    let app = TestApp::spawn().await;
    let body = app
        .gql(None, LOGIN, json!({ "e": "not an email", "p": PASSWORD }))
        .await;
    assert_eq!(
        (error_code(&body), error_field(&body)),
        ("BAD_USER_INPUT", "email")
    );
}

#[tokio::test]
async fn a_password_hashed_with_older_settings_still_signs_in_and_is_stored_again_with_todays() {
    use argon2::password_hash::PasswordHasher;
    use entities::user;
    use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};

    let app = TestApp::spawn().await;
    app.admin().await;
    let older = argon2::Argon2::default()
        .hash_password(PASSWORD.as_bytes())
        .expect("a hash")
        .to_string();
    assert!(
        older.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{older}"
    );
    user::Entity::update_many()
        .col_expr(user::Column::PasswordHash, Expr::value(older.clone()))
        .filter(user::Column::Email.eq(ADMIN_EMAIL))
        .exec(&app.state.db)
        .await
        .expect("the stored hash replaced");

    let stored = || async {
        user::Entity::find()
            .filter(user::Column::Email.eq(ADMIN_EMAIL))
            .one(&app.state.db)
            .await
            .expect("read")
            .expect("the admin")
            .password_hash
    };
    app.login(ADMIN_EMAIL, PASSWORD).await;
    let upgraded = stored().await;
    assert!(
        upgraded.starts_with("$argon2id$v=19$m=7168,t=5,p=1$"),
        "{upgraded}"
    );

    let body = app
        .gql(
            None,
            LOGIN,
            json!({ "e": ADMIN_EMAIL, "p": "not the password at all" }),
        )
        .await;
    assert_eq!(error_code(&body), "UNAUTHENTICATED");
    app.login(ADMIN_EMAIL, PASSWORD).await;
    assert_eq!(stored().await, upgraded, "a current hash is kept as it is");
}
