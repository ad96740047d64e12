//! The trend report: observations summed per goal, region and month or quarter in one grouped
//! query, each figure with the number of organisations it is drawn from, and withheld when
//! that is fewer than [`MIN_ORGANISATIONS`].
//!
//! Two reports must not give away by their difference what each withholds: a report covers
//! whole months or quarters only (so a shorter range cannot cut one organisation out of a
//! period), and a report on one topic withholds a figure whose other topics, in the same goal,
//! region and period, come from one or two organisations (that figure minus this one would
//! show them).

use std::collections::BTreeMap;

use chrono::{Datelike, Months, NaiveDate};
use entities::{enums::Interval, observation, observation_goal};
use sea_orm::{
    ConnectionTrait, DbBackend, FromQueryResult,
    sea_query::{Alias, Expr, ExprTrait, Func, Order, Query, SelectStatement},
};

use super::MIN_ORGANISATIONS;
use crate::graphql::error::{ApiError, ApiResult};

/// The whole months or quarters that `from` and `to` fall in: from the first day of the first
/// to the last day of the last, ten years at most.
pub fn whole_periods(
    from: NaiveDate,
    to: NaiveDate,
    every: Interval,
) -> ApiResult<(NaiveDate, NaiveDate)> {
    if to < from {
        return Err(ApiError::bad_input("filter.to", "must not be before from"));
    }
    if (to - from).num_days() > 366 * 10 {
        return Err(ApiError::bad_input(
            "filter.to",
            "a report spans ten years at most",
        ));
    }
    let months = match every {
        Interval::Month => 1,
        Interval::Quarter => 3,
    };
    let start_of = |date: NaiveDate| {
        let month0 = (date.month0() / months) * months;
        NaiveDate::from_ymd_opt(date.year(), month0 + 1, 1)
    };
    let first = start_of(from);
    let last = start_of(to)
        .and_then(|start| start.checked_add_months(Months::new(months)))
        .and_then(|next| next.pred_opt());
    first
        .zip(last)
        .ok_or_else(|| ApiError::bad_input("filter.to", "is outside the dates a report covers"))
}

/// Which observations a report sums.
#[derive(Debug, Clone)]
pub struct ReportFilter {
    /// Only these goals; `None`: every goal.
    pub goals: Option<Vec<i64>>,
    /// Only these regions; `None`: every region, and observations with none.
    pub regions: Option<Vec<i64>>,
    pub topic: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub every: Interval,
}

/// One figure of a series.
#[derive(Debug, Clone)]
pub struct Point {
    /// The first day of the month or quarter.
    pub period: String,
    /// `None` when withheld.
    pub figures: Option<Figures>,
}

#[derive(Debug, Clone, Copy)]
pub struct Figures {
    pub people_affected: i64,
    pub observations: i64,
    pub organisations: i64,
}

/// The figures of one goal in one region (`None`: observations with no region).
#[derive(Debug, Clone)]
pub struct Series {
    pub goal_id: i64,
    pub region_id: Option<i64>,
    pub points: Vec<Point>,
}

#[derive(FromQueryResult)]
struct Row {
    goal_id: i64,
    region_id: Option<i64>,
    period: String,
    people: i64,
    observations: i64,
    organisations: i64,
}

/// Sums the observations the filter selects; small figures are withheld unless `unsuppressed`.
pub async fn build(
    db: &impl ConnectionTrait,
    filter: &ReportFilter,
    unsuppressed: bool,
) -> ApiResult<Vec<Series>> {
    let backend = db.get_database_backend();
    let topic = filter.topic.as_deref().map(Topic::Is).unwrap_or(Topic::Any);
    let statement = backend.build(&grouped(backend, filter, topic));
    let rows = Row::find_by_statement(statement).all(db).await?;
    let other_topics = match (&filter.topic, unsuppressed) {
        (Some(topic), false) => {
            let statement = backend.build(&grouped(backend, filter, Topic::IsNot(topic)));
            Row::find_by_statement(statement).all(db).await?
        }
        _ => Vec::new(),
    };
    let few_elsewhere: std::collections::HashSet<(i64, Option<i64>, String)> = other_topics
        .into_iter()
        .filter(|row| row.organisations < MIN_ORGANISATIONS)
        .map(|row| (row.goal_id, row.region_id, row.period))
        .collect();
    let mut series: BTreeMap<(i64, Option<i64>), Vec<Point>> = BTreeMap::new();
    for row in rows {
        let cell = (row.goal_id, row.region_id, row.period.clone());
        let shown = unsuppressed
            || (row.organisations >= MIN_ORGANISATIONS && !few_elsewhere.contains(&cell));
        series
            .entry((row.goal_id, row.region_id))
            .or_default()
            .push(Point {
                period: row.period,
                figures: shown.then_some(Figures {
                    people_affected: row.people,
                    observations: row.observations,
                    organisations: row.organisations,
                }),
            });
    }
    Ok(series
        .into_iter()
        .map(|((goal_id, region_id), points)| Series {
            goal_id,
            region_id,
            points,
        })
        .collect())
}

/// `SELECT goal, region, period, SUM(people), COUNT(*), COUNT(DISTINCT organisation) … GROUP BY
/// goal, region, period`. The charity's own observations count as one organisation.
/// Which topics a grouped query counts.
#[derive(Clone, Copy)]
enum Topic<'a> {
    Any,
    Is(&'a str),
    IsNot(&'a str),
}

fn grouped(backend: DbBackend, filter: &ReportFilter, topic: Topic<'_>) -> SelectStatement {
    let column = |name: observation::Column| Expr::col((observation::Entity, name));
    let period = Expr::cust(period_start(backend, filter.every));
    let organisation = Func::coalesce([column(observation::Column::PartnerId), Expr::val(0)]);
    let mut query = Query::select();
    query
        .expr_as(
            Expr::col((observation_goal::Entity, observation_goal::Column::GoalId)),
            Alias::new("goal_id"),
        )
        .expr_as(
            column(observation::Column::RegionId),
            Alias::new("region_id"),
        )
        .expr_as(period.clone(), Alias::new("period"))
        .expr_as(
            Func::cast_as(
                Func::sum(column(observation::Column::PeopleAffected)),
                Alias::new("bigint"),
            ),
            Alias::new("people"),
        )
        .expr_as(
            Func::count(column(observation::Column::Id)),
            Alias::new("observations"),
        )
        .expr_as(
            Func::count_distinct(organisation),
            Alias::new("organisations"),
        )
        .from(observation::Entity)
        .inner_join(
            observation_goal::Entity,
            Expr::col((
                observation_goal::Entity,
                observation_goal::Column::ObservationId,
            ))
            .equals((observation::Entity, observation::Column::Id)),
        )
        .and_where(column(observation::Column::PeriodStart).gte(filter.from))
        .and_where(column(observation::Column::PeriodStart).lte(filter.to));
    if let Some(goals) = &filter.goals {
        query.and_where(
            Expr::col((observation_goal::Entity, observation_goal::Column::GoalId))
                .is_in(goals.iter().copied()),
        );
    }
    if let Some(regions) = &filter.regions {
        query.and_where(column(observation::Column::RegionId).is_in(regions.iter().copied()));
    }
    match topic {
        Topic::Any => {}
        Topic::Is(topic) => {
            query.and_where(column(observation::Column::Topic).eq(topic));
        }
        Topic::IsNot(topic) => {
            query.and_where(column(observation::Column::Topic).ne(topic));
        }
    }
    query
        .add_group_by([
            Expr::col((observation_goal::Entity, observation_goal::Column::GoalId)),
            column(observation::Column::RegionId),
            period.clone(),
        ])
        .order_by_expr(
            Expr::col((observation_goal::Entity, observation_goal::Column::GoalId)),
            Order::Asc,
        )
        .order_by_expr(column(observation::Column::RegionId), Order::Asc)
        .order_by_expr(period, Order::Asc)
        .to_owned()
}

/// The first day of the month or quarter an observation's period starts in, as `YYYY-MM-DD`.
fn period_start(backend: DbBackend, every: Interval) -> &'static str {
    match (backend, every) {
        (DbBackend::Postgres, Interval::Month) => {
            "to_char(date_trunc('month', observations.period_start), 'YYYY-MM-DD')"
        }
        (DbBackend::Postgres, Interval::Quarter) => {
            "to_char(date_trunc('quarter', observations.period_start), 'YYYY-MM-DD')"
        }
        (_, Interval::Month) => "strftime('%Y-%m-01', observations.period_start)",
        (_, Interval::Quarter) => {
            "printf('%s-%02d-01', strftime('%Y', observations.period_start), \
             ((CAST(strftime('%m', observations.period_start) AS INTEGER) - 1) / 3) * 3 + 1)"
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use entities::enums::Interval;

    use super::whole_periods;

    fn day(text: &str) -> NaiveDate {
        text.parse().unwrap_or_default()
    }

    #[test]
    fn a_report_covers_whole_periods() {
        let month = whole_periods(day("2026-03-14"), day("2026-04-02"), Interval::Month);
        assert_eq!(month.ok(), Some((day("2026-03-01"), day("2026-04-30"))));
        let quarter = whole_periods(day("2026-02-14"), day("2026-11-02"), Interval::Quarter);
        assert_eq!(quarter.ok(), Some((day("2026-01-01"), day("2026-12-31"))));
        assert!(whole_periods(day("2026-02-14"), day("2026-02-01"), Interval::Month).is_err());
    }
}
