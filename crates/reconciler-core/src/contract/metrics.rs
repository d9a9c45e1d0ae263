//! The metrics of a reconciler run: one contract for the Lambda that writes them, the
//! template whose dashboard and alarms read them, and the simulator whose JSON and chart
//! use the same names.
//!
//! Each run writes them in the CloudWatch embedded metric format (EMF) inside the one
//! JSON line it already logs, so CloudWatch Logs extracts them at no API cost (no
//! `PutMetricData`). [`emf`] turns a run's [`Figures`] into the `_aws` metadata and the
//! values; the Lambda merges that object into its log line.
//!
//! Every capacity figure is in fleet units (on-demand instances count their weight).
//! A figure the run did not observe is left out of the line, not written as 0: a missing
//! datapoint is "unknown", and an alarm treats it as such.

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};

use super::names::variant_name;

use crate::policy::rule_2017::Reason;

/// The CloudWatch namespace of every spotcover metric.
pub const NAMESPACE: &str = "spotcover";

/// Dimension names.
pub mod dimension {
    /// The CloudFormation stack's name: every metric has it.
    pub const STACK: &str = "stack";
    /// The decision's reason ([`super::reason_name`]), on [`super::DECISIONS`] only.
    pub const REASON: &str = "reason";
}

/// The CloudWatch unit of every spotcover metric. Fleet units and calls are counts;
/// EMF's `Unit` takes CloudWatch's unit names.
pub const UNIT: &str = "Count";

/// One metric of the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Metric {
    /// The metric name in CloudWatch, the member of the log line that carries its value,
    /// and, where [`Metric::simulated`], the simulator's JSON field.
    pub name: &'static str,
    /// What it measures, for the dashboard and docs/operating.md.
    pub description: &'static str,
    /// Whether the simulator figures it per minute (`MinuteRecord` has a field of this
    /// name).
    pub simulated: bool,
    /// Dimensions besides [`dimension::STACK`]: only [`DECISIONS`] has one.
    pub by_reason: bool,
}

const fn metric(name: &'static str, description: &'static str, simulated: bool) -> Metric {
    Metric {
        name,
        description,
        simulated,
        by_reason: false,
    }
}

/// Units the cluster's tasks reserve.
pub const DEMAND: Metric = metric("demand", "Units reserved by ECS tasks", true);
/// Units of spot instances registered in ECS (tasks can be placed on them).
pub const SPOT_REGISTERED: Metric = metric(
    "spot_registered",
    "Units of spot instances registered in ECS",
    true,
);
/// Units the fleet has fulfilled that are not registered in ECS yet: FulfilledCapacity
/// minus [`SPOT_REGISTERED`] (the simulator's `spot_fulfilled - spot_registered`).
pub const SPOT_LAUNCHING: Metric = metric(
    "spot_launching",
    "Units of spot instances launched but not registered in ECS",
    false,
);
/// Units the running on-demand instances cover (instances times the on-demand weight).
pub const ON_DEMAND_UNITS: Metric = metric(
    "on_demand_units",
    "Units of on-demand instances running",
    true,
);
/// `max(0, demand - spot_registered - on_demand_units)`.
pub const UNCOVERED: Metric = metric(
    "uncovered",
    "Units of demand without a registered instance",
    true,
);
/// 1 per shortfall decision, with the decision's reason as a dimension. The
/// simulator counts the same per reason (`decisions` of a policy's report).
pub const DECISIONS: Metric = Metric {
    name: "decisions",
    description: "Decisions of the reconciler, by reason",
    simulated: false,
    by_reason: true,
};
/// AWS API calls the run made.
pub const AWS_CALLS: Metric = metric("aws_calls", "AWS API calls made by the reconciler", false);

/// `engine: asg`: the capacity provider's tasks waiting in PROVISIONING.
pub const TASKS_PROVISIONING: Metric = metric(
    "tasks_provisioning",
    "Tasks waiting in PROVISIONING for the capacity provider",
    false,
);
/// `engine: asg`: unplaced tasks of services that name a launch type instead of a
/// capacity provider strategy; no capacity provider ever scales for them.
pub const TASKS_WITHOUT_PROVIDER: Metric = metric(
    "tasks_without_provider",
    "Unplaced tasks of services with a launch type (never scale the group)",
    false,
);
/// `engine: asg`: the group's `OnDemandBaseCapacity`, instances.
pub const ON_DEMAND_BASE: Metric = metric(
    "on_demand_base",
    "The group's on-demand base (instances)",
    false,
);

/// The metrics only `engine: asg`'s runs write, after [`ALL`]'s in a log line. Under
/// `engine: asg` a unit is one instance: demand is the group's desired capacity (what
/// ECS's managed scaling asks for), so uncovered counts instances wanted and not
/// registered.
pub const FALLBACK: [Metric; 3] = [TASKS_PROVISIONING, TASKS_WITHOUT_PROVIDER, ON_DEMAND_BASE];

/// Every metric, in the order they appear in a log line.
pub const ALL: [Metric; 7] = [
    DEMAND,
    SPOT_REGISTERED,
    SPOT_LAUNCHING,
    ON_DEMAND_UNITS,
    UNCOVERED,
    DECISIONS,
    AWS_CALLS,
];

/// The rule a reconciler run takes, as far as its metrics go: the template's
/// `SPOTCOVER_POLICY`, or `engine: asg`'s fallback.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Writer {
    /// `demand`: reads the cluster in ECS, so it knows demand, registered spot and
    /// on-demand units, and what is uncovered.
    Demand,
    /// `2017`: reads the fleet's CloudWatch metrics, and with a cluster the spot units
    /// its drain pass lists; never demand, so never on-demand units or uncovered.
    Design2017,
    /// `engine: asg`'s `fallback`: its runs write none of these metrics.
    Fallback,
}

/// Every metric a run of `w` can write (each run writes those it observed). An alarm on
/// any other spotcover metric never gets a datapoint, and with `notBreaching` it stays
/// OK forever; the template composes no such alarm and `validate` refuses a config that
/// asks for one.
pub const fn written_by(w: Writer) -> &'static [Metric] {
    match w {
        Writer::Demand => &ALL,
        Writer::Design2017 => &[SPOT_REGISTERED, SPOT_LAUNCHING, DECISIONS, AWS_CALLS],
        Writer::Fallback => &[],
    }
}

/// Every reason of the shortfall decision, in the order the crate docs give them.
pub const REASONS: [Reason; 10] = [
    Reason::GroupUnknown,
    Reason::GroupBoundsInvalid,
    Reason::FleetMetricsMissing,
    Reason::FleetMetricsPartial,
    Reason::FleetMetricsInvalid,
    Reason::FleetMetricsStale,
    Reason::FleetStillScaling,
    Reason::Steady,
    Reason::CoverShortfall,
    Reason::ReleaseCover,
];

/// The value of the [`dimension::REASON`] dimension: a decision's reason (any policy's,
/// or an interruption decision's) as the log line spells it, from the enum's own serde
/// derive (snake_case; [`super::names`]).
pub fn reason_name<R: Serialize>(r: R) -> &'static str {
    variant_name(&r)
}

/// Every reason either policy gives, by name, once each: the 2017 rule's
/// ([`REASONS`]), then the demand policy's that the 2017 rule does not have.
pub const REASON_NAMES: [&str; 11] = [
    "group_unknown",
    "group_bounds_invalid",
    "fleet_metrics_missing",
    "fleet_metrics_partial",
    "fleet_metrics_invalid",
    "fleet_metrics_stale",
    "fleet_still_scaling",
    "steady",
    "cover_shortfall",
    "release_cover",
    "fleet_unknown",
];

/// The fallback's reasons' names (`engine: asg`), in the order `fallback`'s rules give
/// them. The match is exhaustive, so a new reason does not compile until it has a name
/// here (and then belongs in [`FALLBACK_REASON_NAMES`]).
pub fn fallback_reason_name(r: crate::policy::fallback::Reason) -> &'static str {
    use crate::policy::fallback::Reason as R;
    match r {
        R::SpotFailing => "spot_failing",
        R::Realign => "realign",
        R::DemandFell => "demand_fell",
        R::ReturnDrain => "return_drain",
        R::ReturnRetire => "return_retire",
        R::ReturnWaiting => "return_waiting",
        R::Steady => "steady",
    }
}

/// Every reason of the fallback, by name, once each (the decisions of `engine: asg`).
pub const FALLBACK_REASON_NAMES: [&str; 7] = [
    "spot_failing",
    "realign",
    "demand_fell",
    "return_drain",
    "return_retire",
    "return_waiting",
    "steady",
];

/// What one run observed and did, in fleet units; `None`: not observed by this run.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Figures {
    pub demand: Option<f64>,
    pub spot_registered: Option<f64>,
    /// The fleet's FulfilledCapacity (spot launching is this minus `spot_registered`).
    pub spot_fulfilled: Option<f64>,
    pub on_demand_units: Option<f64>,
    /// The decision's reason ([`reason_name`]), when the run
    /// made one.
    pub decision: Option<&'static str>,
    pub aws_calls: u32,
    /// `engine: asg` only ([`FALLBACK`]).
    pub tasks_provisioning: Option<f64>,
    pub tasks_without_provider: Option<f64>,
    pub on_demand_base: Option<f64>,
}

impl Figures {
    /// Each metric's value, in [`ALL`]'s order; a metric the figures cannot give is left
    /// out. Derived ones follow the simulator's definitions: uncovered is
    /// `max(0, demand - spot_registered - on_demand_units)` and needs all three;
    /// spot launching is `max(0, spot_fulfilled - spot_registered)`.
    pub fn values(&self) -> Vec<(Metric, f64)> {
        let uncovered = match (self.demand, self.spot_registered, self.on_demand_units) {
            (Some(d), Some(s), Some(o)) => Some((d - s - o).max(0.0)),
            _ => None,
        };
        let launching = match (self.spot_fulfilled, self.spot_registered) {
            (Some(f), Some(s)) => Some((f - s).max(0.0)),
            _ => None,
        };
        [
            (DEMAND, self.demand),
            (SPOT_REGISTERED, self.spot_registered),
            (SPOT_LAUNCHING, launching),
            (ON_DEMAND_UNITS, self.on_demand_units),
            (UNCOVERED, uncovered),
            (DECISIONS, self.decision.map(|_| 1.0)),
            (AWS_CALLS, Some(f64::from(self.aws_calls))),
            (TASKS_PROVISIONING, self.tasks_provisioning),
            (TASKS_WITHOUT_PROVIDER, self.tasks_without_provider),
            (ON_DEMAND_BASE, self.on_demand_base),
        ]
        .into_iter()
        .filter_map(|(m, v)| v.filter(|v| v.is_finite()).map(|v| (m, v)))
        .collect()
    }
}

/// The EMF members of one log line: `_aws` (timestamp and metric directives), the
/// dimension values and the metric values. Serializes as a JSON object whose members
/// the Lambda adds to its line; [`Emf::members`] names them, none of them one the line
/// already has.
#[derive(Debug, Clone, PartialEq)]
pub struct Emf {
    stack: String,
    timestamp_ms: i64,
    reason: Option<&'static str>,
    values: Vec<(Metric, f64)>,
}

/// The EMF members for a run of `stack` at `now` (seconds since the epoch).
pub fn emf(stack: &str, figures: &Figures, now: crate::time::EpochSeconds) -> Emf {
    Emf {
        stack: stack.to_owned(),
        timestamp_ms: now.saturating_mul(1000),
        reason: figures.decision,
        values: figures.values(),
    }
}

impl Emf {
    /// The names of the members this object writes, in order.
    pub fn members(&self) -> Vec<&'static str> {
        let mut out = vec!["_aws", dimension::STACK];
        if self.reason.is_some() {
            out.push(dimension::REASON);
        }
        out.extend(self.values.iter().map(|(m, _)| m.name));
        out
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Metadata<'a> {
    timestamp: i64,
    cloud_watch_metrics: Vec<Directive<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Directive<'a> {
    namespace: &'static str,
    dimensions: [Vec<&'static str>; 1],
    metrics: Vec<Definition<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Definition<'a> {
    name: &'a str,
    unit: &'static str,
}

impl Serialize for Emf {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let defs = |by_reason: bool| -> Vec<Definition<'_>> {
            self.values
                .iter()
                .filter(|(m, _)| m.by_reason == by_reason)
                .map(|(m, _)| Definition {
                    name: m.name,
                    unit: UNIT,
                })
                .collect()
        };
        let mut directives = vec![Directive {
            namespace: NAMESPACE,
            dimensions: [vec![dimension::STACK]],
            metrics: defs(false),
        }];
        let by_reason = defs(true);
        if self.reason.is_some() && !by_reason.is_empty() {
            directives.push(Directive {
                namespace: NAMESPACE,
                dimensions: [vec![dimension::STACK, dimension::REASON]],
                metrics: by_reason,
            });
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(
            "_aws",
            &Metadata {
                timestamp: self.timestamp_ms,
                cloud_watch_metrics: directives,
            },
        )?;
        m.serialize_entry(dimension::STACK, &self.stack)?;
        if let Some(r) = self.reason {
            m.serialize_entry(dimension::REASON, r)?;
        }
        for (metric, value) in &self.values {
            m.serialize_entry(metric.name, value)?;
        }
        m.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Value, json};

    fn to_json(e: &Emf) -> Value {
        serde_json::to_value(e).unwrap()
    }

    #[test]
    fn reason_names_are_the_log_lines_spelling() {
        for r in REASONS {
            assert_eq!(serde_json::to_value(r).unwrap(), json!(reason_name(r)));
        }
    }

    #[test]
    fn reasons_lists_each_reason_once() {
        let mut names: Vec<&str> = REASONS.iter().map(|r| reason_name(*r)).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), REASONS.len());
    }

    fn names(f: &Figures) -> Vec<&'static str> {
        f.values().iter().map(|(m, _)| m.name).collect()
    }

    // What a 2017 run observes (the reconciler's `figures`: the fleet's metrics, the
    // drain pass's spot units, a decision; never demand nor on-demand units) writes
    // exactly the 2017 rule's metrics, and no `uncovered`.
    #[test]
    fn the_2017_rule_writes_its_list_and_never_uncovered() {
        let run = Figures {
            demand: None,
            spot_registered: Some(4.0),
            spot_fulfilled: Some(6.0),
            on_demand_units: None,
            decision: Some("steady"),
            aws_calls: 3,
            ..Figures::default()
        };
        let expected: Vec<&str> = written_by(Writer::Design2017)
            .iter()
            .map(|m| m.name)
            .collect();
        assert_eq!(names(&run), expected);
        assert!(!expected.contains(&UNCOVERED.name));
    }

    // A demand run that observed the cluster writes every metric.
    #[test]
    fn the_demand_policy_writes_every_metric() {
        let run = Figures {
            demand: Some(10.0),
            spot_registered: Some(4.0),
            spot_fulfilled: Some(6.0),
            on_demand_units: Some(2.0),
            decision: Some("cover_shortfall"),
            aws_calls: 7,
            ..Figures::default()
        };
        let expected: Vec<&str> = written_by(Writer::Demand).iter().map(|m| m.name).collect();
        assert_eq!(names(&run), expected);
    }

    #[test]
    fn metric_names_are_distinct_snake_case() {
        let mut names: Vec<&str> = ALL.iter().map(|m| m.name).collect();
        assert!(
            names
                .iter()
                .all(|n| n.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'))
        );
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn uncovered_is_demand_less_registered_spot_and_on_demand_never_below_zero() {
        let f = |d, s, o| Figures {
            demand: Some(d),
            spot_registered: Some(s),
            on_demand_units: Some(o),
            ..Figures::default()
        };
        let uncovered = |fig: Figures| {
            fig.values()
                .into_iter()
                .find(|(m, _)| *m == UNCOVERED)
                .map(|(_, v)| v)
        };
        assert_eq!(uncovered(f(10.0, 4.0, 2.0)), Some(4.0));
        assert_eq!(uncovered(f(10.0, 8.0, 4.0)), Some(0.0));
        assert_eq!(
            uncovered(Figures {
                demand: None,
                ..f(10.0, 4.0, 2.0)
            }),
            None
        );
    }

    #[test]
    fn spot_launching_is_fulfilled_less_registered() {
        let fig = Figures {
            spot_fulfilled: Some(12.0),
            spot_registered: Some(8.0),
            ..Figures::default()
        };
        let v = fig.values();
        assert!(v.contains(&(SPOT_LAUNCHING, 4.0)), "{v:?}");
        let only_fulfilled = Figures {
            spot_fulfilled: Some(12.0),
            ..Figures::default()
        };
        assert!(
            !only_fulfilled
                .values()
                .iter()
                .any(|(m, _)| *m == SPOT_LAUNCHING)
        );
    }

    #[test]
    fn a_figure_not_observed_is_left_out_not_zero() {
        let e = emf("s", &Figures::default(), 100);
        let v = to_json(&e);
        assert_eq!(v["aws_calls"], json!(0.0));
        for m in [
            DEMAND,
            SPOT_REGISTERED,
            ON_DEMAND_UNITS,
            UNCOVERED,
            DECISIONS,
        ] {
            assert!(v.get(m.name).is_none(), "{}", m.name);
        }
    }

    #[test]
    fn a_decision_counts_once_under_its_reason() {
        let fig = Figures {
            decision: Some(reason_name(Reason::CoverShortfall)),
            aws_calls: 3,
            ..Figures::default()
        };
        let v = to_json(&emf("web", &fig, 1_700_000_000));
        assert_eq!(v["_aws"]["Timestamp"], json!(1_700_000_000_000_i64));
        assert_eq!(v["stack"], json!("web"));
        assert_eq!(v["reason"], json!("cover_shortfall"));
        assert_eq!(v["decisions"], json!(1.0));
        let directives = v["_aws"]["CloudWatchMetrics"].as_array().unwrap();
        assert_eq!(directives.len(), 2);
        assert_eq!(directives[1]["Dimensions"], json!([["stack", "reason"]]));
        assert_eq!(
            directives[1]["Metrics"],
            json!([{"Name": "decisions", "Unit": "Count"}])
        );
        assert_eq!(directives[0]["Dimensions"], json!([["stack"]]));
        assert_eq!(
            directives[0]["Metrics"],
            json!([{"Name": "aws_calls", "Unit": "Count"}])
        );
    }

    #[test]
    fn members_names_what_the_object_writes() {
        let fig = Figures {
            decision: Some(reason_name(Reason::Steady)),
            spot_registered: Some(2.0),
            ..Figures::default()
        };
        let e = emf("s", &fig, 0);
        let v = to_json(&e);
        let mut written: Vec<&str> = v.as_object().unwrap().keys().map(|k| k.as_str()).collect();
        let mut said = e.members();
        written.sort_unstable();
        said.sort_unstable();
        assert_eq!(written, said);
    }
}

#[cfg(test)]
mod fallback_metrics {
    use super::*;

    #[test]
    fn every_fallback_reason_has_one_name_in_the_list() {
        use crate::policy::fallback::Reason as R;
        let mut named: Vec<&str> = [
            R::SpotFailing,
            R::Realign,
            R::DemandFell,
            R::ReturnDrain,
            R::ReturnRetire,
            R::ReturnWaiting,
            R::Steady,
        ]
        .into_iter()
        .map(fallback_reason_name)
        .collect();
        named.sort_unstable();
        let mut listed = FALLBACK_REASON_NAMES.to_vec();
        listed.sort_unstable();
        assert_eq!(named, listed);
    }

    #[test]
    fn fallback_metric_names_differ_from_the_fleets() {
        for m in FALLBACK {
            assert!(ALL.iter().all(|a| a.name != m.name), "{}", m.name);
        }
    }

    #[test]
    fn a_fallback_run_writes_its_figures_and_nothing_it_did_not_see() {
        let fig = Figures {
            tasks_provisioning: Some(2.0),
            on_demand_base: Some(3.0),
            ..Figures::default()
        };
        let v = serde_json::to_value(emf("s", &fig, 0)).unwrap();
        assert_eq!(v["tasks_provisioning"], serde_json::json!(2.0));
        assert_eq!(v["on_demand_base"], serde_json::json!(3.0));
        assert!(v.get("tasks_without_provider").is_none());
    }
}

#[cfg(test)]
mod names {
    use super::*;
    use crate::policy::demand::Reason as NeedReason;

    #[test]
    fn every_reason_of_either_policy_has_one_name() {
        let mut all: Vec<&str> = REASONS.iter().map(|r| reason_name(*r)).collect();
        for r in [
            NeedReason::GroupUnknown,
            NeedReason::GroupBoundsInvalid,
            NeedReason::FleetUnknown,
            NeedReason::Steady,
            NeedReason::CoverShortfall,
            NeedReason::ReleaseCover,
        ] {
            assert_eq!(
                serde_json::to_value(r).unwrap(),
                serde_json::json!(reason_name(r))
            );
            all.push(reason_name(r));
        }
        all.sort();
        all.dedup();
        let mut named = REASON_NAMES.to_vec();
        named.sort();
        assert_eq!(all, named);
    }
}
