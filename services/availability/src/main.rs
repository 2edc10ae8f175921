//! The availability service as a process of its own.

#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let (config, shutdown) = mittler_platform::boot()?;
    mittler_availability::run(config, shutdown).await
}
