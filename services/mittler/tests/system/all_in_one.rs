//! The whole system in one process: it serves HTTP, every service answers on NATS,
//! and it stops cleanly.

use mittler_contracts::system::{
    PingAvailability, PingBooking, PingDirectory, PingNotification, PingRequest, PingSession,
};
use mittler_contracts::{Rpc, Service};
use mittler_platform::rpc::{self, RpcError};
use mittler_testkit::{TestApp, TestEnv};
use std::time::Duration;

async fn ping<R: Rpc<Request = PingRequest, Response = mittler_contracts::system::Pong>>(
    client: &async_nats::Client,
) -> Service {
    for _ in 0..200 {
        match rpc::call::<R>(client, &PingRequest { nonce: 42 }, Duration::from_secs(2)).await {
            Ok(pong) => {
                assert_eq!(pong.nonce, 42);
                assert!(pong.instance.starts_with("mittler-"));
                return pong.service;
            }
            Err(RpcError::NoResponders { .. }) => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            Err(other) => panic!("{other}"),
        }
    }
    panic!("{} never answered", R::subject());
}

#[tokio::test]
async fn every_service_runs_in_one_process_and_stops_cleanly() {
    let env = TestEnv::start().await;
    let app = TestApp::spawn(env.config(), mittler::run_on).await;
    let ready = reqwest::get(app.url("/readyz")).await.expect("readyz");
    assert_eq!(ready.status(), 200);

    let client = env.nats.client().await;
    assert_eq!(ping::<PingBooking>(&client).await, Service::Booking);
    assert_eq!(
        ping::<PingAvailability>(&client).await,
        Service::Availability
    );
    assert_eq!(ping::<PingSession>(&client).await, Service::Session);
    assert_eq!(
        ping::<PingNotification>(&client).await,
        Service::Notification
    );
    assert_eq!(ping::<PingDirectory>(&client).await, Service::Directory);

    // The streams of the contract exist with the configured de-duplication window.
    let js = async_nats::jetstream::new(client);
    for spec in mittler_contracts::streams::ALL {
        let mut stream = js.get_stream(spec.name).await.expect("stream declared");
        let info = stream.info().await.expect("info");
        assert_eq!(info.config.duplicate_window, Duration::from_secs(120));
        assert_eq!(info.config.subjects, spec.subjects());
    }
    app.stop().await.expect("stops cleanly on cancel");
}

#[tokio::test]
async fn a_lone_service_serves_its_operator_endpoints_and_answers_its_ping() {
    let env = TestEnv::start().await;
    let app = TestApp::spawn(env.config(), mittler_booking::run_on).await;
    assert_eq!(
        reqwest::get(app.url("/readyz"))
            .await
            .expect("readyz")
            .status(),
        200
    );
    let client = env.nats.client().await;
    assert_eq!(ping_lone(&client).await, Service::Booking);
    app.stop().await.expect("stops cleanly");
}

async fn ping_lone(client: &async_nats::Client) -> Service {
    for _ in 0..200 {
        match rpc::call::<PingBooking>(client, &PingRequest { nonce: 1 }, Duration::from_secs(2))
            .await
        {
            Ok(pong) => return pong.service,
            Err(RpcError::NoResponders { .. }) => {
                tokio::time::sleep(Duration::from_millis(25)).await
            }
            Err(other) => panic!("{other}"),
        }
    }
    panic!("booking never answered");
}
