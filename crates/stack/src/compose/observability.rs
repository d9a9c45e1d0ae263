//! What an operator sees and is told: the stack's CloudWatch dashboard (on by default),
//! the alarms the config asks for, and the SNS topic they notify.
//!
//! The spotcover metrics on the dashboard and in the alarms are the reconciler's
//! (`spotcover_reconciler_core::contract::metrics`: names, namespace, dimensions), which each run
//! writes as embedded metric format into its log line. The dashboard body is typed
//! (`Body`) and becomes an `Fn::Sub` naming the region, the stack and its resources.

use serde::Serialize;
use serde::ser::{SerializeSeq, Serializer};
use spotcover_cfn::aws::autoscaling as asg;
use spotcover_cfn::aws::cloudwatch;
use spotcover_cfn::aws::ec2;
use spotcover_cfn::aws::lambda;
use spotcover_cfn::aws::sns;
use spotcover_cfn::{Expr, Handle, Metadata, Options, Pseudo, Sub, Template, TemplateError};
use spotcover_reconciler_core::contract::metrics::{self, Metric, NAMESPACE, dimension};

use super::tags;
use crate::config::StackConfig;

/// Logical ids.
pub mod ids {
    pub const DASHBOARD: &str = "Dashboard";
    pub const ALARM_TOPIC: &str = "AlarmTopic";
    pub const UNCOVERED_ALARM: &str = "UncoveredAlarm";
    pub const ERRORS_ALARM: &str = "ReconcilerErrorsAlarm";
    pub const GROUP_AT_MAX_ALARM: &str = "OnDemandGroupAtMaxAlarm";
}

/// The group metrics the dashboard and the group-at-max alarm read. Auto Scaling
/// publishes group metrics only when the group's metrics collection is enabled, at the
/// one granularity it takes, `1Minute` (EC2 Auto Scaling API reference,
/// EnableMetricsCollection; free of charge at that granularity).
pub const GROUP_METRICS: [&str; 2] = ["GroupDesiredCapacity", "GroupInServiceInstances"];

/// The group's metrics collection: on when the dashboard or the group alarm reads it.
pub(crate) fn group_metrics(c: &StackConfig) -> Vec<asg::MetricsCollection> {
    let o = &c.observability;
    if o.dashboard || o.alarms.group_at_max {
        vec![asg::MetricsCollection {
            granularity: "1Minute",
            metrics: GROUP_METRICS.to_vec(),
        }]
    } else {
        Vec::new()
    }
}

/// What the dashboard and the alarms name.
pub(crate) struct Targets<'a> {
    pub fleet: &'a Handle<ec2::SpotFleet>,
    /// The on-demand group's name.
    pub group: Expr,
    pub function: &'a Handle<lambda::Function>,
}

/// Adds the dashboard, the topic and the alarms the config asks for, in that order;
/// returns the dashboard.
pub(crate) fn add(
    t: &mut Template,
    c: &StackConfig,
    targets: &Targets<'_>,
) -> Result<Option<Handle<cloudwatch::Dashboard>>, TemplateError> {
    let o = &c.observability;
    let board = if o.dashboard {
        Some(t.add(
            ids::DASHBOARD,
            cloudwatch::Dashboard {
                dashboard_body: dashboard(targets).to_sub(),
                tags: tags::user(c),
            },
        )?)
    } else {
        None
    };
    if !o.alarms.any() {
        return Ok(board);
    }
    let actions = match (&o.alarm_email, &o.alarm_topic_arn) {
        (Some(email), _) => vec![add_topic(t, c, email)?.r#ref()],
        (None, Some(arn)) => vec![Expr::from(arn.as_str())],
        (None, None) => Vec::new(),
    };
    for (id, alarm) in alarms(c, targets, &actions) {
        t.add(id, alarm)?;
    }
    Ok(board)
}

fn add_topic(
    t: &mut Template,
    c: &StackConfig,
    email: &str,
) -> Result<Handle<sns::Topic>, TemplateError> {
    t.add_with(
        ids::ALARM_TOPIC,
        sns::Topic {
            subscription: vec![sns::Subscription {
                endpoint: email.into(),
                protocol: "email",
            }],
            tags: tags::user(c),
        },
        Options {
            metadata: Some(Metadata::default().skip_checkov(
                "CKV_AWS_26",
                "The topic carries only alarm state changes (alarm names, no data). CloudWatch cannot publish to a topic encrypted with the AWS-managed SNS key; it takes a customer-managed key whose policy lets cloudwatch.amazonaws.com use it, at a monthly cost per stack.",
            )),
            ..Options::default()
        },
    )
}

/// The stack's dimension of every spotcover metric.
fn stack_dimension() -> cloudwatch::Dimension {
    cloudwatch::Dimension {
        name: dimension::STACK.into(),
        value: Expr::pseudo(Pseudo::StackName),
    }
}

/// The uncovered alarm's window: `(DatapointsToAlarm, EvaluationPeriods)`, M out of N
/// one-minute periods, for `minutes` (the config's `uncovered_minutes`).
///
/// The `uncovered` metric comes from the reconciler's log line as embedded metric
/// format, one datapoint per scheduled run, and Lambda's log flush is not under our
/// control. CloudWatch's guidance for EMF alarms: "If you are using Lambda on other
/// platforms where you can't control the log flush interval, consider using 'M out of
/// N' alarms" (CloudWatch user guide, "Setting alarms on metrics created with the
/// embedded metric format"). A late flush moves a datapoint out of its minute, and a run
/// that could not read the cluster writes none; with N out of N, one such gap in an
/// outage would keep the alarm OK. So M = `minutes` breaching minutes are needed, out of
/// N = M plus one minute in five (at least one), so that one late or missing datapoint
/// in every five minutes does not hide an outage ("Evaluating an alarm":
/// `DatapointsToAlarm` is the M of N). N stays within a day of one-minute periods
/// (PutMetricAlarm: EvaluationPeriods times Period at most 86,400 s).
pub(crate) fn uncovered_window(minutes: u32) -> (u32, u32) {
    let n = (minutes + minutes.div_ceil(5)).min(1440);
    (minutes.min(n), n)
}

/// The alarms the config asks for, with their logical ids, in a fixed order.
pub(crate) fn alarms(
    c: &StackConfig,
    targets: &Targets<'_>,
    actions: &[Expr],
) -> Vec<(&'static str, cloudwatch::Alarm)> {
    let a = &c.observability.alarms;
    let mut out = Vec::new();
    let alarm = |description: String,
                 namespace: &str,
                 metric: &str,
                 dimensions: Vec<cloudwatch::Dimension>,
                 statistic: &'static str,
                 (datapoints, minutes): (u32, u32),
                 threshold: f64,
                 comparison: &'static str| cloudwatch::Alarm {
        alarm_description: description,
        namespace: namespace.into(),
        metric_name: metric.into(),
        dimensions,
        statistic,
        period: 60,
        evaluation_periods: minutes,
        datapoints_to_alarm: datapoints,
        threshold,
        comparison_operator: comparison,
        // A minute without a datapoint (no run yet, a late flush, or a figure the run
        // did not observe) is not a breach: `notBreaching` ("Configuring how CloudWatch
        // alarms treat missing data": for a metric that reports only intermittently,
        // treat missing data as good). `breaching` would alarm on every late flush,
        // `missing` would go INSUFFICIENT_DATA, which notifies no one, when no run
        // writes at all (the errors alarm is for failed runs).
        treat_missing_data: "notBreaching",
        alarm_actions: actions.to_vec(),
        tags: tags::user(c),
    };
    if let Some(minutes) = a.uncovered_minutes {
        out.push((
            ids::UNCOVERED_ALARM,
            alarm(
                format!(
                    "spotcover: demand without a registered instance (uncovered units above 0) in {} of {} minutes",
                    uncovered_window(minutes).0,
                    uncovered_window(minutes).1
                ),
                NAMESPACE,
                metrics::UNCOVERED.name,
                vec![stack_dimension()],
                "Maximum",
                uncovered_window(minutes),
                0.0,
                "GreaterThanThreshold",
            ),
        ));
    }
    if a.reconciler_errors {
        out.push((
            ids::ERRORS_ALARM,
            alarm(
                "spotcover: a reconciler invocation failed".into(),
                "AWS/Lambda",
                "Errors",
                vec![cloudwatch::Dimension {
                    name: "FunctionName".into(),
                    value: targets.function.r#ref(),
                }],
                "Sum",
                (1, 1),
                0.0,
                "GreaterThanThreshold",
            ),
        ));
    }
    if a.group_at_max {
        out.push((
            ids::GROUP_AT_MAX_ALARM,
            alarm(
                format!(
                    "spotcover: the on-demand group's desired capacity is at its max_size ({}): the cover cannot grow",
                    c.on_demand.max_size
                ),
                "AWS/AutoScaling",
                "GroupDesiredCapacity",
                vec![cloudwatch::Dimension {
                    name: "AutoScalingGroupName".into(),
                    value: targets.group.clone(),
                }],
                "Maximum",
                (1, 1),
                f64::from(c.on_demand.max_size),
                "GreaterThanOrEqualToThreshold",
            ),
        ));
    }
    out
}

// ---- The dashboard body ----

/// A dashboard body: "Dashboard body structure and syntax" (CloudWatch API reference).
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Body {
    pub start: &'static str,
    pub period_override: &'static str,
    pub widgets: Vec<Widget>,
}

#[derive(Debug, Serialize)]
pub(crate) struct Widget {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub x: u32,
    pub y: u32,
    pub width: u32,
    pub height: u32,
    pub properties: Properties,
}

#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Properties {
    pub title: String,
    pub view: &'static str,
    pub stacked: bool,
    pub region: Value,
    pub stat: &'static str,
    pub period: u32,
    pub metrics: Vec<Row>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub set_period_to_time_range: Option<bool>,
    /// This widget's own time range, relative (ISO 8601 duration before now).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start: Option<&'static str>,
}

/// A string of the body: literal, or a CloudFormation value (the region, a resource's
/// name) filled in by `Fn::Sub`.
#[derive(Debug, Clone)]
pub(crate) enum Value {
    Lit(String),
    Cfn(Expr),
}

/// One line of a metric widget's `metrics`: a metric with its dimensions and options,
/// or a metric math expression.
#[derive(Debug)]
pub(crate) enum Row {
    Metric {
        namespace: &'static str,
        name: &'static str,
        dimensions: Vec<(&'static str, Value)>,
        options: RowOptions,
    },
    Expression {
        expression: &'static str,
        id: &'static str,
        label: &'static str,
    },
}

#[derive(Debug, Default, Serialize)]
pub(crate) struct RowOptions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stat: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub visible: Option<bool>,
}

/// Placeholders while the body is JSON text: `Value::Cfn` is written as `@@<n>@@`, then
/// [`Body::to_sub`] turns each into a `Fn::Sub` variable.
const MARK: &str = "@@";

thread_local! {
    static SLOTS: std::cell::RefCell<Vec<Expr>> = const { std::cell::RefCell::new(Vec::new()) };
}

impl Serialize for Value {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Lit(v) => s.serialize_str(v),
            Value::Cfn(e) => {
                let n = SLOTS.with(|slots| {
                    let mut slots = slots.borrow_mut();
                    slots.push(e.clone());
                    slots.len() - 1
                });
                s.serialize_str(&format!("{MARK}{n}{MARK}"))
            }
        }
    }
}

impl Serialize for Row {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(None)?;
        match self {
            Row::Metric {
                namespace,
                name,
                dimensions,
                options,
            } => {
                seq.serialize_element(namespace)?;
                seq.serialize_element(name)?;
                for (k, v) in dimensions {
                    seq.serialize_element(k)?;
                    seq.serialize_element(v)?;
                }
                seq.serialize_element(options)?;
            }
            Row::Expression {
                expression,
                id,
                label,
            } => {
                #[derive(Serialize)]
                struct E<'a> {
                    expression: &'a str,
                    id: &'a str,
                    label: &'a str,
                }
                seq.serialize_element(&E {
                    expression,
                    id,
                    label,
                })?;
            }
        }
        seq.end()
    }
}

impl Body {
    /// The body as JSON text with its CloudFormation values as `Fn::Sub` variables.
    pub(crate) fn to_sub(&self) -> Expr {
        SLOTS.with(|s| s.borrow_mut().clear());
        // Serializing plain structs to a string cannot fail.
        let text = serde_json::to_string(self).unwrap_or_default();
        let slots = SLOTS.with(|s| std::mem::take(&mut *s.borrow_mut()));
        let mut sub = Sub::new();
        let mut rest = text.as_str();
        while let Some(start) = rest.find(MARK) {
            let after = &rest[start + MARK.len()..];
            let Some(end) = after.find(MARK) else { break };
            let Some(e) = after[..end]
                .parse::<usize>()
                .ok()
                .and_then(|n| slots.get(n))
            else {
                break;
            };
            sub = sub.lit(&rest[..start]).expr(e.clone());
            rest = &after[end + MARK.len()..];
        }
        sub.lit(rest).build()
    }
}

fn spotcover_row(m: Metric, extra: Vec<(&'static str, Value)>, options: RowOptions) -> Row {
    let mut dimensions = vec![(
        dimension::STACK,
        Value::Cfn(Expr::pseudo(Pseudo::StackName)),
    )];
    dimensions.extend(extra);
    Row::Metric {
        namespace: NAMESPACE,
        name: m.name,
        dimensions,
        options,
    }
}

fn labelled(label: &str) -> RowOptions {
    RowOptions {
        label: Some(label.to_owned()),
        ..RowOptions::default()
    }
}

fn aws_row(
    namespace: &'static str,
    name: &'static str,
    dimension: &'static str,
    value: Expr,
    options: RowOptions,
) -> Row {
    Row::Metric {
        namespace,
        name,
        dimensions: vec![(dimension, Value::Cfn(value))],
        options,
    }
}

fn metric_widget(
    (x, y, width, height): (u32, u32, u32, u32),
    title: &str,
    view: &'static str,
    stat: &'static str,
    period: u32,
    metrics: Vec<Row>,
) -> Widget {
    Widget {
        kind: "metric",
        x,
        y,
        width,
        height,
        properties: Properties {
            title: title.to_owned(),
            view,
            stacked: false,
            region: Value::Cfn(Expr::pseudo(Pseudo::Region)),
            stat,
            period,
            metrics,
            set_period_to_time_range: None,
            start: None,
        },
    }
}

/// The dashboard: the simulator's picture live, the fleet, the group, the decisions,
/// the reconciler's health and the on-demand instance-hours.
pub(crate) fn dashboard(targets: &Targets<'_>) -> Body {
    Body {
        start: "-PT12H",
        period_override: "inherit",
        widgets: vec![
            cover_widget(),
            fleet_widget(targets),
            group_widget(targets),
            decisions_widget(),
            health_widget(targets),
            duration_widget(targets),
            hours_widget(targets),
        ],
    }
}

/// Demand, spot, on-demand and uncovered, in fleet units: the simulator's picture live.
fn cover_widget() -> Widget {
    let cover = [
        metrics::DEMAND,
        metrics::SPOT_REGISTERED,
        metrics::SPOT_LAUNCHING,
        metrics::ON_DEMAND_UNITS,
        metrics::UNCOVERED,
    ]
    .into_iter()
    .map(|m| spotcover_row(m, Vec::new(), labelled(m.name)))
    .collect();
    metric_widget(
        (0, 0, 24, 6),
        "Cover, in fleet units: demand, spot, on-demand, uncovered",
        "timeSeries",
        "Maximum",
        60,
        cover,
    )
}

fn fleet_widget(targets: &Targets<'_>) -> Widget {
    metric_widget(
        (0, 6, 12, 6),
        "Spot fleet: TargetCapacity and FulfilledCapacity",
        "timeSeries",
        "Maximum",
        300,
        ["TargetCapacity", "FulfilledCapacity"]
            .into_iter()
            .map(|m| {
                aws_row(
                    "AWS/EC2Spot",
                    m,
                    "FleetRequestId",
                    targets.fleet.r#ref(),
                    labelled(m),
                )
            })
            .collect(),
    )
}

fn group_widget(targets: &Targets<'_>) -> Widget {
    metric_widget(
        (12, 6, 12, 6),
        "On-demand group: desired and in-service instances",
        "timeSeries",
        "Maximum",
        60,
        GROUP_METRICS
            .into_iter()
            .map(|m| {
                aws_row(
                    "AWS/AutoScaling",
                    m,
                    "AutoScalingGroupName",
                    targets.group.clone(),
                    labelled(m),
                )
            })
            .collect(),
    )
}

/// One stacked series per reason name the reconciler publishes.
fn decisions_widget() -> Widget {
    let decisions = metrics::REASON_NAMES
        .iter()
        .map(|&reason| {
            spotcover_row(
                metrics::DECISIONS,
                vec![(dimension::REASON, Value::Lit(reason.to_owned()))],
                labelled(reason),
            )
        })
        .collect();
    let mut widget = metric_widget(
        (0, 12, 12, 6),
        "Reconciler decisions by reason (per 5 minutes)",
        "timeSeries",
        "Sum",
        300,
        decisions,
    );
    widget.properties.stacked = true;
    widget
}

fn health_widget(targets: &Targets<'_>) -> Widget {
    let function = || targets.function.r#ref();
    metric_widget(
        (12, 12, 12, 6),
        "Reconciler: errors, throttles and AWS calls",
        "timeSeries",
        "Sum",
        60,
        vec![
            aws_row(
                "AWS/Lambda",
                "Errors",
                "FunctionName",
                function(),
                labelled("Errors"),
            ),
            aws_row(
                "AWS/Lambda",
                "Throttles",
                "FunctionName",
                function(),
                labelled("Throttles"),
            ),
            spotcover_row(
                metrics::AWS_CALLS,
                Vec::new(),
                labelled(metrics::AWS_CALLS.name),
            ),
        ],
    )
}

fn duration_widget(targets: &Targets<'_>) -> Widget {
    let function = || targets.function.r#ref();
    metric_widget(
        (0, 18, 12, 6),
        "Reconciler duration (ms)",
        "timeSeries",
        "Average",
        60,
        vec![
            aws_row(
                "AWS/Lambda",
                "Duration",
                "FunctionName",
                function(),
                labelled("average"),
            ),
            aws_row(
                "AWS/Lambda",
                "Duration",
                "FunctionName",
                function(),
                RowOptions {
                    label: Some("maximum".into()),
                    stat: Some("Maximum"),
                    ..RowOptions::default()
                },
            ),
        ],
    )
}

/// The on-demand group's instance-hours over the last 30 days, as one number.
fn hours_widget(targets: &Targets<'_>) -> Widget {
    let mut hours = metric_widget(
        (12, 18, 12, 6),
        "On-demand instance-hours, last 30 days",
        "singleValue",
        "Sum",
        60,
        vec![
            Row::Expression {
                expression: "m1/60",
                id: "e1",
                label: "on-demand instance-hours",
            },
            aws_row(
                "AWS/AutoScaling",
                "GroupInServiceInstances",
                "AutoScalingGroupName",
                targets.group.clone(),
                RowOptions {
                    id: Some("m1"),
                    visible: Some(false),
                    ..RowOptions::default()
                },
            ),
        ],
    );
    hours.properties.set_period_to_time_range = Some(true);
    hours.properties.start = Some("-P30D");
    hours
}

#[cfg(test)]
mod tests;
