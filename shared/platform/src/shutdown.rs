//! One shutdown path: SIGINT or SIGTERM cancel one token that every task holds.

use std::future::Future;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// Cancel `token` on Ctrl-C or SIGTERM.
pub fn cancel_on_signal(token: CancellationToken) {
    tokio::spawn(async move {
        wait_for_signal().await;
        tracing::info!("shutdown requested");
        token.cancel();
    });
}

async fn wait_for_signal() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        match signal(SignalKind::terminate()) {
            Ok(mut term) => {
                tokio::select! {
                    _ = tokio::signal::ctrl_c() => {}
                    _ = term.recv() => {}
                }
            }
            Err(_) => {
                let _ = tokio::signal::ctrl_c().await;
            }
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}

/// Wait for `work`, but no longer than `bound` once `token` is cancelled.
pub async fn bounded<F: Future>(
    work: F,
    token: &CancellationToken,
    bound: Duration,
) -> Option<F::Output> {
    tokio::pin!(work);
    tokio::select! {
        out = &mut work => Some(out),
        _ = token.cancelled() => {
            tokio::time::timeout(bound, work).await.ok()
        }
    }
}
