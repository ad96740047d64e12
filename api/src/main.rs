//! The command line: `serve` (the default), `migrate`, `create-admin`, `export-schema` and
//! `seed-demo`.

use std::{io::IsTerminal, sync::Arc};

use anyhow::{Context, bail};
use api::{
    accounts,
    clock::{Clock, SystemClock},
    config::{Config, Settings},
    input::{EmailAddress, Password},
};
use clap::{Parser, Subcommand};

/// mimalloc rather than the system allocator: a request allocates and frees many small values
/// from several threads, where glibc's malloc spent a third of the CPU under load.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "partner-network",
    version,
    about = "GraphQL server for the asylum advocacy partner network"
)]
struct Cli {
    #[command(flatten)]
    settings: Settings,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Apply migrations and serve the API (the default).
    Serve,
    /// Apply pending migrations and exit.
    Migrate,
    /// Create an admin account. The password comes from ADMIN_PASSWORD or standard input.
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
    },
    /// Print the GraphQL schema (SDL).
    ExportSchema,
    /// Load demonstration content: partners, staff and partner accounts.
    SeedDemo,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    // Colour codes only for a person at a terminal, never in files or log collectors.
    api::logging::init(
        cli.settings.log_format,
        std::io::stdout,
        std::io::stdout().is_terminal(),
    );
    let command = cli.command.unwrap_or(Command::Serve);
    if let Command::ExportSchema = command {
        print!("{}", api::graphql::sdl());
        return Ok(());
    }
    let config = Config::resolve(cli.settings)?;
    let clock: Arc<dyn Clock> = Arc::new(SystemClock);
    let state = api::prepare(config, clock, None).await?;
    match command {
        Command::Serve => serve(state).await,
        Command::Migrate => {
            tracing::info!("migrations applied");
            Ok(())
        }
        Command::CreateAdmin { email, name } => create_admin(&state, &email, &name).await,
        Command::SeedDemo => api::demo::seed(&state).await,
        Command::ExportSchema => Ok(()),
    }
}

async fn serve(state: api::state::AppState) -> anyhow::Result<()> {
    let started = api::start(state).await?;
    if let Some(addr) = started.local_addr() {
        tracing::info!("serving GraphQL on http://{addr}/graphql");
    }
    started.run(shutdown_signal()).await?;
    tracing::info!("stopped");
    Ok(())
}

async fn shutdown_signal() {
    let interrupt = tokio::signal::ctrl_c();
    #[cfg(unix)]
    {
        let mut terminate =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(signal) => signal,
                Err(_) => {
                    let _ = interrupt.await;
                    return;
                }
            };
        tokio::select! {
            _ = interrupt => {}
            _ = terminate.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = interrupt.await;
    }
}

async fn create_admin(state: &api::state::AppState, email: &str, name: &str) -> anyhow::Result<()> {
    let email =
        EmailAddress::parse("email", email).map_err(|error| anyhow::anyhow!("--email {error}"))?;
    let name = api::input::single_line("name", name, accounts::MAX_PERSON_NAME_LEN)
        .map_err(|error| anyhow::anyhow!("--name {error}"))?;
    let password = Password::parse("password", admin_password()?)
        .map_err(|error| anyhow::anyhow!("the password {error}"))?;
    let created = accounts::create_admin(
        &state.db,
        &state.hashing,
        state.now(),
        email,
        name,
        password,
    )
    .await
    .map_err(|error| anyhow::anyhow!("{error}"))?;
    println!("Created admin account {} for {}", created.id, created.email);
    Ok(())
}

/// The new admin's password: ADMIN_PASSWORD, else typed at a prompt (twice), else one line of
/// standard input. Never a command-line argument, where it would show in process lists.
fn admin_password() -> anyhow::Result<String> {
    if let Ok(password) = std::env::var("ADMIN_PASSWORD") {
        return Ok(password);
    }
    if std::io::stdin().is_terminal() {
        let first = rpassword::prompt_password("Password for the new admin: ")?;
        let second = rpassword::prompt_password("Again: ")?;
        if first != second {
            bail!("the two passwords differ");
        }
        return Ok(first);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the password from standard input")?;
    Ok(line.trim_end_matches(['\r', '\n']).to_owned())
}
