//! `mittler`: every service in one process, and the operator commands.

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let (config, shutdown) = mittler_platform::boot()?;
    match cli.command.unwrap_or(Command::Serve) {
        Command::Serve => mittler::run(config, shutdown).await,
        Command::Migrate => mittler::migrate(&config).await,
        Command::SeedDemo => mittler::seed_demo(&config).await,
    }
}
