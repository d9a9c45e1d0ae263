//! `bootstrap`: the spotcover reconciler Lambda (provided.al2023), and the
//! same code as a one-shot command.
//!
//! ```text
//! bootstrap                       # with AWS_LAMBDA_RUNTIME_API set: the Lambda runtime loop
//! bootstrap --once [--dry-run] [--fleet sfr-...] [--group NAME] [--weight N]
//!           [--quiet-period-seconds S] [--stale-after-seconds S]
//! ```
//! Flags override the `SPOTCOVER_*` environment variables. `--once` prints
//! the report line; exit status 0, 1 on an error result, 2 on bad usage.
//! EC2 instance notices (spot interruption warnings, rebalance
//! recommendations) arrive only as Lambda events; they also read
//! `SPOTCOVER_CLUSTER`, `SPOTCOVER_SPOT_WEIGHTS` and `SPOTCOVER_DRAIN_ON_REBALANCE`.
//! The on-demand group's lifecycle hook events (`EC2 Instance-terminate Lifecycle
//! Action`) also read `SPOTCOVER_LIFECYCLE_HOOK` and `SPOTCOVER_HOOK_TIMEOUT_SECONDS`;
//! with `SPOTCOVER_CLUSTER` set, every scheduled run also drains before scale-in
//! (see `spotcover_reconciler::handlers::schedule`).
//!
//! Every run's AWS calls share a time budget: the invocation's deadline (from the Lambda
//! runtime) minus the time kept to log and answer; with `--once`, the function's timeout
//! minus the same.

use std::collections::HashMap;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde_json::Value;
use spotcover_reconciler::adapters::budget::Budgeted;
use spotcover_reconciler::adapters::fallback::HttpRespond;
use spotcover_reconciler::adapters::sdk::SdkApi;
use spotcover_reconciler::config::{
    Config, ENV_FLEET_ID, ENV_GROUP_NAME, ENV_ON_DEMAND_WEIGHT, ENV_QUIET_PERIOD, ENV_STALE_AFTER,
};
use spotcover_reconciler::handlers::{handle_fallback_event, is_fallback, teardown};
use spotcover_reconciler::{handle_event, now};
use spotcover_reconciler_core::contract::settings::{FUNCTION_TIMEOUT_SECS, call_budget_ms};
use spotcover_reconciler_core::custom_resource;
use spotcover_reconciler_core::policy::fallback;

const USAGE: &str =
    "usage: bootstrap --once [--dry-run] [--fleet sfr-...] [--group NAME] [--weight N] \
[--quiet-period-seconds S] [--stale-after-seconds S]
  (no arguments and AWS_LAMBDA_RUNTIME_API set: run as the Lambda function)
  flags override SPOTCOVER_FLEET_ID, SPOTCOVER_GROUP_NAME, SPOTCOVER_ON_DEMAND_WEIGHT,
  SPOTCOVER_QUIET_PERIOD_SECONDS, SPOTCOVER_STALE_AFTER_SECONDS";

struct Once {
    dry_run: bool,
    overrides: HashMap<&'static str, String>,
}

fn parse(args: &[String]) -> Result<Option<Once>, String> {
    let mut once = false;
    let mut dry_run = false;
    let mut overrides = HashMap::new();
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let (flag, inline) = match a.split_once('=') {
            Some((f, v)) if f.starts_with("--") => (f, Some(v.to_owned())),
            _ => (a.as_str(), None),
        };
        let var = match flag {
            "--once" => {
                once = true;
                continue;
            }
            "--dry-run" => {
                dry_run = true;
                continue;
            }
            "-h" | "--help" => return Ok(None),
            "--fleet" => ENV_FLEET_ID,
            "--group" => ENV_GROUP_NAME,
            "--weight" => ENV_ON_DEMAND_WEIGHT,
            "--quiet-period-seconds" => ENV_QUIET_PERIOD,
            "--stale-after-seconds" => ENV_STALE_AFTER,
            other => return Err(format!("unknown argument {other:?}")),
        };
        let v = match inline {
            Some(v) => v,
            None => it.next().ok_or(format!("{flag} needs a value"))?.clone(),
        };
        overrides.insert(var, v);
    }
    if !once {
        return Err("--once is required outside Lambda".into());
    }
    Ok(Some(Once { dry_run, overrides }))
}

async fn sdk() -> SdkApi {
    SdkApi::from_conf(&spotcover_reconciler::adapters::sdk::lambda_config())
}

/// The calls' share of the time left before `deadline_ms` (epoch milliseconds, the
/// invocation's deadline as the Lambda runtime gives it).
fn budget_until(deadline_ms: u64) -> Duration {
    let now_ms = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0);
    Duration::from_millis(call_budget_ms(deadline_ms.saturating_sub(now_ms)))
}

async fn run_lambda() -> ExitCode {
    let api: &'static SdkApi = Box::leak(Box::new(sdk().await));
    let handler =
        lambda_runtime::service_fn(move |ev: lambda_runtime::LambdaEvent<Value>| async move {
            let env = |k: &str| std::env::var(k).ok();
            let budget = budget_until(ev.context.deadline);
            // Boxed: the handler's future is deep, and the runtime's nests it further.
            let report = if let Some(req) = custom_resource::parse(&ev.payload) {
                // The answer's PUT keeps its own time out of the calls' budget.
                let api = Budgeted::new(api, budget.saturating_sub(teardown::ANSWER_TIME));
                Box::pin(teardown::handle(&api, &HttpRespond::default(), &req, now())).await
            } else if is_fallback(env) {
                let api = Budgeted::new(api, budget);
                let settings = fallback::Settings::from_lookup(env);
                Box::pin(handle_fallback_event(
                    &api,
                    settings,
                    &ev.payload,
                    now(),
                    false,
                ))
                .await
            } else {
                let api = Budgeted::new(api, budget);
                Box::pin(handle_event(
                    &api,
                    Config::from_env(),
                    &ev.payload,
                    now(),
                    false,
                ))
                .await
            };
            println!("{}", spotcover_reconciler::metrics::line(&report));
            match &report.error {
                Some(e) => Err(lambda_runtime::Diagnostic {
                    error_type: format!("spotcover.{}", e.kind),
                    error_message: e.message.clone(),
                }),
                None => Ok(serde_json::to_value(&report).unwrap_or(Value::Null)),
            }
        });
    match lambda_runtime::run(handler).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("spotcover: lambda runtime failed: {e}");
            ExitCode::FAILURE
        }
    }
}

async fn run_once(once: Once) -> ExitCode {
    let config = Config::from_lookup(|k| {
        once.overrides
            .get(k)
            .cloned()
            .or_else(|| std::env::var(k).ok())
    });
    let sdk = sdk().await;
    let timeout_ms = u64::from(FUNCTION_TIMEOUT_SECS) * 1000;
    let api = Budgeted::new(&sdk, Duration::from_millis(call_budget_ms(timeout_ms)));
    let event = Value::Object(Default::default());
    let env = |k: &str| std::env::var(k).ok();
    let report = if is_fallback(env) {
        let settings = fallback::Settings::from_lookup(env);
        handle_fallback_event(&api, settings, &event, now(), once.dry_run).await
    } else {
        handle_event(&api, config, &event, now(), once.dry_run).await
    };
    println!("{}", spotcover_reconciler::metrics::line(&report));
    if report.is_error() {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("spotcover: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    if args.is_empty() && std::env::var_os("AWS_LAMBDA_RUNTIME_API").is_some() {
        return rt.block_on(run_lambda());
    }
    match parse(&args) {
        Ok(Some(once)) => rt.block_on(run_once(once)),
        Ok(None) => {
            println!("{USAGE}");
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("bootstrap: {e}\n{USAGE}");
            ExitCode::from(2)
        }
    }
}
