//! Benchmark of the email outbox: how long publishing an update takes when it queues email
//! for 100,000 subscribers (one INSERT … SELECT inside the publishing transaction), and how
//! fast the worker then delivers to an SMTP server on this machine.
//!
//! `cargo run --release -p tests --bin mail_bench` (SQLite), or with
//! `TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres` for PostgreSQL.
//! `SUBSCRIBERS`, `DELIVERY_SECONDS` and `MAIL_CONCURRENCY` change the sizes. For comparison it
//! then measures a bare SMTP client against a fresh server of the same kind, and confirms why
//! the worker sets `TCP_NODELAY`: the same client writing a message and its closing dot
//! separately, as lettre does, with and without Nagle's algorithm.

use std::time::{Duration, Instant};

use entities::{
    enums::{Frequency, SubscriberStatus},
    outbox, subscriber,
};
use sea_orm::{ActiveValue::Set, EntityTrait, PaginatorTrait};
use serde_json::json;
use tests::{TestApp, bench_setting as setting, smtp::SmtpSink};
use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::TcpStream,
};

#[tokio::main]
async fn main() {
    let count = setting("SUBSCRIBERS", 100_000);
    let window = Duration::from_secs(setting("DELIVERY_SECONDS", 15));
    let sink = SmtpSink::start();
    let app = TestApp::spawn_with(|settings| {
        settings.smtp_url = Some(sink.url());
        settings.mail_worker = false;
    })
    .await;
    let backend = format!("{:?}", app.state.db.get_database_backend());
    fill(&app, count).await;

    let admin = app.admin().await;
    let token = Some(admin.access_token.as_str());
    let created = app
        .ok(
            token,
            "mutation($i: CreatePolicyUpdateInput!) { createPolicyUpdate(input: $i) { id } }",
            json!({ "i": { "title": "Benchmark", "summary": "s", "body": "b", "kind": "RESOURCE" } }),
        )
        .await;
    let started = Instant::now();
    app.ok(
        token,
        "mutation($id: ID!) { publishPolicyUpdate(id: $id) { id } }",
        json!({ "id": created["createPolicyUpdate"]["id"] }),
    )
    .await;
    let publishing = started.elapsed();
    let queued = outbox::Entity::find()
        .count(&app.state.db)
        .await
        .unwrap_or_default();
    println!(
        "{backend}: publishing queued {queued} emails for {count} subscribers in {:.0} ms",
        publishing.as_secs_f64() * 1000.0
    );

    let concurrency = setting("MAIL_CONCURRENCY", 8);
    let worker = app
        .another_instance(|settings| {
            settings.smtp_url = Some(sink.url());
            settings.mail_concurrency = u16::try_from(concurrency).unwrap_or(8);
        })
        .await;
    let started = Instant::now();
    tokio::time::sleep(window).await;
    let delivered = sink.messages().len();
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{backend}: delivered {delivered} emails to a local SMTP server in {seconds:.1} s: {:.0} per second (one worker, {concurrency} at once)",
        delivered as f64 / seconds
    );
    worker.stop().await;

    let bare = bare_client_rate(concurrency, window, Writes::WHOLE).await;
    println!(
        "bare SMTP client ({concurrency} connections, TCP_NODELAY, one write per command) to a fresh local SMTP server: {bare:.0} per second; the worker reached {:.0}% of it",
        100.0 * delivered as f64 / seconds / bare
    );
    for writes in [Writes::AS_LETTRE_WITH_NAGLE, Writes::AS_LETTRE] {
        let rate = bare_client_rate(concurrency, window, writes).await;
        println!(
            "the same client writing the message and its closing dot separately, as lettre does, {}: {rate:.0} per second ({:.1} ms a message on each connection)",
            if writes.nodelay {
                "with TCP_NODELAY"
            } else {
                "with Nagle's algorithm on"
            },
            1000.0 * concurrency as f64 / rate
        );
    }
}

/// How the bare client writes each message.
#[derive(Clone, Copy)]
struct Writes {
    nodelay: bool,
    /// The closing `.` in a write of its own after the message.
    dot_apart: bool,
}

impl Writes {
    const WHOLE: Self = Self {
        nodelay: true,
        dot_apart: false,
    };
    const AS_LETTRE: Self = Self {
        nodelay: true,
        dot_apart: true,
    };
    const AS_LETTRE_WITH_NAGLE: Self = Self {
        nodelay: false,
        dot_apart: true,
    };
}

/// What the same kind of SMTP server takes from the simplest client that could send to it:
/// `connections` sockets, each sending MAIL, RCPT, DATA and a message of the size the worker
/// sends, waiting for each answer, for `window`. Messages per second.
async fn bare_client_rate(connections: u64, window: Duration, writes: Writes) -> f64 {
    let sink = SmtpSink::start();
    let body = format!(
        "From: updates@charity.example.org\r\nTo: reader@example.org\r\nSubject: Benchmark\r\n\r\n{}\r\n",
        "An update on the campaign, as long as a short email. ".repeat(40)
    );
    let deadline = Instant::now() + window;
    let clients = (0..connections).map(|_| {
        let body = body.clone();
        let address = sink.address;
        tokio::spawn(async move { bare_client(address, &body, deadline, writes).await })
    });
    let sent: u64 = futures_util::future::join_all(clients)
        .await
        .into_iter()
        .map(|sent| sent.unwrap_or(0))
        .sum();
    sent as f64 / window.as_secs_f64()
}

/// One connection's messages until `deadline`.
async fn bare_client(
    address: std::net::SocketAddr,
    body: &str,
    deadline: Instant,
    writes: Writes,
) -> u64 {
    let stream = TcpStream::connect(address)
        .await
        .unwrap_or_else(|error| panic!("the sink refused a connection: {error}"));
    stream
        .set_nodelay(writes.nodelay)
        .unwrap_or_else(|error| panic!("TCP_NODELAY not set: {error}"));
    let (reader, mut writer) = stream.into_split();
    let mut replies = BufReader::new(reader).lines();
    let mut exchange = async |command: &str, then: Option<&str>| {
        for part in std::iter::once(command).chain(then) {
            writer
                .write_all(part.as_bytes())
                .await
                .unwrap_or_else(|error| panic!("the sink stopped reading: {error}"));
        }
        // Multi-line replies (EHLO) end with a line whose code is followed by a space.
        while let Ok(Some(line)) = replies.next_line().await {
            if line.as_bytes().get(3) != Some(&b'-') {
                return;
            }
        }
        panic!("the sink closed the connection");
    };
    let message = format!("{body}.\r\n");
    exchange("", None).await;
    exchange("EHLO bench.example.org\r\n", None).await;
    let mut sent = 0;
    while Instant::now() < deadline {
        exchange("MAIL FROM:<updates@charity.example.org>\r\n", None).await;
        exchange("RCPT TO:<reader@example.org>\r\n", None).await;
        exchange("DATA\r\n", None).await;
        if writes.dot_apart {
            exchange(body, Some(".\r\n")).await;
        } else {
            exchange(&message, None).await;
        }
        sent += 1;
    }
    sent
}

/// Confirmed subscribers, written in batches.
async fn fill(app: &TestApp, count: u64) {
    let now = app.state.now();
    let mut next = 0;
    while next < count {
        let end = (next + 1_000).min(count);
        let rows = (next..end).map(|i| subscriber::ActiveModel {
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
            .unwrap_or_else(|error| panic!("subscribers not written: {error}"));
        next = end;
    }
}
