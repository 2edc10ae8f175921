//! What every handler and page may reach: the platform (database pool, NATS,
//! settings), and the one way to ask another service.

use crate::oidc::Oidc;
use crate::settings::{AuthConfig, DispatchView, OidcConfig};
use mittler_contracts::Rpc;
use mittler_contracts::booking::DispatchDefaults;
use mittler_platform::Platform;
use mittler_platform::rpc::{self, RpcError};
use sqlx::PgPool;
use std::sync::Arc;

/// The gateway's shared state.
#[derive(Clone, Debug)]
pub struct AppState {
    pub platform: Platform,
    /// The `[auth]` settings.
    pub auth: Arc<AuthConfig>,
    /// The dispatch policy of the `[dispatch]` settings.
    pub dispatch: DispatchDefaults,
    /// Single sign-on, when `[oidc]` names an issuer.
    pub oidc: Option<Arc<Oidc>>,
    /// The threads that check and hash passwords (`auth.max_concurrent_password_checks`).
    pub password_workers: crate::auth::PasswordWorkers,
    /// `auth.trusted_proxies`, read.
    pub trusted_proxies: Arc<Vec<ipnet::IpNet>>,
}

impl AppState {
    /// The state of `platform`, with the gateway's settings read (and checked).
    pub fn new(platform: Platform) -> anyhow::Result<Self> {
        let auth = platform.settings::<AuthConfig>()?;
        let trusted_proxies = auth
            .trusted_proxies
            .iter()
            .map(|text| {
                text.parse::<ipnet::IpNet>()
                    .or_else(|_| text.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| {
                        anyhow::anyhow!("auth.trusted_proxies: {text:?} is no address or network")
                    })
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        Ok(Self {
            password_workers: crate::auth::PasswordWorkers::start(
                auth.max_concurrent_password_checks,
            )?,
            trusted_proxies: Arc::new(trusted_proxies),
            auth: Arc::new(auth),
            dispatch: platform.settings::<DispatchView>()?.0,
            oidc: Oidc::new(platform.settings::<OidcConfig>()?)?.map(Arc::new),
            platform,
        })
    }

    /// The `directory` schema's pool.
    pub fn pool(&self) -> &PgPool {
        &self.platform.pool
    }

    /// Ask another service, within the configured request timeout.
    pub async fn call<R: Rpc>(&self, request: &R::Request) -> Result<R::Response, RpcError> {
        rpc::call::<R>(
            &self.platform.nats.client,
            request,
            self.platform.request_timeout(),
        )
        .await
    }
}
