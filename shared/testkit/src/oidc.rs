//! A real OpenID Connect provider for tests: `oidc-provider-mock` (PyPI; installed by
//! `deploy/local/deps.sh --test`) on a free port. It signs ID tokens with its own
//! key, publishes discovery and keys, and lets a test say which claims a subject
//! has; its sign-in form takes any subject.

use crate::free_port;
use anyhow::{Context as _, bail};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

#[derive(Debug)]
pub struct TestOidc {
    pub port: u16,
    child: Child,
}

impl TestOidc {
    pub async fn start() -> anyhow::Result<Self> {
        let port = free_port();
        let child = Command::new("python3")
            .args([
                "-W",
                "ignore",
                "-m",
                "oidc_provider_mock",
                "--port",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("starting oidc_provider_mock (pip install oidc-provider-mock)")?;
        let provider = Self { port, child };
        let deadline = Instant::now() + Duration::from_secs(20);
        let discovery = format!("{}/.well-known/openid-configuration", provider.issuer());
        loop {
            if let Ok(response) = reqwest::get(&discovery).await
                && response.status().is_success()
            {
                return Ok(provider);
            }
            if Instant::now() > deadline {
                bail!("the OpenID provider did not start");
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The issuer URL (also what its tokens name as `iss`).
    pub fn issuer(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Give `subject` these claims (`email`, `email_verified`, `name`, any other).
    pub async fn set_user(&self, subject: &str, claims: serde_json::Value) -> anyhow::Result<()> {
        let response = reqwest::Client::new()
            .put(format!("{}/users/{subject}", self.issuer()))
            .json(&claims)
            .send()
            .await?;
        if !response.status().is_success() {
            bail!("setting the claims of {subject}: {}", response.status());
        }
        Ok(())
    }
}

impl Drop for TestOidc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
