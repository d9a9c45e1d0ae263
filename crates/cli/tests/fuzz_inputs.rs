//! A property test over random documents built from the config's schema (every key, with
//! good, edge and bad values): `validate`, `synth --reconciler-zip`, `graph`, `simulate`
//! and `diff` each exit 0 or 2 (`diff` 1 when the sides differ) within a second, in
//! bounded memory; and a config `validate` accepts also synthesizes and graphs.
//!
//! Few cases (CI has two cores): each case runs spotcover seven times. Half the cases draw
//! only good values (so synth, graph and simulate run on accepted configs), half draw
//! edge and bad ones too.

mod common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use common::*;
use proptest::prelude::*;
use serde_json::{Map, Value, json};

/// Virtual memory a run may use, KiB (`ulimit -v`): an allocation in proportion to a user
/// number aborts the run instead of the machine.
const MEMORY_KIB: u64 = 2 * 1024 * 1024;

/// How long one run may take.
const TIME: Duration = Duration::from_secs(1);

fn number(wild: bool) -> BoxedStrategy<Value> {
    if !wild {
        return (2u32..40).prop_map(|n| json!(n)).boxed();
    }
    prop_oneof![
        12 => (2u32..40).prop_map(|n| json!(n)),
        1 => Just(json!(0)),
        1 => Just(json!(1)),
        1 => Just(json!(999)),
        1 => Just(json!(1000)),
        1 => Just(json!(10_000)),
        1 => Just(json!(10_001)),
        1 => Just(json!(86_401)),
        1 => Just(json!(u32::MAX)),
        1 => Just(json!("5")),
    ]
    .boxed()
}

/// One of `options` when `wild`, else the first (a good one).
fn pick(options: &'static [&'static str], wild: bool) -> BoxedStrategy<Value> {
    if wild {
        proptest::sample::select(options)
            .prop_map(|s| json!(s))
            .boxed()
    } else {
        Just(json!(options[0])).boxed()
    }
}

const TYPES: &[&str] = &[
    "m6i.large",
    "m6a.large",
    "m5.large",
    "m7g.large",
    "zz99.large",
    "bad",
];

/// An object from optional keys: each present or not.
fn object(fields: Vec<(&'static str, BoxedStrategy<Value>)>) -> impl Strategy<Value = Value> {
    let fields: Vec<_> = fields
        .into_iter()
        .map(|(k, s)| proptest::option::weighted(0.3, s).prop_map(move |v| (k, v)))
        .collect();
    fields.prop_map(|kvs| {
        Value::Object(
            kvs.into_iter()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
                .collect::<Map<_, _>>(),
        )
    })
}

/// A config; `wild` draws bad and edge values too, else only good ones.
// A pure table of generators, one entry per config key in the schema's order: split, it
// would no longer read against the schema it mirrors.
#[allow(clippy::too_many_lines)]
fn config(wild: bool) -> impl Strategy<Value = Value> {
    let weighted =
        (pick(TYPES, wild), proptest::option::of(number(wild))).prop_map(|(t, w)| match w {
            Some(w) => json!({"type": t, "weight": w}),
            None => json!({"type": t}),
        });
    let spot = (
        prop::collection::vec(weighted, if wild { 0..4 } else { 1..2 }),
        object(vec![
            (
                "allocation_strategy",
                pick(&["priceCapacityOptimized", "lowestPrice", "bogus"], wild).boxed(),
            ),
            (
                "launch",
                pick(&["template", "specifications", "x"], wild).boxed(),
            ),
            ("target_capacity", number(wild).boxed()),
            (
                "autoscaling",
                object(vec![
                    ("metric", pick(&["cpu", "memory", "disk"], wild).boxed()),
                    ("target_percent", number(wild).boxed()),
                    ("min_capacity", number(wild).boxed()),
                    ("max_capacity", number(wild).boxed()),
                    ("scale_in_cooldown_seconds", number(wild).boxed()),
                    ("scale_out_cooldown_seconds", number(wild).boxed()),
                ])
                .boxed(),
            ),
        ]),
    )
        .prop_map(|(types, mut rest)| {
            rest["instance_types"] = json!(types);
            rest
        });
    let on_demand = (
        prop::collection::vec(pick(TYPES, wild), if wild { 0..3 } else { 1..2 }),
        object(vec![
            ("weight", number(wild).boxed()),
            ("min_size", number(wild).boxed()),
            ("max_size", number(wild).boxed()),
            ("desired_capacity", number(wild).boxed()),
            ("cooldown_seconds", number(wild).boxed()),
            ("launch", pick(&["template", "configuration"], wild).boxed()),
        ]),
    )
        .prop_map(|(types, mut rest)| {
            rest["instance_types"] = json!(types);
            rest
        });
    let ids = |good: &'static str, bad: &'static str| {
        prop::collection::vec(pick(Box::leak(Box::new([good, bad])), wild), 1..3)
            .prop_map(|v| json!(v))
    };
    let rest = object(vec![
        (
            "cluster",
            object(vec![(
                "container_insights",
                prop_oneof![Just(json!(true)), Just(json!("yes"))].boxed(),
            )])
            .boxed(),
        ),
        (
            "reconciler",
            object(vec![
                (
                    "schedule",
                    pick(
                        &[
                            "rate(1 minute)",
                            "rate(5 minutes)",
                            "cron(0 * * * ? *)",
                            "often",
                        ],
                        wild,
                    )
                    .boxed(),
                ),
                ("quiet_period_seconds", number(wild).boxed()),
                (
                    "memory_mb",
                    if wild {
                        number(wild)
                    } else {
                        Just(json!(256)).boxed()
                    },
                ),
                (
                    "architecture",
                    pick(&["x86_64", "arm64", "mips"], wild).boxed(),
                ),
                (
                    "log_retention_days",
                    if wild {
                        prop_oneof![Just(json!(30)), number(wild)].boxed()
                    } else {
                        Just(json!(30)).boxed()
                    },
                ),
            ])
            .boxed(),
        ),
        (
            "network",
            object(vec![
                ("subnets", ids("subnet-12345678", "subnet-x").boxed()),
                ("security_groups", ids("sg-12345678", "sg-x").boxed()),
            ])
            .boxed(),
        ),
        (
            "interruptions",
            object(vec![
                ("enabled", any::<bool>().prop_map(Value::Bool).boxed()),
                (
                    "drain_on_rebalance",
                    any::<bool>().prop_map(Value::Bool).boxed(),
                ),
            ])
            .boxed(),
        ),
        (
            "parameters",
            object(vec![
                ("AssetBucket", pick(&["my-bucket", ""], wild).boxed()),
                (
                    "Subnets",
                    if wild {
                        prop_oneof![
                            Just(json!(["subnet-12345678"])),
                            Just(json!([])),
                            Just(json!(["a,b"]))
                        ]
                        .boxed()
                    } else {
                        Just(json!(["subnet-12345678"])).boxed()
                    },
                ),
                (
                    "Bogus",
                    if wild {
                        Just(json!("x")).boxed()
                    } else {
                        Just(json!(null)).boxed()
                    },
                ),
            ])
            .boxed(),
        ),
        (
            "regions",
            object(vec![
                ("us-east-1", Just(json!({})).boxed()),
                (
                    "eu-west-1",
                    Just(json!({"reconciler": {"architecture": "arm64"}})).boxed(),
                ),
                (
                    if wild { "xx-fake-1" } else { "ap-southeast-2" },
                    Just(json!({})).boxed(),
                ),
                (
                    "us-west-2",
                    number(wild)
                        .prop_map(|n| json!({"on_demand": {"max_size": n}}))
                        .boxed(),
                ),
            ])
            .boxed(),
        ),
    ]);
    (
        pick(&["s", "my-stack", "1bad"], wild),
        spot,
        on_demand,
        rest,
    )
        .prop_map(|(stack, spot, od, mut c)| {
            c["stack"] = stack;
            c["spot"] = spot;
            c["on_demand"] = od;
            c
        })
}

/// A scenario for the config's spot types, with modest numbers.
fn scenario(config: &Value, duration: u32, units: u32, latency: u32) -> Value {
    let mut types: Vec<&str> = config["spot"]["instance_types"]
        .as_array()
        .map(|a| a.iter().filter_map(|t| t["type"].as_str()).collect())
        .unwrap_or_default();
    types.dedup();
    json!({
        "duration_minutes": duration,
        "demand": [{"from_minute": 0, "units": units}],
        "pools": types.iter().map(|t| json!({
            "type": t, "price_per_hour": 0.03, "launch_latency_minutes": latency,
            "availability": [{"from_minute": duration / 3, "to_minute": duration / 2, "available": false}],
        })).collect::<Vec<_>>(),
        "on_demand": {"price_per_hour": 0.1, "launch_latency_minutes": latency},
    })
}

/// Runs spotcover under the memory cap; checks the time.
fn run(args: &[&str]) -> Output {
    let start = Instant::now();
    let o = Command::new("sh")
        .arg("-c")
        .arg(format!("ulimit -v {MEMORY_KIB} && exec \"$0\" \"$@\""))
        .arg(env!("CARGO_BIN_EXE_spotcover"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let took = start.elapsed();
    assert!(took < TIME, "{args:?} took {took:?}");
    o
}

fn code(o: &Output) -> Option<i32> {
    o.status.code()
}

fn explain(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn write_json(path: &Path, v: &Value) -> String {
    std::fs::write(path, serde_json::to_string_pretty(v).unwrap()).unwrap();
    path.to_str().unwrap().to_owned()
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn every_command_exits_0_or_2_in_time_and_memory(
        c in prop_oneof![config(false), config(true)],
        duration in 1u32..90,
        units in 0u32..40,
        latency in 0u32..6,
    ) {
        let tmp = tempfile::tempdir().unwrap();
        // JSON is YAML; the `.yaml` name keeps it a config for `diff`.
        let config = write_json(&tmp.path().join("c.yaml"), &c);
        let scenario = write_json(&tmp.path().join("s.yaml"), &scenario(&c, duration, units, latency));
        let zip = fixture_zip(tmp.path());
        let zip = zip.to_str().unwrap();
        let out = tmp.path().join("out");
        let chart = tmp.path().join("chart.svg");

        let validate = run(&["validate", &config]);
        prop_assert!(matches!(code(&validate), Some(0 | 2)), "validate: {}", explain(&validate));
        let accepted = code(&validate) == Some(0);

        let synth = run(&["synth", &config, "--out", out.to_str().unwrap(), "--reconciler-zip", zip]);
        let graph = run(&["graph", &config]);
        for (name, o) in [("synth", &synth), ("graph", &graph)] {
            if accepted {
                prop_assert_eq!(code(o), Some(0), "{} of an accepted config: {}", name, explain(o));
            } else {
                prop_assert_eq!(code(o), Some(2), "{} of a refused config: {}", name, explain(o));
            }
        }

        let simulate = run(&["simulate", &config, "--scenario", &scenario, "--chart", chart.to_str().unwrap()]);
        prop_assert!(matches!(code(&simulate), Some(0 | 2)), "simulate: {}", explain(&simulate));
        if !accepted {
            prop_assert_eq!(code(&simulate), Some(2));
        }

        let quickstart = example("quickstart");
        let diff = run(&["diff", quickstart.to_str().unwrap(), &config, "--reconciler-zip", zip]);
        prop_assert!(matches!(code(&diff), Some(0..=2)), "diff: {}", explain(&diff));
        if !accepted {
            prop_assert_eq!(code(&diff), Some(2));
        }
        // The synthesized templates diff against the config they came from as equal.
        if accepted {
            let again = run(&["diff", out.to_str().unwrap(), &config, "--reconciler-zip", zip]);
            prop_assert_eq!(code(&again), Some(0), "{}", String::from_utf8_lossy(&again.stdout));
        }
    }
}
