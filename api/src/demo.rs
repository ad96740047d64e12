//! `seed-demo`: invented but realistic content, so a newcomer sees a populated network.
//! Running it again adds nothing twice.

use anyhow::Context;
use std::collections::BTreeSet;

use chrono::Duration;
use entities::{
    advocacy_goal, campaign,
    enums::{
        ActionKind, ApprovalDecision, Audience as UpdateAudience, CampaignStatus, Frequency,
        Ownership, PartnerKind, PartnerStatus, Role, SubscriberStatus, UpdateKind,
    },
    partner, policy_update, region, subscriber, user,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, sea_query::OnConflict,
};

use crate::{
    auth::{Actor, passwords, sessions::actor_of, tokens},
    campaigns::{self, NewCampaign, Prioritisation},
    db,
    graphql::error::ApiError,
    input::{Password, name_key},
    joint_actions::{self, NewAction},
    policy_updates::{self, NewUpdate},
    positions::{self, NewPosition},
    state::AppState,
};

struct DemoPartner {
    name: &'static str,
    kind: PartnerKind,
    region: Option<&'static str>,
    town: &'static str,
    status: PartnerStatus,
    description: &'static str,
    contact: &'static str,
}

const PARTNERS: &[DemoPartner] = &[
    DemoPartner {
        name: "Balsall Heath Welcome Table",
        kind: PartnerKind::CommunityGroup,
        region: Some("west-midlands"),
        town: "Birmingham",
        status: PartnerStatus::Active,
        description: "A weekly shared meal and advice table for people waiting on asylum decisions.",
        contact: "Grace Okafor",
    },
    DemoPartner {
        name: "Foleshill Women's Circle",
        kind: PartnerKind::CommunityGroup,
        region: Some("west-midlands"),
        town: "Coventry",
        status: PartnerStatus::Active,
        description: "Peer support and English conversation for women seeking sanctuary.",
        contact: "Parveen Akhtar",
    },
    DemoPartner {
        name: "Black Country Faith Hospitality",
        kind: PartnerKind::FaithGroup,
        region: Some("west-midlands"),
        town: "Wolverhampton",
        status: PartnerStatus::Prospective,
        description: "Churches, mosques and gurdwaras offering hosting and befriending.",
        contact: "Revd. Thomas Hale",
    },
    DemoPartner {
        name: "Irwell Migrant Law Project",
        kind: PartnerKind::LawCentre,
        region: Some("north-west"),
        town: "Salford",
        status: PartnerStatus::Active,
        description: "Free immigration and asylum advice, casework and fresh-claim support.",
        contact: "Daniel Mensah",
    },
    DemoPartner {
        name: "Bolton Welcome Hub",
        kind: PartnerKind::SanctuaryGroup,
        region: Some("north-west"),
        town: "Bolton",
        status: PartnerStatus::Active,
        description: "A drop-in with food parcels, clothing and help with asylum support forms.",
        contact: "Mariam Yusuf",
    },
    DemoPartner {
        name: "Chapeltown Asylum Support Network",
        kind: PartnerKind::Charity,
        region: Some("yorkshire-and-humber"),
        town: "Leeds",
        status: PartnerStatus::Active,
        description: "Emergency hardship grants and accommodation for people refused asylum.",
        contact: "Helen Brierley",
    },
    DemoPartner {
        name: "Don Valley Welcome Kitchen",
        kind: PartnerKind::CommunityGroup,
        region: Some("yorkshire-and-humber"),
        town: "Sheffield",
        status: PartnerStatus::Lapsed,
        description: "A community kitchen run by and for refugees and people seeking asylum.",
        contact: "Samir Haddad",
    },
    DemoPartner {
        name: "Tyneside Befriending Scheme",
        kind: PartnerKind::SanctuaryGroup,
        region: Some("north-east"),
        town: "Newcastle upon Tyne",
        status: PartnerStatus::Active,
        description: "Volunteers matched with newly arrived people for friendship and orientation.",
        contact: "Ruth Armstrong",
    },
    DemoPartner {
        name: "Wearside Conversation Club",
        kind: PartnerKind::CommunityGroup,
        region: Some("north-east"),
        town: "Sunderland",
        status: PartnerStatus::Active,
        description: "Free English practice twice a week, with childcare.",
        contact: "Joseph Kamara",
    },
    DemoPartner {
        name: "Butetown Asylum Drop-in",
        kind: PartnerKind::Charity,
        region: Some("wales"),
        town: "Cardiff",
        status: PartnerStatus::Active,
        description: "Advice, hot food and a GP registration clinic every Tuesday.",
        contact: "Carys Lewis",
    },
    DemoPartner {
        name: "Swansea Welcome English",
        kind: PartnerKind::CommunityGroup,
        region: Some("wales"),
        town: "Swansea",
        status: PartnerStatus::Active,
        description: "Volunteer-led English classes and a conversation café.",
        contact: "Owain Price",
    },
    DemoPartner {
        name: "Deptford Destitution Project",
        kind: PartnerKind::Charity,
        region: Some("london"),
        town: "London",
        status: PartnerStatus::Active,
        description: "Cash support and night shelter referrals for people with no recourse to public funds.",
        contact: "Amara Nwosu",
    },
    DemoPartner {
        name: "Hackney Migrant Advice Centre",
        kind: PartnerKind::LawCentre,
        region: Some("london"),
        town: "London",
        status: PartnerStatus::Active,
        description: "Legal advice on asylum, family reunion and detention.",
        contact: "Tomasz Nowak",
    },
    DemoPartner {
        name: "Clyde Refugee Friends",
        kind: PartnerKind::SanctuaryGroup,
        region: None,
        town: "Glasgow",
        status: PartnerStatus::Active,
        description: "A Scottish befriending network working with the national team.",
        contact: "Fiona MacLeod",
    },
    DemoPartner {
        name: "Avon Welcome Network",
        kind: PartnerKind::FaithGroup,
        region: None,
        town: "Bristol",
        status: PartnerStatus::Prospective,
        description: "Congregations across Bristol offering welcome and hosting.",
        contact: "Esther Adebayo",
    },
];

/// Regional staff: (region slug, name, email).
const STAFF: &[(&str, &str, &str)] = &[
    (
        "west-midlands",
        "Aisha Rahman",
        "aisha.rahman@staff.example.org",
    ),
    (
        "north-west",
        "Ben Whitworth",
        "ben.whitworth@staff.example.org",
    ),
    (
        "yorkshire-and-humber",
        "Priya Sharma",
        "priya.sharma@staff.example.org",
    ),
    ("north-east", "Callum Reid", "callum.reid@staff.example.org"),
    ("wales", "Nia Evans", "nia.evans@staff.example.org"),
    ("london", "Kwame Asante", "kwame.asante@staff.example.org"),
];

/// Partner members: (partner name, person, email).
const MEMBERS: &[(&str, &str, &str)] = &[
    (
        "Balsall Heath Welcome Table",
        "Grace Okafor",
        "grace@welcometable.example.org",
    ),
    (
        "Irwell Migrant Law Project",
        "Daniel Mensah",
        "daniel@irwelllaw.example.org",
    ),
    (
        "Butetown Asylum Drop-in",
        "Carys Lewis",
        "carys@butetowndropin.example.org",
    ),
];

pub async fn seed(state: &AppState) -> anyhow::Result<()> {
    let password = tokens::new_opaque_token();
    let password_hash = passwords::hash(
        &state.hashing,
        Password::parse("password", password.clone()).map_err(|e| anyhow::anyhow!("{e}"))?,
    )
    .await
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let txn = db::begin_write(&state.db).await?;
    let added_partners = seed_partners(&txn, state).await?;
    let added_accounts = seed_accounts(&txn, state, &password_hash).await?;
    txn.commit().await?;
    let added_campaigns = seed_campaigns(state).await?;
    let added_updates = seed_updates(state).await?;
    let added_subscribers = seed_subscribers(state).await?;
    let added_enquiries =
        crate::enquiries::demo::seed(state, region_id(&state.db, "north-west").await?).await?;
    let added_observations = crate::evidence::demo::seed(state, &observers(state).await?).await?;
    let added_signatories = crate::principles::demo::seed(state).await?;
    let added_sessions = crate::training::demo::seed(state).await?;
    let added_petitions = crate::petitions::demo::seed(state).await?;
    println!(
        "Added {added_partners} partner organisations, {added_accounts} accounts, \
         {added_campaigns} campaigns, {added_updates} policy updates, {added_subscribers} \
         subscribers, {added_enquiries} partnership enquiries, {added_observations} \
         observations, {added_signatories} Early Action signatories, {added_sessions} \
         training sessions and {added_petitions} tracked petitions."
    );
    if added_accounts > 0 {
        println!("Demo accounts (staff: *@staff.example.org) share this password: {password}");
    }
    Ok(())
}

async fn region_id(conn: &impl ConnectionTrait, slug: &str) -> anyhow::Result<i64> {
    Ok(region::Entity::find()
        .filter(region::Column::Slug.eq(slug))
        .one(conn)
        .await?
        .with_context(|| format!("region {slug} is missing; run the migrations"))?
        .id)
}

async fn seed_partners(conn: &impl ConnectionTrait, state: &AppState) -> anyhow::Result<u64> {
    let now = state.now();
    let mut added = 0;
    for demo in PARTNERS {
        let region_id = match demo.region {
            Some(slug) => Some(region_id(conn, slug).await?),
            None => None,
        };
        let email_user = demo.contact.to_lowercase().replace([' ', '.'], "");
        let row = partner::ActiveModel {
            name: Set(demo.name.to_owned()),
            name_key: Set(name_key(demo.name)),
            kind: Set(demo.kind),
            region_id: Set(region_id),
            town: Set(Some(demo.town.to_owned())),
            website: Set(Some(format!(
                "https://{}.example.org/",
                name_key(demo.name).replace([' ', '\''], "-")
            ))),
            description: Set(demo.description.to_owned()),
            status: Set(demo.status),
            contact_name: Set(Some(demo.contact.to_owned())),
            contact_email: Set(Some(format!("{email_user}@partners.example.org"))),
            contact_phone: Set(Some("+44 20 7946 0000".to_owned())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        };
        added += partner::Entity::insert(row)
            .on_conflict(
                OnConflict::column(partner::Column::NameKey)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(added)
}

async fn seed_accounts(
    conn: &impl ConnectionTrait,
    state: &AppState,
    password_hash: &str,
) -> anyhow::Result<u64> {
    let mut rows = Vec::new();
    for (slug, name, email) in STAFF {
        rows.push((
            Role::Staff,
            Some(region_id(conn, slug).await?),
            None,
            *name,
            *email,
        ));
    }
    for (partner_name, name, email) in MEMBERS {
        let partner_id = partner::Entity::find()
            .filter(partner::Column::NameKey.eq(name_key(partner_name)))
            .one(conn)
            .await?
            .with_context(|| format!("demo partner {partner_name} is missing"))?
            .id;
        rows.push((Role::Partner, None, Some(partner_id), *name, *email));
    }
    let mut added = 0;
    for (role, region_id, partner_id, name, email) in rows {
        let row = user::ActiveModel {
            email: Set(email.to_owned()),
            name: Set(name.to_owned()),
            password_hash: Set(password_hash.to_owned()),
            role: Set(role),
            region_id: Set(region_id),
            partner_id: Set(partner_id),
            active: Set(true),
            created_at: Set(state.now()),
            ..Default::default()
        };
        added += user::Entity::insert(row)
            .on_conflict(
                OnConflict::column(user::Column::Email)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await?;
    }
    Ok(added)
}

/// The demo campaigns, made through the same rules as the API: the staff who run them create
/// them, and partner members opt in and approve as they would themselves.
async fn seed_campaigns(state: &AppState) -> anyhow::Result<u64> {
    let db = &state.db;
    let exists = campaign::Entity::find()
        .filter(campaign::Column::Title.eq(WORK_CAMPAIGN))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(0);
    }
    let aisha = demo_actor(db, "aisha.rahman@staff.example.org").await?;
    let ben = demo_actor(db, "ben.whitworth@staff.example.org").await?;
    let nia = demo_actor(db, "nia.evans@staff.example.org").await?;
    let members = [
        demo_actor(db, "grace@welcometable.example.org").await?,
        demo_actor(db, "daniel@irwelllaw.example.org").await?,
        demo_actor(db, "carys@butetowndropin.example.org").await?,
    ];
    seed_work_campaign(state, &aisha, &members).await?;
    seed_housing_campaign(state, &ben, &members[1]).await?;
    start_campaign(
        state,
        &nia,
        &DemoCampaign {
            title: "Free bus travel for people seeking asylum in Wales",
            summary: "Being planned: extend concessionary travel to everyone in the asylum system.",
            body: "",
            goals: &["end-destitution", "welcome-and-english"],
            region: Some("wales"),
        },
        CampaignStatus::Draft,
    )
    .await?;
    Ok(3)
}

const WORK_CAMPAIGN: &str = "Lift the ban: the right to work while waiting";

/// A national campaign with two actions most demo partners joined, and a partner-backed
/// position two of the three approved.
async fn seed_work_campaign(
    state: &AppState,
    lead: &Actor,
    members: &[Actor; 3],
) -> anyhow::Result<()> {
    let db = &state.db;
    let now = state.now();
    let campaign = start_campaign(
        state,
        lead,
        &DemoCampaign {
            title: WORK_CAMPAIGN,
            summary: "People waiting more than six months for a decision should be allowed to work.",
            body: "Most people seeking asylum are barred from working while they wait, often for \
                   years, living on a few pounds a day. Letting them work would cut poverty, use \
                   their skills and save public money.",
            goals: &["permission-to-work", "end-destitution"],
            region: None,
        },
        CampaignStatus::Active,
    )
    .await?;
    let letter = demo_action(
        state,
        lead,
        campaign,
        "Write to your MP about the work ban",
        ActionKind::LetterToMp,
    )
    .await?;
    let statement = demo_action(
        state,
        lead,
        campaign,
        "Sign the joint statement for the Budget",
        ActionKind::JointStatement,
    )
    .await?;
    for (member, note) in members.iter().zip([
        Some("Our volunteers will write too."),
        None,
        Some("Welsh MPs included."),
    ]) {
        joint_actions::opt_in(db, member, now, letter, note.map(str::to_owned))
            .await
            .map_err(demo_error)?;
    }
    joint_actions::opt_in(db, &members[1], now, statement, None)
        .await
        .map_err(demo_error)?;

    let position = positions::create(
        db,
        lead,
        now,
        NewPosition {
            campaign_id: campaign,
            title: "People seeking asylum should be able to work".to_owned(),
            ownership: Ownership::PartnerBacked,
            body: "After six months waiting for a decision, people seeking asylum should be free \
                   to take any job, not only those on the shortage occupation list."
                .to_owned(),
        },
    )
    .await
    .map_err(demo_error)?;
    let asked = members
        .iter()
        .filter_map(|member| member.partner_id)
        .collect();
    positions::request_approval(db, lead, now, position.id, asked)
        .await
        .map_err(demo_error)?;
    positions::respond(
        db,
        &members[0],
        now,
        position.id,
        ApprovalDecision::Approve,
        None,
        position.current_version,
    )
    .await
    .map_err(demo_error)?;
    positions::respond(
        db,
        &members[1],
        now,
        position.id,
        ApprovalDecision::Approve,
        Some("Happy to be named.".to_owned()),
        position.current_version,
    )
    .await
    .map_err(demo_error)?;
    positions::publish(db, lead, now, position.id)
        .await
        .map_err(demo_error)?;
    Ok(())
}

/// A North West campaign with an event and the charity's own position.
async fn seed_housing_campaign(
    state: &AppState,
    lead: &Actor,
    member: &Actor,
) -> anyhow::Result<()> {
    let db = &state.db;
    let now = state.now();
    let campaign = start_campaign(
        state,
        lead,
        &DemoCampaign {
            title: "Safe, decent asylum housing in the North West",
            summary: "No more hotels and barracks: homes in communities, inspected and fit to live in.",
            body: "Families are kept for months in hotel rooms without cooking facilities. We ask \
                   councils and the Home Office for community housing that is regularly inspected.",
            goals: &["dignity-and-respect", "end-destitution"],
            region: Some("north-west"),
        },
        CampaignStatus::Active,
    )
    .await?;
    let vigil = demo_action(
        state,
        lead,
        campaign,
        "Vigil outside the Manchester hotel",
        ActionKind::Event,
    )
    .await?;
    joint_actions::opt_in(
        db,
        member,
        now,
        vigil,
        Some("We will bring ten people.".to_owned()),
    )
    .await
    .map_err(demo_error)?;
    let position = positions::create(
        db,
        lead,
        now,
        NewPosition {
            campaign_id: campaign,
            title: "Hotels are no home".to_owned(),
            ownership: Ownership::Own,
            body: "Large sites and hotels isolate people and harm their health. Asylum \
                   accommodation belongs in communities."
                .to_owned(),
        },
    )
    .await
    .map_err(demo_error)?;
    positions::publish(db, lead, now, position.id)
        .await
        .map_err(demo_error)?;
    Ok(())
}

struct DemoCampaign {
    title: &'static str,
    summary: &'static str,
    body: &'static str,
    goals: &'static [&'static str],
    /// None: national, led by the lead's own region.
    region: Option<&'static str>,
}

/// Creates the campaign as `lead` and, unless it stays a draft, moves it to `status`.
async fn start_campaign(
    state: &AppState,
    lead: &Actor,
    demo: &DemoCampaign,
    status: CampaignStatus,
) -> anyhow::Result<i64> {
    let db = &state.db;
    let region_ids = match demo.region {
        Some(slug) => BTreeSet::from([region_id(db, slug).await?]),
        None => BTreeSet::new(),
    };
    let campaign = campaigns::create(
        db,
        lead,
        state.now(),
        NewCampaign {
            title: demo.title.to_owned(),
            summary: demo.summary.to_owned(),
            body: demo.body.to_owned(),
            goal_ids: goal_ids(db, demo.goals).await?,
            region_ids,
            lead_region_id: lead.region_id,
            prioritisation: Prioritisation::default(),
        },
    )
    .await
    .map_err(demo_error)?;
    if status != CampaignStatus::Draft {
        campaigns::set_status(db, lead, state.now(), campaign.id, status)
            .await
            .map_err(demo_error)?;
    }
    Ok(campaign.id)
}

async fn demo_action(
    state: &AppState,
    lead: &Actor,
    campaign_id: i64,
    title: &str,
    kind: ActionKind,
) -> anyhow::Result<i64> {
    let action = joint_actions::create(
        &state.db,
        lead,
        state.now(),
        campaign_id,
        NewAction {
            title: title.to_owned(),
            description: String::new(),
            kind,
            opens_at: None,
            closes_at: Some(state.now() + Duration::days(60)),
        },
    )
    .await
    .map_err(demo_error)?;
    Ok(action.id)
}

/// The demo members and staff who record observations, each with their region.
async fn observers(state: &AppState) -> anyhow::Result<Vec<(Actor, Option<i64>)>> {
    let mut observers = Vec::new();
    for (_, _, email) in MEMBERS {
        let actor = demo_actor(&state.db, email).await?;
        let region = match actor.partner_id {
            Some(id) => partner::Entity::find_by_id(id)
                .one(&state.db)
                .await?
                .and_then(|partner| partner.region_id),
            None => None,
        };
        observers.push((actor, region));
    }
    for (_, _, email) in STAFF {
        let actor = demo_actor(&state.db, email).await?;
        let region = actor.region_id;
        observers.push((actor, region));
    }
    Ok(observers)
}

/// Someone seeded above, acting outside any session.
async fn demo_actor(conn: &impl ConnectionTrait, email: &str) -> anyhow::Result<Actor> {
    let account = user::Entity::find()
        .filter(user::Column::Email.eq(email))
        .one(conn)
        .await?
        .with_context(|| format!("demo account {email} is missing"))?;
    Ok(actor_of(&account, 0))
}

async fn goal_ids(conn: &impl ConnectionTrait, slugs: &[&str]) -> anyhow::Result<BTreeSet<i64>> {
    let goals = advocacy_goal::Entity::find()
        .filter(advocacy_goal::Column::Slug.is_in(slugs.iter().copied()))
        .all(conn)
        .await?;
    Ok(goals.into_iter().map(|goal| goal.id).collect())
}

fn demo_error(error: ApiError) -> anyhow::Error {
    anyhow::anyhow!("seeding the demo failed: {error}")
}

const FIRST_UPDATE: &str = "Asylum support rates frozen for another year";

/// Two published updates: a national public one linked to the work campaign, and a North
/// West one for partners only. Published before any subscriber exists, so nobody is mailed.
async fn seed_updates(state: &AppState) -> anyhow::Result<u64> {
    let db = &state.db;
    let exists = policy_update::Entity::find()
        .filter(policy_update::Column::Title.eq(FIRST_UPDATE))
        .one(db)
        .await?
        .is_some();
    if exists {
        return Ok(0);
    }
    let aisha = demo_actor(db, "aisha.rahman@staff.example.org").await?;
    let ben = demo_actor(db, "ben.whitworth@staff.example.org").await?;
    let work = campaign::Entity::find()
        .filter(campaign::Column::Title.eq(WORK_CAMPAIGN))
        .one(db)
        .await?
        .map(|found| found.id);
    let national = policy_updates::create(
        db,
        &aisha,
        state.now(),
        NewUpdate {
            title: FIRST_UPDATE.to_owned(),
            summary: "The weekly allowance stays the same while prices keep rising.".to_owned(),
            body: "The Home Office has decided **not to raise** asylum support this year.\n\n\
                   - Tell your MP what this means for families you support.\n\
                   - Join the joint statement in the *Lift the ban* campaign."
                .to_owned(),
            kind: UpdateKind::PolicyDevelopment,
            region_id: None,
            audience: UpdateAudience::Public,
            topics: BTreeSet::from(["asylum-support".to_owned(), "poverty".to_owned()]),
            campaign_ids: work.into_iter().collect(),
        },
    )
    .await
    .map_err(demo_error)?;
    policy_updates::publish(state, &aisha, national.id, None)
        .await
        .map_err(demo_error)?;
    let north_west = region_id(db, "north-west").await?;
    let regional = policy_updates::create(
        db,
        &ben,
        state.now(),
        NewUpdate {
            title: "Partners' briefing: hotel closures in Greater Manchester".to_owned(),
            summary: "What we know about the moves, and how to help people being moved.".to_owned(),
            body: "Three hotels close next month. Talk to us before advising anyone on moves."
                .to_owned(),
            kind: UpdateKind::Resource,
            region_id: Some(north_west),
            audience: UpdateAudience::Partners,
            topics: BTreeSet::from(["housing".to_owned()]),
            campaign_ids: BTreeSet::new(),
        },
    )
    .await
    .map_err(demo_error)?;
    policy_updates::publish(state, &ben, regional.id, None)
        .await
        .map_err(demo_error)?;
    Ok(2)
}

/// Confirmed subscribers, as if they had followed their confirmation links.
async fn seed_subscribers(state: &AppState) -> anyhow::Result<u64> {
    let now = state.now();
    let north_west = region_id(&state.db, "north-west").await?;
    let wales = region_id(&state.db, "wales").await?;
    let people = [
        (
            "ruth.campbell@example.org",
            "Ruth Campbell",
            Some(north_west),
            Frequency::Immediate,
        ),
        (
            "owen.price@example.org",
            "Owen Price",
            Some(wales),
            Frequency::Weekly,
        ),
        ("sam.okoro@example.org", "Sam Okoro", None, Frequency::Daily),
    ];
    let rows = people
        .into_iter()
        .map(|(email, name, region, frequency)| subscriber::ActiveModel {
            email: Set(email.to_owned()),
            name: Set(Some(name.to_owned())),
            region_id: Set(region),
            frequency: Set(frequency),
            status: Set(SubscriberStatus::Confirmed),
            token_salt: Set(tokens::new_opaque_token()),
            confirmation_sent_at: Set(now),
            consent_at: Set(Some(now)),
            consent_source: Set(Some("seed-demo".to_owned())),
            consent_wording: Set(Some(crate::mailing::CONSENT_WORDING.to_owned())),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        });
    Ok(subscriber::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::column(subscriber::Column::Email)
                .do_nothing()
                .to_owned(),
        )
        .exec_without_returning(&state.db)
        .await?)
}
