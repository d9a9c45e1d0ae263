//! A deployed stack's own history, as the AWS CLI exports it, turned into a scenario the
//! simulator replays: the stack's market instead of one we wrote.
//!
//! `spotcover history` prints the export commands ([`commands`]); the user runs them;
//! `spotcover history --to-scenario` reads their output ([`Exports`]) and writes a
//! scenario ([`reconstruct`]), with a note for every figure the history could not give
//! and the cautious reading taken instead. The exports are read in the shapes AWS
//! documents, each in its own module:
//!
//! - [`cloudwatch`]: `aws cloudwatch get-metric-data` over the metrics the reconciler
//!   writes (the names of `spotcover_reconciler_core::contract::metrics`): demand per minute, and
//!   what the stack observed (uncovered, spot and on-demand units);
//! - [`fleet_history`]: `aws ec2 describe-spot-fleet-request-history`: pool losses
//!   (interruptions, launch specifications the fleet gave up on) and recoveries
//!   (launches that succeeded);
//! - [`activities`]: `aws autoscaling describe-scaling-activities`: launch latencies,
//!   and for `engine: asg` the spot launches that failed;
//! - [`prices`]: `aws ec2 describe-spot-price-history`: each pool's price.
//!
//! [`export`] goes the other way, from a simulation to the same shapes: the round trip
//! that checks the reading, and the data the tests feed moto.
//!
//! Pure: text in, scenario and notes out; the CLI reads the files.

pub mod activities;
pub mod cloudwatch;
pub mod commands;
pub mod export;
pub mod fleet_history;
pub mod prices;
mod reconstruct;

use std::fmt;

use serde::{Deserialize, Serialize};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub use reconstruct::{Observed, Options, Reconstruction, reconstruct};

/// Seconds since the Unix epoch.
pub type Epoch = i64;

/// The files of a history directory, by the name `spotcover history` gives them.
pub mod file {
    /// What `spotcover history` was asked for: the stack, the range, the engine.
    pub const MANIFEST: &str = "spotcover-history.json";
    /// The `--metric-data-queries` of `aws cloudwatch get-metric-data`.
    pub const QUERIES: &str = "queries.json";
    /// `aws cloudwatch get-metric-data`'s output.
    pub const METRICS: &str = "metrics.json";
    /// `aws ec2 describe-spot-fleet-request-history`'s output (`engine: fleet`).
    pub const FLEET_HISTORY: &str = "fleet-history.json";
    /// `aws autoscaling describe-scaling-activities`'s output.
    pub const ACTIVITIES: &str = "activities.json";
    /// `aws ec2 describe-spot-price-history`'s output.
    pub const PRICES: &str = "spot-prices.json";
}

/// The range and stack an export was made for: written by `spotcover history` beside the
/// queries, read back with the exports.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    /// The config's `stack`: the metrics' `stack` dimension.
    pub stack: String,
    /// `fleet` or `asg`.
    pub engine: String,
    /// First minute of the range, RFC 3339 (UTC, whole minute).
    pub start: String,
    /// End of the range (excluded), RFC 3339.
    pub end: String,
}

impl Manifest {
    /// The range in epoch seconds, checked: whole minutes, end after start.
    pub fn range(&self) -> Result<(Epoch, Epoch), HistoryError> {
        let at = |field: &str, v: &str| {
            parse_time(v).ok_or_else(|| {
                HistoryError::new(
                    file::MANIFEST,
                    format!(
                        "{field}: expected an RFC 3339 time (2026-01-01T00:00:00Z), found {v:?}"
                    ),
                )
            })
        };
        let (start, end) = (at("start", &self.start)?, at("end", &self.end)?);
        if start % 60 != 0 || end % 60 != 0 {
            return Err(HistoryError::new(
                file::MANIFEST,
                "start and end must be whole minutes",
            ));
        }
        if end <= start {
            return Err(HistoryError::new(file::MANIFEST, "end must be after start"));
        }
        Ok((start, end))
    }
}

/// The exports' texts, as the AWS CLI printed them; `None`: the file is not there.
#[derive(Debug, Clone, Copy, Default)]
pub struct Exports<'a> {
    pub manifest: &'a str,
    pub metrics: &'a str,
    pub fleet_history: Option<&'a str>,
    pub activities: Option<&'a str>,
    pub prices: Option<&'a str>,
}

/// An export that cannot be read: the file and what is wrong, for an exit status 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryError {
    pub file: &'static str,
    pub message: String,
}

impl HistoryError {
    pub fn new(file: &'static str, message: impl Into<String>) -> Self {
        HistoryError {
            file,
            message: message.into(),
        }
    }
}

impl fmt::Display for HistoryError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.file, self.message)
    }
}

impl std::error::Error for HistoryError {}

/// What the history could not tell, or told only in part, and the reading taken:
/// printed as a warning and written into the scenario's header. `name` is stable (tests
/// and scripts match on it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Note {
    pub name: &'static str,
    pub message: String,
}

impl fmt::Display for Note {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.name, self.message)
    }
}

/// The names of the notes, one per kind of gap.
pub mod note {
    /// Minutes of the range with no demand datapoint.
    pub const MISSING_MINUTES: &str = "missing-minutes";
    /// Datapoints further apart than a minute: older than CloudWatch keeps 1-minute data.
    pub const COARSE_DATAPOINTS: &str = "coarse-datapoints";
    /// A result's timestamps in neither ascending nor descending order.
    pub const OUT_OF_ORDER: &str = "out-of-order-timestamps";
    /// A result CloudWatch marked `PartialData` or the output has a `NextToken`.
    pub const PARTIAL_DATA: &str = "partial-data";
    /// A pool the history shows no launch and no loss of.
    pub const POOL_NEVER_TRIED: &str = "pool-never-tried";
    /// A pool lost and not launched into again before the range ends.
    pub const POOL_NOT_RETRIED: &str = "pool-not-retried";
    /// A pool lost and launched into again within the same minute.
    pub const LOSS_UNDER_A_MINUTE: &str = "loss-under-a-minute";
    /// The fleet's history does not reach back to the range's start.
    pub const FLEET_HISTORY_BEYOND_RETENTION: &str = "fleet-history-beyond-retention";
    /// An export that is not there.
    pub const MISSING_EXPORT: &str = "missing-export";
    /// A figure no export gives: the value taken.
    pub const ASSUMED: &str = "assumed";
    /// An instance terminated whose pool the history does not name.
    pub const UNKNOWN_INSTANCE: &str = "unknown-instance";
}

/// An RFC 3339 time (as the AWS CLI prints them: `2026-01-01T00:00:00Z`,
/// `2026-01-01T00:00:00.000Z`, `2026-01-01T00:00:00+00:00`) in epoch seconds.
pub fn parse_time(s: &str) -> Option<Epoch> {
    OffsetDateTime::parse(s, &Rfc3339)
        .ok()
        .map(|t| t.unix_timestamp())
}

/// Epoch seconds as RFC 3339 in UTC, `2026-01-01T00:00:00Z`.
pub fn format_time(t: Epoch) -> String {
    OffsetDateTime::from_unix_timestamp(t)
        .ok()
        .and_then(|d| d.format(&Rfc3339).ok())
        .unwrap_or_else(|| t.to_string())
}

/// A timestamp as the AWS CLI prints it: an RFC 3339 string (AWS CLI v2, and v1 for the
/// Query APIs: EC2, Auto Scaling), or seconds since the epoch (AWS CLI v1 prints the
/// number a JSON or CBOR protocol returns as is, as it does for CloudWatch's
/// `GetMetricData` with botocore 1.4x).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum CliTime {
    Seconds(f64),
    Text(String),
}

impl Default for CliTime {
    fn default() -> Self {
        CliTime::Text(String::new())
    }
}

impl CliTime {
    /// Epoch seconds (fractions dropped), if it is a time.
    pub fn epoch(&self) -> Option<Epoch> {
        match self {
            CliTime::Seconds(s) if s.is_finite() => Some(s.floor() as Epoch),
            CliTime::Seconds(_) => None,
            CliTime::Text(t) => parse_time(t),
        }
    }

    /// As AWS CLI v2 prints it.
    pub fn at(t: Epoch) -> CliTime {
        CliTime::Text(format_time(t))
    }
}

impl fmt::Display for CliTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliTime::Seconds(s) => write!(f, "{s}"),
            CliTime::Text(t) => write!(f, "{t:?}"),
        }
    }
}

/// Parses an export's JSON, naming the command whose output it should be.
pub(crate) fn parse_json<T: serde::de::DeserializeOwned>(
    file: &'static str,
    command: &str,
    text: &str,
) -> Result<T, HistoryError> {
    serde_json::from_str(text).map_err(|e| {
        let hint = if e.is_eof() {
            " (the file ends early: was the export interrupted?)"
        } else {
            ""
        };
        HistoryError::new(file, format!("not the JSON `{command}` prints{hint}: {e}"))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cli_s_timestamp_spellings_read_as_the_same_second() {
        let t = 1_767_225_600;
        for s in [
            "2026-01-01T00:00:00Z",
            "2026-01-01T00:00:00.000Z",
            "2026-01-01T00:00:00+00:00",
            "2026-01-01T01:00:00+01:00",
        ] {
            assert_eq!(parse_time(s), Some(t), "{s}");
        }
        assert_eq!(format_time(t), "2026-01-01T00:00:00Z");
        assert_eq!(parse_time("yesterday"), None);
        // AWS CLI v1 prints CloudWatch's timestamps as epoch seconds.
        let n: CliTime = serde_json::from_str("1767225600").unwrap();
        assert_eq!(n.epoch(), Some(t));
        let s: CliTime = serde_json::from_str("\"2026-01-01T00:00:00+00:00\"").unwrap();
        assert_eq!(s.epoch(), Some(t));
    }
}
