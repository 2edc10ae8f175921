//! `mittler`: every service in one process, and the operator commands.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

use clap::{Parser, Subcommand};

#[derive(Parser, Debug)]
#[command(
    name = "mittler",
    about = "Scheduling of interpreters and language mediators"
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Run every service in this process (the default).
    Serve,
    /// Apply database migrations and exit.
    Migrate,
    /// Add the demo organisations, staff and mediators (what exists is kept).
    SeedDemo,
    /// Make an admin account for a first production start; the password is read
    /// from standard input (one line).
    CreateAdmin {
        #[arg(long)]
        email: String,
        #[arg(long)]
        name: String,
        /// The pool the admin belongs to; made if there is none of that name.
        #[arg(long, default_value = "Administration")]
        pool: String,
    },
    /// Solve a matching benchmark instance (shared/workload/FORMAT.md) offline.
    Match {
        #[arg(long)]
        instance: std::path::PathBuf,
        #[arg(long)]
        out: std::path::PathBuf,
        /// Time budget of the improvement pass, in milliseconds.
        #[arg(long, default_value_t = 800)]
        budget_ms: u64,
    },
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    if let Some(Command::Match {
        instance,
        out,
        budget_ms,
    }) = &cli.command
    {
        return mittler::matcher::run(instance, out, std::time::Duration::from_millis(*budget_ms));
    }
    let (config, shutdown) = mittler_platform::boot()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Match { .. } => Ok(()),
        Command::Serve => mittler::run(config, shutdown).await,
        Command::Migrate => mittler::migrate(&config).await,
        Command::SeedDemo => mittler::seed_demo(&config).await,
        Command::CreateAdmin { email, name, pool } => {
            let mut password = String::new();
            std::io::stdin().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            mittler::create_admin(&config, &email, &name, &pool, password).await
        }
    }
}
