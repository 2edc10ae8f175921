//! Account mails: the set-password links of invitations and resets, from the
//! directory's events. Their bodies hold a sign-in secret, so the mailer keeps only
//! the subject once they are delivered.

use super::Notifier;
use crate::compose::{Facts, Kind};
use crate::store::{self, NewMessage};
use mittler_contracts::directory::{AccountLinkIssued, ContactsRequest, LinkPurpose};
use mittler_platform::consumer::{EventHandler, HandleError, IncomingEvent};
use sqlx::PgConnection;

mittler_contracts::consumer_events! {
    /// What notifications act on from the directory.
    pub enum Accounts {
        LinkIssued(AccountLinkIssued),
    }
}

/// The consumer of the directory stream.
#[derive(Clone, Debug)]
pub struct AccountsHandler(pub Notifier);

impl EventHandler for AccountsHandler {
    type Events = Accounts;

    async fn handle_event(
        &self,
        tx: &mut PgConnection,
        event: &IncomingEvent,
        input: Accounts,
    ) -> Result<(), HandleError> {
        match input {
            Accounts::LinkIssued(e) => {
                self.0
                    .link_issued(tx, &event.envelope.id.to_string(), e.data)
                    .await
            }
        }
    }
}

impl Notifier {
    async fn link_issued(
        &self,
        tx: &mut PgConnection,
        cause: &str,
        issued: AccountLinkIssued,
    ) -> Result<(), HandleError> {
        let kind = match issued.purpose {
            LinkPurpose::Invitation => Kind::AccountInvitation,
            LinkPurpose::Reset => Kind::PasswordReset,
        };
        let facts = Facts {
            name: issued.name,
            link: Some(self.link(&format!("/password/{}", issued.token))),
            expires: Some(issued.expires_at),
            ..Facts::default()
        };
        // The deadline in the organisation's zone.
        let zone = self
            .contacts(ContactsRequest {
                organisation_id: Some(issued.organisation_id),
                ..ContactsRequest::default()
            })
            .await?
            .organisation
            .map_or(chrono_tz::Europe::Berlin, |o| o.time_zone.tz());
        let composed = self
            .templates
            .compose_account(kind, &issued.locale, zone, &facts)
            .map_err(HandleError::reject)?;
        let message = NewMessage {
            dedupe_key: format!("{cause}/{}", kind.as_str()),
            organisation_id: Some(issued.organisation_id),
            booking_id: None,
            user_id: Some(issued.user_id),
            recipient: issued.email,
            kind: kind.as_str(),
            locale: composed.locale,
            subject: composed.subject,
            text: composed.text,
            html: composed.html,
            ics: None,
        };
        store::queue_message(&mut *tx, &message)
            .await
            .map(drop)
            .map_err(HandleError::retry)
    }
}
