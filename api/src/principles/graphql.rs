use std::collections::HashMap;

use async_graphql::{Context, Enum, ID, InputObject, Object, SimpleObject, dataloader::DataLoader};
use chrono::{DateTime, Utc};
use entities::{assessment, assessment_answer, enums, principle, principle_indicator, signatory};
use sea_orm::{DatabaseConnection, EntityTrait, Order, QuerySelect};

use super::{
    MAX_REASON_LEN, MAX_ROLE_LEN, NewSignature, SignatoryAccess, SignatoryGrant, Signing,
    assessments::{self, Answer, MAX_NOTE_LEN, Movement},
    report::{self, LEVELS, Place, Scope, Tally},
};
use crate::{
    auth::{
        Actor, Viewer,
        graphql::client_of,
        visible::{AccessRule, Visible},
    },
    graphql::{
        context::{ContextExt, load_one},
        error::{ApiError, ApiResult},
        loaders::{ById, Children, Keyed, batching},
        pagination::{Page, PageArgs, Total, connection_cost, page},
    },
    input::{self, EmailAddress},
    partners::{
        self,
        graphql::{Partner, partner_by_id},
    },
    regions::graphql::{Region, region_by_id},
};

const MAX_ANSWERS: usize = 100;

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::SignatoryStatus")]
pub enum SignatoryStatus {
    /// Signed from the public form; the email address is not yet confirmed.
    Unconfirmed,
    /// Confirmed; waiting for staff to approve it.
    Pending,
    Approved,
    Rejected,
    Withdrawn,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "enums::PracticeLevel")]
pub enum PracticeLevel {
    NotStarted,
    Planning,
    Doing,
    Embedded,
}

#[derive(Enum, Copy, Clone, Eq, PartialEq)]
#[graphql(remote = "assessments::Movement")]
pub enum LevelChange {
    Up,
    Down,
    Same,
    /// Not answered the time before.
    New,
}

impl Keyed for principle_indicator::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// The principles slice's batching loaders.
pub struct PrincipleLoaders {
    indicators: DataLoader<ById<principle_indicator::Entity>>,
    assessments: DataLoader<Children<assessment::Entity>>,
    answers: DataLoader<Children<assessment_answer::Entity>>,
}

impl PrincipleLoaders {
    pub fn new(db: &DatabaseConnection) -> Self {
        Self {
            indicators: batching(ById::new(db.clone())),
            assessments: batching(Children::new(
                db,
                assessment::Column::SignatoryId,
                assessment::Column::Id,
                Order::Desc,
            )),
            answers: batching(Children::new(
                db,
                assessment_answer::Column::AssessmentId,
                assessment_answer::Column::IndicatorId,
                Order::Asc,
            )),
        }
    }
}

/// One of the six principles.
#[derive(Clone)]
pub struct Principle {
    row: principle::Model,
    indicators: Vec<principle_indicator::Model>,
}

#[Object]
impl Principle {
    async fn id(&self) -> ID {
        ID(self.row.id.to_string())
    }

    /// EARLY_ACTION, LONG_TERM_CHANGE, PARTICIPATORY_DESIGN, SERVICES_THAT_EMPOWER,
    /// EXPERIMENTATION or COLLABORATION.
    async fn key(&self) -> &str {
        &self.row.key
    }

    async fn number(&self) -> i32 {
        self.row.number
    }

    async fn title(&self) -> &str {
        &self.row.title
    }

    async fn description(&self) -> &str {
        &self.row.description
    }

    /// The practices that show it at work, in their current wording.
    async fn indicators(&self) -> Vec<Indicator> {
        self.indicators.iter().cloned().map(Indicator).collect()
    }
}

/// An observable practice, in one wording (a rewording is a new indicator).
#[derive(Clone)]
pub struct Indicator(principle_indicator::Model);

#[Object]
impl Indicator {
    async fn id(&self) -> ID {
        ID(self.0.id.to_string())
    }

    async fn text(&self) -> &str {
        &self.0.text
    }

    /// Its place among its principle's indicators (the same across rewordings).
    async fn position(&self) -> i32 {
        self.0.position
    }

    /// The edition of the principles this wording first belongs to.
    async fn introduced_in(&self) -> i32 {
        self.0.introduced_in
    }

    /// Whether this is the current wording.
    async fn current(&self) -> bool {
        self.0.retired_in.is_none()
    }
}

async fn all_principles(ctx: &Context<'_>) -> ApiResult<Vec<Principle>> {
    Ok(super::current(&ctx.state().db)
        .await?
        .into_iter()
        .map(|(row, indicators)| Principle { row, indicators })
        .collect())
}

/// An organisation that signed the principles.
pub struct Signatory(Visible<SignatoryAccess>);

impl Signatory {
    fn row(&self) -> &signatory::Model {
        self.0.row()
    }

    fn shown(viewer: &Viewer, row: signatory::Model, holds_link: bool) -> Option<Self> {
        Visible::check(viewer, row, &holds_link).map(Self)
    }

    fn contact<T>(&self, value: T) -> Option<T> {
        self.0.grant().contact.then_some(value)
    }

    fn own(&self) -> ApiResult<SignatoryGrant> {
        let grant = self.0.grant();
        if grant.own {
            Ok(grant)
        } else {
            Err(ApiError::Forbidden(
                "an organisation's assessments are for the organisation itself",
            ))
        }
    }
}

#[Object]
impl Signatory {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    async fn organisation_name(&self) -> &str {
        &self.row().organisation_name
    }

    async fn town(&self) -> Option<&str> {
        self.row().town.as_deref()
    }

    async fn region(&self, ctx: &Context<'_>) -> Option<Region> {
        region_by_id(ctx, self.row().region_id)
    }

    async fn website(&self) -> Option<&str> {
        self.row().website.as_deref()
    }

    /// When it signed.
    async fn signed_at(&self) -> DateTime<Utc> {
        self.row().signed_at
    }

    /// The partner organisation that signed, if it is in the network.
    async fn partner(&self, ctx: &Context<'_>) -> ApiResult<Option<Partner>> {
        partner_by_id(ctx, self.row().partner_id).await
    }

    /// The edition of the principles it signed.
    async fn edition(&self) -> i32 {
        self.row().edition
    }

    /// Whether it chose to appear on the public list.
    async fn list_publicly(&self) -> bool {
        self.row().list_publicly
    }

    /// Staff, admins and the organisation itself from here on (null for others).
    async fn status(&self) -> Option<SignatoryStatus> {
        self.contact(self.row().status.into())
    }

    /// Who signed.
    async fn signatory_name(&self) -> Option<&str> {
        self.contact(self.row().signatory_name.as_str())
    }

    /// Their role in the organisation.
    async fn signatory_role(&self) -> Option<&str> {
        self.contact(self.row().signatory_role.as_str())
    }

    async fn email(&self) -> Option<&str> {
        self.contact(self.row().email.as_str())
    }

    async fn confirmed_at(&self) -> Option<DateTime<Utc>> {
        self.contact(self.row().confirmed_at).flatten()
    }

    async fn decided_at(&self) -> Option<DateTime<Utc>> {
        self.contact(self.row().decided_at).flatten()
    }

    /// Why it was rejected (the organisation was told).
    async fn rejection_reason(&self) -> Option<&str> {
        self.contact(self.row().rejection_reason.as_deref())
            .flatten()
    }

    async fn withdrawn_at(&self) -> Option<DateTime<Utc>> {
        self.contact(self.row().withdrawn_at).flatten()
    }

    async fn withdrawal_reason(&self) -> Option<&str> {
        self.contact(self.row().withdrawal_reason.as_deref())
            .flatten()
    }

    /// Its self-assessments, newest first: the organisation itself only.
    async fn assessments(&self, ctx: &Context<'_>) -> ApiResult<Vec<Assessment>> {
        let grant = self.own()?;
        let rows = load_one(&ctx.loader::<PrincipleLoaders>().assessments, self.row().id)
            .await?
            .unwrap_or_default();
        Ok(rows
            .into_iter()
            .filter_map(|row| Assessment::shown(ctx.viewer(), row, grant))
            .collect())
    }

    /// The latest submitted assessment beside the one before, per principle: null until two
    /// are submitted. The organisation itself only.
    async fn progress(&self, ctx: &Context<'_>) -> ApiResult<Option<SignatoryProgress>> {
        self.own()?;
        let Some(progress) = assessments::progress(&ctx.state().db, self.row().id).await? else {
            return Ok(None);
        };
        let principles = all_principles(ctx).await?;
        Ok(Some(SignatoryProgress::of(progress, principles)))
    }
}

/// Who sees an assessment: the organisation that made it, and nobody else.
pub struct AssessmentAccess;

impl AccessRule for AssessmentAccess {
    type Row = assessment::Model;
    /// What the viewer may see of the assessment's signatory.
    type Facts = SignatoryGrant;
    type Grant = ();

    fn grant(_: &Viewer, _: &assessment::Model, signatory: &SignatoryGrant) -> Option<()> {
        signatory.own.then_some(())
    }
}

/// A signatory's self-assessment.
pub struct Assessment(Visible<AssessmentAccess>);

impl Assessment {
    fn shown(viewer: &Viewer, row: assessment::Model, signatory: SignatoryGrant) -> Option<Self> {
        Visible::check(viewer, row, &signatory).map(Self)
    }

    fn row(&self) -> &assessment::Model {
        self.0.row()
    }
}

#[Object]
impl Assessment {
    async fn id(&self) -> ID {
        ID(self.row().id.to_string())
    }

    /// The edition of the principles whose indicators it answers.
    async fn edition(&self) -> i32 {
        self.row().edition
    }

    async fn started_at(&self) -> DateTime<Utc> {
        self.row().started_at
    }

    /// Once submitted it is read-only.
    async fn submitted_at(&self) -> Option<DateTime<Utc>> {
        self.row().submitted_at
    }

    /// The answers saved so far, each with the wording answered.
    async fn answers(&self, ctx: &Context<'_>) -> ApiResult<Vec<AssessmentAnswer>> {
        let rows = load_one(&ctx.loader::<PrincipleLoaders>().answers, self.row().id)
            .await?
            .unwrap_or_default();
        Ok(rows.into_iter().map(AssessmentAnswer).collect())
    }
}

/// An answer to one indicator.
pub struct AssessmentAnswer(assessment_answer::Model);

#[Object]
impl AssessmentAnswer {
    /// The indicator, in the wording that was answered.
    async fn indicator(&self, ctx: &Context<'_>) -> ApiResult<Indicator> {
        load_one(
            &ctx.loader::<PrincipleLoaders>().indicators,
            self.0.indicator_id,
        )
        .await?
        .map(Indicator)
        .ok_or(ApiError::NotFound("indicator"))
    }

    async fn level(&self) -> PracticeLevel {
        self.0.level.into()
    }

    async fn note(&self) -> Option<&str> {
        self.0.note.as_deref()
    }

    async fn evidence_url(&self) -> Option<&str> {
        self.0.evidence_url.as_deref()
    }
}

/// The latest submitted assessment beside the one before.
#[derive(SimpleObject)]
pub struct SignatoryProgress {
    pub latest_submitted_at: Option<DateTime<Utc>>,
    pub previous_submitted_at: Option<DateTime<Utc>>,
    pub principles: Vec<PrincipleProgress>,
}

/// How one principle's indicators moved.
#[derive(SimpleObject)]
pub struct PrincipleProgress {
    pub principle: Principle,
    /// Indicators whose level went up, down, or stayed the same.
    pub up: i32,
    pub down: i32,
    pub same: i32,
    pub indicators: Vec<IndicatorProgress>,
}

/// One indicator, then and now, each in the wording answered at the time.
#[derive(SimpleObject)]
pub struct IndicatorProgress {
    pub indicator: Indicator,
    pub level: PracticeLevel,
    pub previous_indicator: Option<Indicator>,
    pub previous_level: Option<PracticeLevel>,
    pub change: LevelChange,
}

impl SignatoryProgress {
    fn of(progress: assessments::Progress, principles: Vec<Principle>) -> Self {
        let mut by_principle: HashMap<i64, Vec<assessments::Compared>> = HashMap::new();
        for compared in progress.compared {
            by_principle
                .entry(compared.principle_id)
                .or_default()
                .push(compared);
        }
        let principles = principles
            .into_iter()
            .map(|principle| {
                let compared = by_principle.remove(&principle.row.id).unwrap_or_default();
                let count = |wanted: Movement| {
                    compared.iter().filter(|c| c.movement() == wanted).count() as i32
                };
                PrincipleProgress {
                    up: count(Movement::Up),
                    down: count(Movement::Down),
                    same: count(Movement::Same),
                    indicators: compared
                        .iter()
                        .map(|c| IndicatorProgress {
                            indicator: Indicator(c.latest.0.clone()),
                            level: c.latest.1.level.into(),
                            previous_indicator: c.previous.as_ref().map(|p| Indicator(p.0.clone())),
                            previous_level: c.previous.as_ref().map(|p| p.1.level.into()),
                            change: c.movement().into(),
                        })
                        .collect(),
                    principle,
                }
            })
            .collect();
        Self {
            latest_submitted_at: progress.latest.submitted_at,
            previous_submitted_at: progress.previous.submitted_at,
            principles,
        }
    }
}

/// A figure in the report: withheld (`suppressed`, no count) when drawn from too few
/// organisations, or when it would let a withheld one be worked out.
#[derive(SimpleObject, Clone, Copy)]
pub struct Figure {
    pub count: Option<i64>,
    pub suppressed: bool,
}

impl From<report::Figure> for Figure {
    fn from(figure: report::Figure) -> Self {
        Self {
            count: figure,
            suppressed: figure.is_none(),
        }
    }
}

#[derive(SimpleObject)]
pub struct LevelFigure {
    pub level: PracticeLevel,
    pub count: Option<i64>,
    pub suppressed: bool,
}

/// One indicator across the signatories in scope.
#[derive(SimpleObject)]
pub struct IndicatorFigures {
    /// The current wording (answers to earlier wordings of the same indicator count here).
    pub indicator: Indicator,
    /// Signatories at each level in their latest submitted assessment.
    pub levels: Vec<LevelFigure>,
    /// Since their assessment before: moved up, down, or stayed the same.
    pub moved_up: Figure,
    pub moved_down: Figure,
    pub stayed_same: Figure,
}

#[derive(SimpleObject)]
pub struct PrincipleFigures {
    pub principle: Principle,
    pub indicators: Vec<IndicatorFigures>,
}

/// The sector picture for a region, or the whole country.
#[derive(SimpleObject)]
pub struct PrinciplesReport {
    /// Null: national.
    pub region: Option<Region>,
    /// Signatories with a submitted assessment.
    pub assessed: Figure,
    /// Of those, signatories with two, whose movement is counted.
    pub compared: Figure,
    pub principles: Vec<PrincipleFigures>,
    /// Principles where most signatories are at NOT_STARTED or PLANNING, most first: the
    /// learning events to run next.
    pub needs_learning: Vec<Principle>,
}

impl PrinciplesReport {
    fn of(report: report::Report, principles: Vec<Principle>, region: Option<Region>) -> Self {
        let rows: HashMap<Place, report::Row> = report
            .rows
            .into_iter()
            .map(|row| (row.place, row))
            .collect();
        let needs_learning = report
            .needs_learning
            .iter()
            .filter_map(|id| principles.iter().find(|p| p.row.id == *id).cloned())
            .collect();
        let principles = principles
            .into_iter()
            .map(|principle| PrincipleFigures {
                indicators: principle
                    .indicators
                    .iter()
                    .filter_map(|indicator| {
                        let row = rows.get(&(indicator.principle_id, indicator.position))?;
                        Some(IndicatorFigures {
                            indicator: Indicator(indicator.clone()),
                            levels: LEVELS
                                .iter()
                                .zip(row.levels)
                                .map(|(level, count)| LevelFigure {
                                    level: (*level).into(),
                                    count,
                                    suppressed: count.is_none(),
                                })
                                .collect(),
                            moved_up: row.movement[0].into(),
                            moved_down: row.movement[1].into(),
                            stayed_same: row.movement[2].into(),
                        })
                    })
                    .collect(),
                principle,
            })
            .collect();
        Self {
            region,
            assessed: report.assessed.into(),
            compared: report.compared.into(),
            principles,
            needs_learning,
        }
    }
}

#[derive(InputObject)]
pub struct SignPrinciplesInput {
    /// A partner organisation signing through one of its members (its details are used).
    pub partner_id: Option<ID>,
    /// An organisation outside the network: its name, address and region, and an email
    /// address to confirm.
    pub organisation_name: Option<String>,
    pub website: Option<String>,
    pub town: Option<String>,
    pub region_id: Option<ID>,
    pub email: Option<String>,
    pub signatory_name: String,
    pub signatory_role: String,
    /// Whether to appear on the public list (organisation, town, region, website and date).
    #[graphql(default)]
    pub list_publicly: bool,
}

impl SignPrinciplesInput {
    fn parse(self) -> ApiResult<NewSignature> {
        let signatory_name = input::single_line(
            "signatoryName",
            &self.signatory_name,
            partners::MAX_CONTACT_NAME_LEN,
        )?;
        let signatory_role =
            input::single_line("signatoryRole", &self.signatory_role, MAX_ROLE_LEN)?;
        let who = match input::optional_id("partnerId", self.partner_id.as_ref())? {
            Some(partner_id) => {
                let outside_details = [
                    &self.organisation_name,
                    &self.website,
                    &self.town,
                    &self.email,
                ];
                if outside_details.iter().any(|field| field.is_some()) || self.region_id.is_some() {
                    return Err(ApiError::bad_input(
                        "partnerId",
                        "a partner signs with the details it has in the network; leave out \
                         organisationName, website, town, regionId and email",
                    ));
                }
                Signing::Partner { partner_id }
            }
            None => Signing::Outside {
                organisation_name: input::single_line(
                    "organisationName",
                    self.organisation_name.as_deref().unwrap_or_default(),
                    partners::MAX_NAME_LEN,
                )?,
                website: input::website("website", self.website.as_deref())?,
                town: input::optional_single_line(
                    "town",
                    self.town.as_deref(),
                    partners::MAX_TOWN_LEN,
                )?,
                region_id: input::optional_id("regionId", self.region_id.as_ref())?,
                email: EmailAddress::parse("email", self.email.as_deref().unwrap_or_default())?,
            },
        };
        Ok(NewSignature {
            signatory_name,
            signatory_role,
            list_publicly: self.list_publicly,
            who,
        })
    }
}

/// What signing did: a partner is signed at once; an outside organisation is asked to
/// confirm its address first.
#[derive(SimpleObject)]
pub struct SignatureAnswer {
    pub message: String,
    /// The signature, when the organisation signed through a member (null for the public
    /// form, whose signature waits for confirmation).
    pub signatory: Option<Signatory>,
}

#[derive(InputObject)]
pub struct UpdateSignatoryInput {
    pub list_publicly: Option<bool>,
    /// Outside organisations only: a partner's details live on the partner.
    pub website: Option<String>,
    pub town: Option<String>,
}

#[derive(InputObject)]
pub struct AnswerInput {
    pub indicator_id: ID,
    pub level: PracticeLevel,
    pub note: Option<String>,
    pub evidence_url: Option<String>,
}

impl AnswerInput {
    fn parse(self) -> ApiResult<Answer> {
        Ok(Answer {
            indicator_id: input::id("answers.indicatorId", &self.indicator_id)?,
            level: self.level.into(),
            note: input::optional_text("answers.note", self.note.as_deref(), MAX_NOTE_LEN)?,
            evidence_url: input::website("answers.evidenceUrl", self.evidence_url.as_deref())?,
        })
    }
}

#[derive(InputObject, Default)]
pub struct SignatoryFilter {
    pub region_id: Option<ID>,
    /// Words in the organisation's name or town.
    pub search: Option<String>,
    /// Staff and admins only.
    pub status: Option<SignatoryStatus>,
}

impl SignatoryFilter {
    fn parse(self) -> ApiResult<super::ListFilter> {
        Ok(super::ListFilter {
            region_id: input::optional_id("filter.regionId", self.region_id.as_ref())?,
            search: input::optional_text("filter.search", self.search.as_deref(), 100)?,
            status: self.status.map(Into::into),
        })
    }
}

/// Signatories as CSV text to save as a file.
#[derive(SimpleObject)]
pub struct SignatoryExport {
    /// e.g. `signatories-north-west-2026-12-01.csv` (`all-regions` for admins' whole list).
    pub filename: String,
    /// UTF-8 CSV with a header row: organisation, status, listed, region, town, website,
    /// signatory_name, signatory_role, email, edition, signed_at, decided_at, withdrawn_at,
    /// withdrawal_reason.
    pub csv: String,
    pub row_count: u64,
}

#[derive(Default)]
pub struct PrincipleQuery;

#[Object]
impl PrincipleQuery {
    /// The six Asylum Early Action principles, in order, with their current indicators.
    async fn principles(&self, ctx: &Context<'_>) -> ApiResult<Vec<Principle>> {
        all_principles(ctx).await
    }

    /// Signatories by name. The public sees approved signatories that chose to be listed;
    /// a partner's members also see their own; staff and admins see every confirmed one.
    #[graphql(complexity = "connection_cost(first, child_complexity)")]
    async fn signatories(
        &self,
        ctx: &Context<'_>,
        filter: Option<SignatoryFilter>,
        #[graphql(desc = "Page size: 20 when not given, at most 100.")] first: Option<i32>,
        #[graphql(desc = "The `endCursor` of the previous page.")] after: Option<String>,
    ) -> ApiResult<Page<Signatory>> {
        let args = PageArgs::<(String, i64)>::parse(first, after)?;
        let filter = filter.unwrap_or_default().parse()?;
        let db = &ctx.state().db;
        let query = super::listed_for(ctx.viewer(), &filter)?;
        let total = Total::of(db, query.clone());
        let rows = super::after_cursor(query, args.after.as_ref())
            .limit(args.limit())
            .all(db)
            .await?;
        let viewer = ctx.viewer();
        let shown = rows
            .into_iter()
            .filter_map(|row| Signatory::shown(viewer, row, false))
            .collect();
        Ok(page(
            shown,
            &args,
            total,
            |signatory: &Signatory| (signatory.row().name_key.clone(), signatory.row().id),
            |signatory| signatory,
        ))
    }

    /// One signatory, by id, or by the token of its manage link (which also shows what the
    /// organisation itself sees).
    async fn signatory(
        &self,
        ctx: &Context<'_>,
        id: Option<ID>,
        token: Option<String>,
    ) -> ApiResult<Signatory> {
        let id = match (input::optional_id("id", id.as_ref())?, token.as_deref()) {
            (Some(id), _) => id,
            (None, Some(token)) => crate::mailing::tokens::Token::parse(token)
                .map(|token| token.id)
                .ok_or_else(|| ApiError::bad_input("token", "this link is not valid"))?,
            (None, None) => return Err(ApiError::bad_input("id", "give an id or a token")),
        };
        shown(ctx, id, token.as_deref()).await
    }

    /// Per principle and indicator, how many signatories are at each level and how that
    /// moved since their assessment before. The public sees national figures; staff their
    /// region's too; admins any region's, and nothing withheld.
    async fn principles_report(
        &self,
        ctx: &Context<'_>,
        region_id: Option<ID>,
    ) -> ApiResult<PrinciplesReport> {
        let region_id = input::optional_id("regionId", region_id.as_ref())?;
        let actor = ctx.viewer().signed_in();
        if let Some(region_id) = region_id {
            let allowed = actor.is_some_and(|a| a.is_admin() || a.is_staff_of(Some(region_id)));
            if !allowed {
                return Err(ApiError::Forbidden(
                    "a region's figures are for its staff and admins; everyone sees the national ones",
                ));
            }
        }
        let region = match region_id {
            Some(id) => Some(
                region_by_id(ctx, Some(id))
                    .ok_or_else(|| ApiError::bad_input("regionId", "no such region"))?,
            ),
            None => None,
        };
        let principles = all_principles(ctx).await?;
        let places: Vec<Place> = principles
            .iter()
            .flat_map(|p| p.indicators.iter().map(|i| (i.principle_id, i.position)))
            .collect();
        let tally = Tally::count(&ctx.state().db).await?;
        let unsuppressed = actor.is_some_and(Actor::is_admin);
        let figures = report::report(&tally, &places, region_id.map(Scope), unsuppressed);
        Ok(PrinciplesReport::of(figures, principles, region))
    }
}

/// The signatory as the viewer (or the holder of `token`) may see it.
async fn shown(ctx: &Context<'_>, id: i64, token: Option<&str>) -> ApiResult<Signatory> {
    let state = ctx.state();
    signatory::Entity::find_by_id(id)
        .one(&state.db)
        .await?
        .and_then(|row| {
            let holds = super::holds_link(state, &row, token);
            Signatory::shown(ctx.viewer(), row, holds)
        })
        .ok_or(ApiError::NotFound("signatory"))
}

/// An assessment, as the organisation that made it sees it.
async fn assessment_shown(
    ctx: &Context<'_>,
    row: assessment::Model,
    token: Option<&str>,
) -> ApiResult<Assessment> {
    let signatory = shown(ctx, row.signatory_id, token).await?;
    Assessment::shown(ctx.viewer(), row, signatory.0.grant())
        .ok_or(ApiError::NotFound("assessment"))
}

#[derive(Default)]
pub struct PrincipleMutation;

#[Object]
impl PrincipleMutation {
    /// Signs the principles. Through a member of a partner organisation (`partnerId`), it is
    /// signed at once. From the public form, the email address gets a confirmation link;
    /// then the region's staff (the national team, with no region) approve or reject it.
    async fn sign_principles(
        &self,
        ctx: &Context<'_>,
        input: SignPrinciplesInput,
    ) -> ApiResult<SignatureAnswer> {
        let new = input.parse()?;
        let actor = ctx.viewer().signed_in();
        let signed = super::sign(ctx.state(), actor, &client_of(ctx), new).await?;
        Ok(match signed.status {
            enums::SignatoryStatus::Approved => SignatureAnswer {
                message: "Thank you: your organisation has signed the principles.".to_owned(),
                signatory: Signatory::shown(ctx.viewer(), signed, false),
            },
            _ => SignatureAnswer {
                message: "Thank you. Check your inbox: we have sent a link to confirm your \
                          signature."
                    .to_owned(),
                signatory: None,
            },
        })
    }

    /// Confirms a signature from the public form with the token from its email (the page at
    /// the link does this too); it then waits for staff.
    async fn confirm_signature(&self, ctx: &Context<'_>, token: String) -> ApiResult<bool> {
        super::confirm(ctx.state(), &token).await?;
        Ok(true)
    }

    /// The region's staff or admins approve a confirmed signature; the organisation is
    /// emailed a link to manage it.
    async fn approve_signatory(&self, ctx: &Context<'_>, id: ID) -> ApiResult<Signatory> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        super::decide(ctx.state(), actor, id, None).await?;
        shown(ctx, id, None).await
    }

    /// The region's staff or admins reject a confirmed signature; the organisation is
    /// emailed the reason.
    async fn reject_signatory(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: String,
    ) -> ApiResult<Signatory> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let reason = input::required_text("reason", &reason, MAX_REASON_LEN)?;
        super::decide(ctx.state(), actor, id, Some(reason)).await?;
        shown(ctx, id, None).await
    }

    /// Changes how a signatory is listed: its members, the holder of its manage link
    /// (`token`), its region's staff and admins.
    async fn update_signatory(
        &self,
        ctx: &Context<'_>,
        id: ID,
        input: UpdateSignatoryInput,
        token: Option<String>,
    ) -> ApiResult<Signatory> {
        let id = input::id("id", &id)?;
        let changes = super::ListingChanges {
            list_publicly: input.list_publicly,
            website: input
                .website
                .map(|website| input::website("input.website", Some(&website)))
                .transpose()?,
            town: input
                .town
                .map(|town| {
                    input::optional_single_line("input.town", Some(&town), partners::MAX_TOWN_LEN)
                })
                .transpose()?,
        };
        let actor = ctx.viewer().signed_in();
        super::update_listing(ctx.state(), actor, id, token.as_deref(), changes).await?;
        shown(ctx, id, token.as_deref()).await
    }

    /// Withdraws a signature: off the public list at once, while history keeps that it had
    /// signed. The organisation may sign again later.
    async fn withdraw_signature(
        &self,
        ctx: &Context<'_>,
        id: ID,
        reason: Option<String>,
        token: Option<String>,
    ) -> ApiResult<Signatory> {
        let id = input::id("id", &id)?;
        let reason = input::optional_text("reason", reason.as_deref(), MAX_REASON_LEN)?;
        let actor = ctx.viewer().signed_in();
        super::withdraw(ctx.state(), actor, id, token.as_deref(), reason).await?;
        shown(ctx, id, token.as_deref()).await
    }

    /// Starts a self-assessment against the current indicators: the organisation itself
    /// (its members, or the holder of its manage link), once the last one is submitted.
    async fn start_self_assessment(
        &self,
        ctx: &Context<'_>,
        signatory_id: ID,
        token: Option<String>,
    ) -> ApiResult<Assessment> {
        let signatory_id = input::id("signatoryId", &signatory_id)?;
        let actor = ctx.viewer().signed_in();
        let started =
            assessments::start(ctx.state(), actor, signatory_id, token.as_deref()).await?;
        assessment_shown(ctx, started, token.as_deref()).await
    }

    /// Saves answers as the organisation goes (each replaces an earlier answer to the same
    /// indicator).
    async fn save_self_assessment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        answers: Vec<AnswerInput>,
        token: Option<String>,
    ) -> ApiResult<Assessment> {
        let id = input::id("id", &id)?;
        if answers.len() > MAX_ANSWERS {
            return Err(ApiError::bad_input(
                "answers",
                format!("at most {MAX_ANSWERS} answers at a time"),
            ));
        }
        let answers = answers
            .into_iter()
            .map(AnswerInput::parse)
            .collect::<ApiResult<Vec<Answer>>>()?;
        let mut seen = std::collections::HashSet::new();
        if !answers
            .iter()
            .all(|answer| seen.insert(answer.indicator_id))
        {
            return Err(ApiError::bad_input(
                "answers",
                "answers each indicator once",
            ));
        }
        let actor = ctx.viewer().signed_in();
        let saved = assessments::save(ctx.state(), actor, id, token.as_deref(), answers).await?;
        assessment_shown(ctx, saved, token.as_deref()).await
    }

    /// Submits an assessment that answers every indicator; it is read-only from then on.
    async fn submit_self_assessment(
        &self,
        ctx: &Context<'_>,
        id: ID,
        token: Option<String>,
    ) -> ApiResult<Assessment> {
        let id = input::id("id", &id)?;
        let actor = ctx.viewer().signed_in();
        let submitted = assessments::submit(ctx.state(), actor, id, token.as_deref()).await?;
        assessment_shown(ctx, submitted, token.as_deref()).await
    }

    /// Admins: rewords a principle (a new edition of the principles begins).
    async fn update_principle(
        &self,
        ctx: &Context<'_>,
        id: ID,
        title: String,
        description: String,
    ) -> ApiResult<Principle> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let change = super::WordingChange::Principle {
            id,
            title: input::single_line("title", &title, 200)?,
            description: input::required_text("description", &description, 2_000)?,
        };
        super::reword(ctx.state(), actor, change).await?;
        principle_by_id(ctx, id).await
    }

    /// Admins: rewords an indicator. The new wording is a new indicator (answers keep the
    /// wording they answered) and a new edition of the principles begins.
    async fn update_indicator(
        &self,
        ctx: &Context<'_>,
        id: ID,
        text: String,
    ) -> ApiResult<Principle> {
        let actor = ctx.actor()?;
        let id = input::id("id", &id)?;
        let change = super::WordingChange::Indicator {
            id,
            text: input::required_text("text", &text, 1_000)?,
        };
        let principle_id = super::reword(ctx.state(), actor, change).await?;
        principle_by_id(ctx, principle_id).await
    }

    /// Staff (their region) and admins (any, or all with no region): signatories as CSV, with
    /// contact details. Recorded in the audit log.
    async fn export_signatories_csv(
        &self,
        ctx: &Context<'_>,
        region_id: Option<ID>,
    ) -> ApiResult<SignatoryExport> {
        let actor = ctx.actor()?;
        let region_id = input::optional_id("regionId", region_id.as_ref())?;
        let export = super::export::signatories(ctx.state(), actor, region_id).await?;
        Ok(SignatoryExport {
            filename: export.filename,
            csv: export.csv,
            row_count: export.rows as u64,
        })
    }
}

async fn principle_by_id(ctx: &Context<'_>, id: i64) -> ApiResult<Principle> {
    all_principles(ctx)
        .await?
        .into_iter()
        .find(|principle| principle.row.id == id)
        .ok_or(ApiError::NotFound("principle"))
}
