//! Relay connections with keyset cursors. A cursor is the sort key of the last row seen; the
//! next page starts strictly after it, so pages stay stable while rows are added.

use async_graphql::{
    Context, Object,
    connection::{Connection, Edge, EmptyFields},
    futures_util::future::BoxFuture,
};
use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use sea_orm::{
    ColumnTrait, DatabaseConnection, DbErr, EntityTrait, FromQueryResult, PaginatorTrait,
    QueryFilter, QueryOrder, QueryResult, QuerySelect, Select, sea_query::Expr,
};
use serde::{Serialize, de::DeserializeOwned};

use super::error::{ApiError, ApiResult};

pub const DEFAULT_PAGE_SIZE: u64 = 20;
pub const MAX_PAGE_SIZE: u64 = 100;

/// The query cost of one page of a connection: the field itself (it reads the database, so it
/// is never free) and each of up to `first` rows. `first` is clamped to the page sizes a
/// request can get before it is multiplied, so `first: 0` or a huge `first` cost as much as
/// the page they would actually read.
pub fn connection_cost(first: Option<i32>, child_complexity: usize) -> usize {
    let rows = first
        .map_or(DEFAULT_PAGE_SIZE, |n| u64::try_from(n).unwrap_or(0))
        .clamp(1, MAX_PAGE_SIZE);
    usize::try_from(rows)
        .unwrap_or(1)
        .saturating_mul(child_complexity)
        .saturating_add(1)
}

/// A page of nodes with `totalCount`.
pub type Page<N> = Connection<String, N, Total, EmptyFields>;

/// Which page a client asked for: how many rows, after which key.
pub struct PageArgs<K> {
    pub first: u64,
    pub after: Option<K>,
}

impl<K: DeserializeOwned> PageArgs<K> {
    pub fn parse(first: Option<i32>, after: Option<String>) -> ApiResult<Self> {
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if n < 0 => return Err(ApiError::bad_input("first", "must not be negative")),
            Some(n) if n as u64 > MAX_PAGE_SIZE => {
                return Err(ApiError::bad_input(
                    "first",
                    format!("must be at most {MAX_PAGE_SIZE}"),
                ));
            }
            Some(n) => n as u64,
        };
        let after = after.map(|cursor| decode_cursor(&cursor)).transpose()?;
        Ok(Self { first, after })
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn limit(&self) -> u64 {
        self.first + 1
    }
}

fn decode_cursor<K: DeserializeOwned>(cursor: &str) -> ApiResult<K> {
    URL_SAFE_NO_PAD
        .decode(cursor)
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok())
        .ok_or_else(|| ApiError::bad_input("after", "is not a cursor from this list"))
}

fn encode_cursor<K: Serialize>(key: &K) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(key).unwrap_or_default())
}

/// Builds the page from rows fetched with `limit()` in cursor order.
pub fn page<M, N, K>(
    mut rows: Vec<M>,
    args: &PageArgs<K>,
    total: Total,
    key: impl Fn(&M) -> K,
    node: impl Fn(M) -> N,
) -> Page<N>
where
    K: Serialize,
    N: async_graphql::OutputType,
{
    let has_next_page = rows.len() as u64 > args.first;
    rows.truncate(args.first as usize);
    let mut connection =
        Connection::with_additional_fields(args.after.is_some(), has_next_page, total);
    connection.edges = rows
        .into_iter()
        .map(|row| Edge::new(encode_cursor(&key(&row)), node(row)))
        .collect();
    connection
}

type CountQuery = Box<dyn Fn() -> BoxFuture<'static, ApiResult<u64>> + Send + Sync>;

/// The size of the whole filtered list, counted only when a client asks for it.
pub struct Total(CountQuery);

impl Total {
    pub fn of<E>(db: &DatabaseConnection, query: Select<E>) -> Self
    where
        E: EntityTrait,
        E::Model: FromQueryResult + Send + Sync,
    {
        let db = db.clone();
        Self(Box::new(move || {
            let (db, query) = (db.clone(), query.clone());
            Box::pin(async move { Ok(query.count(&db).await?) })
        }))
    }

    /// For lists already in hand.
    pub fn known(count: u64) -> Self {
        Self(Box::new(move || Box::pin(async move { Ok(count) })))
    }
}

#[Object]
impl Total {
    /// How many items the whole list holds, across all pages.
    async fn total_count(&self) -> ApiResult<u64> {
        (self.0)().await
    }
}

/// A row read with the size of the whole list it belongs to.
struct Counted<M> {
    row: M,
    total: i64,
}

impl<M: FromQueryResult> FromQueryResult for Counted<M> {
    fn from_query_result(result: &QueryResult, prefix: &str) -> Result<Self, DbErr> {
        Ok(Self {
            row: M::from_query_result(result, prefix)?,
            total: result.try_get(prefix, LIST_TOTAL)?,
        })
    }
}

const LIST_TOTAL: &str = "list_total";

/// The rows of one page (`paged`: `filtered`, past the cursor, ordered and limited), and the
/// size of the whole list. When the client asks for `totalCount` on a first page, both come
/// from one statement: `COUNT(*) OVER ()` counts every row the filter keeps, before the limit.
/// Otherwise the total is counted apart, and only if asked for (a window count would make the
/// database read the whole list for a page that does not show its size).
pub async fn rows_and_total<E>(
    ctx: &Context<'_>,
    db: &DatabaseConnection,
    (filtered, paged): (Select<E>, Select<E>),
    first_page: bool,
) -> ApiResult<(Vec<E::Model>, Total)>
where
    E: EntityTrait,
    E::Model: FromQueryResult + Send + Sync,
{
    if !(first_page && ctx.look_ahead().field("totalCount").exists()) {
        return Ok((paged.all(db).await?, Total::of(db, filtered)));
    }
    let counted = paged
        .expr_as(Expr::cust("COUNT(*) OVER ()"), LIST_TOTAL)
        .into_model::<Counted<E::Model>>()
        .all(db)
        .await?;
    let total = counted.first().map_or(0, |row| row.total);
    let rows = counted.into_iter().map(|counted| counted.row).collect();
    Ok((rows, Total::known(u64::try_from(total).unwrap_or(0))))
}

/// Orders newest first by id, starting after the cursor id.
pub fn newest_first<E: EntityTrait>(
    query: Select<E>,
    id_column: impl ColumnTrait,
    after: Option<i64>,
) -> Select<E> {
    let query = match after {
        Some(after) => query.filter(id_column.lt(after)),
        None => query,
    };
    query.order_by_desc(id_column)
}
