//! `directory.rpc.*`: what other services may ask the gateway's directory.

use crate::Rpc;
use crate::subjects::Service;
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
