//! Partner engagement at a glance: what each organisation took part in, for staff to see who
//! is active and who has gone quiet.

use chrono::Duration;
use serde_json::{Value, json};
use tests::{TestApp, error_code};

use crate::world::world;

const REPORT: &str = "query($r: ID, $from: DateTime, $o: EngagementOrder) {
    engagementReport(regionId: $r, from: $from, orderBy: $o) { partner { name } engagement {
    jointActionsJoined positionsBacked positionsDeclined supportRequests trainingAttended
    lastActiveAt } } }";

fn names(report: &Value) -> Vec<&str> {
    report["engagementReport"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|line| line["partner"]["name"].as_str())
        .collect()
}

#[tokio::test]
async fn staff_see_who_took_part_and_who_has_gone_quiet() {
    let app = TestApp::spawn().await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let action = w.action(&app, &campaign, json!({})).await;
    let position = w
        .position(&app, &campaign, "PARTNER_BACKED", "Work is a right.")
        .await;
    w.request_approval(&app, &position, &[0, 1]).await;
    let minute = || app.clock.advance(Duration::minutes(1));
    w.respond(&app, 1, &position, "DECLINE", 1).await;
    minute();
    w.opt_in(&app, 0, &action, None).await;
    w.respond(&app, 0, &position, "APPROVE", 1).await;
    minute();
    app.ok(
        Some(&w.members[0].access_token),
        "mutation { requestSupport(input: { kind: OWN_CAMPAIGN, title: \"A vigil\", description: \"Help us plan it.\" }) { id } }",
        json!({}),
    )
    .await;

    app.ok(
        Some(&w.members[0].access_token),
        crate::principles::SIGN,
        json!({ "i": { "partnerId": w.partners[0], "signatoryName": "Mariam Yusuf",
                       "signatoryRole": "Coordinator" } }),
    )
    .await;
    let bolton = app
        .ok(
            Some(&w.staff.access_token),
            "query($p: ID!) { partner(id: $p) { engagement { jointActionsJoined positionsBacked
                positionsDeclined supportRequests trainingAttended signedPrinciples } } }",
            json!({ "p": w.partners[0] }),
        )
        .await;
    assert_eq!(
        bolton["partner"]["engagement"],
        json!({ "jointActionsJoined": 1, "positionsBacked": 1, "positionsDeclined": 0,
                "supportRequests": 1, "trainingAttended": 0, "signedPrinciples": true })
    );
    let hidden = app
        .gql(
            Some(&w.london_staff.access_token),
            "query($p: ID!) { partner(id: $p) { engagement { lastActiveAt } } }",
            json!({ "p": w.partners[0] }),
        )
        .await;
    assert_eq!(
        error_code(&hidden),
        "FORBIDDEN",
        "another region's staff do not see it"
    );

    let by_recency = |order: &'static str| {
        let (app, w) = (&app, &w);
        async move {
            let before = app.statements();
            let report = app
                .ok(
                    Some(&w.staff.access_token),
                    REPORT,
                    json!({ "r": w.north_west, "o": order }),
                )
                .await;
            (report, app.statements() - before)
        }
    };
    let (recent, statements) = by_recency("LAST_ACTIVE").await;
    assert_eq!(
        names(&recent),
        ["Bolton Welcome Hub", "Salford Law Project", "Wigan Drop-in"]
    );
    assert_eq!(
        recent["engagementReport"][1]["engagement"]["positionsDeclined"],
        1
    );
    assert_eq!(
        recent["engagementReport"][2]["engagement"]["lastActiveAt"],
        Value::Null
    );
    let (quiet, _) = by_recency("LEAST_RECENTLY_ACTIVE").await;
    assert_eq!(
        names(&quiet)[0],
        "Wigan Drop-in",
        "the quiet ones first, when asked"
    );
    // Sign-in check, the region's partners, then one grouped count per column (joint actions,
    // positions backed and declined, support requests, training, principles, petitions).
    assert!(statements <= 9, "{statements} statements");
    let before = app.statements();
    let everyone = app.ok(Some(&w.admin.access_token), REPORT, json!({})).await;
    assert_eq!(names(&everyone).len(), 5, "admins see every region's");
    assert_eq!(
        app.statements() - before,
        statements,
        "the same statements for five partners as for three"
    );

    let later = app
        .ok(
            Some(&w.staff.access_token),
            REPORT,
            json!({ "r": w.north_west, "from": (app.state.now() + Duration::days(1)).to_rfc3339() }),
        )
        .await;
    assert!(
        later["engagementReport"]
            .as_array()
            .into_iter()
            .flatten()
            .all(|line| line["engagement"]["lastActiveAt"].is_null()),
        "nothing after tomorrow"
    );
    for (token, code) in [
        (None, "UNAUTHENTICATED"),
        (Some(&w.members[0].access_token), "FORBIDDEN"),
        (Some(&w.london_staff.access_token), "FORBIDDEN"),
    ] {
        let refused = app
            .gql(
                token.map(String::as_str),
                REPORT,
                json!({ "r": w.north_west }),
            )
            .await;
        assert_eq!(error_code(&refused), code);
    }
}
