//! The reconciler against moto through a fault-injecting proxy (`common::proxy`):
//! throttling, 5xx, hangs, dropped connections, lost answers and lost writes, per AWS
//! action. Asserts: no warning covered twice or never, no run over its budget, nothing
//! given back on a failed read, an instance left DRAINING without its mark finished.
//! Needs SPOTCOVER_TEST_MOTO and SPOTCOVER_TEST_CLOUDWATCH (see tests/common).

mod common;

use std::time::{Duration, Instant};

use common::proxy::{Mode, Proxy};
use common::*;
use serde_json::json;
use spotcover_reconciler::adapters::budget::Budgeted;
use spotcover_reconciler::adapters::sdk::SdkApi;
use spotcover_reconciler::config::{Config, DrainSettings};
use spotcover_reconciler::report::Step;
use spotcover_reconciler::{Report, handle_event};
use spotcover_reconciler_core::contract::attributes::COVERED as COVERED_ATTRIBUTE;
use spotcover_reconciler_core::contract::attributes::{
    CAPACITY_SPOT, SURPLUS as SURPLUS_ATTRIBUTE,
};
use spotcover_reconciler_core::contract::settings::parse_weights;
use spotcover_reconciler_core::interruption::InterruptionPolicy;
use spotcover_reconciler_core::policy::rule_2017;

/// The run's budget in these tests (the Lambda's is the function's timeout minus 2 s).
const BUDGET: Duration = Duration::from_secs(8);

fn config(group: &str, cluster: &str, fleet: &str) -> Config {
    Config {
        fleet_id: Some(fleet.to_owned()),
        group_name: group.to_owned(),
        policy: rule_2017::Settings::new(2).unwrap(),
        cluster: Some(cluster.to_owned()),
        interruption: InterruptionPolicy {
            spot_weights: parse_weights("m6i.large=2,m6i.xlarge=4")
                .unwrap()
                .into_iter()
                .collect(),
            drain_on_rebalance: false,
        },
        drain: DrainSettings::default(),
        need: None,
    }
}

/// The SDK adapter with Auto Scaling, ECS and EC2 through `proxy`, CloudWatch through
/// `cw` (the shim, or a proxy in front of it).
async fn through(proxy: &Proxy, cw: &str) -> SdkApi {
    common::api(&proxy.url, cw).await
}

/// Runs the handler within [`BUDGET`]; asserts it answered in time.
async fn run(api: &SdkApi, cfg: Config, ev: &serde_json::Value) -> Report {
    let started = Instant::now();
    let r = handle_event(&Budgeted::new(api, BUDGET), Ok(cfg), ev, now(), false).await;
    let took = started.elapsed();
    assert!(
        took < BUDGET + Duration::from_secs(1),
        "a run took {took:?}: {}",
        r.to_line()
    );
    r
}

/// Group at 1 (max 10), a cluster with one spot m6i.xlarge (weight 4: two on-demand
/// instances at weight 2) running a task; a fleet with no metrics (the scheduled run
/// keeps capacity).
async fn warned() -> (String, String, String, String) {
    let group = create_group(1, 0, 10).await;
    let cluster = create_cluster().await;
    let spot = run_instance("m6i.xlarge");
    let arn = join(&cluster, &spot, CAPACITY_SPOT).await;
    start_task(&cluster, &arn).await;
    (group, cluster, spot, arn)
}

#[tokio::test]
async fn a_warning_is_covered_once_whatever_the_faults_against_moto() {
    let cases: &[(&str, Mode, Option<u32>)] = &[
        ("PutAttributes", Mode::LostAnswer, Some(1)),
        ("PutAttributes", Mode::LostWrite, Some(1)),
        ("PutAttributes", Mode::Throttle, Some(2)),
        ("SetDesiredCapacity", Mode::ServerError, None),
        ("SetDesiredCapacity", Mode::LostAnswer, Some(1)),
        ("SetDesiredCapacity", Mode::Drop, None),
        ("UpdateContainerInstancesState", Mode::Throttle, None),
        ("DescribeContainerInstances", Mode::Hang, Some(1)),
        ("DescribeAutoScalingGroups", Mode::Throttle, Some(2)),
        ("ListContainerInstances", Mode::Drop, Some(1)),
    ];
    for &(op, mode, times) in cases {
        let proxy = Proxy::start(&moto());
        let api = through(&proxy, &shim()).await;
        let (group, cluster, spot, arn) = warned().await;
        let fleet = unique_fleet();
        proxy.set(op, mode, times);
        for _ in 0..3 {
            run(
                &api,
                config(&group, &cluster, &fleet),
                &warning_event(&spot),
            )
            .await;
        }
        proxy.clear();
        let r = run(&api, config(&group, &cluster, &fleet), &json!({})).await;
        let case = format!("{op} {mode:?} {times:?}: {}", r.to_line());
        assert_eq!(desired_of(&group).await, 3, "covered exactly once: {case}");
        let (status, attrs) = container_instance(&cluster, &arn).await;
        assert_eq!(status, "DRAINING", "{case}");
        let mark = attrs.get(COVERED_ATTRIBUTE).cloned().unwrap_or_default();
        assert!(
            !mark.is_empty() && !mark.starts_with("claim-"),
            "covered, final mark: {mark:?} {case}"
        );
        // Delivered again later: nothing more.
        run(
            &api,
            config(&group, &cluster, &fleet),
            &warning_event(&spot),
        )
        .await;
        assert_eq!(desired_of(&group).await, 3, "{case}");
    }
}

#[tokio::test]
async fn a_hung_call_leaves_the_run_within_its_budget_against_moto() {
    for op in [
        "ListContainerInstances",
        "SetDesiredCapacity",
        "GetMetricData",
    ] {
        let proxy = Proxy::start(&moto());
        let cw = Proxy::start(&shim());
        let api = through(&proxy, &cw.url).await;
        let (group, cluster, spot, _) = warned().await;
        let fleet = unique_fleet();
        proxy.set(op, Mode::Hang, None);
        cw.set(op, Mode::Hang, None);
        let ev = if op == "GetMetricData" {
            json!({})
        } else {
            warning_event(&spot)
        };
        let r = run(&api, config(&group, &cluster, &fleet), &ev).await;
        assert_eq!(
            r.error.as_ref().map(|e| e.kind),
            Some("transport"),
            "{op}: {}",
            r.to_line()
        );
    }
}

#[tokio::test]
async fn the_surplus_drain_survives_faults_against_moto() {
    // Two spot m6i.large (2 units each), target 2, fulfilled 4: one is surplus.
    let proxy = Proxy::start(&moto());
    let cw = Proxy::start(&shim());
    let api = through(&proxy, &cw.url).await;
    let group = create_group(0, 0, 10).await;
    let cluster = create_cluster().await;
    let (i1, i2) = (run_instance("m6i.large"), run_instance("m6i.large"));
    let one = join(&cluster, &i1, CAPACITY_SPOT).await;
    let busy = join(&cluster, &i2, CAPACITY_SPOT).await;
    let task = start_task(&cluster, &one).await;
    start_task(&cluster, &busy).await;
    start_task(&cluster, &busy).await;
    let fleet = unique_fleet();
    put_steady_fleet(&fleet, 2.0, 4.0).await;
    let cfg = || config(&group, &cluster, &fleet);

    // The surplus mark's write is lost: the instance is drained without it.
    proxy.set("PutAttributes", Mode::LostWrite, Some(1));
    run(&api, cfg(), &json!({})).await;
    let (status, attrs) = container_instance(&cluster, &one).await;
    assert_eq!(status, "DRAINING");
    assert!(!attrs.contains_key(SURPLUS_ATTRIBUTE), "lost: {attrs:?}");

    // The next run finds it and adopts it.
    let r = run(&api, cfg(), &json!({})).await;
    let adopted: Vec<_> = r
        .drain
        .as_ref()
        .unwrap()
        .instances
        .iter()
        .filter(|i| i.step == Step::Adopt)
        .collect();
    assert_eq!(adopted.len(), 1, "{}", r.to_line());
    assert!(
        container_instance(&cluster, &one)
            .await
            .1
            .contains_key(SURPLUS_ATTRIBUTE)
    );

    // Throttled metrics, then a failed group read: nothing is given back.
    for (p, op) in [
        (&cw, "GetMetricData"),
        (&proxy, "DescribeAutoScalingGroups"),
    ] {
        p.set(op, Mode::Throttle, None);
        let r = run(&api, cfg(), &json!({})).await;
        assert!(r.error.is_some());
        assert_eq!(
            container_instance(&cluster, &one).await.0,
            "DRAINING",
            "{op}"
        );
        p.clear();
    }

    // Its task stops: terminated, the busy one untouched.
    stop_task(&cluster, &task).await;
    proxy.set("TerminateInstances", Mode::LostAnswer, Some(1));
    for _ in 0..2 {
        run(&api, cfg(), &json!({})).await;
    }
    assert_eq!(container_instance(&cluster, &busy).await.0, "ACTIVE");
    assert!(proxy.count("TerminateInstances", None) >= 1);
}
