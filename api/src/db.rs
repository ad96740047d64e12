//! Connecting to the database (SQLite or PostgreSQL), applying migrations, and the one way
//! rules open a transaction that writes.

use std::{sync::Arc, time::Duration};

use migration::{Migrator, MigratorTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectOptions, ConnectionTrait, Database, DatabaseConnection,
    DatabaseTransaction, DbBackend, DbErr, EntityTrait, QueryFilter, SqliteTransactionMode,
    Statement, TransactionOptions, TransactionTrait,
    sqlx::sqlite::{SqliteJournalMode, SqliteSynchronous},
};

/// Called with every SQL statement the application runs, and whether a request ran it (used
/// to count a request's statements apart from the background work's).
pub type StatementObserver = Arc<dyn Fn(&str, Origin) + Send + Sync>;

/// What a statement was run for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Origin {
    /// Answering a client's request.
    Request,
    /// Background work: sending mail, announcing updates.
    Background,
}

tokio::task_local! {
    static ORIGIN: Origin;
}

/// Runs `work` as part of answering a request: its statements are the request's.
pub async fn for_request<F: std::future::Future>(work: F) -> F::Output {
    ORIGIN.scope(Origin::Request, work).await
}

fn current_origin() -> Origin {
    ORIGIN
        .try_with(|origin| *origin)
        .unwrap_or(Origin::Background)
}

/// Spawns a data loader's batch as part of whatever spawned it, so a request's loads count as
/// the request's.
pub fn spawn_as_caller(
    work: futures_util::future::BoxFuture<'static, ()>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(ORIGIN.scope(current_origin(), work))
}

pub async fn connect(
    url: &str,
    observer: Option<StatementObserver>,
) -> Result<DatabaseConnection, DbErr> {
    let mut options = ConnectOptions::new(url);
    options
        .max_connections(16)
        .connect_timeout(Duration::from_secs(10))
        .acquire_timeout(Duration::from_secs(30))
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|opts| {
            opts.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Deleted rows are overwritten, so erased personal data leaves no bytes behind.
                .pragma("secure_delete", "ON")
        });
    let mut db = Database::connect(options).await?;
    if let Some(observer) = observer {
        db.set_metric_callback(move |info| observer(&info.statement.sql, current_origin()));
    }
    Ok(db)
}

pub async fn migrate(db: &DatabaseConnection) -> Result<(), DbErr> {
    Migrator::up(db, None).await
}

/// Begins a transaction that will write. On SQLite it takes the write lock at once
/// (`BEGIN IMMEDIATE`), so concurrent writers queue instead of failing when one upgrades a read
/// lock; PostgreSQL decides conflicts row by row with constraints and conditional updates.
pub async fn begin_write(db: &DatabaseConnection) -> Result<DatabaseTransaction, DbErr> {
    let options = TransactionOptions {
        sqlite_transaction_mode: (db.get_database_backend() == DbBackend::Sqlite)
            .then_some(SqliteTransactionMode::Immediate),
        ..Default::default()
    };
    db.begin_with_options(options).await
}

/// Makes writers that pass the same `key` take turns until their transactions end: on
/// PostgreSQL a transaction-scoped advisory lock on the key's hash; SQLite's write transactions
/// take turns already. For check-then-insert rules no constraint can express (at most three
/// enquiries an hour from one address, one waiting invitation replacing another).
pub async fn take_turns(txn: &impl ConnectionTrait, key: &str) -> Result<(), DbErr> {
    if txn.get_database_backend() != DbBackend::Postgres {
        return Ok(());
    }
    txn.execute_raw(Statement::from_sql_and_values(
        DbBackend::Postgres,
        "SELECT pg_advisory_xact_lock(hashtextextended($1, 0))",
        [key.into()],
    ))
    .await?;
    Ok(())
}

/// Replaces the rows of a link table that belong to one parent with `rows`.
pub async fn replace_links<E, A>(
    conn: &impl ConnectionTrait,
    parent: E::Column,
    parent_id: i64,
    rows: impl IntoIterator<Item = A>,
) -> Result<(), DbErr>
where
    E: EntityTrait,
    A: ActiveModelTrait<Entity = E>,
{
    E::delete_many()
        .filter(parent.eq(parent_id))
        .exec(conn)
        .await?;
    E::insert_many(rows).exec_without_returning(conn).await?;
    Ok(())
}
