//! Every alarm can fire: an alarm on a spotcover metric watches one the configured
//! policy writes (`spotcover_reconciler_core::contract::metrics::written_by`). An alarm on a metric
//! no run writes never gets a datapoint, and with `TreatMissingData: notBreaching` stays
//! OK forever (CloudWatch user guide, "Configuring how CloudWatch alarms treat missing
//! data").

use spotcover_reconciler_core::contract::metrics::{NAMESPACE, written_by};
use spotcover_stack::{Asset, load_with};

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

const ALARMS: &str = "observability:
  alarm_email: ops@example.com
  alarms:
    uncovered_minutes: 5
    reconciler_errors: true
    group_at_max: true
";
const ALARMS_BUT_UNCOVERED: &str = "observability:
  alarm_email: ops@example.com
  alarms:
    reconciler_errors: true
    group_at_max: true
";

const POLICY_2017: &str = "reconciler:\n  policy: \"2017\"\n";

fn configs() -> Vec<(String, String)> {
    let read = [
        (
            "quickstart",
            include_str!("../../../examples/quickstart.yaml"),
        ),
        (
            "production",
            include_str!("../../../examples/production.yaml"),
        ),
        (
            "seed-2017",
            include_str!("../../../examples/seed-2017.yaml"),
        ),
        (
            "multi-region",
            include_str!("../../../examples/multi-region.yaml"),
        ),
        ("asg", include_str!("../../../examples/asg.yaml")),
    ];
    let quickstart = include_str!("../../../examples/quickstart.yaml");
    let mut out = vec![(
        "quickstart under the 2017 rule with alarms".to_owned(),
        format!("{quickstart}\n{POLICY_2017}{ALARMS_BUT_UNCOVERED}"),
    )];
    for (name, yaml) in read {
        out.push((name.to_owned(), yaml.to_owned()));
        if !yaml.contains("\nobservability:") {
            for extra in [ALARMS, ALARMS_BUT_UNCOVERED] {
                out.push((format!("{name} with alarms"), format!("{yaml}\n{extra}")));
            }
        }
    }
    out
}

#[test]
fn every_alarm_on_a_spotcover_metric_watches_one_its_policy_writes() {
    let read = |path: &str| match path {
        "production-user-data.sh" => {
            Ok(include_str!("../../../examples/production-user-data.sh").to_owned())
        }
        other => Err(format!("no file {other} in this test")),
    };
    let mut checked = 0;
    for (name, yaml) in configs() {
        // A config `validate` refuses composes nothing; the refusal is the rule's other half.
        let Ok(resolved) = load_with(&yaml, &read) else {
            continue;
        };
        for r in resolved {
            let doc = spotcover_stack::compose(&r.config, &Asset { sha256: SHA.into() })
                .unwrap()
                .to_value()
                .unwrap();
            let written: Vec<&str> = written_by(r.config.metrics_writer())
                .iter()
                .map(|m| m.name)
                .collect();
            for (id, res) in doc["Resources"].as_object().unwrap() {
                let p = &res["Properties"];
                if res["Type"] != "AWS::CloudWatch::Alarm" || p["Namespace"] != NAMESPACE {
                    continue;
                }
                let metric = p["MetricName"].as_str().unwrap();
                assert!(
                    written.contains(&metric),
                    "{name}: {id} watches {metric}, which the {:?} policy never writes",
                    r.config.metrics_writer()
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 0, "no alarm on a spotcover metric was checked");
}

#[test]
fn the_2017_policy_with_the_uncovered_alarm_is_refused() {
    let yaml = format!(
        "{}\n{POLICY_2017}{ALARMS}",
        include_str!("../../../examples/quickstart.yaml")
    );
    let errs = load_with(&yaml, &|_: &str| Err("no files".to_owned())).unwrap_err();
    let e = errs
        .iter()
        .find(|e| e.path == "observability.alarms.uncovered_minutes")
        .unwrap_or_else(|| panic!("{errs:?}"));
    assert!(e.location.is_some(), "{e}");
    assert!(e.to_string().contains("could never fire"), "{e}");
}
