//! Counting seats and attendance with grouped queries: seats taken and waitlists for a page of
//! sessions, each waiting person's place, what each partner organisation has been trained in,
//! and the report per topic.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use entities::{
    enums::{Attendance, AttendeeStatus, TrainingStatus, TrainingTopic},
    training_attendee, training_booking, training_session,
};
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, FromQueryResult, JoinType, QueryFilter, QueryOrder,
    QuerySelect, RelationDef,
};

use crate::graphql::error::ApiResult;

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SeatCounts {
    pub confirmed: i64,
    pub waitlisted: i64,
}

/// Seats confirmed and people waiting, per session, in one grouped query.
pub async fn seat_counts(
    conn: &impl ConnectionTrait,
    session_ids: &[i64],
) -> ApiResult<HashMap<i64, SeatCounts>> {
    let rows: Vec<(i64, AttendeeStatus, i64)> = training_attendee::Entity::find()
        .select_only()
        .column(training_attendee::Column::SessionId)
        .column(training_attendee::Column::Status)
        .column_as(training_attendee::Column::Id.count(), "seats")
        .filter(training_attendee::Column::SessionId.is_in(session_ids.iter().copied()))
        .filter(
            training_attendee::Column::Status
                .is_in([AttendeeStatus::Confirmed, AttendeeStatus::Waitlisted]),
        )
        .group_by(training_attendee::Column::SessionId)
        .group_by(training_attendee::Column::Status)
        .into_tuple()
        .all(conn)
        .await?;
    let mut counts: HashMap<i64, SeatCounts> = HashMap::new();
    for (session_id, status, seats) in rows {
        let entry = counts.entry(session_id).or_default();
        match status {
            AttendeeStatus::Confirmed => entry.confirmed = seats,
            _ => entry.waitlisted = seats,
        }
    }
    Ok(counts)
}

/// Each waiting person's place (1, 2, …) in their session's waitlist, for the sessions given.
pub async fn waitlist_places(
    conn: &impl ConnectionTrait,
    session_ids: &[i64],
) -> ApiResult<HashMap<i64, i64>> {
    let waiting: Vec<(i64, i64)> = training_attendee::Entity::find()
        .select_only()
        .column(training_attendee::Column::Id)
        .column(training_attendee::Column::SessionId)
        .filter(training_attendee::Column::SessionId.is_in(session_ids.iter().copied()))
        .filter(training_attendee::Column::Status.eq(AttendeeStatus::Waitlisted))
        .order_by_asc(training_attendee::Column::SessionId)
        .order_by_asc(training_attendee::Column::QueueNumber)
        .into_tuple()
        .all(conn)
        .await?;
    let mut places = HashMap::with_capacity(waiting.len());
    let mut current = (None, 0);
    for (attendee_id, session_id) in waiting {
        if current.0 != Some(session_id) {
            current = (Some(session_id), 0);
        }
        current.1 += 1;
        places.insert(attendee_id, current.1);
    }
    Ok(places)
}

/// What one partner organisation's people attended.
#[derive(Debug, Clone, Default)]
pub struct PartnerTraining {
    pub sessions_attended: i64,
    pub people_trained: i64,
    pub last_attended_at: Option<DateTime<Utc>>,
    /// Sessions attended per topic.
    pub by_topic: BTreeMap<TrainingTopic, i64>,
}

#[derive(FromQueryResult)]
struct Attended {
    partner_id: i64,
    session_id: i64,
    topic: TrainingTopic,
    email_key: String,
    starts_at: DateTime<Utc>,
}

fn booking_of_attendee() -> RelationDef {
    training_attendee::Entity::belongs_to(training_booking::Entity)
        .from(training_attendee::Column::BookingId)
        .to(training_booking::Column::Id)
        .into()
}

fn session_of_attendee() -> RelationDef {
    training_attendee::Entity::belongs_to(training_session::Entity)
        .from(training_attendee::Column::SessionId)
        .to(training_session::Column::Id)
        .into()
}

/// What the people of each partner attended, for a batch of partners, in one query.
pub async fn partners_training(
    conn: &impl ConnectionTrait,
    partner_ids: &[i64],
) -> ApiResult<HashMap<i64, PartnerTraining>> {
    let rows = training_attendee::Entity::find()
        .select_only()
        .column(training_booking::Column::PartnerId)
        .column(training_attendee::Column::SessionId)
        .column(training_session::Column::Topic)
        .column(training_attendee::Column::EmailKey)
        .column(training_session::Column::StartsAt)
        .join(JoinType::InnerJoin, booking_of_attendee())
        .join(JoinType::InnerJoin, session_of_attendee())
        .filter(training_booking::Column::PartnerId.is_in(partner_ids.iter().copied()))
        .filter(training_attendee::Column::Attendance.eq(Attendance::Attended))
        .into_model::<Attended>()
        .all(conn)
        .await?;
    let mut sessions: HashMap<i64, HashSet<i64>> = HashMap::new();
    let mut people: HashMap<i64, HashSet<String>> = HashMap::new();
    let mut topics: HashMap<i64, HashMap<TrainingTopic, HashSet<i64>>> = HashMap::new();
    let mut last: HashMap<i64, DateTime<Utc>> = HashMap::new();
    for row in rows {
        sessions
            .entry(row.partner_id)
            .or_default()
            .insert(row.session_id);
        people
            .entry(row.partner_id)
            .or_default()
            .insert(row.email_key);
        topics
            .entry(row.partner_id)
            .or_default()
            .entry(row.topic)
            .or_default()
            .insert(row.session_id);
        let latest = last.entry(row.partner_id).or_insert(row.starts_at);
        *latest = (*latest).max(row.starts_at);
    }
    Ok(partner_ids
        .iter()
        .map(|id| {
            let training = PartnerTraining {
                sessions_attended: sessions.get(id).map_or(0, |s| s.len() as i64),
                people_trained: people.get(id).map_or(0, |p| p.len() as i64),
                last_attended_at: last.get(id).copied(),
                by_topic: topics
                    .get(id)
                    .map(|by| by.iter().map(|(t, s)| (*t, s.len() as i64)).collect())
                    .unwrap_or_default(),
            };
            (*id, training)
        })
        .collect())
}

/// One topic's line in the training report.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TopicLine {
    pub sessions_run: i64,
    pub seats_offered: i64,
    pub booked: i64,
    pub attended: i64,
    pub no_shows: i64,
    pub partners_reached: i64,
}

impl TopicLine {
    /// No-shows among those marked; `None` before anyone is marked.
    pub fn no_show_rate(&self) -> Option<f64> {
        let marked = self.attended + self.no_shows;
        (marked > 0).then(|| self.no_shows as f64 / marked as f64)
    }
}

#[derive(FromQueryResult)]
struct Seat {
    session_id: i64,
    partner_id: Option<i64>,
    attendance: Option<Attendance>,
}

/// Sessions that ran (started) between `from` and `to` in the region (`None`: all), per topic:
/// seats offered, booked, attended, no-shows, and partner organisations reached.
pub async fn by_topic(
    conn: &impl ConnectionTrait,
    region_id: Option<i64>,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> ApiResult<BTreeMap<TrainingTopic, TopicLine>> {
    let mut query = training_session::Entity::find()
        .filter(
            training_session::Column::Status
                .is_in([TrainingStatus::Published, TrainingStatus::Completed]),
        )
        .filter(training_session::Column::ExternalUrl.is_null())
        .filter(training_session::Column::StartsAt.gte(from))
        .filter(training_session::Column::StartsAt.lt(to.min(now)));
    if let Some(region_id) = region_id {
        query = query.filter(training_session::Column::RegionId.eq(region_id));
    }
    let sessions = query.all(conn).await?;
    let seats = training_attendee::Entity::find()
        .select_only()
        .column(training_attendee::Column::SessionId)
        .column(training_booking::Column::PartnerId)
        .column(training_attendee::Column::Attendance)
        .join(JoinType::InnerJoin, booking_of_attendee())
        .filter(
            training_attendee::Column::SessionId.is_in(sessions.iter().map(|session| session.id)),
        )
        .filter(training_attendee::Column::Status.eq(AttendeeStatus::Confirmed))
        .into_model::<Seat>()
        .all(conn)
        .await?;
    let topic_of: HashMap<i64, TrainingTopic> = sessions
        .iter()
        .map(|session| (session.id, session.topic))
        .collect();
    let mut lines: BTreeMap<TrainingTopic, TopicLine> = BTreeMap::new();
    for session in &sessions {
        let line = lines.entry(session.topic).or_default();
        line.sessions_run += 1;
        line.seats_offered += i64::from(session.capacity);
    }
    let mut reached: HashMap<TrainingTopic, HashSet<i64>> = HashMap::new();
    for seat in seats {
        let Some(topic) = topic_of.get(&seat.session_id) else {
            continue;
        };
        let line = lines.entry(*topic).or_default();
        line.booked += 1;
        match seat.attendance {
            Some(Attendance::Attended) => {
                line.attended += 1;
                if let Some(partner_id) = seat.partner_id {
                    reached.entry(*topic).or_default().insert(partner_id);
                }
            }
            Some(Attendance::NoShow) => line.no_shows += 1,
            None => {}
        }
    }
    for (topic, partners) in reached {
        if let Some(line) = lines.get_mut(&topic) {
            line.partners_reached = partners.len() as i64;
        }
    }
    Ok(lines)
}

#[derive(FromQueryResult)]
struct Attendances {
    partner_id: i64,
    count: i64,
    last_at: Option<DateTime<Utc>>,
}

/// Engagement: the seats each partner in `ids` filled (people who attended) at sessions that
/// started in `period`, in one grouped query.
pub async fn engagement(
    conn: &impl ConnectionTrait,
    ids: &[i64],
    period: crate::engagement::Period,
) -> ApiResult<HashMap<i64, crate::engagement::Tally>> {
    let attended = training_attendee::Entity::find()
        .join(JoinType::InnerJoin, booking_of_attendee())
        .join(JoinType::InnerJoin, session_of_attendee())
        .filter(training_booking::Column::PartnerId.is_in(ids.iter().copied()))
        .filter(training_attendee::Column::Attendance.eq(Attendance::Attended));
    let rows = period
        .apply(attended, training_session::Column::StartsAt)
        .select_only()
        .column(training_booking::Column::PartnerId)
        .column_as(training_attendee::Column::Id.count(), "count")
        .column_as(training_session::Column::StartsAt.max(), "last_at")
        .group_by(training_booking::Column::PartnerId)
        .into_model::<Attendances>()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let tally = crate::engagement::Tally {
                count: row.count,
                last_at: row.last_at,
            };
            (row.partner_id, tally)
        })
        .collect())
}
