//! Demonstration training: two past sessions with attendance marked, an upcoming one that is
//! full with a waitlist, an upcoming public one, and an external listing. Seeded directly: no
//! emails are sent.

use chrono::{DateTime, Duration, Utc};
use entities::{
    enums::{
        Attendance, AttendeeStatus, Role, TrainingAudience, TrainingFormat, TrainingStatus,
        TrainingTopic,
    },
    partner, training_attendee, training_booking, training_session, user,
};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter,
    QueryOrder,
};

use crate::{auth::tokens, db, state::AppState};

/// One demo session: what it is, when (days from now), and how many seats.
struct Demo {
    title: &'static str,
    topic: TrainingTopic,
    format: TrainingFormat,
    audience: TrainingAudience,
    region: Option<&'static str>,
    days_from_now: i64,
    capacity: i32,
    external: Option<(&'static str, &'static str)>,
}

const SESSIONS: [Demo; 5] = [
    Demo {
        title: "Meeting your MP about asylum support",
        topic: TrainingTopic::Advocacy,
        format: TrainingFormat::InPerson,
        audience: TrainingAudience::Partners,
        region: Some("north-west"),
        days_from_now: -60,
        capacity: 12,
        external: None,
    },
    Demo {
        title: "How an asylum claim is decided",
        topic: TrainingTopic::AsylumSystem,
        format: TrainingFormat::Online,
        audience: TrainingAudience::Partners,
        region: None,
        days_from_now: -20,
        capacity: 30,
        external: None,
    },
    Demo {
        title: "Planning a local campaign",
        topic: TrainingTopic::Campaigning,
        format: TrainingFormat::Hybrid,
        audience: TrainingAudience::Partners,
        region: Some("north-west"),
        days_from_now: 10,
        capacity: 4,
        external: None,
    },
    Demo {
        title: "Early Action: welcoming before the crisis",
        topic: TrainingTopic::EarlyAction,
        format: TrainingFormat::Online,
        audience: TrainingAudience::Public,
        region: None,
        days_from_now: 21,
        capacity: 40,
        external: None,
    },
    Demo {
        title: "Immigration advice: the regulated levels explained",
        topic: TrainingTopic::AsylumSystem,
        format: TrainingFormat::Online,
        audience: TrainingAudience::Public,
        region: None,
        days_from_now: 35,
        capacity: 100,
        external: Some((
            "Regional advice network",
            "https://advice-training.example.org/levels",
        )),
    },
];

/// Adds the demo sessions (nothing if there are sessions already); the number added.
pub async fn seed(state: &AppState) -> anyhow::Result<u64> {
    if training_session::Entity::find().count(&state.db).await? > 0 {
        return Ok(0);
    }
    let Some(organiser) = user::Entity::find()
        .filter(user::Column::Role.is_in([Role::Staff, Role::Admin]))
        .order_by_asc(user::Column::Id)
        .one(&state.db)
        .await?
    else {
        return Ok(0);
    };
    let partners = partner::Entity::find()
        .order_by_asc(partner::Column::Id)
        .all(&state.db)
        .await?;
    let now = state.now();
    let txn = db::begin_write(&state.db).await?;
    let mut added = 0;
    for demo in &SESSIONS {
        let session = insert_session(&txn, state, demo, organiser.id, now).await?;
        if demo.external.is_none() {
            book_demo_seats(&txn, &session, &partners, now).await?;
        }
        added += 1;
    }
    txn.commit().await?;
    Ok(added)
}

async fn insert_session(
    conn: &impl ConnectionTrait,
    state: &AppState,
    demo: &Demo,
    organiser: i64,
    now: DateTime<Utc>,
) -> anyhow::Result<training_session::Model> {
    let starts_at = now + Duration::days(demo.days_from_now) + Duration::hours(2);
    let region_id = demo
        .region
        .and_then(|slug| state.regions.iter().find(|region| region.slug == slug))
        .map(|region| region.id);
    let past = demo.days_from_now < 0;
    let description = format!(
        "A session for people supporting those seeking asylum: {}.",
        demo.title
    );
    let in_person = demo.format != TrainingFormat::Online;
    Ok(
        training_session::Entity::insert(training_session::ActiveModel {
            title: Set(demo.title.to_owned()),
            description_html: Set(format!("<p>{description}</p>\n")),
            description: Set(description),
            topic: Set(demo.topic),
            format: Set(demo.format),
            venue: Set(in_person.then(|| "Friends Meeting House".to_owned())),
            town: Set(in_person.then(|| "Manchester".to_owned())),
            joining_url: Set(
                (demo.format != TrainingFormat::InPerson && demo.external.is_none())
                    .then(|| "https://meet.example.org/training-room".to_owned()),
            ),
            starts_at: Set(starts_at),
            ends_at: Set(starts_at + Duration::hours(2)),
            capacity: Set(demo.capacity),
            booking_deadline: Set(starts_at - Duration::days(1)),
            audience: Set(demo.audience),
            seats_per_organisation: Set(Some(3)),
            region_id: Set(region_id),
            status: Set(if past {
                TrainingStatus::Completed
            } else {
                TrainingStatus::Published
            }),
            provider: Set(demo.external.map(|(provider, _)| provider.to_owned())),
            external_url: Set(demo.external.map(|(_, url)| url.to_owned())),
            sequence: Set(0),
            created_by: Set(organiser),
            created_at: Set(now - Duration::days(90)),
            updated_at: Set(now - Duration::days(90)),
            ..Default::default()
        })
        .exec_with_returning(conn)
        .await?,
    )
}

/// Two people from each of the first three partner organisations (or, for a public session,
/// three people for themselves); seats confirmed in order while they last, the rest waitlisted.
/// Past sessions get attendance, one no-show in each.
async fn book_demo_seats(
    conn: &impl ConnectionTrait,
    session: &training_session::Model,
    partners: &[partner::Model],
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let bookers: Vec<(Option<&partner::Model>, usize)> = match session.audience {
        TrainingAudience::Partners => partners.iter().take(3).map(|p| (Some(p), 2)).collect(),
        TrainingAudience::Public => vec![(None, 1); 3],
    };
    let past = session.status == TrainingStatus::Completed;
    let mut queue = 0;
    for (n, (organisation, people)) in bookers.into_iter().enumerate() {
        let booking = training_booking::Entity::insert(training_booking::ActiveModel {
            session_id: Set(session.id),
            partner_id: Set(organisation.map(|p| p.id)),
            link_salt: Set(tokens::new_opaque_token()),
            uid: Set(tokens::new_opaque_token()),
            created_at: Set(session.created_at),
            confirmed_at: Set(Some(session.created_at)),
            ..Default::default()
        })
        .exec_with_returning(conn)
        .await?;
        for person in 0..people {
            queue += 1;
            let seated = queue <= i64::from(session.capacity);
            let email = format!("trainee{n}{person}.s{}@partners.example.org", session.id);
            training_attendee::Entity::insert(training_attendee::ActiveModel {
                booking_id: Set(booking.id),
                session_id: Set(session.id),
                name: Set(format!("Demo trainee {}", queue)),
                email_key: Set(email.clone()),
                email: Set(email),
                status: Set(if seated {
                    AttendeeStatus::Confirmed
                } else {
                    AttendeeStatus::Waitlisted
                }),
                queue_number: Set(queue),
                attendance: Set(past.then_some(if queue == 2 {
                    Attendance::NoShow
                } else {
                    Attendance::Attended
                })),
                created_at: Set(now),
                ..Default::default()
            })
            .exec(conn)
            .await?;
        }
    }
    Ok(())
}
