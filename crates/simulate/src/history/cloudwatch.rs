//! The reconciler's own metrics through `aws cloudwatch get-metric-data`: the queries
//! file `spotcover history` writes, and the reading of the command's output.
//!
//! The shape, from the CloudWatch API reference (`GetMetricData`, `MetricDataResult`):
//! `{"MetricDataResults": [{"Id", "Label", "Timestamps": [...], "Values": [...],
//! "StatusCode": "Complete" | "PartialData" | "InternalError" | "Forbidden",
//! "Messages": [...]}], "Messages": [...], "NextToken"?}`; `Timestamps[x]` is the time of
//! `Values[x]`. The AWS CLI follows `NextToken` itself and prints the merged pages.
//! CloudWatch keeps 1-minute datapoints 15 days, 5-minute ones 63 days, hourly ones 455
//! days: older minutes come back coarser or not at all.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use spotcover_reconciler_core::contract::metrics::{self, Metric};

use super::{CliTime, Epoch, HistoryError, Note, file, note, parse_json};

/// The command whose output [`read`] takes.
pub const COMMAND: &str = "aws cloudwatch get-metric-data";

/// Seconds per datapoint the queries ask for: the reconciler runs every minute.
pub const PERIOD_SECS: u32 = 60;

/// CloudWatch keeps datapoints of a 60-second period this long (seconds): 15 days.
pub const ONE_MINUTE_RETENTION_SECS: i64 = 15 * 24 * 3600;

/// The metrics a replay reads, with the statistic asked for each: the cautious one when a
/// minute holds more than one run (an event-triggered run beside the scheduled one):
/// the most demand and uncovered, the least spot and on-demand.
pub const QUERIED: [(Metric, &str); 5] = [
    (metrics::DEMAND, "Maximum"),
    (metrics::SPOT_REGISTERED, "Minimum"),
    (metrics::SPOT_LAUNCHING, "Maximum"),
    (metrics::ON_DEMAND_UNITS, "Minimum"),
    (metrics::UNCOVERED, "Maximum"),
];

/// The label of a metric's query: the stack's name and the metric's, so an export of
/// another stack's metrics is recognised.
pub fn label(stack: &str, metric: Metric) -> String {
    format!("{stack} {}", metric.name)
}

/// `MetricDataQuery`, as `--metric-data-queries file://queries.json` takes it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Query {
    pub id: String,
    pub label: String,
    pub metric_stat: MetricStat,
    pub return_data: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricStat {
    pub metric: MetricId,
    pub period: u32,
    pub stat: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricId {
    pub namespace: String,
    pub metric_name: String,
    pub dimensions: Vec<Dimension>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Dimension {
    pub name: String,
    pub value: String,
}

/// The queries for `stack`'s metrics: the contract's namespace, names and dimension.
/// The Id is the metric's name (CloudWatch Ids start with a lower-case letter and hold
/// letters, digits and underscores, as the contract's names do).
pub fn queries(stack: &str) -> Vec<Query> {
    QUERIED
        .iter()
        .map(|(m, stat)| Query {
            id: m.name.to_owned(),
            label: label(stack, *m),
            metric_stat: MetricStat {
                metric: MetricId {
                    namespace: metrics::NAMESPACE.to_owned(),
                    metric_name: m.name.to_owned(),
                    dimensions: vec![Dimension {
                        name: metrics::dimension::STACK.to_owned(),
                        value: stack.to_owned(),
                    }],
                },
                period: PERIOD_SECS,
                stat: (*stat).to_owned(),
            },
            return_data: true,
        })
        .collect()
}

/// `get-metric-data`'s output.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct Output {
    #[serde(default)]
    pub metric_data_results: Vec<MetricDataResult>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_token: Option<String>,
    #[serde(default)]
    pub messages: Vec<serde_json::Value>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct MetricDataResult {
    pub id: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub timestamps: Vec<CliTime>,
    #[serde(default)]
    pub values: Vec<f64>,
    #[serde(default)]
    pub status_code: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub messages: Vec<serde_json::Value>,
}

/// Each queried metric's datapoints, ascending in time, by metric name.
pub type Series = BTreeMap<&'static str, Vec<(Epoch, f64)>>;

/// Reads `get-metric-data`'s output for `stack`: an error for what cannot be this
/// stack's export (not that JSON, a result of another stack or metric, timestamps and
/// values that do not pair, a status CloudWatch gives for no data), notes for what is
/// only incomplete.
pub fn read(text: &str, stack: &str, notes: &mut Vec<Note>) -> Result<Series, HistoryError> {
    let out: Output = parse_json(file::METRICS, COMMAND, text)?;
    if out.next_token.is_some() {
        notes.push(Note {
            name: note::PARTIAL_DATA,
            message: format!(
                "{} has a NextToken: more datapoints were not exported (run the printed command without --max-items)",
                file::METRICS
            ),
        });
    }
    let mut series = Series::new();
    for r in &out.metric_data_results {
        let Some((metric, _)) = QUERIED.iter().find(|(m, _)| m.name == r.id) else {
            return Err(HistoryError::new(
                file::METRICS,
                format!(
                    "result `{}` is not one of the stack's metrics ({}): export with the queries file `spotcover history` writes",
                    r.id,
                    QUERIED.map(|(m, _)| m.name).join(", ")
                ),
            ));
        };
        let expected = label(stack, *metric);
        if r.label != expected {
            let other = r
                .label
                .strip_suffix(&format!(" {}", metric.name))
                .map(|s| format!(" (stack `{s}`)"))
                .unwrap_or_default();
            return Err(HistoryError::new(
                file::METRICS,
                format!(
                    "result `{}` is labelled {:?}, expected {expected:?}: this is another stack's export{other}, not `{stack}`'s",
                    r.id, r.label
                ),
            ));
        }
        match r.status_code.as_str() {
            "Complete" | "" => {}
            "PartialData" => notes.push(Note {
                name: note::PARTIAL_DATA,
                message: format!(
                    "CloudWatch returned part of `{}` (StatusCode PartialData)",
                    r.id
                ),
            }),
            other => {
                return Err(HistoryError::new(
                    file::METRICS,
                    format!("result `{}` has StatusCode {other}: export again", r.id),
                ));
            }
        }
        if r.timestamps.len() != r.values.len() {
            return Err(HistoryError::new(
                file::METRICS,
                format!(
                    "result `{}` has {} timestamps and {} values; CloudWatch pairs them one to one",
                    r.id,
                    r.timestamps.len(),
                    r.values.len()
                ),
            ));
        }
        let mut points = Vec::with_capacity(r.values.len());
        for (i, (t, v)) in r.timestamps.iter().zip(&r.values).enumerate() {
            let at = t.epoch().ok_or_else(|| {
                HistoryError::new(
                    file::METRICS,
                    format!("result `{}` timestamp [{i}] {t} is not a time", r.id),
                )
            })?;
            if !v.is_finite() || *v < 0.0 {
                return Err(HistoryError::new(
                    file::METRICS,
                    format!(
                        "result `{}` value [{i}] is {v}: expected a count of 0 or more",
                        r.id
                    ),
                ));
            }
            points.push((at, *v));
        }
        let ascending = points.windows(2).all(|w| w[0].0 < w[1].0);
        let descending = points.windows(2).all(|w| w[0].0 > w[1].0);
        if !ascending && !descending {
            notes.push(Note {
                name: note::OUT_OF_ORDER,
                message: format!(
                    "`{}`'s timestamps are neither ascending nor descending (the order --scan-by gives): sorted, and a minute given twice keeps its cautious value",
                    r.id
                ),
            });
        }
        points.sort_by_key(|p| p.0);
        let cautious_max = QUERIED
            .iter()
            .any(|(m, stat)| m.name == metric.name && *stat == "Maximum");
        points.dedup_by(|later, kept| {
            if later.0 != kept.0 {
                return false;
            }
            kept.1 = if cautious_max {
                kept.1.max(later.1)
            } else {
                kept.1.min(later.1)
            };
            true
        });
        series.entry(metric.name).or_default().extend(points);
    }
    for points in series.values_mut() {
        points.sort_by_key(|p| p.0);
    }
    Ok(series)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The queries name the contract's namespace, metric and dimension, one minute each.
    #[test]
    fn queries_name_the_stack_s_own_metrics() {
        let q = queries("web");
        let demand = q.iter().find(|q| q.id == metrics::DEMAND.name).unwrap();
        assert_eq!(demand.metric_stat.metric.namespace, metrics::NAMESPACE);
        assert_eq!(
            demand.metric_stat.metric.dimensions,
            vec![Dimension {
                name: metrics::dimension::STACK.into(),
                value: "web".into()
            }]
        );
        assert_eq!(demand.metric_stat.period, 60);
        // CloudWatch API reference, MetricDataQuery: "Id ... The first character must be
        // a lowercase letter" and only letters, numbers and underscore.
        for q in &q {
            assert!(q.id.starts_with(|c: char| c.is_ascii_lowercase()));
            assert!(q.id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'));
        }
    }
}
