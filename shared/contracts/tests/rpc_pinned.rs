//! Every request/reply: its subject, and the JSON of its request (and of the
//! smaller answers) as it travels between services. Each JSON below is read into
//! the contract type and written back unchanged, so a renamed or removed field, or
//! a changed representation, fails here before it fails between two replicas of
//! different versions. (The events are pinned in `events_pinned.rs`.)

use mittler_contracts::Rpc;
use mittler_contracts::availability::{
    Candidates, GetCalendar, GetProfile, ListProfiles, ListProfilesRequest, MediatorRef, Needs,
    Presence, PutCalendar, PutProfile, Release, ReleaseRequest, Released, Reservation, Reserve,
    ReserveRequest, SetPresence, SetPresenceRequest,
};
use mittler_contracts::booking::{
    AcceptOffer, AssignBooking, AssignBookingRequest, CancelBooking, CreateBooking, DeclineOffer,
    DispatchExplanation, GetBooking, GetBookingRequest, GiveBack, GiveBackRequest, ListBookings,
    MyJobs, MyJobsRequest, MyOffers, MyOffersRequest, OfferAnswer, Queue, QueueRequest, Report,
    ReportRequest, RescheduleBooking, Statistics, StatisticsRequest,
};
use mittler_contracts::directory::Contacts;
use mittler_contracts::notification::{
    DeliveriesRequest, Feed, FeedRequest, GetFeed, ListDeliveries, MarkRead, MarkReadRequest,
};
use mittler_contracts::session::{
    Alive, Check, GetLinks, Join, JoinRequest, Leave, LeaveRequest, LinksRequest,
};
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

/// `json` reads as `T` and writes back as the same JSON.
fn round_trip<T: Serialize + DeserializeOwned>(name: &str, json: Value) {
    let value: T =
        serde_json::from_value(json.clone()).unwrap_or_else(|e| panic!("{name}: {e} in {json}"));
    assert_eq!(
        serde_json::to_value(&value).expect("serialises"),
        json,
        "{name}"
    );
}

#[test]
fn every_request_has_its_subject() {
    let subjects = [
        Candidates::subject(),
        Reserve::subject(),
        Release::subject(),
        GetCalendar::subject(),
        PutCalendar::subject(),
        SetPresence::subject(),
        GetProfile::subject(),
        PutProfile::subject(),
        ListProfiles::subject(),
        CreateBooking::subject(),
        ListBookings::subject(),
        GetBooking::subject(),
        CancelBooking::subject(),
        RescheduleBooking::subject(),
        AssignBooking::subject(),
        GiveBack::subject(),
        MyOffers::subject(),
        AcceptOffer::subject(),
        DeclineOffer::subject(),
        DispatchExplanation::subject(),
        Queue::subject(),
        MyJobs::subject(),
        Statistics::subject(),
        Report::subject(),
        Contacts::subject(),
        GetFeed::subject(),
        MarkRead::subject(),
        ListDeliveries::subject(),
        GetLinks::subject(),
        Join::subject(),
        Check::subject(),
        Leave::subject(),
        Alive::subject(),
    ];
    assert_eq!(
        subjects,
        [
            "availability.rpc.candidates",
            "availability.rpc.reserve",
            "availability.rpc.release",
            "availability.rpc.get_calendar",
            "availability.rpc.put_calendar",
            "availability.rpc.set_presence",
            "availability.rpc.get_profile",
            "availability.rpc.put_profile",
            "availability.rpc.list_profiles",
            "booking.rpc.create",
            "booking.rpc.list",
            "booking.rpc.get",
            "booking.rpc.cancel",
            "booking.rpc.reschedule",
            "booking.rpc.assign",
            "booking.rpc.give_back",
            "booking.rpc.my_offers",
            "booking.rpc.accept_offer",
            "booking.rpc.decline_offer",
            "booking.rpc.dispatch",
            "booking.rpc.queue",
            "booking.rpc.my_jobs",
            "booking.rpc.statistics",
            "booking.rpc.report",
            "directory.rpc.contacts",
            "notification.rpc.feed",
            "notification.rpc.mark_read",
            "notification.rpc.deliveries",
            "session.rpc.links",
            "session.rpc.join",
            "session.rpc.check",
            "session.rpc.leave",
            "session.rpc.alive",
        ]
    );
}

const M: &str = "00000000-0000-0000-0000-000000000004";
const B: &str = "00000000-0000-0000-0000-000000000001";
const O: &str = "00000000-0000-0000-0000-000000000002";
const U: &str = "00000000-0000-0000-0000-000000000003";
const R: &str = "00000000-0000-0000-0000-000000000006";

#[test]
fn availability_requests_and_answers() {
    round_trip::<MediatorRef>("MediatorRef", json!({"mediator_id": M}));
    round_trip::<ReserveRequest>(
        "ReserveRequest",
        json!({"reservation_id": R, "mediator_id": M, "booking_id": B,
               "start": "2027-03-28T07:00:00Z", "end": "2027-03-28T08:00:00Z",
               "modality": "on_site", "location": {"lat": 50.83, "lon": 12.92}, "pool_id": O}),
    );
    round_trip::<Reservation>(
        "Reservation",
        json!({"id": R, "mediator_id": M, "booking_id": B,
               "start": "2027-03-28T07:00:00Z", "end": "2027-03-28T08:00:00Z"}),
    );
    round_trip::<ReleaseRequest>("ReleaseRequest", json!({"reservation_id": R}));
    round_trip::<Released>("Released", json!({"released_now": true}));
    round_trip::<SetPresenceRequest>(
        "SetPresenceRequest",
        json!({"mediator_id": M, "online": true}),
    );
    round_trip::<Presence>(
        "Presence",
        json!({"online": true, "expires_at": "2026-12-31T22:51:30Z"}),
    );
    round_trip::<ListProfilesRequest>("ListProfilesRequest", json!({"pool_id": O}));
    round_trip::<ListProfilesRequest>("ListProfilesRequest", json!({"pool_id": null}));
    round_trip::<Needs>(
        "Needs",
        json!({"language": "apc", "min_qualification": "trained", "modality": "video",
               "start": "2026-10-25T08:00:00Z", "end": "2026-10-25T09:30:00Z",
               "location": null, "mediator_gender": "female", "online_now": false,
               "booking_id": B, "pool_id": O}),
    );
}

#[test]
fn booking_requests() {
    let scope = json!({"organisation_ids": [O]});
    round_trip::<GetBookingRequest>("GetBookingRequest", json!({"id": B, "scope": scope}));
    round_trip::<AssignBookingRequest>(
        "AssignBookingRequest",
        json!({"id": B, "scope": scope, "mediator_id": M, "by": U}),
    );
    round_trip::<GiveBackRequest>(
        "GiveBackRequest",
        json!({"id": B, "mediator_id": M, "reason": "krank"}),
    );
    round_trip::<GiveBackRequest>(
        "GiveBackRequest",
        json!({"id": B, "mediator_id": M, "reason": "Wunsch der Klientin", "by": "00000000-0000-0000-0000-000000000009"}),
    );
    round_trip::<MyOffersRequest>("MyOffersRequest", json!({"mediator_id": M}));
    round_trip::<OfferAnswer>(
        "OfferAnswer",
        json!({"offer_id": "00000000-0000-0000-0000-000000000005", "mediator_id": M}),
    );
    round_trip::<QueueRequest>(
        "QueueRequest",
        json!({"scope": {"organisation_ids": null}, "limit": 500}),
    );
    round_trip::<MyJobsRequest>(
        "MyJobsRequest",
        json!({"mediator_id": M, "since": "2026-12-24T23:00:00Z"}),
    );
    round_trip::<StatisticsRequest>(
        "StatisticsRequest",
        json!({"scope": scope, "from": "2026-02-28T23:00:00Z", "to": "2026-03-31T22:00:00Z",
               "time_zone": "Europe/Berlin"}),
    );
    round_trip::<ReportRequest>(
        "ReportRequest",
        json!({"scope": scope, "from": "2026-02-28T23:00:00Z", "to": "2026-03-31T22:00:00Z",
               "time_zone": "Europe/Berlin", "by": "region",
               "organisation_keys": [{"organisation_id": "00000000-0000-0000-0000-000000000009", "key": "Landkreis Görlitz"}]}),
    );
}

#[test]
fn notification_and_session_requests_and_answers() {
    round_trip::<FeedRequest>(
        "FeedRequest",
        json!({"user_id": U, "unread_only": true, "limit": 50}),
    );
    round_trip::<Feed>(
        "Feed",
        json!({"items": [{"id": "00000000-0000-0000-0000-000000000009", "booking_id": B,
                          "kind": "offer", "title": "Anfrage", "body": "Bitte antworten.",
                          "link": "/offers/5", "created_at": "2026-12-31T22:50:00Z",
                          "read_at": null}],
               "unread": 1}),
    );
    round_trip::<MarkReadRequest>("MarkReadRequest", json!({"user_id": U, "id": null}));
    round_trip::<DeliveriesRequest>(
        "DeliveriesRequest",
        json!({"organisation_ids": [O], "state": "dead", "limit": 100}),
    );
    round_trip::<LinksRequest>(
        "LinksRequest",
        json!({"booking_id": B, "scope": {"organisation_ids": [O]},
               "only": ["requester", "client"], "mediator_id": null}),
    );
    round_trip::<JoinRequest>("JoinRequest", json!({"token": "abc.def"}));
    round_trip::<LeaveRequest>(
        "LeaveRequest",
        json!({"peer_id": "00000000-0000-0000-0000-000000000008"}),
    );
}
