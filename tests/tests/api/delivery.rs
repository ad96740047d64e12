//! Email through a real SMTP server: delivery with the one-click headers, several server
//! instances sharing one outbox, a restart mid-delivery, and a worker that died holding
//! messages.

use std::{collections::BTreeSet, time::Duration as StdDuration};

use chrono::Duration;
use entities::{
    enums::{Frequency, MailStatus, SubscriberStatus},
    outbox, subscriber,
};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
use serde_json::json;
use tests::{TestApp, smtp::SmtpSink};

/// `count` confirmed subscribers, written straight to the database (the subscribe flow has
/// its own tests; these need volume).
async fn subscribers(app: &TestApp, count: usize) {
    let now = app.state.now();
    let rows = (0..count).map(|i| subscriber::ActiveModel {
        email: Set(format!("reader{i}@example.org")),
        frequency: Set(Frequency::Immediate),
        status: Set(SubscriberStatus::Confirmed),
        token_salt: Set(format!("salt{i}")),
        confirmation_sent_at: Set(now),
        consent_at: Set(Some(now)),
        created_at: Set(now),
        updated_at: Set(now),
        ..Default::default()
    });
    subscriber::Entity::insert_many(rows)
        .exec_without_returning(&app.state.db)
        .await
        .expect("subscribers written");
}

async fn publish(app: &TestApp, title: &str) {
    let admin = app.admin().await;
    let token = Some(admin.access_token.as_str());
    let created = app
        .ok(
            token,
            "mutation($i: CreatePolicyUpdateInput!) { createPolicyUpdate(input: $i) { id } }",
            json!({ "i": { "title": title, "summary": "s", "body": "b", "kind": "RESOURCE" } }),
        )
        .await;
    app.ok(
        token,
        "mutation($id: ID!) { publishPolicyUpdate(id: $id) { id } }",
        json!({ "id": created["createPolicyUpdate"]["id"] }),
    )
    .await;
}

async fn wait_for(sink: &SmtpSink, count: usize) -> Vec<String> {
    for _ in 0..300 {
        let messages = sink.messages();
        if messages.len() >= count {
            return messages;
        }
        tokio::time::sleep(StdDuration::from_millis(100)).await;
    }
    panic!(
        "expected {count} messages, the server accepted {}",
        sink.messages().len()
    );
}

/// Waits for `count` messages and for the outbox to have nothing left to send, then checks
/// they went to `count` different readers: nothing lost, nothing sent twice.
async fn assert_each_reader_gets_one(app: &TestApp, sink: &SmtpSink, count: usize) {
    wait_for(sink, count).await;
    app.wait_for_outbox_idle().await;
    let messages = sink.messages();
    let distinct: BTreeSet<String> = recipients(&messages).into_iter().collect();
    assert_eq!(
        (messages.len(), distinct.len()),
        (count, count),
        "every reader once, none twice"
    );
}

fn recipients(messages: &[String]) -> Vec<String> {
    messages
        .iter()
        .filter_map(|message| {
            message
                .lines()
                .find_map(|line| line.strip_prefix("To: ").map(str::to_owned))
        })
        .collect()
}

#[tokio::test]
async fn updates_go_out_through_smtp_with_one_click_unsubscribe() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(|settings| settings.smtp_url = Some(sink.url())).await;
    subscribers(&app, 3).await;
    publish(&app, "Support rates frozen").await;
    let messages = wait_for(&sink, 3).await;
    assert_eq!(
        recipients(&messages)
            .into_iter()
            .collect::<BTreeSet<_>>()
            .len(),
        3
    );
    let first = &messages[0];
    assert!(first.contains("Subject: Support rates frozen"), "{first}");
    assert!(first.contains("List-Unsubscribe: <http://"), "{first}");
    assert!(first.contains("List-Unsubscribe-Post: List-Unsubscribe=One-Click"));
    let sent = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(MailStatus::Sent))
        .all(&app.state.db)
        .await
        .expect("outbox");
    assert_eq!(sent.len(), 3);
}

#[tokio::test]
async fn two_instances_on_one_database_send_each_message_once() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(|settings| settings.smtp_url = Some(sink.url())).await;
    let second = app
        .another_instance(|settings| settings.smtp_url = Some(sink.url()))
        .await;
    subscribers(&app, 300).await;
    publish(&app, "To three hundred").await;
    assert_each_reader_gets_one(&app, &sink, 300).await;
    second.stop().await;
}

#[tokio::test]
async fn messages_held_by_a_worker_that_died_are_taken_over_and_sent_once() {
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(|settings| {
        settings.smtp_url = Some(sink.url());
        settings.mail_worker = false;
    })
    .await;
    subscribers(&app, 20).await;
    publish(&app, "Held").await;
    // As a worker leaves them when it dies mid-batch: taken (attempted once), leased, unsent.
    let lease_end = app.state.now() + Duration::minutes(2);
    outbox::Entity::update_many()
        .col_expr(outbox::Column::LockedUntil, Expr::val(lease_end))
        .col_expr(outbox::Column::Attempts, Expr::val(1))
        .exec(&app.state.db)
        .await
        .expect("leased");
    let worker = app
        .another_instance(|settings| settings.smtp_url = Some(sink.url()))
        .await;
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    assert!(
        sink.messages().is_empty(),
        "nobody takes them while the lease lasts"
    );

    app.clock.advance(Duration::minutes(3));
    let messages = wait_for(&sink, 20).await;
    tokio::time::sleep(StdDuration::from_secs(2)).await;
    assert_eq!(sink.messages().len(), 20);
    assert_eq!(
        recipients(&messages)
            .into_iter()
            .collect::<BTreeSet<_>>()
            .len(),
        20
    );
    worker.stop().await;
}

#[tokio::test]
async fn a_restart_mid_delivery_loses_nothing_and_sends_nothing_twice() {
    // A relay that takes 20 ms a message, so that the 600 messages take longer than the wait
    // for the first 30 (at full speed the worker sends them all before it can be stopped).
    let sink = SmtpSink::start_slow(StdDuration::from_millis(20));
    let app = TestApp::spawn_with(|settings| {
        settings.smtp_url = Some(sink.url());
        settings.mail_worker = false;
    })
    .await;
    subscribers(&app, 600).await;
    let first = app
        .another_instance(|settings| settings.smtp_url = Some(sink.url()))
        .await;
    publish(&app, "Sent across a restart").await;
    wait_for(&sink, 30).await;
    first.stop().await;
    let before_restart = sink.messages().len();
    let held = outbox::Entity::find()
        .filter(outbox::Column::Status.eq(MailStatus::Pending))
        .filter(outbox::Column::LockedUntil.is_not_null())
        .all(&app.state.db)
        .await
        .expect("outbox");
    assert!(
        held.is_empty(),
        "a stopping worker finishes what it took before it exits"
    );
    assert!(before_restart < 600, "stopped mid-delivery");

    let second = app
        .another_instance(|settings| settings.smtp_url = Some(sink.url()))
        .await;
    assert_each_reader_gets_one(&app, &sink, 600).await;
    second.stop().await;
}

/// A relay slow enough that one worker's batch takes longer than a lease: the worker renews
/// its lease as it goes, so the other instance never takes (and re-sends) its messages.
#[tokio::test]
async fn a_slow_relay_and_two_instances_still_send_each_message_once() {
    let sink = SmtpSink::start_slow(StdDuration::from_millis(100));
    let app = TestApp::spawn_real_time(|settings| {
        settings.smtp_url = Some(sink.url());
        settings.mail_concurrency = 1;
    })
    .await;
    let second = app
        .another_instance(|settings| {
            settings.smtp_url = Some(sink.url());
            settings.mail_concurrency = 1;
        })
        .await;
    subscribers(&app, 130).await;
    publish(&app, "Slowly to everyone").await;
    assert_each_reader_gets_one(&app, &sink, 130).await;
    let retaken = outbox::Entity::find()
        .filter(outbox::Column::Attempts.gt(1))
        .all(&app.state.db)
        .await
        .expect("outbox");
    assert!(retaken.is_empty(), "no message was taken twice");
    second.stop().await;
}

/// `kill -9` in the middle of a batch: the messages it held go out within 15 seconds of a
/// new instance starting (their lease runs out), and every reader gets the update.
#[tokio::test]
async fn a_killed_instances_messages_go_out_soon_after_a_restart() {
    let sink = SmtpSink::start_slow(StdDuration::from_millis(50));
    let app = TestApp::spawn_real_time(|settings| {
        settings.smtp_url = Some(sink.url());
        settings.mail_worker = false;
    })
    .await;
    subscribers(&app, 150).await;
    // Published before the instance starts, so that it finds the mail waiting whichever
    // database it shares with the test (on SQLite it hears no events from this process).
    publish(&app, "Across a crash").await;
    let mut killed = crate::cli::cli(&app, &["serve"])
        .env("BIND_ADDR", "127.0.0.1:0")
        .env("SMTP_URL", sink.url())
        .env("MAIL_CONCURRENCY", "1")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("the server starts");
    wait_for(&sink, 10).await;
    killed.kill().expect("kill -9");
    killed.wait().expect("it is gone");
    let at_kill = sink.messages().len();
    assert!(at_kill < 150, "killed mid-delivery");

    let restarted_at = std::time::Instant::now();
    let restarted = app
        .another_instance(|settings| settings.smtp_url = Some(sink.url()))
        .await;
    wait_for(&sink, at_kill + 1).await;
    let resumed_after = restarted_at.elapsed();
    assert!(
        resumed_after < StdDuration::from_secs(15),
        "delivery resumed {resumed_after:?} after the restart"
    );
    wait_for(&sink, 150).await;
    app.wait_for_outbox_idle().await;
    let messages = sink.messages();
    let distinct: BTreeSet<String> = recipients(&messages).into_iter().collect();
    assert_eq!(distinct.len(), 150, "every reader gets the update");
    assert!(
        messages.len() <= 151,
        "at most the one message in flight at the kill is sent again: {}",
        messages.len()
    );
    restarted.stop().await;
}
