use serde_json::Value;
use spotcover_reconciler_core::contract::settings::Settings;

use super::*;

/// The reconciler's environment in a composed template, read as the Lambda reads it.
/// A `Ref` stands for the physical id CloudFormation gives the resource.
fn read_as_the_lambda(c: &StackConfig) -> (Vec<String>, Settings) {
    let asset = Asset {
        sha256: "0".repeat(64),
    };
    let doc = compose(c, &asset).unwrap().to_value().unwrap();
    let vars = doc["Resources"][ids::RECONCILER]["Properties"]["Environment"]["Variables"]
        .as_object()
        .unwrap()
        .clone();
    let value = |v: &Value| match v {
        Value::String(s) => s.clone(),
        other => match other["Ref"].as_str() {
            Some(ids::SPOT_FLEET) => "sfr-0123".to_owned(),
            Some(id) => id.to_owned(),
            None => panic!("not a literal or a Ref: {other}"),
        },
    };
    let settings = Settings::from_lookup(|k| vars.get(k).map(value)).unwrap();
    (vars.keys().cloned().collect(), settings)
}

#[test]
fn the_lambda_reads_back_the_settings_the_template_sets() {
    let quickstart = include_str!("../../../../examples/quickstart.yaml");
    for yaml in [
        quickstart.to_owned(),
        format!("{quickstart}\ninterruptions:\n  enabled: true\n  drain_on_rebalance: true\n"),
    ] {
        let c = crate::load(&yaml).unwrap().remove(0).config;
        let mut meant = reconciler_settings(
            &c,
            "sfr-0123".to_owned(),
            ids::ON_DEMAND_GROUP.to_owned(),
            ids::CLUSTER.to_owned(),
        );
        meant.stack = Some("AWS::StackName".to_owned());
        let (names, read) = read_as_the_lambda(&c);
        assert_eq!(read, meant);
        let mut written: Vec<String> = meant
            .to_env()
            .into_iter()
            .map(|(k, _)| k.to_owned())
            .collect();
        written.sort();
        assert_eq!(
            names, written,
            "the template sets only what the Lambda reads"
        );
    }
}
