//! Pages and counts of child rows — the joint actions of campaigns, the opt-ins of actions —
//! for many parents at once: one windowed query per batch instead of one query per parent.

use std::{collections::HashMap, sync::Arc};

use async_graphql::dataloader::{DataLoader, Loader};
use sea_orm::{
    ColumnTrait, Condition, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, ModelTrait,
    Order, QueryFilter, QuerySelect, QueryTrait, Value,
    sea_query::{Alias, Asterisk, Expr, ExprTrait, Func, Query, WindowStatement},
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

pub struct ChildPages<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
    id: E::Column,
    visibility: Visibility,
}

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
        }
    }
}

impl<E> Loader<PageKey> for ChildPages<E>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Clone + Send + Sync + 'static,
{
    type Value = Vec<E::Model>;
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
            let rows = self.fetch(&parents, limit, after, &audience).await?;
            for parent in parents {
                let key = PageKey {
                    parent,
                    limit,
                    after,
                    audience: audience.clone(),
                };
                pages.insert(key, Vec::new());
            }
            for row in rows {
                if let Some(parent) = as_id(row.get(self.parent)) {
                    let key = PageKey {
                        parent,
                        limit,
                        after,
                        audience: audience.clone(),
                    };
                    pages.entry(key).or_default().push(row);
                }
            }
        }
        Ok(pages)
    }
}

impl<E> ChildPages<E>
where
    E: EntityTrait,
    E::Model: FromQueryResult,
{
    /// `SELECT * FROM (SELECT …, ROW_NUMBER() OVER (PARTITION BY parent ORDER BY id) AS rank
    /// FROM children WHERE parent IN (…) AND id > after AND visible) WHERE rank <= limit`.
    async fn fetch(
        &self,
        parents: &[i64],
        limit: u64,
        after: Option<i64>,
        audience: &Audience,
    ) -> Result<Vec<E::Model>, DbErr> {
        let mut inner = E::find()
            .filter(self.parent.is_in(parents.iter().copied()))
            .filter((self.visibility)(audience))
            .apply_if(after, |query, after| query.filter(self.id.gt(after)))
            .into_query();
        let mut window = WindowStatement::partition_by(self.parent);
        window.order_by(self.id, Order::Asc);
        inner.expr_window_as(Func::cust("ROW_NUMBER"), window, Alias::new("child_rank"));
        let outer = Query::select()
            .column(Asterisk)
            .from_subquery(inner, Alias::new("ranked"))
            .and_where(Expr::col(Alias::new("child_rank")).lte(limit))
            .order_by(Alias::new("child_rank"), Order::Asc)
            .to_owned();
        let statement = self.db.get_database_backend().build(&outer);
        E::find().from_raw_sql(statement).all(&self.db).await
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

fn as_id(value: Value) -> Option<i64> {
    match value {
        Value::BigInt(id) => id,
        Value::Int(id) => id.map(i64::from),
        _ => None,
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
/// the viewer may see it.
pub async fn load_page<E, N>(
    loaders: (&DataLoader<ChildPages<E>>, &DataLoader<ChildCounts<E>>),
    parent: i64,
    audience: Audience,
    (first, after): (Option<i32>, Option<String>),
    node: impl Fn(E::Model) -> Option<N>,
) -> ApiResult<Page<N>>
where
    E: EntityTrait,
    E::Model: Keyed + FromQueryResult + Clone + Send + Sync + 'static,
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
    // The count is asked for together with the page, not later when `totalCount` resolves:
    // it then joins the same batch as sibling counts (`optInCount`), whatever the timing.
    let (rows, total) = tokio::try_join!(pages.load_one(key), counts.load_one((parent, audience)))?;
    let shown: Vec<(i64, N)> = rows
        .unwrap_or_default()
        .into_iter()
        .filter_map(|row| {
            let key = row.key();
            node(row).map(|node| (key, node))
        })
        .collect();
    Ok(page(
        shown,
        &args,
        Total::known(total.unwrap_or_default()),
        |(key, _)| *key,
        |(_, node)| node,
    ))
}
