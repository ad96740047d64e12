//! Self-assessment: a signatory answers each indicator of the edition it starts with, saves as
//! it goes, and submits; a submitted assessment is read-only, and a new one can start once the
//! last is submitted. Progress compares the latest submitted assessment with the one before.

use std::collections::{BTreeMap, HashMap};

use entities::{
    assessment, assessment_answer,
    enums::{PracticeLevel, SignatoryStatus},
    principle_indicator, signatory,
};
use sea_orm::{
    ActiveValue::Set,
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
    sea_query::{Expr, OnConflict},
};

use super::{Signer, current_edition, holds_link, reassess_after, refused, signer};
use crate::{
    auth::Actor,
    db,
    events::Event,
    graphql::error::{ApiError, ApiResult, conflict_on_unique},
    state::AppState,
};

pub const MAX_NOTE_LEN: usize = 2_000;

/// One answer, checked.
pub struct Answer {
    pub indicator_id: i64,
    pub level: PracticeLevel,
    pub note: Option<String>,
    pub evidence_url: Option<String>,
}

/// The indicators an edition's assessments answer.
pub fn of_edition(edition: i32) -> Condition {
    Condition::all()
        .add(principle_indicator::Column::IntroducedIn.lte(edition))
        .add(
            Condition::any()
                .add(principle_indicator::Column::RetiredIn.is_null())
                .add(principle_indicator::Column::RetiredIn.gt(edition)),
        )
}

/// The signatory, if the organisation itself (its members, or its link's holder) asks.
async fn assessed_by(
    conn: &impl ConnectionTrait,
    state: &AppState,
    actor: Option<&Actor>,
    signatory_id: i64,
    token: Option<&str>,
) -> ApiResult<signatory::Model> {
    let found = signatory::Entity::find_by_id(signatory_id)
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound("signatory"))?;
    let holds = holds_link(state, &found, token);
    match signer(actor, &found, holds) {
        Some(Signer::Member(_) | Signer::LinkHolder) => Ok(found),
        _ => Err(refused(
            actor,
            &found,
            holds,
            "an organisation assesses its own practice",
        )),
    }
}

pub async fn start(
    state: &AppState,
    actor: Option<&Actor>,
    signatory_id: i64,
    token: Option<&str>,
) -> ApiResult<assessment::Model> {
    let txn = db::begin_write(&state.db).await?;
    let found = assessed_by(&txn, state, actor, signatory_id, token).await?;
    if found.status != SignatoryStatus::Approved {
        return Err(ApiError::Conflict(
            "only an approved signatory assesses itself".to_owned(),
        ));
    }
    let started = assessment::Entity::insert(assessment::ActiveModel {
        signatory_id: Set(signatory_id),
        edition: Set(current_edition(&txn).await?),
        started_at: Set(state.now()),
        ..Default::default()
    })
    .exec_with_returning(&txn)
    .await
    .map_err(|error| {
        conflict_on_unique(
            error,
            "an assessment is already in progress; submit it before starting another",
        )
    })?;
    txn.commit().await?;
    Ok(started)
}

/// The assessment, locked, with its signatory, if the organisation asks and it is not yet
/// submitted.
async fn lock_open(
    conn: &impl ConnectionTrait,
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
    token: Option<&str>,
) -> ApiResult<assessment::Model> {
    let found = assessment::Entity::find_by_id(id)
        .lock_exclusive()
        .one(conn)
        .await?
        .ok_or(ApiError::NotFound("assessment"))?;
    assessed_by(conn, state, actor, found.signatory_id, token).await?;
    if found.submitted_at.is_some() {
        return Err(ApiError::Conflict(
            "this assessment was submitted and cannot change".to_owned(),
        ));
    }
    Ok(found)
}

/// Saves answers (each replacing any earlier answer to the same indicator).
pub async fn save(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
    token: Option<&str>,
    answers: Vec<Answer>,
) -> ApiResult<assessment::Model> {
    let txn = db::begin_write(&state.db).await?;
    let found = lock_open(&txn, state, actor, id, token).await?;
    let asked = principle_indicator::Entity::find()
        .filter(of_edition(found.edition))
        .filter(principle_indicator::Column::Id.is_in(answers.iter().map(|a| a.indicator_id)))
        .count(&txn)
        .await?;
    if asked != answers.len() as u64 {
        return Err(ApiError::bad_input(
            "answers",
            "answers an indicator that is not part of this assessment's wording",
        ));
    }
    let rows = answers
        .into_iter()
        .map(|answer| assessment_answer::ActiveModel {
            assessment_id: Set(id),
            indicator_id: Set(answer.indicator_id),
            level: Set(answer.level),
            note: Set(answer.note),
            evidence_url: Set(answer.evidence_url),
        });
    assessment_answer::Entity::insert_many(rows)
        .on_conflict(
            OnConflict::columns([
                assessment_answer::Column::AssessmentId,
                assessment_answer::Column::IndicatorId,
            ])
            .update_columns([
                assessment_answer::Column::Level,
                assessment_answer::Column::Note,
                assessment_answer::Column::EvidenceUrl,
            ])
            .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    txn.commit().await?;
    Ok(found)
}

/// Submits an assessment that answers every indicator; it is read-only from then on.
pub async fn submit(
    state: &AppState,
    actor: Option<&Actor>,
    id: i64,
    token: Option<&str>,
) -> ApiResult<assessment::Model> {
    let txn = db::begin_write(&state.db).await?;
    let found = lock_open(&txn, state, actor, id, token).await?;
    let wanted = principle_indicator::Entity::find()
        .filter(of_edition(found.edition))
        .count(&txn)
        .await?;
    let given = assessment_answer::Entity::find()
        .filter(assessment_answer::Column::AssessmentId.eq(id))
        .count(&txn)
        .await?;
    if given < wanted {
        return Err(ApiError::bad_input(
            "id",
            format!("answer every indicator before submitting ({given} of {wanted} answered)"),
        ));
    }
    let now = state.now();
    let signatory_id = found.signatory_id;
    let mut row: assessment::ActiveModel = found.into();
    row.submitted_at = Set(Some(now));
    let submitted = assessment::Entity::update(row).exec(&txn).await?;
    signatory::Entity::update_many()
        .col_expr(
            signatory::Column::ReassessDueAt,
            Expr::value(now + reassess_after()),
        )
        .filter(signatory::Column::Id.eq(signatory_id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    state.events.publish(Event::ReassessmentScheduled).await;
    Ok(submitted)
}

/// How one indicator moved between two assessments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Movement {
    Up,
    Down,
    Same,
    /// Not answered in the earlier assessment (a new indicator).
    New,
}

/// One indicator in the latest assessment, beside the one before.
pub struct Compared {
    pub principle_id: i64,
    pub latest: (principle_indicator::Model, assessment_answer::Model),
    pub previous: Option<(principle_indicator::Model, assessment_answer::Model)>,
}

impl Compared {
    pub fn movement(&self) -> Movement {
        match &self.previous {
            None => Movement::New,
            Some((_, before)) if self.latest.1.level > before.level => Movement::Up,
            Some((_, before)) if self.latest.1.level < before.level => Movement::Down,
            Some(_) => Movement::Same,
        }
    }
}

/// The latest two submitted assessments, compared.
pub struct Progress {
    pub latest: assessment::Model,
    pub previous: assessment::Model,
    pub compared: Vec<Compared>,
}

/// The latest submitted assessment compared with the one before, indicator by indicator (an
/// indicator matched across editions by its principle and place), each with the wording that
/// was answered. `None` until two assessments are submitted.
pub async fn progress(
    conn: &impl ConnectionTrait,
    signatory_id: i64,
) -> ApiResult<Option<Progress>> {
    let submitted = assessment::Entity::find()
        .filter(assessment::Column::SignatoryId.eq(signatory_id))
        .filter(assessment::Column::SubmittedAt.is_not_null())
        .order_by_desc(assessment::Column::SubmittedAt)
        .order_by_desc(assessment::Column::Id)
        .limit(2)
        .all(conn)
        .await?;
    let [latest, previous] = submitted.as_slice() else {
        return Ok(None);
    };
    let answers = assessment_answer::Entity::find()
        .filter(assessment_answer::Column::AssessmentId.is_in([latest.id, previous.id]))
        .find_also_related(principle_indicator::Entity)
        .all(conn)
        .await?;
    let mut before: HashMap<(i64, i32), (principle_indicator::Model, assessment_answer::Model)> =
        HashMap::new();
    let mut now: BTreeMap<(i64, i32), (principle_indicator::Model, assessment_answer::Model)> =
        BTreeMap::new();
    for (answer, indicator) in answers {
        let Some(indicator) = indicator else {
            continue;
        };
        let place = (indicator.principle_id, indicator.position);
        if answer.assessment_id == latest.id {
            now.insert(place, (indicator, answer));
        } else {
            before.insert(place, (indicator, answer));
        }
    }
    let compared = now
        .into_iter()
        .map(|(place, latest)| Compared {
            principle_id: place.0,
            previous: before.remove(&place),
            latest,
        })
        .collect();
    Ok(Some(Progress {
        latest: latest.clone(),
        previous: previous.clone(),
        compared,
    }))
}
