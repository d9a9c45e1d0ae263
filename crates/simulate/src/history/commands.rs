//! The AWS CLI commands that export a stack's history for a range, as `spotcover history`
//! prints them: the stack's own metric names, dimension and logical ids, the range, and
//! the files [`super::reconstruct`] reads.

use spotcover_stack::StackConfig;
use spotcover_stack::compose::{asg_ids, ids};
use spotcover_stack::config::Engine;

use super::cloudwatch::{self, ONE_MINUTE_RETENTION_SECS};
use super::{Epoch, HistoryError, Manifest, Note, file, fleet_history, format_time, note};
use crate::scenario::MAX_DURATION_MINUTES;

/// What `spotcover history` writes and prints for a range.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    /// `spotcover-history.json`'s text.
    pub manifest: String,
    /// `queries.json`'s text.
    pub queries: String,
    /// The shell commands, one per line, with comments.
    pub script: String,
    /// Parts of the range some export no longer holds.
    pub notes: Vec<Note>,
}

/// A word for a POSIX shell: as it is when it holds nothing special, else single-quoted.
fn sh(word: &str) -> String {
    if !word.is_empty()
        && word
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@+,".contains(c))
    {
        word.to_owned()
    } else {
        format!("'{}'", word.replace('\'', r"'\''"))
    }
}

/// The export of `config`'s stack over `[start, end)` into `dir`, checked against what
/// AWS keeps at `now`: a range CloudWatch no longer holds at one minute is an error, a
/// range older than the fleet's 48 hours of events a note.
pub fn plan(
    config: &StackConfig,
    region: Option<&str>,
    start: Epoch,
    end: Epoch,
    dir: &str,
    now: Epoch,
) -> Result<Plan, HistoryError> {
    let bad = |m: String| HistoryError::new("--start/--end", m);
    if start % 60 != 0 || end % 60 != 0 {
        return Err(bad(
            "start and end must be whole minutes (…T12:34:00Z)".into()
        ));
    }
    if end <= start {
        return Err(bad("end must be after start".into()));
    }
    if end > now {
        return Err(bad(format!(
            "end {} is in the future (now is {})",
            format_time(end),
            format_time(now)
        )));
    }
    let minutes = (end - start) / 60;
    if minutes > i64::from(MAX_DURATION_MINUTES) {
        return Err(bad(format!(
            "the range is {minutes} minutes; a replay holds at most one week ({MAX_DURATION_MINUTES} minutes)"
        )));
    }
    if start < now - ONE_MINUTE_RETENTION_SECS {
        return Err(bad(format!(
            "start {} is beyond retention: CloudWatch keeps 1-minute datapoints 15 days (5-minute ones 63 days), so a replay can start at {} at the earliest",
            format_time(start),
            format_time((now - ONE_MINUTE_RETENTION_SECS + 59).div_euclid(60) * 60)
        )));
    }
    let mut notes = Vec::new();
    if config.engine == Engine::Fleet && start < now - fleet_history::RETENTION_SECS {
        notes.push(Note {
            name: note::FLEET_HISTORY_BEYOND_RETENTION,
            message: format!(
                "EC2 keeps a Spot Fleet's events 48 hours: pool losses before {} will not be in the export",
                format_time(now - fleet_history::RETENTION_SECS)
            ),
        });
    }
    // Activities are kept six weeks (activities::RETENTION_SECS), spot prices 90 days:
    // both longer than CloudWatch's 15 days of 1-minute data.
    let manifest = Manifest {
        stack: config.stack.clone(),
        engine: match config.engine {
            Engine::Fleet => "fleet".into(),
            Engine::Asg => "asg".into(),
        },
        start: format_time(start),
        end: format_time(end),
    };
    let region = region
        .map(|r| format!(" --region {}", sh(r)))
        .unwrap_or_default();
    let out = |name: &str| sh(&format!("{}/{name}", dir.trim_end_matches('/')));
    let stack = sh(&config.stack);
    let (s, e) = (format_time(start), format_time(end));
    let resource = |var: &str, logical: &str| {
        format!(
            "{var}=$(aws cloudformation describe-stack-resource{region} --stack-name {stack} --logical-resource-id {logical} --query StackResourceDetail.PhysicalResourceId --output text)\n"
        )
    };
    let mut script = format!(
        "# Export stack {}'s history from {s} to {e} into {dir} (files spotcover history --to-scenario reads).\n",
        config.stack
    );
    let group_id = match config.engine {
        Engine::Fleet => ids::ON_DEMAND_GROUP,
        Engine::Asg => asg_ids::GROUP,
    };
    if config.engine == Engine::Fleet {
        script += &resource("FLEET", ids::SPOT_FLEET);
    }
    script += &resource("GROUP", group_id);
    script += &format!(
        "aws cloudwatch get-metric-data{region} --metric-data-queries file://{} --start-time {s} --end-time {e} --scan-by TimestampAscending --output json > {}\n",
        out(file::QUERIES),
        out(file::METRICS)
    );
    if config.engine == Engine::Fleet {
        script += &format!(
            "aws ec2 describe-spot-fleet-request-history{region} --spot-fleet-request-id \"$FLEET\" --start-time {s} --max-results 1000 --output json > {}\n",
            out(file::FLEET_HISTORY)
        );
    }
    script += &format!(
        "aws autoscaling describe-scaling-activities{region} --auto-scaling-group-name \"$GROUP\" --output json > {}\n",
        out(file::ACTIVITIES)
    );
    let types: Vec<String> = config
        .spot
        .instance_types
        .iter()
        .map(|t| sh(&t.instance_type))
        .collect();
    script += &format!(
        "aws ec2 describe-spot-price-history{region} --instance-types {} --product-descriptions Linux/UNIX --start-time {s} --end-time {e} --output json > {}\n",
        types.join(" "),
        out(file::PRICES)
    );
    Ok(Plan {
        manifest: super::export::cli_json(&manifest),
        queries: super::export::cli_json(&cloudwatch::queries(&config.stack)),
        script,
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shell_words_are_quoted_only_when_needed() {
        assert_eq!(sh("hist/dir"), "hist/dir");
        assert_eq!(sh("my dir"), "'my dir'");
        assert_eq!(sh("it's"), r"'it'\''s'");
    }
}
