//! The contract's rules, one test each.

use super::*;
use std::collections::BTreeMap;

fn every_variable_set() -> Settings {
    Settings {
        fleet_id: Some("sfr-0123-abcd".into()),
        group_name: "spotcover-quickstart-OnDemandGroup".into(),
        on_demand_weight: 4,
        quiet_period_secs: Some(60),
        stale_after_secs: Some(300),
        cluster: Some("spotcover-quickstart".into()),
        spot_weights: vec![("m6i.xlarge".into(), 4), ("m5.large".into(), 2)],
        drain_on_rebalance: Some(true),
        lifecycle_hook: Some("spotcover-quickstart-drain".into()),
        hook_timeout_secs: Some(600),
        demand: Some(DemandSettings {
            target_percent: 75,
            fleet_min: 2,
            fleet_max: 40,
            fleet_hold_secs: 120,
            launch_grace_secs: 240,
            hold_secs: 900,
            max_hold_secs: 7200,
        }),
        stack: Some("spotcover-quickstart".into()),
    }
}

fn read_back(s: &Settings) -> Result<Settings, SettingsError> {
    let vars: BTreeMap<&str, String> = s.to_env().into_iter().collect();
    Settings::from_lookup(|k| vars.get(k).cloned())
}

#[test]
fn what_is_written_is_read_back() {
    let all = every_variable_set();
    assert_eq!(read_back(&all), Ok(all.clone()));
    let minimal = Settings {
        fleet_id: None,
        quiet_period_secs: None,
        stale_after_secs: None,
        cluster: None,
        spot_weights: Vec::new(),
        drain_on_rebalance: None,
        lifecycle_hook: None,
        hook_timeout_secs: None,
        demand: None,
        stack: None,
        ..all
    };
    assert_eq!(read_back(&minimal), Ok(minimal.clone()));
}

#[test]
fn every_variable_is_written_under_its_own_name() {
    let names: Vec<&str> = every_variable_set()
        .to_env()
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    assert_eq!(
        names,
        [
            env::FLEET_ID,
            env::GROUP_NAME,
            env::ON_DEMAND_WEIGHT,
            env::QUIET_PERIOD_SECONDS,
            env::STALE_AFTER_SECONDS,
            env::CLUSTER,
            env::SPOT_WEIGHTS,
            env::DRAIN_ON_REBALANCE,
            env::LIFECYCLE_HOOK,
            env::HOOK_TIMEOUT_SECONDS,
            env::POLICY,
            env::FLEET_TARGET_PERCENT,
            env::FLEET_MIN,
            env::FLEET_MAX,
            env::FLEET_HOLD_SECONDS,
            env::LAUNCH_GRACE_SECONDS,
            env::HOLD_SECONDS,
            env::MAX_HOLD_SECONDS,
            env::STACK,
        ]
    );
}

#[test]
fn an_environment_naming_no_policy_runs_the_2017_rule() {
    let with = |policy: Option<&str>| {
        Settings::from_lookup(|k| match k {
            env::GROUP_NAME => Some("g".into()),
            env::ON_DEMAND_WEIGHT => Some("2".into()),
            env::POLICY => policy.map(str::to_owned),
            _ => None,
        })
    };
    assert_eq!(with(Some("2017")).unwrap().demand, None);
    assert_eq!(with(None).unwrap().demand, None);
    assert_eq!(
        with(Some("demand")).unwrap().demand,
        Some(DemandSettings::default())
    );
    assert!(matches!(
        with(Some("2018")),
        Err(SettingsError::Invalid {
            name: env::POLICY,
            ..
        })
    ));
}

#[test]
fn unset_variables_take_the_policy_defaults() {
    let s = Settings::from_lookup(|k| {
        [(env::GROUP_NAME, "g"), (env::ON_DEMAND_WEIGHT, "2")]
            .into_iter()
            .find(|(name, _)| *name == k)
            .map(|(_, v)| v.to_owned())
    })
    .unwrap();
    assert_eq!(s.policy(), rule_2017::Settings::new(2));
    assert_eq!(s.interruption_policy(), InterruptionPolicy::default());
    assert_eq!(s.lifecycle_hook, None);
    assert_eq!(s.hook_timeout(), DEFAULT_HOOK_TIMEOUT_SECS);
}

fn hook_timeout(v: &str) -> Result<Settings, SettingsError> {
    Settings::from_lookup(|k| {
        [
            (env::GROUP_NAME, "g"),
            (env::ON_DEMAND_WEIGHT, "2"),
            (env::HOOK_TIMEOUT_SECONDS, v),
        ]
        .into_iter()
        .find(|(name, _)| *name == k)
        .map(|(_, v)| v.to_owned())
    })
}

/// PutLifecycleHook `HeartbeatTimeout` (Amazon EC2 Auto Scaling API Reference,
/// https://docs.aws.amazon.com/autoscaling/ec2/APIReference/API_PutLifecycleHook.html):
/// "The range is from 30 to 7200 seconds. The default value is 3600 seconds" (the
/// template's default is 900).
#[test]
fn the_hook_timeout_takes_30_to_7200_seconds() {
    assert_eq!(hook_timeout("30").unwrap().hook_timeout_secs, Some(30));
    assert_eq!(
        hook_timeout(" 7200 ").unwrap().hook_timeout_secs,
        Some(7200)
    );
}

/// As above: outside Auto Scaling's range the hook could not be created.
#[test]
fn a_hook_timeout_outside_30_to_7200_is_an_error_naming_the_variable() {
    for bad in ["29", "7201", "15m", "-1"] {
        let e = hook_timeout(bad).unwrap_err();
        assert!(e.to_string().starts_with(env::HOOK_TIMEOUT_SECONDS), "{e}");
    }
}

#[test]
fn the_default_hook_timeout_is_900_seconds() {
    assert_eq!(hook_timeout("").unwrap().hook_timeout(), 900);
}

#[test]
fn weights_keep_their_order() {
    let w = parse_weights("m6i.xlarge=4, m5.large=2,").unwrap();
    assert_eq!(format_weights(&w), "m6i.xlarge=4,m5.large=2");
}

#[test]
fn the_window_reaches_back_one_period_beyond_the_longer_bound() {
    let p = rule_2017::Settings::with(1, 600, 900).unwrap();
    assert_eq!(metrics_lookback_secs(&p), 1200);
    assert_eq!(metrics_window(&p, 10_000), (8_800, 10_060));
}

#[test]
fn a_run_keeps_time_to_log_and_answer_within_the_function_timeout() {
    let timeout_ms = u64::from(FUNCTION_TIMEOUT_SECS) * 1000;
    assert_eq!(call_budget_ms(timeout_ms), timeout_ms - ANSWER_RESERVE_MS);
    assert!(call_budget_ms(timeout_ms) < timeout_ms);
    assert_eq!(
        call_budget_ms(ANSWER_RESERVE_MS / 2),
        0,
        "nothing left: no call"
    );
}

// Lambda quotas: 4 KB for all of a function's environment variables; a fleet may list 300
// instance types, so a type of the previous one's family is written from its dot.
#[test]
fn weights_of_one_family_share_its_name_and_round_trip() {
    let w: Vec<(String, u32)> = [
        ("m5.large", 1),
        ("m5.xlarge", 2),
        ("c6i.large", 1),
        ("c6i.2xlarge", 4),
    ]
    .iter()
    .map(|(t, n)| ((*t).to_owned(), *n))
    .collect();
    let text = format_weights(&w);
    assert_eq!(text, "m5.large=1,.xlarge=2,c6i.large=1,.2xlarge=4");
    assert_eq!(parse_weights(&text).unwrap(), w);
    assert!(parse_weights(".large=1").is_err());
}
