//! Every mutation (and every restricted query) against every role: who is let through and
//! who is refused with which code.

use serde_json::{Value, json};
use tests::{PASSWORD, Session, TestApp, error_code};

use crate::{
    mailing, petitions, principles, training,
    world::{World, world},
};

const ROLES: [&str; 6] = [
    "anonymous",
    "admin",
    "staff of the partner's region",
    "staff of another region",
    "member of the partner",
    "member of another partner",
];

const OK: &str = "ok";
const DENIED: &str = "FORBIDDEN";
const ANON: &str = "UNAUTHENTICATED";

struct Fixture {
    sessions: [Option<Session>; 6],
    region: String,
    partner: String,
    victim: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let admin = app.admin().await;
    let region = app.region_id("north-west").await;
    let staff_here = app
        .staff(&admin, "north-west", "ben@charity.example.org")
        .await;
    let staff_elsewhere = app
        .staff(&admin, "london", "kwame@charity.example.org")
        .await;
    let partner = app
        .partner(
            &admin,
            json!({ "name": "Bolton Welcome Hub", "regionId": region }),
        )
        .await;
    let other_partner = app
        .partner(&admin, json!({ "name": "Avon Welcome Network" }))
        .await;
    let member = app
        .member(&admin, &partner, "mariam@bolton.example.org")
        .await;
    let other_member = app
        .member(&admin, &other_partner, "esther@avon.example.org")
        .await;
    let victim = app
        .member(&admin, &partner, "victim@bolton.example.org")
        .await;
    Fixture {
        sessions: [
            None,
            Some(admin),
            Some(staff_here),
            Some(staff_elsewhere),
            Some(member),
            Some(other_member),
        ],
        region,
        partner,
        victim: victim.user_id,
    }
}

/// One mutation (or query) tried by each role in [`ROLES`] against the fixture `F`.
struct Case<F> {
    name: &'static str,
    query: &'static str,
    variables: fn(&F, usize) -> Value,
    expected: [&'static str; 6],
}

fn cases() -> Vec<Case<Fixture>> {
    vec![
        Case {
            name: "inviteUser ADMIN",
            query: "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
            variables: |_, role| json!({ "i": { "email": format!("admin{role}@charity.example.org"), "role": "ADMIN" } }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "inviteUser STAFF",
            query: "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
            variables: |f, role| json!({ "i": { "email": format!("staff{role}@charity.example.org"), "role": "STAFF", "regionId": f.region } }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "inviteUser PARTNER",
            query: "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
            variables: |f, role| json!({ "i": { "email": format!("member{role}@bolton.example.org"), "role": "PARTNER", "partnerId": f.partner } }),
            expected: [ANON, OK, OK, DENIED, DENIED, DENIED],
        },
        Case {
            name: "createPartner in a region",
            query: "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }",
            variables: |f, role| json!({ "i": { "name": format!("Regional partner {role}"), "regionId": f.region } }),
            expected: [ANON, OK, OK, DENIED, DENIED, DENIED],
        },
        Case {
            name: "createPartner outside the regions",
            query: "mutation($i: CreatePartnerInput!) { createPartner(input: $i) { id } }",
            variables: |_, role| json!({ "i": { "name": format!("National partner {role}") } }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "updatePartner public profile",
            query: "mutation($id: ID!, $i: UpdatePartnerInput!) { updatePartner(id: $id, input: $i) { id } }",
            variables: |f, role| json!({ "id": f.partner, "i": { "description": format!("Edited by role {role}") } }),
            expected: [ANON, OK, OK, DENIED, OK, DENIED],
        },
        Case {
            name: "updatePartner status",
            query: "mutation($id: ID!, $i: UpdatePartnerInput!) { updatePartner(id: $id, input: $i) { id } }",
            variables: |f, _| json!({ "id": f.partner, "i": { "status": "ACTIVE" } }),
            expected: [ANON, OK, OK, DENIED, DENIED, DENIED],
        },
        Case {
            name: "importPartners (a dry run, a region)",
            query: "mutation($r: ID) { importPartners(regionId: $r, csv: \"name\\nNew group\\n\") { created } }",
            variables: |f, _| json!({ "r": f.region }),
            expected: [ANON, OK, OK, DENIED, DENIED, DENIED],
        },
        Case {
            name: "importPartners (outside the regions)",
            query: "mutation { importPartners(csv: \"name\\nNew group\\n\") { created } }",
            variables: |_, _| json!({}),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "exportPartnersCsv (a region)",
            query: "mutation($r: ID) { exportPartnersCsv(regionId: $r) { rowCount } }",
            variables: |f, _| json!({ "r": f.region }),
            expected: [ANON, OK, OK, DENIED, DENIED, DENIED],
        },
        Case {
            name: "deactivateUser",
            query: "mutation($id: ID!) { deactivateUser(id: $id) { id } }",
            variables: |f, _| json!({ "id": f.victim }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "reactivateUser",
            query: "mutation($id: ID!) { reactivateUser(id: $id) { id } }",
            variables: |f, _| json!({ "id": f.victim }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "changePassword",
            query: "mutation($c: String!, $n: String!) { changePassword(currentPassword: $c, newPassword: $n) }",
            variables: |_, _| json!({ "c": PASSWORD, "n": PASSWORD }),
            expected: [ANON, OK, OK, OK, OK, OK],
        },
        Case {
            name: "users (query)",
            query: "{ users { totalCount } }",
            variables: |_, _| json!({}),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "invitations (query)",
            query: "{ invitations { totalCount } }",
            variables: |_, _| json!({}),
            expected: [ANON, OK, OK, OK, DENIED, DENIED],
        },
        Case {
            name: "auditLog (query)",
            query: "{ auditLog { totalCount } }",
            variables: |_, _| json!({}),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
    ]
}

fn outcome(body: &Value) -> String {
    match body.get("errors") {
        None => OK.to_owned(),
        Some(_) => error_code(body).to_owned(),
    }
}

#[tokio::test]
async fn every_role_against_every_foundation_mutation() {
    let app = TestApp::spawn().await;
    let fixture = fixture(&app).await;
    let sessions = fixture.sessions.each_ref().map(Option::as_ref);
    check_matrix(&app, &fixture, sessions, cases()).await;
}

#[tokio::test]
async fn revoking_an_invitation_is_for_whoever_could_send_it() {
    let app = TestApp::spawn().await;
    let fixture = fixture(&app).await;
    let admin = fixture.sessions[1].clone().expect("an admin session");
    let expected = [ANON, OK, OK, DENIED, DENIED, DENIED];
    for (role, expected) in expected.iter().enumerate() {
        let invited = app
            .ok(
                Some(&admin.access_token),
                "mutation($i: InviteUserInput!) { inviteUser(input: $i) { id } }",
                json!({ "i": { "email": format!("r{role}@bolton.example.org"), "role": "PARTNER", "partnerId": fixture.partner } }),
            )
            .await;
        let token = fixture.sessions[role]
            .as_ref()
            .map(|s| s.access_token.as_str());
        let body = app
            .gql(
                token,
                "mutation($id: ID!) { revokeInvitation(id: $id) { id } }",
                json!({ "id": invited["inviteUser"]["id"] }),
            )
            .await;
        assert_eq!(
            outcome(&body),
            *expected,
            "revokeInvitation as {}",
            ROLES[role]
        );
    }
}

/// One of each campaigning object per role, so that a change one role makes (publishing,
/// moving a status) cannot decide what the next role is allowed to do.
struct Campaigning {
    world: World,
    campaign: String,
    action: String,
    position: String,
    drafts: Vec<String>,
    own_positions: Vec<String>,
    requests: Vec<String>,
    /// A North West policy update, and one draft and one published update per role.
    update: String,
    update_drafts: Vec<String>,
    published_updates: Vec<String>,
    /// Per role: the confirmation token of a pending subscriber, and the manage token (from
    /// an update email) of a confirmed North West subscriber.
    confirm_tokens: Vec<String>,
    manage_tokens: Vec<String>,
    data_tokens: Vec<String>,
}

async fn north_west_update(app: &TestApp, world: &World, title: String, publish: bool) -> String {
    let token = Some(world.staff.access_token.as_str());
    let created = app
        .ok(
            token,
            "mutation($i: CreatePolicyUpdateInput!) { createPolicyUpdate(input: $i) { id } }",
            json!({ "i": { "title": title, "summary": "s", "body": "b", "kind": "RESOURCE", "regionId": world.north_west } }),
        )
        .await;
    let id = created["createPolicyUpdate"]["id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    if publish {
        app.ok(
            token,
            "mutation($id: ID!) { publishPolicyUpdate(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    }
    id
}

/// Subscribes `email` and returns the token from its confirmation email.
async fn pending_subscriber(app: &TestApp, email: &str) -> String {
    mailing::subscribe(app, json!({ "email": email })).await;
    let mail = mailing::wait_for_mail(app, email, 1).await;
    mailing::token_of(&mailing::link(&mail[0], "/subscriptions/confirm"))
}

/// Roles in the same order as [`ROLES`], taken from the campaigning world: the North West
/// staff and the Bolton member are "of the partner's region" and "of the partner".
fn world_sessions(world: &World) -> [Option<&Session>; 6] {
    [
        None,
        Some(&world.admin),
        Some(&world.staff),
        Some(&world.london_staff),
        Some(&world.members[0]),
        Some(&world.members[3]),
    ]
}

async fn campaigning(app: &TestApp) -> Campaigning {
    let world = world(app).await;
    let campaign = world.active_campaign(app, "Lift the ban").await;
    let action = world.action(app, &campaign, json!({})).await;
    let position = world
        .position(app, &campaign, "PARTNER_BACKED", "Work is a right.")
        .await;
    world.request_approval(app, &position, &[0]).await;
    let mut drafts = Vec::new();
    let mut own_positions = Vec::new();
    let mut requests = Vec::new();
    let mut update_drafts = Vec::new();
    let mut published_updates = Vec::new();
    let mut confirm_tokens = Vec::new();
    for role in 0..ROLES.len() {
        confirm_tokens.push(pending_subscriber(app, &format!("pending{role}@example.org")).await);
        mailing::confirmed(
            app,
            &format!("reader{role}@example.org"),
            json!({ "regionId": world.north_west }),
        )
        .await;
    }
    for role in 0..ROLES.len() {
        update_drafts.push(north_west_update(app, &world, format!("Draft {role}"), false).await);
        published_updates.push(north_west_update(app, &world, format!("Live {role}"), true).await);
        drafts.push(world.draft_campaign(app, &format!("Draft {role}")).await);
        own_positions.push(
            world
                .position(app, &campaign, "OWN", &format!("Our view {role}"))
                .await,
        );
        let asked = app
            .ok(
                Some(&world.members[0].access_token),
                "mutation($i: RequestSupportInput!) { requestSupport(input: $i) { id } }",
                json!({ "i": { "kind": "OWN_CAMPAIGN", "title": format!("Help {role}"), "description": "A vigil." } }),
            )
            .await;
        requests.push(
            asked["requestSupport"]["id"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        );
    }
    let update = north_west_update(app, &world, "Shared".to_owned(), false).await;
    let mut manage_tokens = Vec::new();
    let mut data_tokens = Vec::new();
    for role in 0..ROLES.len() {
        let reader = format!("reader{role}@example.org");
        let mail = mailing::wait_for_mail(app, &reader, 2).await;
        let manage = mailing::token_of(&mailing::link(&mail[1], "/subscriptions/unsubscribe"));
        data_tokens.push(mailing::data_token(app, &manage, &reader).await);
        manage_tokens.push(manage);
    }
    Campaigning {
        confirm_tokens,
        manage_tokens,
        data_tokens,
        update,
        update_drafts,
        published_updates,
        world,
        campaign,
        action,
        position,
        drafts,
        own_positions,
        requests,
    }
}

const RUN: [&str; 6] = [ANON, OK, OK, DENIED, DENIED, DENIED];
const ACT_FOR_A_PARTNER: [&str; 6] = [ANON, DENIED, DENIED, DENIED, OK, OK];
const ANYONE: [&str; 6] = [OK; 6];
/// Mailing-list links work for whoever holds them, signed in or not; signing in gives no one
/// a subscriber's data without the link.
const LINK_HOLDER: [&str; 6] = ANYONE;
const NOT_THE_LINK: [&str; 6] = ["BAD_USER_INPUT"; 6];

fn campaign_cases() -> Vec<Case<Campaigning>> {
    vec![
        Case {
            name: "createCampaign led by the North West",
            query: "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            variables: |c, role| {
                json!({ "i": { "title": format!("New {role}"), "summary": "s", "body": "b",
                "goalIds": [c.world.goals[0]], "regionIds": [c.world.north_west], "leadRegionId": c.world.north_west } })
            },
            expected: RUN,
        },
        Case {
            name: "createCampaign national, lead left out (staff lead from their own region)",
            query: "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            variables: |c, role| {
                json!({ "i": { "title": format!("National {role}"), "summary": "s", "body": "b",
                "goalIds": [c.world.goals[0]] } })
            },
            expected: [ANON, OK, OK, OK, DENIED, DENIED],
        },
        Case {
            name: "updateCampaign",
            query: "mutation($id: ID!, $i: UpdateCampaignInput!) { updateCampaign(id: $id, input: $i) { id } }",
            variables: |c, role| json!({ "id": c.campaign, "i": { "summary": format!("Edited by {role}") } }),
            expected: RUN,
        },
        Case {
            name: "setCampaignStatus",
            query: "mutation($id: ID!) { setCampaignStatus(id: $id, status: ACTIVE) { id } }",
            variables: |c, role| json!({ "id": c.drafts[role] }),
            expected: RUN,
        },
        Case {
            name: "createJointAction",
            query: "mutation($i: CreateJointActionInput!) { createJointAction(input: $i) { id } }",
            variables: |c, role| json!({ "i": { "campaignId": c.campaign, "title": format!("Action {role}"), "kind": "EVENT" } }),
            expected: RUN,
        },
        Case {
            name: "updateJointAction",
            query: "mutation($id: ID!, $i: UpdateJointActionInput!) { updateJointAction(id: $id, input: $i) { id } }",
            variables: |c, role| json!({ "id": c.action, "i": { "description": format!("Edited by {role}") } }),
            expected: RUN,
        },
        Case {
            name: "optIntoJointAction",
            query: "mutation($a: ID!) { optIntoJointAction(actionId: $a) { id } }",
            variables: |c, _| json!({ "a": c.action }),
            expected: ACT_FOR_A_PARTNER,
        },
        Case {
            name: "withdrawFromJointAction",
            query: "mutation($a: ID!) { withdrawFromJointAction(actionId: $a) { id } }",
            variables: |c, _| json!({ "a": c.action }),
            expected: ACT_FOR_A_PARTNER,
        },
        Case {
            name: "createPosition",
            query: "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }",
            variables: |c, role| json!({ "i": { "campaignId": c.campaign, "title": format!("View {role}"), "ownership": "OWN", "body": "b" } }),
            expected: RUN,
        },
        Case {
            name: "revisePosition",
            query: "mutation($id: ID!, $b: String!) { revisePosition(id: $id, body: $b) { id } }",
            variables: |c, role| json!({ "id": c.own_positions[role], "b": format!("Revised by {role}") }),
            expected: RUN,
        },
        Case {
            name: "requestPositionApproval",
            query: "mutation($p: ID!, $ids: [ID!]!) { requestPositionApproval(positionId: $p, partnerIds: $ids) { id } }",
            variables: |c, _| json!({ "p": c.position, "ids": [c.world.partners[1]] }),
            expected: RUN,
        },
        Case {
            name: "respondToPositionApproval (asked of the partner only)",
            query: "mutation($p: ID!) { respondToPositionApproval(positionId: $p, decision: APPROVE, version: 1) { decision } }",
            variables: |c, _| json!({ "p": c.position }),
            expected: [ANON, DENIED, DENIED, DENIED, OK, DENIED],
        },
        Case {
            name: "publishPosition",
            query: "mutation($id: ID!) { publishPosition(id: $id) { id } }",
            variables: |c, role| json!({ "id": c.own_positions[role] }),
            expected: RUN,
        },
        Case {
            name: "requestSupport",
            query: "mutation($i: RequestSupportInput!) { requestSupport(input: $i) { id } }",
            variables: |_, role| json!({ "i": { "kind": "PRIORITY_ISSUE", "title": format!("Issue {role}"), "description": "d" } }),
            expected: ACT_FOR_A_PARTNER,
        },
        Case {
            name: "createPolicyUpdate for the North West",
            query: "mutation($i: CreatePolicyUpdateInput!) { createPolicyUpdate(input: $i) { id } }",
            variables: |c, role| {
                json!({ "i": { "title": format!("Update {role}"), "summary": "s", "body": "b",
                "kind": "EVENT", "regionId": c.world.north_west } })
            },
            expected: RUN,
        },
        Case {
            name: "createPolicyUpdate national",
            query: "mutation($i: CreatePolicyUpdateInput!) { createPolicyUpdate(input: $i) { id } }",
            variables: |_, role| {
                json!({ "i": { "title": format!("National update {role}"), "summary": "s", "body": "b",
                "kind": "EVENT" } })
            },
            expected: [ANON, OK, OK, OK, DENIED, DENIED],
        },
        Case {
            name: "updatePolicyUpdate (a North West update)",
            query: "mutation($id: ID!, $i: UpdatePolicyUpdateInput!) { updatePolicyUpdate(id: $id, input: $i) { id } }",
            variables: |c, role| json!({ "id": c.update, "i": { "summary": format!("Edited by {role}") } }),
            expected: RUN,
        },
        Case {
            name: "publishPolicyUpdate",
            query: "mutation($id: ID!) { publishPolicyUpdate(id: $id) { id } }",
            variables: |c, role| json!({ "id": c.update_drafts[role] }),
            expected: RUN,
        },
        Case {
            name: "archivePolicyUpdate",
            query: "mutation($id: ID!) { archivePolicyUpdate(id: $id) { id } }",
            variables: |c, role| json!({ "id": c.published_updates[role] }),
            expected: RUN,
        },
        Case {
            name: "subscribe",
            query: "mutation($i: SubscribeInput!) { subscribe(input: $i) { message } }",
            variables: |_, role| json!({ "i": { "email": format!("new{role}@example.org") } }),
            expected: ANYONE,
        },
        Case {
            name: "confirmSubscription",
            query: "mutation($t: String!) { confirmSubscription(token: $t) { status } }",
            variables: |c, role| json!({ "t": c.confirm_tokens[role] }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "updateSubscription",
            query: "mutation($t: String!, $i: SubscriptionPreferencesInput!) { updateSubscription(token: $t, input: $i) { frequency } }",
            variables: |c, role| json!({ "t": c.manage_tokens[role], "i": { "frequency": "DAILY" } }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "exportMySubscriberData with a confirmation token instead of the manage link",
            query: "mutation($t: String!) { exportMySubscriberData(token: $t) }",
            variables: |c, role| json!({ "t": c.confirm_tokens[role] }),
            expected: NOT_THE_LINK,
        },
        Case {
            name: "exportMySubscriberData with the manage link instead of a data link",
            query: "mutation($t: String!) { exportMySubscriberData(token: $t) }",
            variables: |c, role| json!({ "t": c.manage_tokens[role] }),
            expected: NOT_THE_LINK,
        },
        Case {
            name: "requestSubscriberDataLink",
            query: "mutation($t: String!) { requestSubscriberDataLink(token: $t) }",
            variables: |c, role| json!({ "t": c.manage_tokens[role] }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "exportMySubscriberData",
            query: "mutation($t: String!) { exportMySubscriberData(token: $t) }",
            variables: |c, role| json!({ "t": c.data_tokens[role] }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "unsubscribe",
            query: "mutation($t: String!) { unsubscribe(token: $t) { status } }",
            variables: |c, role| json!({ "t": c.manage_tokens[role] }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "eraseSubscriber with the manage link instead of a data link",
            query: "mutation($t: String!) { eraseSubscriber(token: $t) }",
            variables: |c, role| json!({ "t": c.manage_tokens[role] }),
            expected: NOT_THE_LINK,
        },
        Case {
            name: "eraseSubscriber",
            query: "mutation($t: String!) { eraseSubscriber(token: $t) }",
            variables: |c, role| json!({ "t": c.data_tokens[role] }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "subscriberCounts (query)",
            query: "{ subscriberCounts { total } }",
            variables: |_, _| json!({}),
            expected: [ANON, OK, OK, OK, DENIED, DENIED],
        },
        Case {
            name: "exportSubscribersCsv for the North West",
            query: "mutation($r: ID) { exportSubscribersCsv(regionId: $r) { rowCount } }",
            variables: |c, _| json!({ "r": c.world.north_west }),
            expected: RUN,
        },
        Case {
            name: "exportSubscribersCsv of those with no region",
            query: "mutation($r: ID) { exportSubscribersCsv(regionId: $r) { rowCount } }",
            variables: |_, _| json!({ "r": null }),
            expected: [ANON, OK, DENIED, DENIED, DENIED, DENIED],
        },
        Case {
            name: "updateSupportRequest (a North West partner's)",
            query: "mutation($id: ID!) { updateSupportRequest(id: $id, status: ACCEPTED) { id } }",
            variables: |c, role| json!({ "id": c.requests[role] }),
            expected: RUN,
        },
    ]
}

#[tokio::test]
async fn every_role_against_every_campaign_and_update_mutation() {
    let app = TestApp::spawn().await;
    let fixture = campaigning(&app).await;
    let sessions = world_sessions(&fixture.world);
    check_matrix(&app, &fixture, sessions, campaign_cases()).await;
}

/// Runs every case as every role and fails listing each outcome that differs from the table.
async fn check_matrix<F>(
    app: &TestApp,
    fixture: &F,
    sessions: [Option<&Session>; 6],
    cases: Vec<Case<F>>,
) {
    let mut mismatches = Vec::new();
    for case in cases {
        for (role, expected) in case.expected.iter().enumerate() {
            let token = sessions[role].map(|s| s.access_token.as_str());
            let body = app
                .gql(token, case.query, (case.variables)(fixture, role))
                .await;
            let got = outcome(&body);
            if got != *expected {
                mismatches.push(format!(
                    "{} as {}: expected {expected}, got {got} ({body})",
                    case.name, ROLES[role]
                ));
            }
        }
    }
    assert!(
        mismatches.is_empty(),
        "permission matrix:\n{}",
        mismatches.join("\n")
    );
}

/// Enquiries and observations, one of each per role where a role's answer changes them.
struct Shaping {
    world: World,
    /// Per role: an open North West enquiry to accept, one to decline, and the confirmation
    /// token of an unconfirmed one.
    to_accept: Vec<String>,
    to_decline: Vec<String>,
    confirm_tokens: Vec<String>,
    /// Per role: an observation Bolton's member recorded, to correct and to delete.
    to_correct: Vec<String>,
    to_delete: Vec<String>,
    update: String,
}

async fn open_enquiry(app: &TestApp, w: &World, name: &str, confirm: bool) -> String {
    let email = format!(
        "{}@enquirer.example.org",
        name.replace(' ', ".").to_lowercase()
    );
    app.ok(
        None,
        "mutation($i: RequestPartnershipInput!) { requestPartnership(input: $i) { message } }",
        json!({ "i": { "organisationName": name, "regionId": w.north_west, "contactName": "Ann",
                       "contactEmail": email, "message": "May we join?" } }),
    )
    .await;
    let mail = app.wait_for_mail(&email, 1).await;
    let token = tests::token_from_url(&tests::link(&mail[0], "/enquiries/confirm"));
    if !confirm {
        return token;
    }
    app.ok(
        None,
        "mutation($t: String!) { confirmPartnershipEnquiry(token: $t) }",
        json!({ "t": token }),
    )
    .await;
    let listed = app
        .ok(
            Some(&w.admin.access_token),
            "{ partnershipEnquiries(first: 1) { edges { node { id } } } }",
            json!({}),
        )
        .await;
    listed["partnershipEnquiries"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

async fn observation_of_bolton(app: &TestApp, w: &World) -> String {
    let recorded = app
        .ok(
            Some(&w.members[0].access_token),
            "mutation($i: ObservationInput!) { recordObservation(input: $i) { id } }",
            json!({ "i": { "goalIds": [w.goals[0]], "topic": "housing", "periodStart": "2026-01-01",
                           "periodEnd": "2026-01-31", "peopleAffected": 9, "summary": "Nine families moved." } }),
        )
        .await;
    recorded["recordObservation"]["id"]
        .as_str()
        .expect("an id")
        .to_owned()
}

async fn shaping(app: &TestApp) -> Shaping {
    let world = world(app).await;
    let mut fixture = Shaping {
        to_accept: Vec::new(),
        to_decline: Vec::new(),
        confirm_tokens: Vec::new(),
        to_correct: Vec::new(),
        to_delete: Vec::new(),
        update: north_west_update(app, &world, "Evidence".to_owned(), false).await,
        world,
    };
    let w = &fixture.world;
    for role in 0..ROLES.len() {
        fixture
            .to_accept
            .push(open_enquiry(app, w, &format!("Accept Me {role}"), true).await);
        fixture
            .to_decline
            .push(open_enquiry(app, w, &format!("Decline Me {role}"), true).await);
        fixture
            .confirm_tokens
            .push(open_enquiry(app, w, &format!("Confirm Me {role}"), false).await);
        fixture.to_correct.push(observation_of_bolton(app, w).await);
        fixture.to_delete.push(observation_of_bolton(app, w).await);
    }
    fixture
}

const ONLY_THE_REGION: [&str; 6] = [ANON, OK, OK, "NOT_FOUND", "NOT_FOUND", "NOT_FOUND"];
const ONLY_THE_ORGANISATION: [&str; 6] = [ANON, DENIED, DENIED, "NOT_FOUND", OK, "NOT_FOUND"];
const SIGNED_IN: [&str; 6] = [ANON, OK, OK, OK, OK, OK];

fn shaping_cases() -> Vec<Case<Shaping>> {
    vec![
        Case {
            name: "requestPartnership",
            query: "mutation($i: RequestPartnershipInput!) { requestPartnership(input: $i) { message } }",
            variables: |_, role| {
                json!({ "i": { "organisationName": format!("Group {role}"),
                "contactName": "Ann", "contactEmail": format!("group{role}@example.org"), "message": "Hello" } })
            },
            expected: ANYONE,
        },
        Case {
            name: "confirmPartnershipEnquiry",
            query: "mutation($t: String!) { confirmPartnershipEnquiry(token: $t) }",
            variables: |f, role| json!({ "t": f.confirm_tokens[role] }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "partnershipEnquiries (query)",
            query: "{ partnershipEnquiries { totalCount } }",
            variables: |_, _| json!({}),
            expected: [ANON, OK, OK, OK, DENIED, DENIED],
        },
        Case {
            name: "acceptPartnershipEnquiry (a North West one)",
            query: "mutation($id: ID!) { acceptPartnershipEnquiry(id: $id) { status } }",
            variables: |f, role| json!({ "id": f.to_accept[role] }),
            expected: ONLY_THE_REGION,
        },
        Case {
            name: "declinePartnershipEnquiry (a North West one)",
            query: "mutation($id: ID!) { declinePartnershipEnquiry(id: $id, reason: \"Not now\") { status } }",
            variables: |f, role| json!({ "id": f.to_decline[role] }),
            expected: ONLY_THE_REGION,
        },
        Case {
            name: "recordObservation",
            query: "mutation($i: ObservationInput!) { recordObservation(input: $i) { id } }",
            variables: |f, _| {
                json!({ "i": { "goalIds": [f.world.goals[1]], "topic": "work", "periodStart": "2026-02-01",
                "periodEnd": "2026-02-28", "peopleAffected": 4, "summary": "Four people waited a year." } })
            },
            expected: SIGNED_IN,
        },
        Case {
            name: "updateObservation (Bolton's)",
            query: "mutation($id: ID!, $i: ObservationInput!) { updateObservation(id: $id, input: $i) { id } }",
            variables: |f, role| {
                json!({ "id": f.to_correct[role], "i": { "goalIds": [f.world.goals[0]], "topic": "housing",
                "periodStart": "2026-01-01", "periodEnd": "2026-01-31", "peopleAffected": 10, "summary": "Ten families moved." } })
            },
            expected: ONLY_THE_ORGANISATION,
        },
        Case {
            name: "deleteObservation (Bolton's)",
            query: "mutation($id: ID!) { deleteObservation(id: $id) }",
            variables: |f, role| json!({ "id": f.to_delete[role] }),
            expected: ONLY_THE_ORGANISATION,
        },
        Case {
            name: "observations (query)",
            query: "{ observations { totalCount } }",
            variables: |_, _| json!({}),
            expected: SIGNED_IN,
        },
        Case {
            name: "evidenceReport (query)",
            query: "{ evidenceReport(filter: { from: \"2026-01-01\", to: \"2026-12-31\" }) { every } }",
            variables: |_, _| json!({}),
            expected: SIGNED_IN,
        },
        Case {
            name: "attachEvidence (to a North West update)",
            query: "mutation($u: ID!) { attachEvidence(updateId: $u, filter: { from: \"2026-01-01\", to: \"2026-12-31\" }) }",
            variables: |f, _| json!({ "u": f.update }),
            expected: RUN,
        },
    ]
}

#[tokio::test]
async fn every_role_against_every_enquiry_and_evidence_mutation() {
    let app = TestApp::spawn().await;
    let fixture = shaping(&app).await;
    let sessions = world_sessions(&fixture.world);
    check_matrix(&app, &fixture, sessions, shaping_cases()).await;
}

/// Early Action: Bolton signed (unlisted) with an assessment under way, and per role outside
/// North West signatures at each stage.
struct EarlyAction {
    world: World,
    bolton: String,
    bolton_assessment: String,
    indicators: Vec<String>,
    confirm_tokens: Vec<String>,
    to_approve: Vec<String>,
    to_reject: Vec<String>,
    to_withdraw: Vec<String>,
    by_link: Vec<principles::Outside>,
}

async fn pending_signature(app: &TestApp, w: &World, name: &str) -> String {
    let email = format!(
        "{}@signer.example.org",
        name.replace(' ', ".").to_lowercase()
    );
    let token = principles::signed_outside(
        app,
        principles::outside_form(name, &email, Some(&w.north_west), false),
    )
    .await;
    app.ok(
        None,
        "mutation($t: String!) { confirmSignature(token: $t) }",
        json!({ "t": token }),
    )
    .await;
    let pending = app
        .ok(
            Some(&w.admin.access_token),
            "query($s: String) { signatories(filter: { status: PENDING, search: $s }) { edges { node { id } } } }",
            json!({ "s": name }),
        )
        .await;
    pending["signatories"]["edges"][0]["node"]["id"]
        .as_str()
        .expect("pending")
        .to_owned()
}

async fn early_action(app: &TestApp) -> EarlyAction {
    let world = world(app).await;
    let signed = app
        .ok(
            Some(&world.members[0].access_token),
            principles::SIGN,
            json!({ "i": { "partnerId": world.partners[0], "signatoryName": "Mariam",
                           "signatoryRole": "Coordinator", "listPublicly": false } }),
        )
        .await;
    let bolton = signed["signPrinciples"]["signatory"]["id"]
        .as_str()
        .expect("signed")
        .to_owned();
    let started = app
        .ok(
            Some(&world.members[0].access_token),
            "mutation($s: ID!) { startSelfAssessment(signatoryId: $s) { id } }",
            json!({ "s": bolton }),
        )
        .await;
    let mut fixture = EarlyAction {
        bolton,
        bolton_assessment: started["startSelfAssessment"]["id"]
            .as_str()
            .expect("started")
            .to_owned(),
        indicators: principles::indicator_ids(app).await,
        confirm_tokens: Vec::new(),
        to_approve: Vec::new(),
        to_reject: Vec::new(),
        to_withdraw: Vec::new(),
        by_link: Vec::new(),
        world,
    };
    let w = &fixture.world;
    for role in 0..ROLES.len() {
        fixture.confirm_tokens.push(
            principles::signed_outside(
                app,
                principles::outside_form(
                    &format!("Unconfirmed {role}"),
                    &format!("u{role}@signer.example.org"),
                    Some(&w.north_west),
                    true,
                ),
            )
            .await,
        );
        fixture
            .to_approve
            .push(pending_signature(app, w, &format!("Approve {role}")).await);
        fixture
            .to_reject
            .push(pending_signature(app, w, &format!("Reject {role}")).await);
        for listed in [false, true] {
            let outside = principles::approved_outside(
                app,
                &w.admin,
                principles::outside_form(
                    &format!("Signed {role} {listed}"),
                    &format!("s{role}{listed}@signer.example.org"),
                    Some(&w.north_west),
                    false,
                ),
            )
            .await;
            if listed {
                fixture.by_link.push(outside);
            } else {
                fixture.to_withdraw.push(outside.id);
            }
        }
    }
    fixture
}

const THE_ORGANISATION_ITSELF: [&str; 6] = ["NOT_FOUND", DENIED, DENIED, DENIED, OK, "NOT_FOUND"];
const ADMINS_ONLY: [&str; 6] = [ANON, OK, DENIED, DENIED, DENIED, DENIED];

fn early_action_cases() -> Vec<Case<EarlyAction>> {
    vec![
        Case {
            name: "signPrinciples (public form)",
            query: principles::SIGN,
            variables: |_, role| {
                json!({ "i": principles::outside_form(&format!("Form {role}"),
                    &format!("f{role}@signer.example.org"), None, true) })
            },
            expected: ANYONE,
        },
        Case {
            name: "signPrinciples (for Hackney, the other member's partner)",
            query: principles::SIGN,
            variables: |f, _| {
                json!({ "i": { "partnerId": f.world.partners[3], "signatoryName": "Esther",
                               "signatoryRole": "Trustee" } })
            },
            expected: [ANON, DENIED, DENIED, DENIED, DENIED, OK],
        },
        Case {
            name: "confirmSignature",
            query: "mutation($t: String!) { confirmSignature(token: $t) }",
            variables: |f, role| json!({ "t": f.confirm_tokens[role] }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "approveSignatory (a North West one)",
            query: "mutation($id: ID!) { approveSignatory(id: $id) { status } }",
            variables: |f, role| json!({ "id": f.to_approve[role] }),
            expected: [ANON, OK, OK, DENIED, "NOT_FOUND", "NOT_FOUND"],
        },
        Case {
            name: "rejectSignatory (a North West one)",
            query: "mutation($id: ID!) { rejectSignatory(id: $id, reason: \"Not a fit\") { status } }",
            variables: |f, role| json!({ "id": f.to_reject[role] }),
            expected: [ANON, OK, OK, DENIED, "NOT_FOUND", "NOT_FOUND"],
        },
        Case {
            name: "updateSignatory (Bolton's, unlisted)",
            query: "mutation($id: ID!) { updateSignatory(id: $id, input: { listPublicly: false }) { listPublicly } }",
            variables: |f, _| json!({ "id": f.bolton }),
            expected: ["NOT_FOUND", OK, OK, DENIED, OK, "NOT_FOUND"],
        },
        Case {
            name: "withdrawSignature (an unlisted North West one)",
            query: "mutation($id: ID!) { withdrawSignature(id: $id) { status } }",
            variables: |f, role| json!({ "id": f.to_withdraw[role] }),
            expected: ["NOT_FOUND", OK, OK, DENIED, "NOT_FOUND", "NOT_FOUND"],
        },
        Case {
            name: "withdrawSignature (with its manage link)",
            query: "mutation($id: ID!, $t: String) { withdrawSignature(id: $id, token: $t) { status } }",
            variables: |f, role| json!({ "id": f.by_link[role].id, "t": f.by_link[role].manage }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "saveSelfAssessment (Bolton's)",
            query: "mutation($id: ID!, $a: [AnswerInput!]!) { saveSelfAssessment(id: $id, answers: $a) { id } }",
            variables: |f, _| {
                json!({ "id": f.bolton_assessment, "a": f.indicators.iter()
                    .map(|i| json!({ "indicatorId": i, "level": "DOING" })).collect::<Vec<_>>() })
            },
            expected: THE_ORGANISATION_ITSELF,
        },
        Case {
            name: "submitSelfAssessment (Bolton's)",
            query: "mutation($id: ID!) { submitSelfAssessment(id: $id) { id } }",
            variables: |f, _| json!({ "id": f.bolton_assessment }),
            expected: THE_ORGANISATION_ITSELF,
        },
        Case {
            name: "startSelfAssessment (Bolton's)",
            query: "mutation($s: ID!) { startSelfAssessment(signatoryId: $s) { id } }",
            variables: |f, _| json!({ "s": f.bolton }),
            expected: THE_ORGANISATION_ITSELF,
        },
        Case {
            name: "updatePrinciple",
            query: "mutation($id: ID!) { updatePrinciple(id: $id, title: \"Early Action\", description: \"Act early.\") { key } }",
            variables: |_, _| json!({ "id": "1" }),
            expected: ADMINS_ONLY,
        },
        Case {
            name: "updateIndicator",
            query: "mutation($id: ID!) { updateIndicator(id: $id, text: \"We meet people early.\") { key } }",
            variables: |f, _| json!({ "id": f.indicators[0] }),
            expected: ADMINS_ONLY,
        },
        Case {
            name: "exportSignatoriesCsv (North West)",
            query: "mutation($r: ID) { exportSignatoriesCsv(regionId: $r) { rowCount } }",
            variables: |f, _| json!({ "r": f.world.north_west }),
            expected: RUN,
        },
        Case {
            name: "principlesReport (North West, query)",
            query: "query($r: ID) { principlesReport(regionId: $r) { assessed { suppressed } } }",
            variables: |f, _| json!({ "r": f.world.north_west }),
            expected: [DENIED, OK, OK, DENIED, DENIED, DENIED],
        },
        Case {
            name: "principlesReport (national, query)",
            query: "{ principlesReport { assessed { suppressed } } }",
            variables: |_, _| json!({}),
            expected: ANYONE,
        },
    ]
}

#[tokio::test]
async fn every_role_against_every_early_action_mutation() {
    let app = TestApp::spawn().await;
    let fixture = early_action(&app).await;
    let sessions = world_sessions(&fixture.world);
    check_matrix(&app, &fixture, sessions, early_action_cases()).await;
}

/// Training sessions and bookings, one to act on per role where acting changes them.
struct Training {
    world: World,
    /// A published North West session for partners, and a public one.
    session: String,
    public: String,
    /// Per role: a North West draft to publish and a published session to cancel.
    drafts: Vec<String>,
    to_cancel: Vec<String>,
    /// Per role: a booking Bolton's member made, to cancel.
    bolton_bookings: Vec<String>,
    /// Per role: the emailed tokens of public bookings, to confirm and to cancel with.
    confirm_tokens: Vec<String>,
    cancel_tokens: Vec<String>,
    /// Someone with a seat in a session that has started.
    attendee: String,
    /// When new sessions start.
    next_week: chrono::DateTime<chrono::Utc>,
}

/// Books a seat on the public session from outside; the token its email carries.
async fn public_booking(app: &TestApp, session: &str, email: &str) -> String {
    app.ok(
        None,
        training::BOOK,
        json!({ "i": { "sessionId": session, "attendees": [{ "name": "Pat", "email": email }] } }),
    )
    .await;
    let mail = app.wait_for_mail(email, 1).await;
    tests::token_from_url(&tests::link(&mail[0], "/training/confirm"))
}

/// A session that starts within the hour, with one of Bolton's people booked; the clock is
/// then moved past its start. The attendee's id.
async fn started_with_attendee(app: &TestApp, world: &mut World) -> String {
    let mut input = training::session_input(app, world, "Started", 5);
    let starts = app.state.now() + chrono::Duration::minutes(30);
    input["startsAt"] = json!(starts.to_rfc3339());
    input["endsAt"] = json!((starts + chrono::Duration::hours(2)).to_rfc3339());
    let session = training::published(app, &world.staff, input).await;
    let booked = training::book(app, &world.members[0], &session, &["Quinn"]).await;
    app.clock.advance(chrono::Duration::hours(1));
    world.sign_everyone_in_again(app).await;
    let seen = app
        .ok(
            Some(&world.staff.access_token),
            "query($id: ID!) { trainingBooking(id: $id) { attendees { id } } }",
            json!({ "id": booked["id"] }),
        )
        .await;
    seen["trainingBooking"]["attendees"][0]["id"]
        .as_str()
        .expect("an attendee")
        .to_owned()
}

async fn training_fixture(app: &TestApp) -> Training {
    let mut world = world(app).await;
    let attendee = started_with_attendee(app, &mut world).await;
    let w = &world;
    let session =
        training::published(app, &w.staff, training::session_input(app, w, "Open", 500)).await;
    let mut public_input = training::session_input(app, w, "For everyone", 500);
    public_input["audience"] = json!("PUBLIC");
    let public = training::published(app, &w.staff, public_input).await;
    let mut fixture = Training {
        session,
        public,
        drafts: Vec::new(),
        to_cancel: Vec::new(),
        bolton_bookings: Vec::new(),
        confirm_tokens: Vec::new(),
        cancel_tokens: Vec::new(),
        attendee,
        next_week: app.state.now() + chrono::Duration::days(7),
        world,
    };
    let w = &fixture.world;
    for role in 0..ROLES.len() {
        let draft = app
            .ok(
                Some(&w.staff.access_token),
                training::CREATE,
                json!({ "i": training::session_input(app, w, &format!("Draft {role}"), 5) }),
            )
            .await;
        fixture.drafts.push(
            draft["createTrainingSession"]["id"]
                .as_str()
                .expect("a draft")
                .to_owned(),
        );
        let input = training::session_input(app, w, &format!("To cancel {role}"), 5);
        fixture
            .to_cancel
            .push(training::published(app, &w.staff, input).await);
        let name = format!("Bolton{role}");
        let booked = training::book(app, &w.members[0], &fixture.session, &[name.as_str()]).await;
        fixture
            .bolton_bookings
            .push(booked["id"].as_str().expect("a booking").to_owned());
        for (tokens, purpose) in [
            (&mut fixture.confirm_tokens, "confirm"),
            (&mut fixture.cancel_tokens, "cancel"),
        ] {
            let email = format!("{purpose}{role}@public.example.net");
            tokens.push(public_booking(app, &fixture.public, &email).await);
        }
    }
    fixture
}

const RUN_NOT_SEEN: [&str; 6] = [ANON, OK, OK, DENIED, "NOT_FOUND", "NOT_FOUND"];
const OWN_OR_RUN: [&str; 6] = [ANON, OK, OK, "NOT_FOUND", OK, "NOT_FOUND"];

fn training_cases() -> Vec<Case<Training>> {
    vec![
        Case {
            name: "createTrainingSession (North West)",
            query: training::CREATE,
            variables: |f, role| json!({ "i": training::session_input_at(&f.world.north_west, &format!("New {role}"), 5, f.next_week) }),
            expected: RUN,
        },
        Case {
            name: "createTrainingSession (national)",
            query: training::CREATE,
            variables: |f, role| {
                let mut input = training::session_input_at(
                    &f.world.north_west,
                    &format!("National {role}"),
                    5,
                    f.next_week,
                );
                input["regionId"] = Value::Null;
                json!({ "i": input })
            },
            expected: [ANON, OK, OK, OK, DENIED, DENIED],
        },
        Case {
            name: "updateTrainingSession (North West)",
            query: "mutation($id: ID!) { updateTrainingSession(id: $id, input: { title: \"Renamed\" }) { title } }",
            variables: |f, _| json!({ "id": f.session }),
            expected: RUN,
        },
        Case {
            name: "publishTrainingSession (a North West draft)",
            query: training::PUBLISH,
            variables: |f, role| json!({ "id": f.drafts[role] }),
            expected: RUN_NOT_SEEN,
        },
        Case {
            name: "cancelTrainingSession (North West)",
            query: "mutation($id: ID!) { cancelTrainingSession(id: $id, reason: \"Ill.\") { status } }",
            variables: |f, role| json!({ "id": f.to_cancel[role] }),
            expected: RUN,
        },
        Case {
            name: "bookTraining (a session for partners)",
            query: training::BOOK,
            variables: |f, role| {
                json!({ "i": { "sessionId": f.session, "attendees": [
                    { "name": "Sam", "email": format!("partners{role}@book.example.org") }] } })
            },
            expected: ACT_FOR_A_PARTNER,
        },
        Case {
            name: "bookTraining (a public session)",
            query: training::BOOK,
            variables: |f, role| {
                json!({ "i": { "sessionId": f.public, "attendees": [
                    { "name": "Sam", "email": format!("public{role}@book.example.org") }] } })
            },
            expected: [OK, DENIED, DENIED, DENIED, OK, OK],
        },
        Case {
            name: "confirmTrainingBooking (with its emailed token)",
            query: "mutation($t: String!) { confirmTrainingBooking(token: $t) { status } }",
            variables: |f, role| json!({ "t": f.confirm_tokens[role] }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "cancelBooking (with its emailed token)",
            query: "mutation($t: String) { cancelBooking(token: $t) { status } }",
            variables: |f, role| json!({ "t": f.cancel_tokens[role] }),
            expected: LINK_HOLDER,
        },
        Case {
            name: "cancelBooking (Bolton's)",
            query: "mutation($id: ID) { cancelBooking(id: $id) { status } }",
            variables: |f, role| json!({ "id": f.bolton_bookings[role] }),
            expected: OWN_OR_RUN,
        },
        Case {
            name: "markAttendance (a North West session that has started)",
            query: "mutation($a: ID!) { markAttendance(attendeeId: $a, attendance: ATTENDED) }",
            variables: |f, _| json!({ "a": f.attendee }),
            expected: RUN,
        },
        Case {
            name: "trainingReport (North West, query)",
            query: "query($r: ID) { trainingReport(regionId: $r, from: \"2026-01-01T00:00:00Z\", to: \"2030-01-01T00:00:00Z\") { topics { topic } } }",
            variables: |f, _| json!({ "r": f.world.north_west }),
            expected: RUN,
        },
        Case {
            name: "trainingReport (national, query)",
            query: "{ trainingReport(from: \"2026-01-01T00:00:00Z\", to: \"2030-01-01T00:00:00Z\") { topics { topic } } }",
            variables: |_, _| json!({}),
            expected: ADMINS_ONLY,
        },
    ]
}

#[tokio::test]
async fn every_role_against_every_training_mutation() {
    let app = TestApp::spawn().await;
    let fixture = training_fixture(&app).await;
    let sessions = world_sessions(&fixture.world);
    check_matrix(&app, &fixture, sessions, training_cases()).await;
}

/// Tracked petitions to act on: one North West petition, a national one, a campaign to link,
/// and one North West petition per role to untrack.
struct Petitions {
    world: World,
    _site: tests::petition_site::PetitionSite,
    petition: String,
    campaign: String,
    to_untrack: Vec<String>,
}

async fn petitions_fixture() -> (TestApp, Petitions) {
    use tests::petition_site::{PetitionSite, Reply, open_petition};
    let site = PetitionSite::start().await;
    for number in 800_000..800_010 {
        site.serve(
            &format!("/petitions/{number}.json"),
            Reply::json(&open_petition(
                number,
                "Let people seeking asylum work",
                100,
            )),
        );
    }
    let app = petitions::app_on(&site, false).await;
    let w = world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    let petition = petitions::track(&app, &w.staff, &w, 800_000, &[]).await;
    let mut to_untrack = Vec::new();
    for role in 0..ROLES.len() {
        to_untrack.push(petitions::track(&app, &w.staff, &w, 800_001 + role as i64, &[]).await);
    }
    let fixture = Petitions {
        world: w,
        _site: site,
        petition,
        campaign,
        to_untrack,
    };
    (app, fixture)
}

fn petition_cases() -> Vec<Case<Petitions>> {
    vec![
        Case {
            name: "trackPetition (North West)",
            query: petitions::TRACK,
            variables: |f, _| json!({ "i": { "url": "https://petition.parliament.uk/petitions/800009", "regionId": f.world.north_west } }),
            expected: RUN,
        },
        Case {
            name: "trackPetition (national)",
            query: petitions::TRACK,
            variables: |_, _| json!({ "i": { "url": "https://petition.parliament.uk/petitions/800008" } }),
            expected: [ANON, OK, OK, OK, DENIED, DENIED],
        },
        Case {
            name: "refreshPetition (North West)",
            query: "mutation($id: ID!) { refreshPetition(id: $id) { signatureCount } }",
            variables: |f, _| json!({ "id": f.petition }),
            expected: RUN,
        },
        Case {
            name: "linkPetitionToCampaign (North West)",
            query: "mutation($p: ID!, $c: ID!) { linkPetitionToCampaign(petitionId: $p, campaignId: $c) { id } }",
            variables: |f, _| json!({ "p": f.petition, "c": f.campaign }),
            expected: RUN,
        },
        Case {
            name: "unlinkPetitionFromCampaign (North West)",
            query: "mutation($p: ID!, $c: ID!) { unlinkPetitionFromCampaign(petitionId: $p, campaignId: $c) { id } }",
            variables: |f, _| json!({ "p": f.petition, "c": f.campaign }),
            expected: RUN,
        },
        Case {
            name: "untrackPetition (North West)",
            query: "mutation($id: ID!) { untrackPetition(id: $id) }",
            variables: |f, role| json!({ "id": f.to_untrack[role] }),
            expected: RUN,
        },
        Case {
            name: "promotePetition",
            query: "mutation($id: ID!) { promotePetition(id: $id) { id } }",
            variables: |f, _| json!({ "id": f.petition }),
            expected: ACT_FOR_A_PARTNER,
        },
        Case {
            name: "stopPromotingPetition",
            query: "mutation($id: ID!) { stopPromotingPetition(id: $id) { id } }",
            variables: |f, _| json!({ "id": f.petition }),
            expected: ACT_FOR_A_PARTNER,
        },
    ]
}

#[tokio::test]
async fn every_role_against_every_petition_mutation() {
    let (app, fixture) = petitions_fixture().await;
    let sessions = world_sessions(&fixture.world);
    check_matrix(&app, &fixture, sessions, petition_cases()).await;
}
