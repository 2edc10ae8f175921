//! The Janus provider: one VideoRoom per appointment, created and destroyed through
//! Janus's HTTP API. The room has a secret (only this service may change or destroy
//! it) and an `allowed` list with one token per participant, so only the holders of
//! Mittler's links can join; the VideoRoom plugin's `admin_key` keeps anyone else
//! from creating rooms.

use anyhow::{Context as _, bail};
use serde_json::{Value, json};
use std::time::Duration;

#[derive(Clone, Debug)]
pub struct Janus {
    http: reqwest::Client,
    url: String,
    admin_key: Option<String>,
}

fn transaction() -> String {
    uuid::Uuid::new_v4().simple().to_string()
}

impl Janus {
    pub fn new(url: &str, admin_key: Option<String>) -> anyhow::Result<Self> {
        Ok(Self {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .build()?,
            url: url.trim_end_matches('/').to_owned(),
            admin_key,
        })
    }

    async fn post(&self, path: &str, body: Value) -> anyhow::Result<Value> {
        let answer: Value = self
            .http
            .post(format!("{}{path}", self.url))
            .json(&body)
            .send()
            .await
            .context("Janus did not answer")?
            .error_for_status()?
            .json()
            .await?;
        if answer["janus"] == "error" {
            bail!("Janus: {}", answer["error"]["reason"]);
        }
        Ok(answer)
    }

    /// Send one request to the VideoRoom plugin in a short-lived Janus session.
    async fn videoroom(&self, mut body: Value) -> anyhow::Result<Value> {
        if let Some(key) = &self.admin_key {
            body["admin_key"] = json!(key);
        }
        let session = self
            .post("", json!({"janus": "create", "transaction": transaction()}))
            .await?["data"]["id"]
            .as_u64()
            .context("no Janus session id")?;
        let result = async {
            let handle = self
                .post(
                    &format!("/{session}"),
                    json!({"janus": "attach", "plugin": "janus.plugin.videoroom", "transaction": transaction()}),
                )
                .await?["data"]["id"]
                .as_u64()
                .context("no Janus handle id")?;
            let answer = self
                .post(
                    &format!("/{session}/{handle}"),
                    json!({"janus": "message", "body": body, "transaction": transaction()}),
                )
                .await?;
            let data = answer["plugindata"]["data"].clone();
            if data["videoroom"] == "event" && !data["error"].is_null() {
                bail!(
                    "Janus VideoRoom {}: {}",
                    data["error_code"],
                    data["error"].as_str().unwrap_or_default()
                );
            }
            Ok(data)
        }
        .await;
        let _ = self
            .post(
                &format!("/{session}"),
                json!({"janus": "destroy", "transaction": transaction()}),
            )
            .await;
        result
    }

    /// Create room `room` for `allowed` tokens (creating it again is fine).
    pub async fn create_room(
        &self,
        room: u64,
        secret: &str,
        allowed: &[String],
        publishers: usize,
    ) -> anyhow::Result<()> {
        let created = self
            .videoroom(json!({
                "request": "create",
                "room": room,
                "secret": secret,
                "is_private": true,
                "allowed": allowed,
                "publishers": publishers,
                "permanent": false,
                "description": "Mittler",
            }))
            .await;
        match created {
            Ok(_) => Ok(()),
            // 427: the room exists (a redelivered event created it before).
            Err(error) if error.to_string().contains("427") => Ok(()),
            Err(error) => Err(error),
        }
    }

    /// Destroy room `room` (gone already is fine).
    pub async fn destroy_room(&self, room: u64, secret: &str) -> anyhow::Result<()> {
        match self
            .videoroom(json!({"request": "destroy", "room": room, "secret": secret}))
            .await
        {
            Ok(_) => Ok(()),
            // 426: no such room.
            Err(error) if error.to_string().contains("426") => Ok(()),
            Err(error) => Err(error),
        }
    }
}
