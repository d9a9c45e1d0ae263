//! A simulation written out as the AWS CLI would print the stack's history: the reading
//! ([`super::reconstruct`]) checked on a market we know, and the figures the moto test
//! puts into CloudWatch.
//!
//! What each export holds, per minute of the config's own policy (`default` for the
//! fleet, `fallback` for `engine: asg`):
//! - metrics: the reconciler's figures of that minute, as `get-metric-data` prints them;
//! - fleet history (`engine: fleet`): a launch into every pool available at minute 0;
//!   for each loss an unannounced `terminated` and a `launchSpecTemporarilyBlacklisted`
//!   naming the pool; for each recovery a launch into it;
//! - activities: a launch activity for every instance the group started (InService the
//!   scenario's latency later; when the scenario has jitter, every other one with all of
//!   it); for `engine: asg`, a failed launch naming the pool in each minute it is lost;
//! - spot prices: each pool's price in three zones at minute 0.
//!
//! An idealised history: every loss and recovery recorded at its minute, which AWS
//! records only when the fleet or group tries the pool.

use serde::Serialize;
use spotcover_stack::StackConfig;
use spotcover_stack::config::Engine;

use super::cloudwatch::{self, MetricDataResult};
use super::{CliTime, Epoch, Manifest, activities, fleet_history, format_time, prices};
use crate::report::{MinuteRecord, PolicyName, Report};
use crate::scenario::Scenario;

/// The fleet id the exports name.
pub const FLEET_ID: &str = "sfr-00000000-0000-0000-0000-000000000000";
/// The group name the exports name.
pub const GROUP: &str = "spotcover-group";

/// The files of a history directory, as text.
#[derive(Debug, Clone, PartialEq)]
pub struct Exported {
    pub manifest: String,
    pub queries: String,
    pub metrics: String,
    pub fleet_history: Option<String>,
    pub activities: String,
    pub prices: String,
}

/// JSON as the AWS CLI prints it (`--output json`: four spaces of indent).
pub fn cli_json<T: Serialize>(value: &T) -> String {
    let mut out = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut out, fmt);
    // Plain structs of strings and numbers always serialize.
    let _ = value.serialize(&mut ser);
    let mut s = String::from_utf8(out).unwrap_or_default();
    s.push('\n');
    s
}

/// The policy whose figures the stack would have written: the config's own.
pub fn stack_policy(config: &StackConfig) -> PolicyName {
    match config.engine {
        Engine::Fleet => PolicyName::Default,
        Engine::Asg => PolicyName::Fallback,
    }
}

/// The metric values of one minute, by metric name.
fn values(m: &MinuteRecord) -> [(&'static str, f64); 5] {
    use spotcover_reconciler_core::contract::metrics as cm;
    [
        (cm::DEMAND.name, f64::from(m.demand)),
        (cm::SPOT_REGISTERED.name, f64::from(m.spot_registered)),
        (
            cm::SPOT_LAUNCHING.name,
            f64::from(m.spot_fulfilled.saturating_sub(m.spot_registered)),
        ),
        (cm::ON_DEMAND_UNITS.name, f64::from(m.on_demand_units)),
        (cm::UNCOVERED.name, f64::from(m.uncovered)),
    ]
}

/// The `get-metric-data` output for `records`, minute 0 at `start`.
pub fn metrics_output(stack: &str, records: &[MinuteRecord], start: Epoch) -> cloudwatch::Output {
    let results = cloudwatch::QUERIED
        .iter()
        .map(|(metric, _)| MetricDataResult {
            id: metric.name.to_owned(),
            label: cloudwatch::label(stack, *metric),
            timestamps: records
                .iter()
                .map(|r| CliTime::at(start + i64::from(r.minute) * 60))
                .collect(),
            values: records
                .iter()
                .map(|r| {
                    values(r)
                        .iter()
                        .find(|(n, _)| *n == metric.name)
                        .map_or(0.0, |(_, v)| *v)
                })
                .collect(),
            status_code: "Complete".into(),
            messages: vec![],
        })
        .collect();
    cloudwatch::Output {
        metric_data_results: results,
        next_token: None,
        messages: vec![],
    }
}

fn record(
    at: Epoch,
    kind: &str,
    sub: &str,
    id: Option<String>,
    d: Option<String>,
) -> fleet_history::HistoryRecord {
    fleet_history::HistoryRecord {
        event_information: fleet_history::EventInformation {
            event_description: d,
            event_sub_type: Some(sub.to_owned()),
            instance_id: id,
        },
        event_type: kind.to_owned(),
        timestamp: CliTime::at(at),
    }
}

fn fleet_output(scenario: &Scenario, start: Epoch) -> fleet_history::Output {
    let at = |m: u32| start + i64::from(m) * 60;
    let mut records = vec![record(start, "fleetRequestChange", "active", None, None)];
    let mut serial = 0u32;
    let mut current: Vec<Option<String>> = vec![None; scenario.pools.len()];
    let mut launch = |p: usize,
                      m: u32,
                      records: &mut Vec<fleet_history::HistoryRecord>,
                      current: &mut Vec<Option<String>>| {
        serial += 1;
        let id = format!("i-{serial:017x}");
        let t = &scenario.pools[p].instance_type;
        records.push(record(
            at(m),
            "instanceChange",
            "launched",
            Some(id.clone()),
            Some(format!(
                r#"{{"instanceType":"{t}","image":"ami-00000000","productDescription":"Linux/UNIX","availabilityZone":"us-east-1a"}}"#
            )),
        ));
        current[p] = Some(id);
    };
    for m in 0..scenario.duration_minutes {
        for (p, pool) in scenario.pools.iter().enumerate() {
            let now = pool.available_at(m);
            let before = m > 0 && pool.available_at(m - 1);
            if now && (m == 0 || !before) {
                launch(p, m, &mut records, &mut current);
            } else if !now && (m == 0 || before) {
                if let Some(id) = current[p].take() {
                    records.push(record(
                        at(m),
                        "instanceChange",
                        "terminated",
                        Some(id),
                        None,
                    ));
                }
                records.push(record(
                    at(m),
                    "information",
                    "launchSpecTemporarilyBlacklisted",
                    None,
                    Some(format!(
                        "{}, ami-00000000, Linux/UNIX, us-east-1a, InsufficientInstanceCapacity",
                        pool.instance_type
                    )),
                ));
            }
        }
    }
    fleet_history::Output {
        history_records: records,
        last_evaluated_time: Some(CliTime::at(at(scenario.duration_minutes))),
        next_token: None,
        spot_fleet_request_id: FLEET_ID.into(),
        start_time: Some(CliTime::at(start)),
    }
}

fn activities_output(
    config: &StackConfig,
    scenario: &Scenario,
    records: &[MinuteRecord],
    start: Epoch,
) -> activities::Output {
    let at = |m: u32| start + i64::from(m) * 60;
    let od = &scenario.on_demand;
    let mut out = Vec::new();
    let mut n = 0u32;
    let mut launch = |m: u32, out: &mut Vec<activities::Activity>| {
        let latency = od.launch_latency_minutes
            + if n % 2 == 1 {
                od.launch_jitter_minutes
            } else {
                0
            };
        n += 1;
        out.push(activities::Activity {
            activity_id: format!("00000000-0000-0000-0000-{n:012}"),
            auto_scaling_group_name: GROUP.into(),
            description: format!("{}: i-{n:017x}", activities::LAUNCH_PREFIX),
            cause: format!("At {} an instance was started in response to a difference between desired and actual capacity.", format_time(at(m))),
            start_time: CliTime::at(at(m)),
            end_time: Some(CliTime::at(at(m + latency))),
            status_code: "Successful".into(),
            status_message: Some(String::new()),
            progress: 100,
        });
    };
    let mut prev_od = records.first().map_or(0, |r| r.on_demand_desired);
    for r in records.iter().skip(1) {
        for _ in prev_od..r.on_demand_desired {
            launch(r.minute, &mut out);
        }
        prev_od = r.on_demand_desired;
    }
    if config.engine == Engine::Asg {
        let mut failures = Vec::new();
        for m in 0..scenario.duration_minutes {
            for pool in &scenario.pools {
                if !pool.available_at(m) {
                    failures.push(activities::Activity {
                        activity_id: format!("failed-{m}-{}", pool.instance_type),
                        auto_scaling_group_name: GROUP.into(),
                        description: format!("{}.  Status Reason: capacity", activities::LAUNCH_PREFIX),
                        cause: format!("At {} an instance was started in response to a difference between desired and actual capacity.", format_time(at(m))),
                        start_time: CliTime::at(at(m)),
                        end_time: Some(CliTime::at(at(m))),
                        status_code: "Failed".into(),
                        status_message: Some(format!(
                            "We currently do not have sufficient {} capacity in the Availability Zone you requested (us-east-1a).",
                            pool.instance_type
                        )),
                        progress: 100,
                    });
                } else if m > 0 && !pool.available_at(m - 1) {
                    launch(m, &mut failures);
                }
            }
        }
        out.extend(failures);
    }
    // DescribeScalingActivities lists the newest first.
    out.sort_by_key(|a| std::cmp::Reverse(a.start_time.epoch()));
    activities::Output {
        activities: out,
        next_token: None,
    }
}

fn prices_output(scenario: &Scenario, start: Epoch) -> prices::Output {
    let mut out = Vec::new();
    for pool in &scenario.pools {
        for zone in ["us-east-1a", "us-east-1b", "us-east-1c"] {
            out.push(prices::SpotPrice {
                availability_zone: zone.into(),
                instance_type: pool.instance_type.clone(),
                product_description: "Linux/UNIX".into(),
                spot_price: format!("{:.6}", pool.price_per_hour),
                timestamp: CliTime::at(start),
            });
        }
    }
    prices::Output {
        spot_price_history: out,
        next_token: None,
    }
}

/// Writes `report` (a simulation of `scenario` under `config`) as the exports of a
/// history starting at `start`.
pub fn export(
    config: &StackConfig,
    scenario: &Scenario,
    report: &Report,
    start: Epoch,
) -> Exported {
    let records = report
        .policy(stack_policy(config))
        .map(|p| p.minutes.as_slice())
        .unwrap_or_default();
    let manifest = Manifest {
        stack: config.stack.clone(),
        engine: match config.engine {
            Engine::Fleet => "fleet".into(),
            Engine::Asg => "asg".into(),
        },
        start: format_time(start),
        end: format_time(start + i64::from(scenario.duration_minutes) * 60),
    };
    Exported {
        manifest: cli_json(&manifest),
        queries: cli_json(&cloudwatch::queries(&config.stack)),
        metrics: cli_json(&metrics_output(&config.stack, records, start)),
        fleet_history: (config.engine == Engine::Fleet)
            .then(|| cli_json(&fleet_output(scenario, start))),
        activities: cli_json(&activities_output(config, scenario, records, start)),
        prices: cli_json(&prices_output(scenario, start)),
    }
}
