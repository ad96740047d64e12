//! Batching loaders every slice builds its own from: by primary key, by link table, and the
//! rows of a child table. Every
//! relation a resolver follows goes through a loader, so a list of n records costs one query per
//! relation, not n. Each slice owns its loaders (and the rules they apply); this module knows
//! none of them.

use std::{collections::HashMap, marker::PhantomData, sync::Arc, time::Duration};

use async_graphql::dataloader::{DataLoader, Loader};
use entities::{
    advocacy_goal, campaign, joint_action, opt_in, opt_in_event, partner, policy_update, position,
    user,
};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, Iterable, ModelTrait, Order,
    PrimaryKeyToColumn, QueryFilter, QueryOrder, QuerySelect, TryGetable,
};

/// A record with a numeric primary key.
pub trait Keyed {
    fn key(&self) -> i64;
}

impl Keyed for partner::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for user::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for advocacy_goal::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for campaign::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for joint_action::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for opt_in::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for opt_in_event::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for policy_update::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

impl Keyed for position::Model {
    fn key(&self) -> i64 {
        self.id
    }
}

/// A child read with the row it points to takes the child's key.
impl<M: Keyed, R> Keyed for (M, Option<R>) {
    fn key(&self) -> i64 {
        self.0.key()
    }
}

/// A child read with the rows that point to it takes the child's key.
impl<M: Keyed, P> Keyed for (M, Vec<P>) {
    fn key(&self) -> i64 {
        self.0.key()
    }
}

/// Loads records of one table by primary key.
pub struct ById<E> {
    db: DatabaseConnection,
    entity: PhantomData<fn() -> E>,
}

impl<E> ById<E> {
    pub fn new(db: DatabaseConnection) -> Self {
        Self {
            db,
            entity: PhantomData,
        }
    }
}

impl<E> Loader<i64> for ById<E>
where
    E: EntityTrait,
    E::Model: Keyed + Clone + Send + Sync + 'static,
{
    type Value = E::Model;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, E::Model>, Self::Error> {
        let Some(primary_key) = E::PrimaryKey::iter().next() else {
            return Ok(HashMap::new());
        };
        let rows = E::find()
            .filter(primary_key.into_column().is_in(keys.iter().copied()))
            .all(&self.db)
            .await?;
        Ok(rows.into_iter().map(|row| (row.key(), row)).collect())
    }
}

/// The values a link table pairs with each key (a campaign's goal ids, an update's topics).
pub struct Links<E: EntityTrait, T = i64> {
    db: DatabaseConnection,
    from: E::Column,
    to: E::Column,
    value: PhantomData<fn() -> T>,
}

impl<E: EntityTrait, T> Links<E, T> {
    pub fn new(db: &DatabaseConnection, from: E::Column, to: E::Column) -> Self {
        Self {
            db: db.clone(),
            from,
            to,
            value: PhantomData,
        }
    }
}

impl<E, T> Loader<i64> for Links<E, T>
where
    E: EntityTrait,
    T: TryGetable + Clone + Send + Sync + 'static,
{
    type Value = Vec<T>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Vec<T>>, Self::Error> {
        let pairs: Vec<(i64, T)> = E::find()
            .select_only()
            .column(self.from)
            .column(self.to)
            .filter(self.from.is_in(keys.iter().copied()))
            .order_by_asc(self.to)
            .into_tuple()
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Vec<T>> = HashMap::new();
        for (from, to) in pairs {
            grouped.entry(from).or_default().push(to);
        }
        Ok(grouped)
    }
}

/// The rows of a child table for each parent key, in a set order: an update's revisions, a
/// position's versions, a booking's attendees.
pub struct Children<E: EntityTrait> {
    db: DatabaseConnection,
    parent: E::Column,
    order: E::Column,
    direction: Order,
}

impl<E: EntityTrait> Children<E> {
    pub fn new(
        db: &DatabaseConnection,
        parent: E::Column,
        order: E::Column,
        direction: Order,
    ) -> Self {
        Self {
            db: db.clone(),
            parent,
            order,
            direction,
        }
    }
}

impl<E> Loader<i64> for Children<E>
where
    E: EntityTrait,
    E::Model: Clone + Send + Sync,
{
    type Value = Vec<E::Model>;
    type Error = Arc<DbErr>;

    async fn load(&self, keys: &[i64]) -> Result<HashMap<i64, Self::Value>, Self::Error> {
        let rows = E::find()
            .filter(self.parent.is_in(keys.iter().copied()))
            .order_by(self.order, self.direction.clone())
            .all(&self.db)
            .await?;
        let mut grouped: HashMap<i64, Self::Value> = HashMap::new();
        for row in rows {
            if let Some(parent) = id_of(&row.get(self.parent)) {
                grouped.entry(parent).or_default().push(row);
            }
        }
        Ok(grouped)
    }
}

/// An id column's value.
fn id_of(value: &sea_orm::Value) -> Option<i64> {
    match value {
        sea_orm::Value::BigInt(Some(id)) => Some(*id),
        sea_orm::Value::Int(Some(id)) => Some(i64::from(*id)),
        _ => None,
    }
}

/// How long a loader waits to gather keys before it queries. Resolvers of a long list ask in
/// several polls (the executor yields every few dozen items), so the wait must outlast that.
const BATCH_WINDOW: Duration = Duration::from_millis(5);

/// A loader that batches but does not cache: loaders are built once and shared by all
/// requests, so no request sees another's stale data.
pub fn batching<L: Send + Sync + 'static>(loader: L) -> DataLoader<L> {
    DataLoader::new(loader, crate::db::spawn_as_caller).delay(BATCH_WINDOW)
}
