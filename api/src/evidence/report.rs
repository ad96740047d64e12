//! The trend report: observations summed per goal, region and month or quarter in one grouped
//! query, each figure with the number of organisations it is drawn from, and withheld when
//! that is fewer than [`MIN_ORGANISATIONS`].

use std::collections::BTreeMap;

use chrono::NaiveDate;
use entities::{enums::Interval, observation, observation_goal};
use sea_orm::{
    ConnectionTrait, DbBackend, FromQueryResult,
    sea_query::{Alias, Expr, ExprTrait, Func, Order, Query, SelectStatement},
};

use super::MIN_ORGANISATIONS;
use crate::graphql::error::ApiResult;

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
    let statement = backend.build(&grouped(backend, filter));
    let rows = Row::find_by_statement(statement).all(db).await?;
    let mut series: BTreeMap<(i64, Option<i64>), Vec<Point>> = BTreeMap::new();
    for row in rows {
        let shown = unsuppressed || row.organisations >= MIN_ORGANISATIONS;
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
fn grouped(backend: DbBackend, filter: &ReportFilter) -> SelectStatement {
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
    if let Some(topic) = &filter.topic {
        query.and_where(column(observation::Column::Topic).eq(topic.as_str()));
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
