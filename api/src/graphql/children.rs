//! Pages and counts of child rows — the joint actions of campaigns, the opt-ins of actions —
//! for many parents at once: one windowed query per batch instead of one query per parent.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, DbErr, EntityTrait,
    FromQueryResult, IdenStatic, Iterable, JoinType, QueryFilter, QueryResult, QuerySelect,
    QueryTrait, Related, SelectA, SelectB, SelectC,
    sea_query::{
        Alias, Asterisk, Expr, ExprTrait, Func, Order, Query, SelectStatement, WindowStatement,
    },
};

use super::{
    error::ApiResult,
    loaders::Keyed,
    pagination::{Page, PageArgs, Total, page},
};
use crate::auth::Viewer;

/// Who is looking: some children are hidden from some people.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Audience {
    /// The public.
    Everyone,
    /// Staff and admins.
    Team,
    /// A member of this partner organisation.
    Partner(i64),
}

/// Which rows a parent shows to an audience.
pub type Visibility = Arc<dyn Fn(&Audience) -> Condition + Send + Sync>;

/// Everyone sees every row.
pub fn all_rows() -> Visibility {
    Arc::new(|_| Condition::all())
}

/// One parent's page: at most `limit` children with ids after `after`, in id order.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct PageKey {
    pub parent: i64,
    pub limit: u64,
    pub after: Option<i64>,
    pub audience: Audience,
}

/// A parent's page of children, and how many visible children it has in all when the same
/// statement could tell (a first page: a later page's statement sees only rows past its cursor).
#[derive(Clone)]
pub struct ChildPage<T> {
    pub rows: Vec<T>,
    pub total: Option<u64>,
}

/// Pages of a child table `E`, each row read as a `T`: the child itself, or the child with the
/// row it points to (`with_related`), so that a page and what it shows of each row cost one
/// statement.
pub struct ChildPages<E: EntityTrait, T = <E as EntityTrait>::Model> {
    db: DatabaseConnection,
    parent: E::Column,
    id: E::Column,
    visibility: Visibility,
    select: fn() -> SelectStatement,
    /// Joins more rows onto each child of a page (`with_many`).
    widen: Option<Widening>,
    decode: fn(&QueryResult) -> Result<T, DbErr>,
    /// Adds a decoded row to its page: a row of its own, or more of the row before.
    gather: fn(&mut Vec<T>, T),
}

/// A child with the rows that point to it, each with the row it points to in turn.
pub type WithMany<E, C, R> = (
    <E as EntityTrait>::Model,
    Vec<(<C as EntityTrait>::Model, <R as EntityTrait>::Model)>,
);

type Widening = Box<dyn Fn(&mut SelectStatement) + Send + Sync>;

/// The page's rows in the outer query.
const RANKED: &str = "ranked";

impl<E: EntityTrait> ChildPages<E> {
    pub fn new(
        db: &DatabaseConnection,
        parent: E::Column,
        id: E::Column,
        visibility: Visibility,
    ) -> Self {
        Self {
            db: db.clone(),
            parent,
            id,
            visibility,
            select: || E::find().into_query(),
            widen: None,
            decode: |row| E::Model::from_query_result(row, ""),
            gather: Vec::push,
        }
    }
}

impl<E: EntityTrait> ChildPages<E> {
    /// Pages whose rows come with the `R` row each points to (an opt-in with its partner).
    pub fn with_related<R>(
        db: &DatabaseConnection,
        parent: E::Column,
        id: E::Column,
        visibility: Visibility,
    ) -> ChildPages<E, (E::Model, Option<R::Model>)>
    where
        R: EntityTrait,
        E: Related<R>,
    {
        ChildPages {
            db: db.clone(),
            parent,
            id,
            visibility,
            select: || E::find().find_also_related(R::default()).into_query(),
            widen: None,
            decode: |row| {
                Ok((
                    E::Model::from_query_result(row, SelectA.as_str())?,
                    R::Model::from_query_result_optional(row, SelectB.as_str())?,
                ))
            },
            gather: Vec::push,
        }
    }
}

impl<E: EntityTrait> ChildPages<E> {
    /// Pages whose children come with the rows of `C` that point to them through `link` (a
    /// position with its backers), each with the `R` row it points to through `points_to` (the
    /// backer's partner): one statement, read as one row per pair (a child with none once) and
    /// gathered into one entry per child.
    pub fn with_many<C, R>(
        db: &DatabaseConnection,
        (parent, id): (E::Column, E::Column),
        visibility: Visibility,
        link: C::Column,
        points_to: (C::Column, R::Column),
    ) -> ChildPages<E, WithMany<E, C, R>>
    where
        E::Model: Keyed,
        C: EntityTrait,
        R: EntityTrait,
    {
        let widen = move |outer: &mut SelectStatement| {
            let (many, one) = (Alias::new("many"), Alias::new("one"));
            for column in C::Column::iter() {
                let name = format!("{}{}", SelectB.as_str(), column.as_str());
                outer.expr_as(Expr::col((many.clone(), column)), Alias::new(name));
            }
            for column in R::Column::iter() {
                let name = format!("{}{}", SelectC.as_str(), column.as_str());
                outer.expr_as(Expr::col((one.clone(), column)), Alias::new(name));
            }
            outer
                .join_as(
                    JoinType::LeftJoin,
                    C::default(),
                    many.clone(),
                    Expr::col((many.clone(), link)).equals((Alias::new(RANKED), id)),
                )
                .join_as(
                    JoinType::LeftJoin,
                    R::default(),
                    one.clone(),
                    Expr::col((one, points_to.1)).equals((many, points_to.0)),
                );
        };
        ChildPages {
            db: db.clone(),
            parent,
            id,
            visibility,
            select: || E::find().into_query(),
            widen: Some(Box::new(widen)),
            decode: |row| {
                let child = E::Model::from_query_result(row, "")?;
                let many = C::Model::from_query_result_optional(row, SelectB.as_str())?;
                let one = R::Model::from_query_result_optional(row, SelectC.as_str())?;
                Ok((child, many.zip(one).into_iter().collect()))
            },
            gather: |rows, (child, pairs)| match rows.last_mut() {
                Some((last, gathered)) if last.key() == child.key() => gathered.extend(pairs),
                _ => rows.push((child, pairs)),
            },
        }
    }
}

impl<E, T> Loader<PageKey> for ChildPages<E, T>
where
    E: EntityTrait,
    T: Clone + Send + Sync + 'static,
{
    type Value = ChildPage<T>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[PageKey]) -> Result<HashMap<PageKey, Self::Value>, Self::Error> {
        let mut groups: HashMap<(u64, Option<i64>, Audience), Vec<i64>> = HashMap::new();
        for key in keys {
            groups
                .entry((key.limit, key.after, key.audience.clone()))
                .or_default()
                .push(key.parent);
        }
        let mut pages = HashMap::new();
        for ((limit, after, audience), parents) in groups {
            let key = |parent| PageKey {
                parent,
                limit,
                after,
                audience: audience.clone(),
            };
            let total = after.is_none().then_some(0);
            for parent in &parents {
                let rows = Vec::new();
                pages.insert(key(*parent), ChildPage { rows, total });
            }
            for (parent, row, total) in self.fetch(&parents, limit, after, &audience).await? {
                let page = pages.entry(key(parent)).or_insert(ChildPage {
                    rows: Vec::new(),
                    total: None,
                });
                (self.gather)(&mut page.rows, row);
                page.total = total;
            }
        }
        Ok(pages)
    }
}

impl<E: EntityTrait, T> ChildPages<E, T> {
    /// `SELECT * FROM (SELECT …, parent AS child_parent, ROW_NUMBER() OVER (PARTITION BY
    /// parent ORDER BY id) AS child_rank, COUNT(*) OVER (PARTITION BY parent) AS child_total
    /// FROM children WHERE parent IN (…) AND id > after AND visible) WHERE child_rank <= limit`;
    /// the total only on a first page.
    async fn fetch(
        &self,
        parents: &[i64],
        limit: u64,
        after: Option<i64>,
        audience: &Audience,
    ) -> Result<Vec<(i64, T, Option<u64>)>, DbErr> {
        let mut inner = (self.select)();
        inner
            .expr_as(
                Expr::col((E::default(), self.parent)),
                Alias::new("child_parent"),
            )
            .and_where(self.parent.is_in(parents.iter().copied()))
            .cond_where((self.visibility)(audience));
        if let Some(after) = after {
            inner.and_where(self.id.gt(after));
        } else {
            let everything = WindowStatement::partition_by((E::default(), self.parent));
            inner.expr_window_as(
                Expr::col(Asterisk).count(),
                everything,
                Alias::new("child_total"),
            );
        }
        let mut window = WindowStatement::partition_by((E::default(), self.parent));
        window.order_by((E::default(), self.id), Order::Asc);
        inner.expr_window_as(Func::cust("ROW_NUMBER"), window, Alias::new("child_rank"));
        let mut outer = Query::select()
            .column((Alias::new(RANKED), Asterisk))
            .from_subquery(inner, Alias::new(RANKED))
            .and_where(Expr::col((Alias::new(RANKED), Alias::new("child_rank"))).lte(limit))
            .order_by((Alias::new(RANKED), Alias::new("child_rank")), Order::Asc)
            .to_owned();
        if let Some(widen) = &self.widen {
            widen(&mut outer);
        }
        let mut rows = Vec::new();
        for row in self.db.query_all(&outer).await? {
            let parent: i64 = row.try_get("", "child_parent")?;
            let total = match after {
                None => Some(u64::try_from(row.try_get::<i64>("", "child_total")?).unwrap_or(0)),
                Some(_) => None,
            };
            rows.push((parent, (self.decode)(&row)?, total));
        }
        Ok(rows)
    }
}

/// How many visible children each parent has.
pub struct ChildCounts<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
    visibility: Visibility,
}

impl<E: EntityTrait> ChildCounts<E> {
    pub fn new(db: &DatabaseConnection, parent: E::Column, visibility: Visibility) -> Self {
        Self {
            db: db.clone(),
            parent,
            visibility,
        }
    }
}

impl<E: EntityTrait> Loader<(i64, Audience)> for ChildCounts<E> {
    type Value = u64;
    type Error = Arc<DbErr>;

    async fn load(
        &self,
        keys: &[(i64, Audience)],
    ) -> Result<HashMap<(i64, Audience), u64>, Self::Error> {
        let mut groups: HashMap<Audience, Vec<i64>> = HashMap::new();
        for (parent, audience) in keys {
            groups.entry(audience.clone()).or_default().push(*parent);
        }
        let mut counts = HashMap::new();
        for (audience, parents) in groups {
            let rows: Vec<(i64, i64)> = E::find()
                .select_only()
                .column(self.parent)
                .column_as(Expr::col(Asterisk).count(), "count")
                .filter(self.parent.is_in(parents.iter().copied()))
                .filter((self.visibility)(&audience))
                .group_by(self.parent)
                .into_tuple()
                .all(&self.db)
                .await?;
            let found: HashMap<i64, i64> = rows.into_iter().collect();
            for parent in parents {
                let count = found.get(&parent).copied().unwrap_or_default();
                counts.insert(
                    (parent, audience.clone()),
                    u64::try_from(count).unwrap_or_default(),
                );
            }
        }
        Ok(counts)
    }
}

impl Audience {
    /// The audience a viewer belongs to.
    pub fn of(viewer: &Viewer) -> Self {
        match viewer.signed_in() {
            Some(actor) if actor.is_team() => Self::Team,
            Some(actor) => actor.acting_for().map_or(Self::Everyone, Self::Partner),
            None => Self::Everyone,
        }
    }
}

/// One page of a parent's children, through the batching loaders; `node` shows each child as
/// the viewer may see it. A first page brings its total with it; a later page asks the counts
/// loader.
pub async fn load_page<E, T, N>(
    loaders: (&DataLoader<ChildPages<E, T>>, &DataLoader<ChildCounts<E>>),
    parent: i64,
    audience: Audience,
    (first, after): (Option<i32>, Option<String>),
    node: impl Fn(T) -> Option<N>,
) -> ApiResult<Page<N>>
where
    E: EntityTrait,
    T: Keyed + Clone + Send + Sync + 'static,
    N: async_graphql::OutputType,
{
    let (pages, counts) = loaders;
    let args = PageArgs::<i64>::parse(first, after)?;
    let key = PageKey {
        parent,
        limit: args.limit(),
        after: args.after,
        audience: audience.clone(),
    };
    let found = pages.load_one(key).await?;
    let (rows, total) = found.map_or((Vec::new(), None), |page| (page.rows, page.total));
    let total = match total {
        Some(total) => total,
        None => counts
            .load_one((parent, audience))
            .await?
            .unwrap_or_default(),
    };
    let shown: Vec<(i64, N)> = rows
        .into_iter()
        .filter_map(|row| {
            let key = row.key();
            node(row).map(|node| (key, node))
        })
        .collect();
    Ok(page(
        shown,
        &args,
        Total::known(total),
        |(key, _)| *key,
        |(_, node)| node,
    ))
}
