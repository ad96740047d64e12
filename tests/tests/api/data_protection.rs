//! Personal data: erasure leaves no bytes behind, emailed links outlive a rotated session
//! secret, and invitations are accepted only by whoever reads the invitee's email (with the
//! accepting client recorded).

use serde_json::json;
use tests::TestApp;

use crate::{
    mailing::{confirmed, data_token, link, token_of},
    world::world,
};

/// Files under `dir` whose bytes contain `needle`.
fn files_containing(dir: &std::path::Path, needle: &[u8]) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut folders = vec![dir.to_path_buf()];
    while let Some(folder) = folders.pop() {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            if path.is_dir() {
                folders.push(path);
            } else if std::fs::read(&path)
                .is_ok_and(|bytes| bytes.windows(needle.len()).any(|window| window == needle))
            {
                found.push(path);
            }
        }
    }
    found
}

#[tokio::test]
async fn an_erased_address_appears_in_no_file_under_the_data_folder() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let address = "gone.for.good@example.org";
    confirmed(
        &app,
        address,
        json!({ "name": "Farah", "topics": ["housing"] }),
    )
    .await;
    crate::mailing::publish_update(&app, &w, json!({})).await;
    let mail = app.wait_for_mail(address, 2).await;
    let manage = token_of(&link(
        mail.last().expect("an update"),
        "/subscriptions/preferences",
    ));
    assert!(
        !files_containing(app.dir.path(), address.as_bytes()).is_empty(),
        "the address is on disk before erasure"
    );
    let data = data_token(&app, &manage, address).await;
    app.ok(
        None,
        "mutation($t: String!) { eraseSubscriber(token: $t) }",
        json!({ "t": data }),
    )
    .await;
    assert_eq!(
        files_containing(app.dir.path(), address.as_bytes()),
        Vec::<std::path::PathBuf>::new(),
        "no file under DATA_DIR holds the address (database, its write-ahead log, mail)"
    );
}

#[tokio::test]
async fn emailed_links_keep_working_when_the_session_secret_is_rotated() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    confirmed(&app, "stays@example.org", json!({})).await;
    crate::mailing::publish_update(&app, &w, json!({})).await;
    let mail = app.wait_for_mail("stays@example.org", 2).await;
    let unsubscribe = link(
        mail.last().expect("an update"),
        "/subscriptions/unsubscribe",
    );

    let rotated = app
        .another_instance(|settings| {
            settings.jwt_secret =
                Some("a brand new session secret, rotated to end every session".to_owned());
        })
        .await;
    let old_session = app
        .gql_at(
            rotated.address,
            Some(&w.admin.access_token),
            "{ me { name } }",
            json!({}),
        )
        .await;
    assert_eq!(
        tests::error_code(&old_session),
        "UNAUTHENTICATED",
        "rotating JWT_SECRET ends every session"
    );
    let on_rotated = unsubscribe.replace(&app.address.to_string(), &rotated.address.to_string());
    let left = app
        .client
        .post(&on_rotated)
        .form(&[("token", token_of(&unsubscribe).as_str())])
        .send()
        .await
        .expect("an answer");
    assert_eq!(left.status(), 200, "the emailed link still works");
    assert!(
        left.text()
            .await
            .unwrap_or_default()
            .contains("You are unsubscribed")
    );
    rotated.stop().await;

    let other_links = app
        .another_instance(|settings| {
            settings.link_secret =
                Some("a different link secret that is long enough too".to_owned());
        })
        .await;
    let refused = app
        .gql_at(
            other_links.address,
            None,
            "mutation($t: String!) { unsubscribe(token: $t) { status } }",
            json!({ "t": token_of(&unsubscribe) }),
        )
        .await;
    assert_eq!(
        tests::error_code(&refused),
        "BAD_USER_INPUT",
        "links are signed with LINK_SECRET"
    );
    other_links.stop().await;
}

#[tokio::test]
async fn accepting_an_invitation_records_where_it_was_accepted_from() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let link = app
        .invite(
            &admin,
            json!({ "email": "new.staff@charity.example.org", "role": "ADMIN" }),
        )
        .await;
    let accepted = app
        .client
        .post(app.url("/graphql"))
        .header("user-agent", "Invitee Browser/1.0")
        .json(&json!({
            "query": "mutation($t: String!) { acceptInvitation(token: $t, name: \"Nia\", password: \"a long enough password\") { accessToken } }",
            "variables": { "t": tests::token_from_url(&link) },
        }))
        .send()
        .await
        .expect("an answer");
    assert_eq!(accepted.status(), 200);
    let log = app
        .ok(
            Some(&admin.access_token),
            "{ auditLog(first: 50) { edges { node { action detail } } } }",
            json!({}),
        )
        .await;
    let entry = log["auditLog"]["edges"]
        .as_array()
        .expect("edges")
        .iter()
        .find(|edge| edge["node"]["action"] == "invitation.accept")
        .map(|edge| edge["node"]["detail"].clone())
        .expect("the acceptance is audited");
    assert_eq!(
        entry,
        json!({ "ip": "127.0.0.1", "userAgent": "Invitee Browser/1.0" })
    );
}

#[tokio::test]
async fn the_inviter_cannot_ask_for_the_invitation_link() {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let asked = app
        .gql(
            Some(&admin.access_token),
            "mutation { inviteUser(input: { email: \"x@charity.example.org\", role: ADMIN }) { acceptUrl } }",
            json!({}),
        )
        .await;
    assert_eq!(tests::error_code(&asked), "GRAPHQL_VALIDATION_FAILED");
}

/// Rows still holding `address`, across the tables an unconfirmed request writes to.
async fn rows_holding(app: &TestApp, address: &str) -> u64 {
    use entities::{partnership_enquiry, signatory, subscriber, training_attendee};
    use sea_orm::{ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter};
    let db = &app.state.db;
    let counts = [
        subscriber::Entity::find()
            .filter(subscriber::Column::Email.eq(address))
            .count(db)
            .await,
        partnership_enquiry::Entity::find()
            .filter(partnership_enquiry::Column::ContactEmail.eq(address))
            .count(db)
            .await,
        signatory::Entity::find()
            .filter(signatory::Column::Email.eq(address))
            .count(db)
            .await,
        training_attendee::Entity::find()
            .filter(training_attendee::Column::Email.eq(address))
            .count(db)
            .await,
    ];
    counts
        .into_iter()
        .map(|count| count.expect("a count"))
        .sum()
}

#[tokio::test]
async fn requests_whose_link_is_never_followed_are_forgotten_after_a_month() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let never = "never.confirmed@example.net";
    crate::mailing::subscribe(&app, json!({ "email": never })).await;
    app.wait_for_mail(never, 1).await;
    app.ok(
        None,
        "mutation($i: RequestPartnershipInput!) { requestPartnership(input: $i) { message } }",
        json!({ "i": { "organisationName": "Quiet Group", "contactName": "Nia",
                       "contactEmail": never, "message": "May we join?" } }),
    )
    .await;
    app.wait_for_mail(never, 2).await;
    crate::principles::signed_outside(
        &app,
        crate::principles::outside_form("Quiet Group", never, None, true),
    )
    .await;
    let mut input = crate::training::session_input(&app, &w, "Open to all", 10);
    input["audience"] = json!("PUBLIC");
    input["startsAt"] = json!((app.state.now() + chrono::Duration::days(60)).to_rfc3339());
    input["endsAt"] = json!(
        (app.state.now() + chrono::Duration::days(60) + chrono::Duration::hours(2)).to_rfc3339()
    );
    let session = crate::training::published(&app, &w.staff, input).await;
    app.ok(
        None,
        crate::training::BOOK,
        json!({ "i": { "sessionId": session, "attendees": [{ "name": "Nia", "email": never }] } }),
    )
    .await;
    let kept = "kept.confirmed@example.net";
    confirmed(&app, kept, json!({})).await;
    assert_eq!(rows_holding(&app, never).await, 4);

    app.clock.advance(chrono::Duration::days(29));
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    assert_eq!(
        rows_holding(&app, never).await,
        4,
        "a month to follow the link"
    );
    app.clock.advance(chrono::Duration::days(2));
    let mut left = u64::MAX;
    for _ in 0..100 {
        left = rows_holding(&app, never).await;
        if left == 0 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(left, 0, "nothing is kept of requests never confirmed");
    assert_eq!(
        rows_holding(&app, kept).await,
        1,
        "a confirmed subscription stays"
    );
}
