//! Typed request/reply: answers, faults, malformed requests, no responders, timeouts.

use mittler_contracts::FaultCode;
use mittler_contracts::system::{PingBooking, PingRequest, PingSession};
use mittler_contracts::{Rpc, RpcFault};
use mittler_platform::rpc::{self, RpcError};
use mittler_platform::{Platform, Tasks};
use mittler_testkit::TestEnv;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[tokio::test]
async fn ping_is_answered_by_one_instance_of_the_queue_group() {
    let env = TestEnv::start().await;
    let a = Platform::connect(env.config(), "booking")
        .await
        .expect("platform a");
    let b = Platform::connect(env.config(), "booking")
        .await
        .expect("platform b");
    let shutdown = CancellationToken::new();
    let mut tasks = Tasks::new();
    a.serve_ping::<PingBooking>(&mut tasks, &shutdown);
    b.serve_ping::<PingBooking>(&mut tasks, &shutdown);
    let caller = env.nats.client().await;
    let mut answered_by = std::collections::HashSet::new();
    for nonce in 0..40 {
        let pong = loop {
            // The subscriptions may still be on their way to the server.
            match rpc::call::<PingBooking>(&caller, &PingRequest { nonce }, Duration::from_secs(2))
                .await
            {
                Ok(pong) => break pong,
                Err(RpcError::NoResponders { .. }) => {
                    tokio::time::sleep(Duration::from_millis(20)).await
                }
                Err(other) => panic!("unexpected {other}"),
            }
        };
        assert_eq!(pong.nonce, nonce);
        answered_by.insert(pong.instance);
    }
    assert!(
        answered_by
            .iter()
            .all(|i| i == &a.instance || i == &b.instance)
    );
    shutdown.cancel();
    tasks
        .join(shutdown, Duration::from_secs(5))
        .await
        .expect("clean stop");
}

#[tokio::test]
async fn faults_malformed_requests_missing_services_and_timeouts_are_typed() {
    let env = TestEnv::start().await;
    let client = env.nats.client().await;

    let missing =
        rpc::call::<PingSession>(&client, &PingRequest { nonce: 1 }, Duration::from_secs(2)).await;
    assert!(
        matches!(missing, Err(RpcError::NoResponders { .. })),
        "{missing:?}"
    );

    // A server that refuses every request with a fault.
    let shutdown = CancellationToken::new();
    let server = tokio::spawn(rpc::serve::<PingBooking, _, _, _>(
        client.clone(),
        2,
        |_request: PingRequest| async {
            Err(RpcFault::new(
                FaultCode::Conflict,
                mittler_contracts::text!("appointment.changed"),
            ))
        },
        shutdown.clone(),
    ));
    let refused = loop {
        match rpc::call::<PingBooking>(&client, &PingRequest { nonce: 2 }, Duration::from_secs(2))
            .await
        {
            Err(RpcError::NoResponders { .. }) => {
                tokio::time::sleep(Duration::from_millis(20)).await
            }
            other => break other,
        }
    };
    assert!(
        matches!(&refused, Err(RpcError::Fault(f)) if f.code == mittler_contracts::FaultCode::Conflict),
        "{refused:?}"
    );

    // A request that does not fit the type gets an `invalid` fault back.
    let answer = client
        .request(PingBooking::subject(), "[1,2".into())
        .await
        .expect("answered");
    let reply: serde_json::Value = serde_json::from_slice(&answer.payload).expect("json");
    assert_eq!(reply["outcome"], "error");
    assert_eq!(reply["body"]["code"], "invalid");

    // A subscriber that never answers: the caller's timeout applies.
    let _silent = client
        .subscribe(PingSession::subject())
        .await
        .expect("subscribe");
    client.flush().await.expect("flush");
    let slow = rpc::call::<PingSession>(
        &client,
        &PingRequest { nonce: 3 },
        Duration::from_millis(200),
    )
    .await;
    assert!(matches!(slow, Err(RpcError::Timeout { .. })), "{slow:?}");

    shutdown.cancel();
    server.await.expect("join").expect("clean stop");
}
