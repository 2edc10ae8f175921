//! Requests every service answers, for operators and tests.

use crate::rpc::Rpc;
use crate::subjects::Service;
use serde::{Deserialize, Serialize};

/// `<service>.rpc.ping`: which instance of a service answers, and since when.
#[derive(Debug)]
pub struct Ping<const S: u8>;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PingRequest {
    /// Echoed back, so a caller can match answers to questions.
    pub nonce: u64,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pong {
    pub nonce: u64,
    pub service: Service,
    /// The answering process instance (random per start).
    pub instance: String,
}

/// Ping of the booking service.
pub type PingBooking = Ping<0>;
/// Ping of the availability service.
pub type PingAvailability = Ping<1>;
/// Ping of the sessions service.
pub type PingSession = Ping<2>;
/// Ping of the notifications service.
pub type PingNotification = Ping<3>;
/// Ping of the gateway (owner of the directory).
pub type PingDirectory = Ping<4>;

impl<const S: u8> Rpc for Ping<S> {
    const SERVICE: Service = Service::ALL[S as usize];
    const NAME: &'static str = "ping";
    type Request = PingRequest;
    type Response = Pong;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rpc::RpcReply;

    #[test]
    fn ping_subjects_and_json_are_pinned() {
        assert_eq!(PingBooking::subject(), "booking.rpc.ping");
        assert_eq!(PingSession::subject(), "session.rpc.ping");
        assert_eq!(PingDirectory::subject(), "directory.rpc.ping");
        let reply = RpcReply::Ok(Pong {
            nonce: 7,
            service: Service::Booking,
            instance: "a1".into(),
        });
        assert_eq!(
            serde_json::to_string(&reply).expect("serialises"),
            r#"{"outcome":"ok","body":{"nonce":7,"service":"booking","instance":"a1"}}"#
        );
        let fault: RpcReply<Pong> = RpcReply::Error(crate::RpcFault {
            code: crate::FaultCode::Conflict,
            message: "slot taken".into(),
            field: None,
            text: None,
        });
        assert_eq!(
            serde_json::to_string(&fault).expect("serialises"),
            r#"{"outcome":"error","body":{"code":"conflict","message":"slot taken"}}"#
        );
        assert_eq!(
            serde_json::to_string(&PingRequest { nonce: 1 }).expect("ok"),
            r#"{"nonce":1}"#
        );
    }
}
