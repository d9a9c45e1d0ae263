//! No AWS call may hang a run: the SDK clients' timeouts and the hand-signed EC2 call's,
//! against a loopback server that accepts and never answers. No moto needed.

mod common;

use std::net::TcpListener;
use std::time::{Duration, Instant};

use spotcover_reconciler::ApiError;
use spotcover_reconciler::adapters::sdk::{
    ATTEMPT_TIMEOUT, CONNECT_TIMEOUT, OPERATION_TIMEOUT, READ_TIMEOUT, timeout_config,
};
use spotcover_reconciler::adapters::{AutoScaling, Ec2, Ecs};
use spotcover_reconciler_core::contract::settings::{
    ANSWER_RESERVE_MS, FUNCTION_TIMEOUT_SECS, call_budget_ms,
};

/// A server that accepts connections, reads nothing and never answers.
fn silent_endpoint() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    std::thread::spawn(move || {
        let mut held = Vec::new();
        for s in listener.incoming() {
            held.push(s);
        }
    });
    url
}

/// AWS SDK for Rust developer guide, "Timeouts": connect, read, operation attempt and
/// operation timeouts; none is set by default but the connect timeout.
#[test]
fn every_timeout_is_set_and_an_operation_fits_in_the_function_timeout() {
    let t = timeout_config();
    assert_eq!(t.connect_timeout(), Some(CONNECT_TIMEOUT));
    assert_eq!(t.read_timeout(), Some(READ_TIMEOUT));
    assert_eq!(t.operation_attempt_timeout(), Some(ATTEMPT_TIMEOUT));
    assert_eq!(t.operation_timeout(), Some(OPERATION_TIMEOUT));
    let budget = Duration::from_millis(call_budget_ms(u64::from(FUNCTION_TIMEOUT_SECS) * 1000));
    assert!(
        OPERATION_TIMEOUT < budget,
        "one hung operation leaves time for others"
    );
    assert!(ATTEMPT_TIMEOUT <= OPERATION_TIMEOUT && READ_TIMEOUT <= ATTEMPT_TIMEOUT);
    const { assert!(ANSWER_RESERVE_MS >= 1000, "time to log and answer") };
}

fn transport(r: &Result<impl std::fmt::Debug, ApiError>) -> bool {
    matches!(r, Err(ApiError::Transport { .. }))
}

#[tokio::test]
async fn sdk_calls_to_a_server_that_never_answers_time_out() {
    let dead = silent_endpoint();
    let api = common::api(&dead, &dead).await;
    let limit = ATTEMPT_TIMEOUT + Duration::from_secs(1);
    let started = Instant::now();
    let r = api.describe_group("g").await;
    assert!(transport(&r), "{r:?}");
    assert!(started.elapsed() < limit, "{:?}", started.elapsed());
    let started = Instant::now();
    let r = api.list_container_instances("c", None).await;
    assert!(transport(&r), "{r:?}");
    assert!(started.elapsed() < limit, "{:?}", started.elapsed());
}

#[tokio::test]
async fn the_hand_signed_ec2_call_to_a_server_that_never_answers_times_out() {
    let dead = silent_endpoint();
    let api = common::api(&dead, &dead).await;
    let started = Instant::now();
    let r = api.terminate_instance("i-0123456789abcdef0").await;
    assert!(transport(&r), "{r:?}");
    assert!(
        started.elapsed() < ATTEMPT_TIMEOUT + Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
}
