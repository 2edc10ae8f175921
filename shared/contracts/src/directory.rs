//! `directory.rpc.*`: what other services may ask the gateway's directory; and the
//! directory's events (`directory.user.*`).

use crate::Rpc;
use crate::envelope::Event;
use crate::subjects::Service;
use chrono::{DateTime, Utc};
use mittler_types::{MediatorId, OrganisationId, Role, TimeZone, UserId};
use serde::{Deserialize, Serialize};

/// `directory.rpc.contacts`: whom to tell, and how to address them.
#[derive(Debug)]
pub struct Contacts;

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactsRequest {
    /// The organisation the message is about: its name and zone come back.
    pub organisation_id: Option<OrganisationId>,
    pub users: Vec<UserId>,
    /// Mediators, by their profile id (the user account that belongs to it).
    pub mediators: Vec<MediatorId>,
    /// Also the coordinators of the pool that serves `organisation_id`.
    pub coordinators: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrganisationContact {
    pub id: OrganisationId,
    pub name: String,
    pub time_zone: TimeZone,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub user_id: UserId,
    pub mediator_id: Option<MediatorId>,
    pub organisation_id: OrganisationId,
    pub email: String,
    pub name: String,
    pub role: Role,
    /// `de` or `en`.
    pub locale: String,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContactsResponse {
    pub organisation: Option<OrganisationContact>,
    /// Active accounts only.
    pub people: Vec<Contact>,
}

impl Rpc for Contacts {
    const SERVICE: Service = Service::Directory;
    const NAME: &'static str = "contacts";
    type Request = ContactsRequest;
    type Response = ContactsResponse;
}

/// What a set-password link is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LinkPurpose {
    /// A new account's first password.
    Invitation,
    /// A forgotten password.
    Reset,
}

impl LinkPurpose {
    pub const fn as_str(self) -> &'static str {
        match self {
            LinkPurpose::Invitation => "invitation",
            LinkPurpose::Reset => "reset",
        }
    }
}

/// `directory.user.link_issued`: a single-use set-password link was made for an
/// account; notifications mails it. The secret travels only here and in that mail
/// (the directory keeps its hash), and stops working at `expires_at` or first use.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountLinkIssued {
    pub user_id: UserId,
    pub organisation_id: OrganisationId,
    pub email: String,
    pub name: String,
    /// `de` or `en`.
    pub locale: String,
    pub purpose: LinkPurpose,
    /// The secret of the link (`/password/{token}` on the web UI).
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

impl Event for AccountLinkIssued {
    const TYPE: &'static str = "directory.user.link_issued";
    const VERSION: u16 = 1;

    fn organisation_id(&self) -> Option<OrganisationId> {
        Some(self.organisation_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contacts_request_is_pinned() {
        assert_eq!(Contacts::subject(), "directory.rpc.contacts");
        assert_eq!(
            serde_json::to_string(&ContactsRequest::default()).expect("json"),
            r#"{"organisation_id":null,"users":[],"mediators":[],"coordinators":false}"#
        );
    }
}
