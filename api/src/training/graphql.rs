use std::{
    collections::{BTreeSet, HashMap},
    sync::Arc,
};

use async_graphql::{
    Context, Enum, ID, InputObject, Object, SimpleObject, Subscription,
    dataloader::{DataLoader, Loader},
    futures_util::{Stream, StreamExt},
};
use chrono::{DateTime, Utc};
use entities::{
    enums::{self, AttendeeStatus as SeatStatus, TrainingLinkKind},
    training_attendee, training_booking, training_session, training_session_link,
};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, Order, QueryFilter, QueryOrder,
    QuerySelect, Select,
};
use tokio::sync::OnceCell;

use super::{
    BookingAccess, BookingFacts, Links, MAX_ATTENDEES, MAX_CAPACITY, MAX_DESCRIPTION_LEN,
    MAX_LINKS, MAX_TITLE_LEN, SessionAccess, SessionChanges, SessionDetails,
    booking::{self, NewAttendee},
    report::{self, SeatCounts},
};
use crate::{
    accounts::MAX_PERSON_NAME_LEN,
    auth::{Actor, Viewer, graphql::client_of, visible::Visible},
    campaigns::graphql::{AdvocacyGoal, Campaign, campaigns_by_id, goals_by_id},
    events::Event,
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{ById, Children, Keyed, batching},
        pagination::{Page, PageArgs, Total, connection_cost, page},
    },
    input::{self, EmailAddress},
    partners::graphql::{Partner, partner_by_id},
    policy_updates,
    regions::graphql::{Region, region_by_id},
};

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::TrainingTopic")]
pub enum TrainingTopic {
    Advocacy,
    Campaigning,
    AsylumSystem,
    EarlyAction,
    Other,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::TrainingFormat")]
pub enum TrainingFormat {
    InPerson,
    Online,
    Hybrid,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::TrainingAudience")]
pub enum TrainingAudience {
    /// Members of partner organisations book seats for their organisation.
    Partners,
    /// Anyone may book a seat for themselves.
    Public,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::TrainingStatus")]
pub enum TrainingStatus {
    Draft,
    Published,
    Completed,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::AttendeeStatus")]
pub enum AttendeeStatus {
    /// A public booking whose emailed link has not been followed: it holds nothing yet.
    Unconfirmed,
    Confirmed,
    Waitlisted,
    Cancelled,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::Attendance")]
pub enum Attendance {
    Attended,
    NoShow,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
pub enum BookingStatus {
    /// A public booking waiting for its emailed link to be followed.
    Pending,
    /// Every attendee has a seat.
    Confirmed,
    /// Some (or all) attendees wait for a seat.
    Waitlisted,
    Cancelled,
}

impl Keyed for training_session::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// Whose bookings a viewer calls their own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    Partner(i64),
    Account(i64),
}

/// The training slice's batching loaders.
pub struct TrainingLoaders {
    sessions: DataLoader<ById<training_session::Entity>>,
    seats: DataLoader<Seats>,
    places: DataLoader<Places>,
    links: DataLoader<SessionLinks>,
    own: DataLoader<OwnBookings>,
    attendees: DataLoader<Children<training_attendee::Entity>>,
    bookings: DataLoader<Children<training_booking::Entity>>,
    pub partner_training: DataLoader<PartnersTraining>,
}

impl TrainingLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            sessions: batching(ById::new(db.clone())),
            seats: batching(Seats(db.clone())),
            places: batching(Places(db.clone())),
            links: batching(SessionLinks(db.clone())),
            own: batching(OwnBookings(db.clone())),
            attendees: batching(Children::new(
                db,
                training_attendee::Column::BookingId,
                training_attendee::Column::QueueNumber,
                Order::Asc,
            )),
            bookings: batching(Children::new(
                db,
                training_booking::Column::SessionId,
                training_booking::Column::Id,
                Order::Asc,
            )),
            partner_training: batching(PartnersTraining(db.clone())),
        }
    }
}

pub struct Seats(DatabaseConnection);

impl Loader<i64> for Seats {
    type Value = SeatCounts;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, SeatCounts>, Self::Error> {
        let counts = report::seat_counts(&self.0, keys)
            .await
            .map_err(|error| Arc::new(DbErr::Custom(error.to_string())))?;
        Ok(keys
            .iter()
            .map(|id| (*id, counts.get(id).copied().unwrap_or_default()))
            .collect())
    }
}

/// Waitlist places, per session: attendee id → place.
pub struct Places(DatabaseConnection);

impl Loader<i64> for Places {
    type Value = Arc<HashMap<i64, i64>>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let places = Arc::new(
            report::waitlist_places(&self.0, keys)
                .await
                .map_err(|error| Arc::new(DbErr::Custom(error.to_string())))?,
        );
        Ok(keys.iter().map(|id| (*id, places.clone())).collect())
    }
}

pub struct SessionLinks(DatabaseConnection);

impl Loader<i64> for SessionLinks {
    type Value = Vec<(TrainingLinkKind, i64)>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = training_session_link::Entity::find()
            .filter(training_session_link::Column::SessionId.is_in(keys.iter().copied()))
            .order_by_asc(training_session_link::Column::TargetId)
            .all(&self.0)
            .await?;
        let mut links: HashMap<i64, Self::Value> = HashMap::new();
        for row in rows {
            links
                .entry(row.session_id)
                .or_default()
                .push((row.kind, row.target_id));
        }
        Ok(links)
    }
}

/// A viewer's standing bookings in each session.
pub struct OwnBookings(DatabaseConnection);

impl Loader<(i64, Owner)> for OwnBookings {
    type Value = Vec<training_booking::Model>;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[(i64, Owner)],
    ) -> Result<HashMap<(i64, Owner), Self::Value>, Self::Error> {
        let mut whose = Condition::any();
        for (_, owner) in keys {
            whose = whose.add(match owner {
                Owner::Partner(id) => training_booking::Column::PartnerId.eq(*id),
                Owner::Account(id) => training_booking::Column::BookedBy.eq(*id),
            });
        }
        let rows = training_booking::Entity::find()
            .filter(training_booking::Column::SessionId.is_in(keys.iter().map(|(id, _)| *id)))
            .filter(training_booking::Column::CancelledAt.is_null())
            .filter(whose)
            .order_by_asc(training_booking::Column::Id)
            .all(&self.0)
            .await?;
        Ok(keys
            .iter()
            .map(|key| {
                let mine = rows
                    .iter()
                    .filter(|row| {
                        row.session_id == key.0
                            && match key.1 {
                                Owner::Partner(id) => row.partner_id == Some(id),
                                Owner::Account(id) => row.booked_by == Some(id),
                            }
                    })
                    .cloned()
                    .collect();
                (*key, mine)
            })
            .collect())
    }
}

pub struct PartnersTraining(DatabaseConnection);

impl Loader<i64> for PartnersTraining {
    type Value = report::PartnerTraining;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        report::partners_training(&self.0, keys)
            .await
            .map_err(|error| Arc::new(DbErr::Custom(error.to_string())))
    }
}

/// A training session.
pub struct TrainingSession(Visible<SessionAccess>);

impl TrainingSession {
    fn row(&self) -> &training_session::Model {
        self.0.row()
    }

    fn shown(viewer: &Viewer, row: training_session::Model) -> Option<Self> {
        Visible::check(viewer, row, &()).map(Self)
    }

    async fn seats(&self, ctx: &Context<'_>) -> ApiResult<SeatCounts> {
        Ok(
            load_one(&ctx.loader::<TrainingLoaders>().seats, self.row().id)
                .await?
                .unwrap_or_default(),
        )
    }

    async fn linked(&self, ctx: &Context<'_>, kind: TrainingLinkKind) -> ApiResult<Vec<i64>> {
        let links = load_one(&ctx.loader::<TrainingLoaders>().links, self.row().id)
            .await?
            .unwrap_or_default();
        Ok(links
            .into_iter()
            .filter(|(linked, _)| *linked == kind)
            .map(|(_, id)| id)
            .collect())
    }

    fn booking(&self, row: training_booking::Model, viewer: &Viewer) -> Option<Booking> {
        let facts = BookingFacts {
            session_region: self.row().region_id,
            holds_link: false,
        };
        Visible::check(viewer, row, &facts).map(Booking::new)
    }
}

#[Object]
impl TrainingSession {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn title(&self) -> &str {
        &self.row().title
    }

    /// Markdown as written.
    async fn description(&self) -> &str {
        &self.row().description
    }

    /// The description as sanitised HTML.
    async fn description_html(&self) -> &str {
        &self.row().description_html
    }

    async fn topic(&self) -> TrainingTopic {
        self.row().topic.into()
    }

    async fn format(&self) -> TrainingFormat {
        self.row().format.into()
    }

    async fn venue(&self) -> Option<&str> {
        self.row().venue.as_deref()
    }

    async fn town(&self) -> Option<&str> {
        self.row().town.as_deref()
    }

    /// Those running the session only; attendees get it by email once their seat is
    /// confirmed.
    async fn joining_url(&self) -> Option<&str> {
        self.0
            .grant()
            .manages
            .then_some(self.row().joining_url.as_deref())
            .flatten()
    }

    async fn starts_at(&self) -> DateTime<Utc> {
        self.row().starts_at
    }

    async fn ends_at(&self) -> DateTime<Utc> {
        self.row().ends_at
    }

    /// When it runs, in UK time: "Tuesday 31 March 2026, 10:00–12:00 (UK time)".
    async fn when(&self) -> String {
        super::when(self.row())
    }

    async fn capacity(&self) -> i32 {
        self.row().capacity
    }

    async fn seats_left(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        let seats = self.seats(ctx).await?;
        Ok((i64::from(self.row().capacity) - seats.confirmed).max(0))
    }

    async fn waitlist_length(&self, ctx: &Context<'_>) -> ApiResult<i64> {
        Ok(self.seats(ctx).await?.waitlisted)
    }

    async fn booking_deadline(&self) -> DateTime<Utc> {
        self.row().booking_deadline
    }

    async fn audience(&self) -> TrainingAudience {
        self.row().audience.into()
    }

    /// Seats one partner organisation may hold; null: no limit.
    async fn seats_per_organisation(&self) -> Option<i32> {
        self.row().seats_per_organisation
    }

    /// Null: a national session.
    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.row().region_id)
    }

    async fn status(&self) -> TrainingStatus {
        self.row().status.into()
    }

    async fn cancel_reason(&self) -> Option<&str> {
        self.row().cancel_reason.as_deref()
    }

    /// For an external listing: who runs it, and where to book.
    async fn provider(&self) -> Option<&str> {
        self.row().provider.as_deref()
    }

    async fn external_url(&self) -> Option<&str> {
        self.row().external_url.as_deref()
    }

    async fn campaigns(&self, ctx: &Context<'_>) -> ApiResult<Vec<Campaign>> {
        campaigns_by_id(ctx, &self.linked(ctx, TrainingLinkKind::Campaign).await?).await
    }

    async fn goals(&self, ctx: &Context<'_>) -> ApiResult<Vec<AdvocacyGoal>> {
        Ok(goals_by_id(
            ctx,
            &self.linked(ctx, TrainingLinkKind::Goal).await?,
        ))
    }

    /// The Early Action principles it builds practice in (their ids).
    async fn principle_ids(&self, ctx: &Context<'_>) -> ApiResult<Vec<ID>> {
        Ok(self
            .linked(ctx, TrainingLinkKind::Principle)
            .await?
            .into_iter()
            .map(|id| ID(id.to_string()))
            .collect())
    }

    /// The viewer's own standing bookings: their organisation's, for a partner member.
    async fn my_bookings(&self, ctx: &Context<'_>) -> ApiResult<Vec<Booking>> {
        let viewer = ctx.viewer();
        let Some(actor) = viewer.signed_in() else {
            return Ok(Vec::new());
        };
        let owner = match actor.acting_for() {
            Some(partner_id) => Owner::Partner(partner_id),
            None => Owner::Account(actor.user_id),
        };
        let rows = load_one(&ctx.loader::<TrainingLoaders>().own, (self.row().id, owner))
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter_map(|row| self.booking(row, viewer))
            .collect())
    }

    /// Every booking, for those who run the session.
    async fn bookings(&self, ctx: &Context<'_>) -> ApiResult<Vec<Booking>> {
        if !self.0.grant().manages {
            return Err(ApiError::Forbidden(
                "a session's bookings are for those who run it",
            ));
        }
        let rows = load_one(&ctx.loader::<TrainingLoaders>().bookings, self.row().id)
            .await?
            .unwrap_or_default();
        let viewer = ctx.viewer();
        // Public bookings whose link was never followed hold nothing, and are not shown.
        Ok(rows
            .into_iter()
            .filter(|row| row.confirmed_at.is_some())
            .filter_map(|row| self.booking(row, viewer))
            .collect())
    }
}

/// Seats asked for together.
pub struct Booking {
    visible: Visible<BookingAccess>,
    /// Its attendees and their session's waitlist, loaded once for all the fields that need
    /// them (the loaders batch but do not cache).
    seats: OnceCell<Vec<training_attendee::Model>>,
    places: OnceCell<Arc<HashMap<i64, i64>>>,
}

impl Booking {
    fn new(visible: Visible<BookingAccess>) -> Self {
        Self {
            visible,
            seats: OnceCell::new(),
            places: OnceCell::new(),
        }
    }

    fn row(&self) -> &training_booking::Model {
        self.visible.row()
    }

    async fn seats(&self, ctx: &Context<'_>) -> ApiResult<&[training_attendee::Model]> {
        let seats = self
            .seats
            .get_or_try_init(|| async {
                load_one(&ctx.loader::<TrainingLoaders>().attendees, self.row().id)
                    .await
                    .map(Option::unwrap_or_default)
            })
            .await?;
        Ok(seats)
    }

    async fn places(&self, ctx: &Context<'_>) -> ApiResult<&HashMap<i64, i64>> {
        let places = self
            .places
            .get_or_try_init(|| async {
                load_one(
                    &ctx.loader::<TrainingLoaders>().places,
                    self.row().session_id,
                )
                .await
                .map(Option::unwrap_or_default)
            })
            .await?;
        Ok(places)
    }
}

#[Object]
impl Booking {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn session(&self, ctx: &Context<'_>) -> ApiResult<Option<TrainingSession>> {
        let row = load_one(
            &ctx.loader::<TrainingLoaders>().sessions,
            self.row().session_id,
        )
        .await?;
        Ok(row.and_then(|row| TrainingSession::shown(ctx.viewer(), row)))
    }

    /// CONFIRMED only when every attendee has a seat.
    async fn status(&self, ctx: &Context<'_>) -> ApiResult<BookingStatus> {
        if self.row().cancelled_at.is_some() {
            return Ok(BookingStatus::Cancelled);
        }
        if self.row().confirmed_at.is_none() {
            return Ok(BookingStatus::Pending);
        }
        let seats = self.seats(ctx).await?;
        Ok(
            if seats
                .iter()
                .all(|seat| seat.status == SeatStatus::Confirmed)
            {
                BookingStatus::Confirmed
            } else {
                BookingStatus::Waitlisted
            },
        )
    }

    /// The place in the waitlist of its first attendee still waiting; null when none waits.
    async fn waitlist_position(&self, ctx: &Context<'_>) -> ApiResult<Option<i64>> {
        let places = self.places(ctx).await?;
        Ok(self
            .seats(ctx)
            .await?
            .iter()
            .filter_map(|seat| places.get(&seat.id).copied())
            .min())
    }

    async fn attendees(&self, ctx: &Context<'_>) -> ApiResult<Vec<Attendee>> {
        let places = self.places(ctx).await?;
        Ok(self
            .seats(ctx)
            .await?
            .iter()
            .map(|seat| Attendee {
                waitlist_position: places.get(&seat.id).copied(),
                row: seat.clone(),
            })
            .collect())
    }

    /// The organisation it was made for; null for a booking from the public.
    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, self.row().partner_id).await
    }

    async fn created_at(&self) -> DateTime<Utc> {
        self.row().created_at
    }

    async fn cancelled_at(&self) -> Option<DateTime<Utc>> {
        self.row().cancelled_at
    }
}

/// One person's seat; reached only through a booking the viewer may see.
pub struct Attendee {
    row: training_attendee::Model,
    waitlist_position: Option<i64>,
}

#[Object]
impl Attendee {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    async fn name(&self) -> &str {
        &self.row.name
    }

    async fn email(&self) -> &str {
        &self.row.email
    }

    async fn status(&self) -> AttendeeStatus {
        self.row.status.into()
    }

    async fn waitlist_position(&self) -> Option<i64> {
        self.waitlist_position
    }

    async fn attendance(&self) -> Option<Attendance> {
        self.row.attendance.map(Into::into)
    }
}

/// What a partner organisation's people attended.
#[derive(SimpleObject)]
pub struct PartnerTrainingSummary {
    pub sessions_attended: i64,
    pub people_trained: i64,
    pub last_attended_at: Option<DateTime<Utc>>,
    pub by_topic: Vec<TopicCount>,
}

#[derive(SimpleObject)]
pub struct TopicCount {
    pub topic: TrainingTopic,
    pub count: i64,
}

impl From<report::PartnerTraining> for PartnerTrainingSummary {
    fn from(training: report::PartnerTraining) -> Self {
        Self {
            sessions_attended: training.sessions_attended,
            people_trained: training.people_trained,
            last_attended_at: training.last_attended_at,
            by_topic: training
                .by_topic
                .into_iter()
                .map(|(topic, count)| TopicCount {
                    topic: topic.into(),
                    count,
                })
                .collect(),
        }
    }
}

#[derive(SimpleObject)]
pub struct TrainingReportLine {
    pub topic: TrainingTopic,
    pub sessions_run: i64,
    pub seats_offered: i64,
    pub booked: i64,
    pub attended: i64,
    pub no_shows: i64,
    /// No-shows among those marked; null before anyone is marked.
    pub no_show_rate: Option<f64>,
    pub partners_reached: i64,
}

#[derive(SimpleObject)]
pub struct TrainingReport {
    pub region: Option<Region>,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub topics: Vec<TrainingReportLine>,
}

#[derive(InputObject)]
pub struct AttendeeInput {
    pub name: String,
    pub email: String,
}

#[derive(InputObject)]
pub struct BookTrainingInput {
    pub session_id: ID,
    /// The people to seat, in order (a booking from the public: one, the person booking).
    pub attendees: Vec<AttendeeInput>,
}

impl BookTrainingInput {
    fn parse(self) -> ApiResult<(i64, Vec<NewAttendee>)> {
        let session_id = input::id("input.sessionId", &self.session_id)?;
        if self.attendees.is_empty() || self.attendees.len() > MAX_ATTENDEES {
            return Err(ApiError::bad_input(
                "input.attendees",
                format!("name between 1 and {MAX_ATTENDEES} attendees"),
            ));
        }
        let mut seen = BTreeSet::new();
        let mut attendees = Vec::with_capacity(self.attendees.len());
        for attendee in self.attendees {
            let email = EmailAddress::parse("input.attendees.email", &attendee.email)?;
            if !seen.insert(email.as_str().to_lowercase()) {
                return Err(ApiError::bad_input(
                    "input.attendees.email",
                    "one seat per person: an address appears twice",
                ));
            }
            attendees.push(NewAttendee {
                name: input::single_line(
                    "input.attendees.name",
                    &attendee.name,
                    MAX_PERSON_NAME_LEN,
                )?,
                email,
            });
        }
        Ok((session_id, attendees))
    }
}

#[derive(InputObject)]
pub struct CreateTrainingSessionInput {
    pub title: String,
    /// Markdown.
    #[graphql(default)]
    pub description: String,
    pub topic: TrainingTopic,
    pub format: TrainingFormat,
    pub venue: Option<String>,
    pub town: Option<String>,
    /// ONLINE and HYBRID sessions.
    pub joining_url: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
    pub capacity: i32,
    /// The start, when not given.
    pub booking_deadline: Option<DateTime<Utc>>,
    pub audience: TrainingAudience,
    pub seats_per_organisation: Option<i32>,
    /// Null: a national session.
    pub region_id: Option<ID>,
    /// An external listing: who runs it and where to book (no booking here).
    pub provider: Option<String>,
    pub external_url: Option<String>,
    #[graphql(default)]
    pub campaign_ids: Vec<ID>,
    #[graphql(default)]
    pub goal_ids: Vec<ID>,
    /// Early Action principles it builds practice in.
    #[graphql(default)]
    pub principle_ids: Vec<ID>,
}

fn ids(field: &str, raw: &[ID]) -> ApiResult<BTreeSet<i64>> {
    if raw.len() > MAX_LINKS {
        return Err(ApiError::bad_input(field, format!("at most {MAX_LINKS}")));
    }
    raw.iter().map(|id| input::id(field, id)).collect()
}

fn capacity(field: &str, value: i32) -> ApiResult<i32> {
    if (1..=MAX_CAPACITY).contains(&value) {
        Ok(value)
    } else {
        Err(ApiError::bad_input(
            field,
            format!("must be between 1 and {MAX_CAPACITY}"),
        ))
    }
}

fn seat_limit(value: Option<i32>) -> ApiResult<Option<i32>> {
    match value {
        Some(limit) if !(1..=MAX_CAPACITY).contains(&limit) => Err(ApiError::bad_input(
            "input.seatsPerOrganisation",
            format!("must be between 1 and {MAX_CAPACITY}"),
        )),
        other => Ok(other),
    }
}

fn description(raw: &str) -> ApiResult<(String, String)> {
    let markdown = input::optional_text("input.description", Some(raw), MAX_DESCRIPTION_LEN)?
        .unwrap_or_default();
    let html = policy_updates::render_markdown("input.description", &markdown)?;
    Ok((markdown, html))
}

impl CreateTrainingSessionInput {
    fn parse(self) -> ApiResult<SessionDetails> {
        let (description, description_html) = description(&self.description)?;
        let external_url = input::website("input.externalUrl", self.external_url.as_deref())?;
        let provider =
            input::optional_single_line("input.provider", self.provider.as_deref(), 200)?;
        if external_url.is_some() != provider.is_some() {
            return Err(ApiError::bad_input(
                "input.externalUrl",
                "an external listing names its provider and its address together",
            ));
        }
        let joining_url = input::website("input.joiningUrl", self.joining_url.as_deref())?;
        let format: enums::TrainingFormat = self.format.into();
        if joining_url.is_some() && format == enums::TrainingFormat::InPerson {
            return Err(ApiError::bad_input(
                "input.joiningUrl",
                "an in-person session has no joining link",
            ));
        }
        Ok(SessionDetails {
            title: input::single_line("input.title", &self.title, MAX_TITLE_LEN)?,
            description,
            description_html,
            topic: self.topic.into(),
            format,
            venue: input::optional_single_line("input.venue", self.venue.as_deref(), 200)?,
            town: input::optional_single_line("input.town", self.town.as_deref(), 100)?,
            joining_url,
            starts_at: self.starts_at,
            ends_at: self.ends_at,
            capacity: capacity("input.capacity", self.capacity)?,
            booking_deadline: self.booking_deadline,
            audience: self.audience.into(),
            seats_per_organisation: seat_limit(self.seats_per_organisation)?,
            region_id: input::optional_id("input.regionId", self.region_id.as_ref())?,
            provider,
            external_url,
            links: Links {
                campaigns: ids("input.campaignIds", &self.campaign_ids)?,
                goals: ids("input.goalIds", &self.goal_ids)?,
                principles: ids("input.principleIds", &self.principle_ids)?,
            },
        })
    }
}

#[derive(InputObject, Default)]
pub struct UpdateTrainingSessionInput {
    pub title: Option<String>,
    pub description: Option<String>,
    pub venue: Option<String>,
    pub town: Option<String>,
    pub joining_url: Option<String>,
    /// Moving the session tells everyone booked (their calendar entries update).
    pub starts_at: Option<DateTime<Utc>>,
    pub ends_at: Option<DateTime<Utc>>,
    /// Raising it gives the new seats to the waitlist, in order.
    pub capacity: Option<i32>,
    pub booking_deadline: Option<DateTime<Utc>>,
    pub seats_per_organisation: Option<i32>,
}

impl UpdateTrainingSessionInput {
    fn parse(self, current: &training_session::Model) -> ApiResult<SessionChanges> {
        let times = match (self.starts_at, self.ends_at) {
            (None, None) => None,
            (starts, ends) => {
                let starts = starts.unwrap_or(current.starts_at);
                let length = current.ends_at - current.starts_at;
                Some((starts, ends.unwrap_or(starts + length)))
            }
        };
        Ok(SessionChanges {
            title: self
                .title
                .map(|title| input::single_line("input.title", &title, MAX_TITLE_LEN))
                .transpose()?,
            description: self.description.as_deref().map(description).transpose()?,
            venue: self
                .venue
                .map(|venue| input::optional_single_line("input.venue", Some(&venue), 200))
                .transpose()?,
            town: self
                .town
                .map(|town| input::optional_single_line("input.town", Some(&town), 100))
                .transpose()?,
            joining_url: self
                .joining_url
                .map(|url| input::website("input.joiningUrl", Some(&url)))
                .transpose()?,
            times,
            capacity: self
                .capacity
                .map(|value| capacity("input.capacity", value))
                .transpose()?,
            booking_deadline: self.booking_deadline,
            seats_per_organisation: self
                .seats_per_organisation
                .map(|limit| seat_limit(Some(limit)))
                .transpose()?,
        })
    }
}

#[derive(InputObject, Default)]
pub struct TrainingSessionFilter {
    pub region_id: Option<ID>,
    /// Sessions starting at or after; now, when not given.
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    pub topic: Option<TrainingTopic>,
}

/// Seats left and the waitlist's length, as they change.
#[derive(SimpleObject, Clone)]
pub struct SeatsChange {
    pub session_id: ID,
    pub seats_left: i64,
    pub waitlist_length: i64,
}

#[derive(Default)]
pub struct TrainingQuery;

#[Object]
impl TrainingQuery {
    /// One session; drafts only for staff and admins.
    async fn training_session(&self, ctx: &Context<'_>, id: ID) -> ApiResult<TrainingSession> {
        let id = input::id("id", &id)?;
        session_shown(ctx, id).await
    }

    /// Sessions by start time, from now on unless `from` says otherwise. The public sees
    /// published, completed and cancelled sessions of both audiences; staff and admins drafts
    /// too.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn training_sessions(
        &self,
        ctx: &Context<'_>,
        filter: Option<TrainingSessionFilter>,
        #[graphql(desc = "Page size: 20 when not given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> ApiResult<Page<TrainingSession>> {
        let args = PageArgs::<(DateTime<Utc>, i64)>::parse(first, after)?;
        let query = listed(ctx, filter.unwrap_or_default())?;
        let db = &ctx.state().db;
        let total = Total::of(db, query.clone());
        let query = match &args.after {
            Some((starts_at, id)) => query.filter(
                Condition::any()
                    .add(training_session::Column::StartsAt.gt(*starts_at))
                    .add(
                        Condition::all()
                            .add(training_session::Column::StartsAt.eq(*starts_at))
                            .add(training_session::Column::Id.gt(*id)),
                    ),
            ),
            None => query,
        };
        let rows = query
            .order_by_asc(training_session::Column::StartsAt)
            .order_by_asc(training_session::Column::Id)
            .limit(args.limit())
            .all(db)
            .await?;
        let viewer = ctx.viewer();
        let shown = rows
            .into_iter()
            .filter_map(|row| TrainingSession::shown(viewer, row))
            .collect();
        Ok(page(
            shown,
            &args,
            total,
            |session: &TrainingSession| (session.row().starts_at, session.row().id),
            |session| session,
        ))
    }

    /// A booking: for whoever may see it, or for the holder of its emailed link.
    async fn training_booking(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        token: Option<String>,
    ) -> ApiResult<Booking> {
        let row = match (input::optional_id("id", id.as_ref())?, token.as_deref()) {
            (_, Some(token)) => Some(booking::by_token(&ctx.state().db, ctx.state(), token).await?),
            (Some(id), None) => {
                training_booking::Entity::find_by_id(id)
                    .one(&ctx.state().db)
                    .await?
            }
            (None, None) => return Err(ApiError::bad_input("id", "give an id or a token")),
        };
        let row = row.ok_or(ApiError::NotFound("booking"))?;
        booking_shown(ctx, row, token.is_some()).await
    }

    /// Per topic, for sessions that ran between `from` and `to`: sessions, seats offered,
    /// booked, attended, the no-show rate and partner organisations reached. Staff see their
    /// region's; admins any region's, or all with no region.
    async fn training_report(
        &self,
        ctx: &Context<'_>,
        region_id: Option<ID>,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> ApiResult<TrainingReport> {
        let actor = ctx.actor()?;
        let region_id = input::optional_id("regionId", region_id.as_ref())?;
        let allowed = actor.is_admin() || (region_id.is_some() && actor.is_staff_of(region_id));
        if !allowed {
            return Err(ApiError::Forbidden(
                "staff see their own region's training report; admins any",
            ));
        }
        if to <= from {
            return Err(ApiError::bad_input("to", "must be after from"));
        }
        let lines =
            report::by_topic(&ctx.state().db, region_id, from, to, ctx.state().now()).await?;
        Ok(TrainingReport {
            region: region_by_id(ctx, region_id),
            from,
            to,
            topics: lines
                .into_iter()
                .map(|(topic, line)| TrainingReportLine {
                    no_show_rate: line.no_show_rate(),
                    topic: topic.into(),
                    sessions_run: line.sessions_run,
                    seats_offered: line.seats_offered,
                    booked: line.booked,
                    attended: line.attended,
                    no_shows: line.no_shows,
                    partners_reached: line.partners_reached,
                })
                .collect(),
        })
    }
}

fn listed(
    ctx: &Context<'_>,
    filter: TrainingSessionFilter,
) -> ApiResult<Select<training_session::Entity>> {
    let team = ctx.viewer().signed_in().is_some_and(Actor::is_team);
    let mut query = training_session::Entity::find();
    if !team {
        query = query.filter(training_session::Column::Status.ne(enums::TrainingStatus::Draft));
    }
    let from = filter.from.unwrap_or_else(|| ctx.state().now());
    query = query.filter(training_session::Column::StartsAt.gte(from));
    if let Some(to) = filter.to {
        query = query.filter(training_session::Column::StartsAt.lt(to));
    }
    if let Some(region_id) = input::optional_id("filter.regionId", filter.region_id.as_ref())? {
        query = query.filter(training_session::Column::RegionId.eq(region_id));
    }
    if let Some(topic) = filter.topic {
        query = query.filter(training_session::Column::Topic.eq(enums::TrainingTopic::from(topic)));
    }
    Ok(query)
}

async fn session_shown(ctx: &Context<'_>, id: i64) -> ApiResult<TrainingSession> {
    training_session::Entity::find_by_id(id)
        .one(&ctx.state().db)
        .await?
        .and_then(|row| TrainingSession::shown(ctx.viewer(), row))
        .ok_or(ApiError::NotFound("training session"))
}

async fn booking_shown(
    ctx: &Context<'_>,
    row: training_booking::Model,
    holds_link: bool,
) -> ApiResult<Booking> {
    let session = load_one(&ctx.loader::<TrainingLoaders>().sessions, row.session_id)
        .await?
        .ok_or(ApiError::NotFound("booking"))?;
    let facts = BookingFacts {
        session_region: session.region_id,
        holds_link,
    };
    Visible::check(ctx.viewer(), row, &facts)
        .map(Booking::new)
        .ok_or(ApiError::NotFound("booking"))
}

#[derive(Default)]
pub struct TrainingMutation;

#[Object]
impl TrainingMutation {
    /// Staff (their region, or national) and admins offer a session, as a DRAFT.
    async fn create_training_session(
        &self,
        ctx: &Context<'_>,
        input: CreateTrainingSessionInput,
    ) -> ApiResult<TrainingSession> {
        let actor = ctx.actor()?;
        let details = input.parse()?;
        let created = super::create(ctx.state(), actor, details).await?;
        session_shown(ctx, created.id).await
    }

    /// Changes a session. Moving it (or its joining link) tells everyone booked; raising the
    /// capacity gives the new seats to the waitlist in order; it cannot go below the seats
    /// confirmed.
    async fn update_training_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateTrainingSessionInput,
    ) -> ApiResult<TrainingSession> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let current = session_shown(ctx, id).await?;
        let changes = input.parse(current.row())?;
        super::update(ctx.state(), actor, id, changes).await?;
        session_shown(ctx, id).await
    }

    async fn publish_training_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> ApiResult<TrainingSession> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        super::publish(ctx.state(), actor, id).await?;
        session_shown(ctx, id).await
    }

    /// Cancels a session: everyone booked is emailed the reason and their calendar entry is
    /// cancelled.
    async fn cancel_training_session(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> ApiResult<TrainingSession> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let reason = input::required_text("reason", &reason, 2_000)?;
        super::cancel(ctx.state(), actor, id, reason).await?;
        session_shown(ctx, id).await
    }

    /// Books seats. A partner member names the people of their organisation, seated in the
    /// order listed: CONFIRMED while seats last, WAITLISTED after. For a PUBLIC session anyone
    /// books one seat for themselves; it is held once they follow the emailed link.
    async fn book_training(
        &self,
        ctx: &Context<'_>,
        input: BookTrainingInput,
    ) -> ApiResult<Booking> {
        let (session_id, attendees) = input.parse()?;
        let actor = ctx.viewer().signed_in();
        let booked =
            booking::book(ctx.state(), actor, &client_of(ctx), session_id, attendees).await?;
        // Someone booking from the public sees back only what they typed.
        let public = booked.partner_id.is_none();
        booking_shown(ctx, booked, public).await
    }

    /// Holds a public booking's seat with the token from its email (the page at the link does
    /// this too).
    async fn confirm_training_booking(
        &self,
        ctx: &Context<'_>,
        token: String,
    ) -> ApiResult<Booking> {
        let confirmed = booking::confirm(ctx.state(), &token).await?;
        booking_shown(ctx, confirmed, true).await
    }

    /// Cancels a booking: whoever made it, its organisation's members, those who run the
    /// session, or (`token`) the holder of its emailed link. Freed seats go to the waitlist.
    async fn cancel_booking(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        token: Option<String>,
    ) -> ApiResult<Booking> {
        let id = input::optional_id("id", id.as_ref())?;
        let actor = ctx.viewer().signed_in();
        let cancelled = booking::cancel(ctx.state(), actor, id, token.as_deref()).await?;
        booking_shown(ctx, cancelled, token.is_some()).await
    }

    /// Those who run a session mark whether an attendee came, once it has started.
    async fn mark_attendance(
        &self,
        ctx: &Context<'_>,
        attendee_id: ID,
        attendance: Attendance,
    ) -> ApiResult<bool> {
        let actor = ctx.actor()?;
        let attendee_id = input::id("attendeeId", &attendee_id)?;
        booking::mark_attendance(ctx.state(), actor, attendee_id, attendance.into()).await?;
        Ok(true)
    }
}

#[derive(Default)]
pub struct TrainingSubscription;

#[Subscription]
impl TrainingSubscription {
    /// Seats left and the waitlist's length each time they change, from any instance.
    async fn training_seats_changed(
        &self,
        ctx: &Context<'_>,
        session_id: ID,
    ) -> Result<impl Stream<Item = SeatsChange> + use<>, ApiError> {
        let session_id = input::id("sessionId", &session_id)?;
        session_shown(ctx, session_id).await?;
        Ok(ctx
            .state()
            .events
            .subscribe()
            .filter_map(move |event| async move {
                match event {
                    Event::TrainingSeatsChanged {
                        session_id: changed,
                        seats_left,
                        waitlisted,
                    } if changed == session_id => Some(SeatsChange {
                        session_id: ID(changed.to_string()),
                        seats_left,
                        waitlist_length: waitlisted,
                    }),
                    _ => None,
                }
            }))
    }
}

/// A partner's training record, for those who may see its records.
pub async fn partner_training(
    ctx: &Context<'_>,
    partner_id: i64,
) -> ApiResult<PartnerTrainingSummary> {
    Ok(load_one(
        &ctx.loader::<TrainingLoaders>().partner_training,
        partner_id,
    )
    .await?
    .unwrap_or_default()
    .into())
}
