//! A nested list costs a fixed number of SQL statements, however many rows it shows.

use futures_util::{StreamExt, stream};
use serde_json::{Value, json};
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

    let (used, data) = fewest_statements(&app, &admin, NESTED, json!({})).await;
    let shown = data["partners"]["edges"].as_array().map_or(0, Vec::len);
    assert_eq!(data["partners"]["totalCount"], count);
    (used, shown)
}

/// The statements one reading of `query` costs, and its data. Loaders gather keys for a few
/// milliseconds before they query; on a busy machine a long list can now and then straddle
/// two such windows and cost one statement more, so the query is read five times and the
/// cheapest reading is the cost the design gives.
async fn fewest_statements(
    app: &TestApp,
    viewer: &Session,
    query: &str,
    variables: Value,
) -> (u64, Value) {
    let mut fewest = u64::MAX;
    let mut data = Value::Null;
    for _ in 0..5 {
        let before = app.statements();
        data = app
            .ok(Some(&viewer.access_token), query, variables.clone())
            .await;
        fewest = fewest.min(app.statements() - before);
    }
    (fewest, data)
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
    // The page with its total; the regions' staff. The session was checked moments before
    // (remembered) and the regions are in memory.
    assert!(few <= 2, "{few} statements");
}

const CAMPAIGN_PAGE: &str = "query($id: ID!) { campaign(id: $id) {
    title status leadRegion { name } regions { name }
    goals { edges { node { slug title } } }
    jointActions(first: 10) { totalCount edges { node {
        title optInCount
        optInsByRegion { region { name } count }
        optIns(first: 20) { totalCount edges { node { note partner { name region { name officeCity } } } } }
    } } }
    positions(first: 10) { edges { node {
        title ownership attribution publishedVersion { body }
        backers { name region { name } }
    } } }
} }";

/// The campaign page as the side-by-side benchmark against PostGraphile reads it (the same
/// query as `load_bench`).
const BENCHMARK_PAGE: &str = "query($id: ID!) { campaign(id: $id) { id title status
    goals { nodes { slug title } }
    jointActions { totalCount nodes { id title
        optIns(first: 100) { totalCount nodes { partner { name region { slug name } } } } } }
    positions { nodes { id ownership backers { name } } } } }";

/// What one reading of each campaign page costs.
struct CampaignPageCost {
    /// `CAMPAIGN_PAGE`: statements, and the opt-ins it showed.
    full: (u64, usize),
    /// `BENCHMARK_PAGE`: statements.
    benchmark: u64,
}

/// A national campaign with `actions` actions that every one of `partners` partners joins,
/// and `positions` partner-backed positions that every partner approved; returns the
/// statements one reading of each campaign page costs.
async fn statements_for_campaign_page(
    partners: usize,
    actions: usize,
    positions: usize,
) -> CampaignPageCost {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let token = Some(admin.access_token.as_str());
    let regions = [
        Some(app.region_id("north-west").await),
        Some(app.region_id("london").await),
        None,
    ];
    let campaign = active_campaign(&app, &admin).await;

    let mut partner_ids = Vec::new();
    let mut members = Vec::new();
    for i in 0..partners {
        let id = app
            .partner(
                &admin,
                json!({ "name": format!("Partner {i:03}"), "regionId": regions[i % 3] }),
            )
            .await;
        members.push(
            app.member(&admin, &id, &format!("member{i}@partners.example.org"))
                .await,
        );
        partner_ids.push(id);
    }
    for a in 0..actions {
        let action = app
            .ok(token, "mutation($i: CreateJointActionInput!) { createJointAction(input: $i) { id } }",
                json!({ "i": { "campaignId": campaign, "title": format!("Action {a}"), "kind": "EVENT" } }))
            .await["createJointAction"]["id"].clone();
        for member in &members {
            app.ok(
                Some(&member.access_token),
                "mutation($a: ID!) { optIntoJointAction(actionId: $a, note: \"In\") { id } }",
                json!({ "a": action }),
            )
            .await;
        }
    }
    for p in 0..positions {
        let position = app
            .ok(token, "mutation($i: CreatePositionInput!) { createPosition(input: $i) { id } }",
                json!({ "i": { "campaignId": campaign, "title": format!("Position {p}"), "ownership": "PARTNER_BACKED", "body": "Work is a right." } }))
            .await["createPosition"]["id"].clone();
        app.ok(token, "mutation($p: ID!, $ids: [ID!]!) { requestPositionApproval(positionId: $p, partnerIds: $ids) { id } }",
            json!({ "p": position, "ids": partner_ids })).await;
        for member in &members {
            app.ok(Some(&member.access_token), "mutation($p: ID!) { respondToPositionApproval(positionId: $p, decision: APPROVE, version: 1) { decision } }",
                json!({ "p": position })).await;
        }
        app.ok(
            token,
            "mutation($id: ID!) { publishPosition(id: $id) { id } }",
            json!({ "id": position }),
        )
        .await;
    }

    let (used, page) =
        fewest_statements(&app, &admin, CAMPAIGN_PAGE, json!({ "id": campaign })).await;
    let edges = page["campaign"]["jointActions"]["edges"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let shown = edges
        .iter()
        .map(|edge| {
            edge["node"]["optIns"]["edges"]
                .as_array()
                .map_or(0, Vec::len)
        })
        .sum();
    let backers = page["campaign"]["positions"]["edges"][0]["node"]["backers"]
        .as_array()
        .map_or(0, Vec::len);
    assert_eq!(
        backers, partners,
        "every partner approved, so every partner backs it"
    );
    let (benchmark, page) =
        fewest_statements(&app, &admin, BENCHMARK_PAGE, json!({ "id": campaign })).await;
    let opted_in = &page["campaign"]["jointActions"]["nodes"][0]["optIns"];
    assert_eq!(opted_in["totalCount"], partners);
    assert_eq!(
        opted_in["nodes"][0]["partner"]["name"], "Partner 000",
        "each opt-in shows its partner"
    );
    let backers = &page["campaign"]["positions"]["nodes"][0]["backers"];
    assert_eq!(backers.as_array().map_or(0, Vec::len), partners);
    CampaignPageCost {
        full: (used, shown),
        benchmark,
    }
}

#[tokio::test]
async fn the_campaign_page_costs_the_same_for_a_small_and_a_large_network() {
    let small_network = statements_for_campaign_page(2, 1, 1).await;
    let large_network = statements_for_campaign_page(12, 5, 3).await;
    let ((small, shown_small), (large, shown_large)) = (small_network.full, large_network.full);
    assert_eq!((shown_small, shown_large), (2, 60));
    assert_eq!(
        small, large,
        "statements for 2 partners in 1 action: {small}, for 12 partners in 5 actions: {large}"
    );
    // The session was checked moments ago (remembered), the goals are in memory. The campaign
    // with its goal links; its regions; the action page with its total; the position page
    // with its totals, backers and their partners; the opt-in pages with their totals and
    // partners; `optInCount`; the regional counts; the published versions.
    assert!(small <= 8, "{small} statements");

    // The page the benchmark reads: the campaign with its goal links; the action page; the
    // position page with backers and partners; the opt-in pages with partners.
    let (benchmark_small, benchmark_large) = (small_network.benchmark, large_network.benchmark);
    assert_eq!(benchmark_small, benchmark_large);
    assert!(benchmark_small <= 4, "{benchmark_small} statements");
}

const EVIDENCE_PAGE: &str = "{
    evidenceReport(filter: { from: \"2026-01-01\", to: \"2026-12-31\" }, every: QUARTER) {
        series { goal { title } region { name } points { periodStart peopleAffected suppressed } } }
    observations(first: 100) { totalCount edges { node {
        topic peopleAffected goals { slug } organisation { name } region { name }
        recordedBy { name } revisions { summary } } } }
    partnershipEnquiries(first: 100) { totalCount edges { node {
        organisationName goals { slug } region { name } likelyDuplicates { name } } } }
}";

/// `organisations` partners, each with a member who records `per_organisation` observations
/// (corrected once) on two goals, and as many confirmed enquiries; the statements one reading
/// of the evidence page costs an admin.
async fn statements_for_evidence(organisations: usize, per_organisation: usize) -> u64 {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let region = app.region_id("north-west").await;
    let goals = app.ok(None, "{ advocacyGoals { id } }", json!({})).await;
    let goal_ids = [
        goals["advocacyGoals"][0]["id"].clone(),
        goals["advocacyGoals"][1]["id"].clone(),
    ];
    for i in 0..organisations {
        let partner = app
            .partner(
                &admin,
                json!({ "name": format!("Group {i:02}"), "regionId": region }),
            )
            .await;
        let member = app
            .member(&admin, &partner, &format!("m{i}@groups.example.org"))
            .await;
        for o in 0..per_organisation {
            let input = json!({ "goalIds": goal_ids, "topic": "housing", "periodStart": format!("2026-0{}-01", 1 + o % 9),
                "periodEnd": format!("2026-0{}-28", 1 + o % 9), "peopleAffected": 5 + o, "summary": "Families moved." });
            let recorded = app
                .ok(
                    Some(&member.access_token),
                    "mutation($i: ObservationInput!) { recordObservation(input: $i) { id } }",
                    json!({ "i": input }),
                )
                .await;
            app.ok(Some(&member.access_token), "mutation($id: ID!, $i: ObservationInput!) { updateObservation(id: $id, input: $i) { id } }",
                json!({ "id": recorded["recordObservation"]["id"], "i": input }))
                .await;
        }
        let email = format!("asker{i}@groups.example.org");
        app.ok(None, "mutation($i: RequestPartnershipInput!) { requestPartnership(input: $i) { message } }",
            json!({ "i": { "organisationName": format!("Asker {i}"), "regionId": region, "goalIds": goal_ids,
                "contactName": "Ann", "contactEmail": email, "message": "Hello" } }))
            .await;
        let mail = app.wait_for_mail(&email, 1).await;
        let token = tests::token_from_url(&tests::link(&mail[0], "/enquiries/confirm"));
        app.ok(
            None,
            "mutation($t: String!) { confirmPartnershipEnquiry(token: $t) }",
            json!({ "t": token }),
        )
        .await;
    }
    let (used, page) = fewest_statements(&app, &admin, EVIDENCE_PAGE, json!({})).await;
    assert_eq!(
        page["observations"]["totalCount"],
        organisations * per_organisation
    );
    used
}

#[tokio::test]
async fn the_evidence_page_costs_the_same_for_few_and_many_observations() {
    let few = statements_for_evidence(1, 1).await;
    let many = statements_for_evidence(4, 5).await;
    // The report; the observations page and count, their goal links, organisations,
    // recorders and revisions; the enquiries page and count, their goal links and likely
    // duplicates (partners, then enquiries). The session was checked moments before, and the
    // goals themselves are in memory.
    assert_eq!(
        few, many,
        "statements for 1 observation: {few}, for 20: {many}"
    );
    assert!(few <= 13, "{few} statements");
}

const EARLY_ACTION_PAGE: &str = "{
  signatories(first: 100) { totalCount edges { node {
    organisationName town website region { name } partner { name } status email } } }
  principlesReport { assessed { count } compared { count }
    principles { principle { key title } indicators { indicator { text }
      levels { level count suppressed } movedUp { count } movedDown { count } stayedSame { count } } }
    needsLearning { key } }
}";

/// `organisations` outside organisations in the North West, approved and assessed twice;
/// the statements one reading of the signatory list and the report costs an admin.
async fn statements_for_early_action(organisations: usize) -> u64 {
    use crate::principles::{As, approved_outside, assessed, indicator_ids, outside_form};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let region = app.region_id("north-west").await;
    let indicators = indicator_ids(&app).await;
    for i in 0..organisations {
        let org = approved_outside(
            &app,
            &admin,
            outside_form(
                &format!("Group {i:02}"),
                &format!("director@group{i}.example.org"),
                Some(&region),
                i % 2 == 0,
            ),
        )
        .await;
        for level in ["PLANNING", "DOING"] {
            assessed(&app, As::Link(&org.manage), &org.id, &indicators, |_| level).await;
        }
    }
    let (used, page) = fewest_statements(&app, &admin, EARLY_ACTION_PAGE, json!({})).await;
    assert_eq!(page["signatories"]["totalCount"], organisations);
    assert_eq!(page["principlesReport"]["assessed"]["count"], organisations);
    used
}

#[tokio::test]
async fn the_signatory_list_and_report_cost_the_same_for_few_and_many_signatories() {
    let few = statements_for_early_action(1).await;
    let many = statements_for_early_action(8).await;
    assert_eq!(
        few, many,
        "statements for 1 signatory: {few}, for 8: {many}"
    );
    // The signatories page and count, their partners; the principles and their indicators;
    // the grouped count behind the report (the session was checked moments before).
    assert!(few <= 5, "{few} statements");
}

const TRAINING_PAGE: &str = "{ trainingSessions(first: 50) { totalCount edges { node {
    title seatsLeft waitlistLength region { name }
    myBookings { status waitlistPosition attendees { name status waitlistPosition } } } } } }";

/// `sessions` published North West sessions of two seats, in each of which a partner's member
/// books three people (one waitlisted); the statements one reading of the session list, with
/// seats left and the member's own bookings, costs that member.
async fn statements_for_training(sessions: usize) -> u64 {
    use crate::training::{book, published, session_input_at};
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let region = app.region_id("north-west").await;
    let partner = app
        .partner(
            &admin,
            json!({ "name": "Bolton Welcome Hub", "regionId": region }),
        )
        .await;
    let member = app
        .member(&admin, &partner, "member@bolton.example.org")
        .await;
    let starts = app.state.now() + chrono::Duration::days(7);
    for i in 0..sessions {
        let input = session_input_at(&region, &format!("Session {i:02}"), 2, starts);
        let session = published(&app, &admin, input).await;
        book(&app, &member, &session, &["Ama", "Bo", "Cai"]).await;
    }
    let (used, page) = fewest_statements(&app, &member, TRAINING_PAGE, json!({})).await;
    assert_eq!(page["trainingSessions"]["totalCount"], sessions);
    assert_eq!(
        page["trainingSessions"]["edges"][sessions - 1]["node"]["myBookings"][0]["waitlistPosition"],
        1
    );
    used
}

#[tokio::test]
async fn the_training_list_costs_the_same_for_few_and_many_sessions() {
    let few = statements_for_training(1).await;
    let many = statements_for_training(8).await;
    assert_eq!(few, many, "statements for 1 session: {few}, for 8: {many}");
    // The page and its count; seats per session; the member's bookings; their attendees;
    // waitlist places (the session was checked moments before).
    assert!(few <= 6, "{few} statements");
}

const PETITION_PAGE: &str = "{ petitions(first: 50) { totalCount edges { node {
    action signatureCount closedEarlyByElection watchedCounts region { name }
    signaturesByRegion { region { slug } signatureCount share }
    milestones { kind count reachedAt } campaigns { title } promotedBy { name } } } } }";

/// `count` tracked petitions, each linked to a campaign and promoted by a partner; the
/// statements one reading of the petition list with regions, milestones and campaigns costs.
async fn statements_for_petitions(count: usize) -> u64 {
    use tests::petition_site::{PetitionSite, Reply, open_petition};
    let site = PetitionSite::start().await;
    let app = crate::petitions::app_on(&site, false).await;
    let w = crate::world::world(&app).await;
    let campaign = w.active_campaign(&app, "Lift the ban").await;
    for number in 0..count as i64 {
        let number = 700_100 + number;
        site.serve(
            &format!("/petitions/{number}.json"),
            Reply::json(&open_petition(
                number,
                "Let people seeking asylum work",
                12_000,
            )),
        );
        let id = crate::petitions::track(&app, &w.staff, &w, number, &[&campaign]).await;
        app.ok(
            Some(&w.members[0].access_token),
            "mutation($id: ID!) { promotePetition(id: $id) { id } }",
            json!({ "id": id }),
        )
        .await;
    }
    let (used, page) = fewest_statements(&app, &w.staff, PETITION_PAGE, json!({})).await;
    assert_eq!(page["petitions"]["totalCount"], count);
    let first = &page["petitions"]["edges"][0]["node"];
    assert_eq!(first["milestones"][0]["kind"], "RESPONSE_THRESHOLD");
    assert_eq!(first["campaigns"][0]["title"], "Lift the ban");
    assert_eq!(first["promotedBy"][0]["name"], "Bolton Welcome Hub");
    used
}

#[tokio::test]
async fn the_petition_list_costs_the_same_for_few_and_many_petitions() {
    let few = statements_for_petitions(1).await;
    let many = statements_for_petitions(8).await;
    assert_eq!(few, many, "statements for 1 petition: {few}, for 8: {many}");
    // The page and its count; milestones; campaign links; campaigns; watched counts;
    // promoters; partners (the session was checked moments before).
    assert!(few <= 8, "{few} statements");
}

/// Background workers sleep until their next job is due or another instance wakes them: an
/// instance with nothing to do, also just after sending mail, sends its database nothing.
#[tokio::test]
async fn an_idle_instance_runs_no_statements() {
    let app = TestApp::spawn_real_time(|_| {}).await;
    app.ok(
        None,
        "mutation($i: SubscribeInput!) { subscribe(input: $i) { message } }",
        json!({ "i": { "email": "idle@example.org" } }),
    )
    .await;
    app.wait_for_mail("idle@example.org", 1).await;
    // The mail worker's last round (it asks when mail is next due) ends within moments.
    tokio::time::sleep(std::time::Duration::from_secs(1)).await;
    let settled = app.all_statements();
    assert!(settled > 0, "the statements are counted");
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    assert_eq!(
        app.all_statements() - settled,
        0,
        "three idle seconds without a statement"
    );
}

const PARTNER_DIRECTORY: &str = "{ partners(first: 100) { totalCount nodes {
    name region { name }
    jointActionHistory(first: 5) { totalCount nodes { change at action { title } } } } } }";

/// `partners` organisations, each with a member who joins each of `actions` actions of one
/// campaign; the statements one reading of the partner directory, with each partner's
/// opt-ins, costs an admin.
async fn statements_for_partner_directory(partners: usize, actions: usize) -> u64 {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let token = Some(admin.access_token.as_str());
    let campaign = active_campaign(&app, &admin).await;
    let mut members = Vec::new();
    for i in 0..partners {
        let id = app
            .partner(&admin, json!({ "name": format!("Partner {i:03}") }))
            .await;
        members.push(
            app.member(&admin, &id, &format!("member{i}@partners.example.org"))
                .await,
        );
    }
    for a in 0..actions {
        let action = app
            .ok(token, "mutation($i: CreateJointActionInput!) { createJointAction(input: $i) { id } }",
                json!({ "i": { "campaignId": campaign, "title": format!("Action {a}"), "kind": "EVENT" } }))
            .await["createJointAction"]["id"].clone();
        for member in &members {
            app.ok(
                Some(&member.access_token),
                "mutation($a: ID!) { optIntoJointAction(actionId: $a) { id } }",
                json!({ "a": action }),
            )
            .await;
        }
    }
    let (used, page) = fewest_statements(&app, &admin, PARTNER_DIRECTORY, json!({})).await;
    let first = &page["partners"]["nodes"][0];
    assert_eq!(page["partners"]["totalCount"], partners);
    assert_eq!(first["jointActionHistory"]["totalCount"], actions);
    assert_eq!(
        first["jointActionHistory"]["nodes"][0]["action"]["title"],
        "Action 0"
    );
    used
}

/// An ACTIVE national campaign, by an admin.
async fn active_campaign(app: &TestApp, admin: &Session) -> Value {
    let token = Some(admin.access_token.as_str());
    let goals = app.ok(None, "{ advocacyGoals { id } }", json!({})).await;
    let campaign = app
        .ok(
            token,
            "mutation($i: CreateCampaignInput!) { createCampaign(input: $i) { id } }",
            json!({ "i": { "title": "Lift the ban", "summary": "Work while waiting.",
                "goalIds": [goals["advocacyGoals"][0]["id"], goals["advocacyGoals"][3]["id"]] } }),
        )
        .await["createCampaign"]["id"]
        .clone();
    app.ok(
        token,
        "mutation($id: ID!) { setCampaignStatus(id: $id, status: ACTIVE) { id } }",
        json!({ "id": campaign }),
    )
    .await;
    campaign
}

#[tokio::test]
async fn the_partner_directory_with_each_partners_opt_ins_costs_the_same_for_few_and_many() {
    let few = statements_for_partner_directory(2, 1).await;
    let many = statements_for_partner_directory(12, 4).await;
    assert_eq!(
        few, many,
        "statements for 2 partners: {few}, for 12: {many}"
    );
    // The partners with their total; the opt-ins and withdrawals with their totals; the
    // actions; their campaigns (to check each action may be seen).
    assert!(few <= 4, "{few} statements");
}

const UPDATES_LIST: &str = "{ policyUpdates(first: 50) { totalCount nodes {
    title summary kind publishedAt region { name } topics campaigns { title status } } } }";

const CAMPAIGNS_LIST: &str = "{ campaigns(first: 50) { totalCount nodes {
    title status leadRegion { name } goals { nodes { slug title } } jointActions { totalCount } } } }";

/// `count` campaigns with an action each, and an update published for each of them; the
/// statements one reading of the updates list costs, and of the campaigns list.
async fn statements_for_updates_and_campaigns(count: usize) -> (u64, u64) {
    let app = TestApp::spawn().await;
    let admin = app.admin().await;
    let token = Some(admin.access_token.as_str());
    let region = app.region_id("wales").await;
    for i in 0..count {
        let campaign = active_campaign(&app, &admin).await;
        app.ok(token, "mutation($i: CreateJointActionInput!) { createJointAction(input: $i) { id } }",
            json!({ "i": { "campaignId": campaign, "title": format!("Action {i}"), "kind": "EVENT" } }))
            .await;
        let update = app
            .ok(token, "mutation($i: CreatePolicyUpdateInput!) { createPolicyUpdate(input: $i) { id } }",
                json!({ "i": { "title": format!("Update {i}"), "summary": "s", "body": "b", "kind": "RESOURCE",
                    "topics": ["work", "housing"], "regionId": region, "campaignIds": [campaign] } }))
            .await["createPolicyUpdate"]["id"].clone();
        app.ok(
            token,
            "mutation($id: ID!) { publishPolicyUpdate(id: $id) { id } }",
            json!({ "id": update }),
        )
        .await;
    }
    let (updates, page) = fewest_statements(&app, &admin, UPDATES_LIST, json!({})).await;
    assert_eq!(page["policyUpdates"]["totalCount"], count);
    let first = &page["policyUpdates"]["nodes"][0];
    assert_eq!(first["campaigns"][0]["title"], "Lift the ban");
    assert_eq!(first["region"]["name"], "Wales");
    let (campaigns, page) = fewest_statements(&app, &admin, CAMPAIGNS_LIST, json!({})).await;
    assert_eq!(page["campaigns"]["totalCount"], count);
    let first = &page["campaigns"]["nodes"][0];
    assert_eq!(first["jointActions"]["totalCount"], 1);
    assert_eq!(first["goals"]["nodes"].as_array().map_or(0, Vec::len), 2);
    (updates, campaigns)
}

#[tokio::test]
async fn the_updates_and_campaigns_lists_cost_the_same_for_few_and_many() {
    let (few_updates, few_campaigns) = statements_for_updates_and_campaigns(2).await;
    let (many_updates, many_campaigns) = statements_for_updates_and_campaigns(12).await;
    assert_eq!((few_updates, few_campaigns), (many_updates, many_campaigns));
    // The updates with their total; their topics; their campaign links; the campaigns.
    assert!(few_updates <= 4, "updates list: {few_updates} statements");
    // The campaigns with their total; their goal links; their action pages with totals.
    assert!(
        few_campaigns <= 4,
        "campaigns list: {few_campaigns} statements"
    );
}
