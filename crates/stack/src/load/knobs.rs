//! Checks of the instance settings, tags, spot prices and overrides (issue 14), kept
//! apart from `validate.rs` and reported with its problems.

use spotcover_reconciler_core::contract::tags;

use super::parse::join_path;
use crate::config::StackConfig;
use crate::error::ConfigError;
use crate::userdata::{Capacity, render_extra};

/// What spotcover's own tags take of AWS's 50 per resource: `Name`, `spotcover:capacity`,
/// `spotcover:stack` on instances.
const OWN_TAGS: usize = 3;

/// Agent settings spotcover writes itself, and why.
const OWN_ECS_CONFIG: [(&str, &str); 3] = [
    (
        "ECS_CLUSTER",
        "spotcover joins every instance to the stack's cluster",
    ),
    (
        "ECS_INSTANCE_ATTRIBUTES",
        "spotcover registers `spotcover.capacity`, which the reconciler drains by",
    ),
    (
        "ECS_ENABLE_SPOT_INSTANCE_DRAINING",
        "spotcover turns it on for spot instances and off for on-demand ones",
    ),
];

/// Problems with the knobs; `prefix` locates a region's merged config.
pub fn validate(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let mut errs = Vec::new();
    let mut err = |path: &str, message: String| {
        errs.push(ConfigError::at(join_path(prefix, path), message));
    };
    tags(c, &mut err);
    ecs_config(c, &mut err);
    user_data(c, &mut err);
    policies(c, &mut err);
    instances(c, &mut err);
    prices(c, &mut err);
    overrides(c, &mut err);
    errs
}

/// AWS's tag rules (AWS General Reference, "Tagging your AWS resources", tag naming
/// limits and requirements; the same list in the ECS API reference, `Tag`): keys 1-128
/// characters, values at most 256, at most 50 tags per resource, `aws:` reserved; the
/// characters every tagging service accepts: letters, digits, spaces and `_ . : / = + - @`.
fn tags(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    if c.tags.len() + OWN_TAGS > 50 {
        err(
            "tags",
            format!(
                "{} tags, but AWS allows 50 per resource and spotcover puts {OWN_TAGS} of its own on each instance: at most {}",
                c.tags.len(),
                50 - OWN_TAGS
            ),
        );
    }
    // The registry schemas' pattern `^[\p{L}\p{Z}\p{N}_.:/=+\-@]*$` (AWS::ECS::Cluster,
    // AWS::IAM::Role `Tag`): separators (\p{Z}) are spaces, not tabs or line breaks,
    // which are control characters.
    let allowed = |s: &str| {
        s.chars().all(|ch| {
            ch.is_alphanumeric()
                || (ch.is_whitespace() && !ch.is_control())
                || "_.:/=+-@".contains(ch)
        })
    };
    for (key, value) in &c.tags {
        let path = format!("tags.{key}");
        let n = key.chars().count();
        if n == 0 || n > 128 {
            err(&path, format!("a tag key has 1 to 128 characters, not {n}"));
        }
        if key.to_ascii_lowercase().starts_with("aws:") {
            err(
                &path,
                "the `aws:` prefix is reserved for AWS's own tags".into(),
            );
        } else if key.starts_with(tags::PREFIX) {
            err(
                &path,
                "spotcover sets the `spotcover:` tags itself: the reconciler's right to terminate instances is scoped by them".into(),
            );
        } else if key == "Name" {
            err(
                &path,
                "spotcover names instances `<stack>-spot` and `<stack>-on-demand` itself (the `Name` tag); use another key".into(),
            );
        }
        if value.to_ascii_lowercase().starts_with("aws:") {
            // EC2 user guide, "Tag your Amazon EC2 resources", tag restrictions: the
            // `aws:` prefix is reserved for AWS use, in tag names and values alike; the
            // tags go on every instance.
            err(
                &path,
                format!(
                    "the value {value} starts with `aws:`, which AWS reserves for its own use in tag keys and values; choose another value"
                ),
            );
        }
        if value.chars().count() > 256 {
            err(
                &path,
                format!(
                    "a tag value has at most 256 characters, not {}",
                    value.chars().count()
                ),
            );
        }
        if !allowed(key) || !allowed(value) {
            err(
                &path,
                "tags take letters, digits, spaces and `_ . : / = + - @` only (the characters every AWS service accepts; no tabs or line breaks)".into(),
            );
        }
        if value.is_empty() {
            // AWS::CloudWatch::Alarm's registry schema: `Tag.Value` has minLength 1, and
            // every tag goes on the stack's PendingCapacity alarm too.
            err(
                &path,
                "expected a value of 1 to 256 characters: the stack's CloudWatch alarm takes no empty tag value".into(),
            );
        }
    }
}

/// Amazon ECS developer guide, "Amazon ECS container agent configuration": the agent
/// reads `ECS_*` variables, one `KEY=value` line each, from `/etc/ecs/ecs.config`.
fn ecs_config(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    for (key, value) in &c.instances.ecs_config {
        let path = format!("instances.ecs_config.{key}");
        let well_formed = key.strip_prefix("ECS_").is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .chars()
                    .all(|ch| ch.is_ascii_uppercase() || ch.is_ascii_digit() || ch == '_')
        });
        if !well_formed {
            err(
                &path,
                "an ECS agent setting is named `ECS_` and capitals, digits or `_` (ECS_[A-Z0-9_]+)"
                    .into(),
            );
        }
        if let Some((_, why)) = OWN_ECS_CONFIG.iter().find(|(k, _)| k == key) {
            err(&path, format!("spotcover sets {key} itself: {why}"));
        }
        if value.chars().any(char::is_control) {
            err(
                &path,
                "the value is one line of /etc/ecs/ecs.config: no line breaks or control characters".into(),
            );
        }
    }
}

fn user_data(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    let Some(u) = &c.instances.user_data else {
        return;
    };
    match (&u.file, &u.inline) {
        (Some(_), Some(_)) | (None, None) => err(
            "instances.user_data",
            "give exactly one of `file` (a path relative to the config) or `inline` (the script)"
                .into(),
        ),
        _ => {}
    }
    if let Some(text) = &u.text
        && let Err(why) = shell_script(text)
    {
        err("instances.user_data", why);
        return;
    }
    if let Some(text) = &u.text {
        for capacity in [Capacity::Spot, Capacity::OnDemand] {
            if let Err(e) = render_extra(text, capacity) {
                err("instances.user_data", e);
                break;
            }
        }
    }
}

/// The config's script runs inside spotcover's own bash user data, after it: it must be
/// shell. cloud-init reads other formats (EC2 user guide, "Run commands when you launch an
/// EC2 instance with user data input": shell scripts and cloud-init directives; a MIME
/// multi-part archive combines them), but only as a whole document, not appended to a
/// script.
fn shell_script(text: &str) -> Result<(), String> {
    let first = text.trim_start().lines().next().unwrap_or_default().trim();
    let fix = "spotcover appends the script to its own bash user data: give shell commands (a `#!/bin/bash` or `#!/bin/sh` line is fine)";
    if first.starts_with("#cloud-config")
        || first.starts_with("#cloud-boothook")
        || first.starts_with("#include")
    {
        return Err(format!(
            "the script is cloud-init input ({first}), not a shell script; {fix}"
        ));
    }
    if first.starts_with("Content-Type:") || first.starts_with("MIME-Version:") {
        return Err(format!(
            "the script is a MIME multi-part archive, not a shell script; {fix}"
        ));
    }
    if let Some(interpreter) = first.strip_prefix("#!") {
        let program = interpreter.split_whitespace().collect::<Vec<_>>();
        let shell = |p: &str| p.ends_with("/bash") || p.ends_with("/sh");
        let ok = match program.as_slice() {
            [p, ..] if shell(p) => true,
            [env, p, ..] if env.ends_with("/env") => *p == "bash" || *p == "sh",
            _ => false,
        };
        if !ok {
            return Err(format!(
                "the script starts with `{first}`, not a shell; {fix}"
            ));
        }
    }
    Ok(())
}

/// IAM user guide, "IAM and AWS STS quotas": at most 20 managed policies per role (10
/// unless raised); spotcover attaches one.
fn policies(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    let policies = &c.instances.managed_policies;
    if policies.len() + 1 > 20 {
        err(
            "instances.managed_policies",
            format!(
                "{} policies and spotcover's own make {}, more than the 20 managed policies IAM attaches to a role",
                policies.len(),
                policies.len() + 1
            ),
        );
    }
    // One policy attached twice is refused by IAM (`ManagedPolicyArns` is a set), and
    // spotcover attaches the ECS instance policy itself.
    let mut seen = std::collections::BTreeMap::new();
    for (i, p) in policies.iter().enumerate() {
        let name = policy_name(p);
        if name == OWN_INSTANCE_POLICY {
            err(
                &format!("instances.managed_policies[{i}]"),
                format!(
                    "{p} is attached by spotcover already (the ECS container instance policy); remove it"
                ),
            );
        } else if let Some(first) = seen.insert(name, i) {
            err(
                &format!("instances.managed_policies[{i}]"),
                format!(
                    "{p} is the policy of instances.managed_policies[{first}] again; give each policy once"
                ),
            );
        }
    }
    let name_char = |ch: char| ch.is_ascii_alphanumeric() || "+=,.@_-".contains(ch);
    for (i, p) in policies.iter().enumerate() {
        let path = format!("instances.managed_policies[{i}]");
        let ok = if let Some(rest) = p.strip_prefix("arn:") {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            parts.len() == 5
                && parts[0].starts_with("aws")
                && parts[1] == "iam"
                && parts[2].is_empty()
                && (parts[3] == "aws"
                    || (parts[3].len() == 12 && parts[3].chars().all(|ch| ch.is_ascii_digit())))
                && parts[4].strip_prefix("policy/").is_some_and(|n| {
                    !n.is_empty()
                        && n.split('/')
                            .all(|seg| !seg.is_empty() && seg.chars().all(name_char))
                })
        } else {
            !p.is_empty()
                && p.split('/')
                    .all(|seg| !seg.is_empty() && seg.chars().all(name_char))
        };
        if !ok {
            err(
                &path,
                format!(
                    "{p:?} is neither a managed policy ARN (arn:aws:iam::ACCOUNT|aws:policy/NAME) nor the name of an AWS managed policy (AmazonSSMManagedInstanceCore, service-role/NAME)"
                ),
            );
        }
    }
}

/// The AWS managed policy every instance role gets from spotcover.
const OWN_INSTANCE_POLICY: &str = "aws:service-role/AmazonEC2ContainerServiceforEC2Role";

/// A policy as `<account or aws>:<path/name>`, the same for a name and its ARN in any
/// partition (`AmazonSSMManagedInstanceCore` and
/// `arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore`).
fn policy_name(p: &str) -> String {
    match p.strip_prefix("arn:") {
        Some(rest) => {
            let parts: Vec<&str> = rest.splitn(5, ':').collect();
            match parts.as_slice() {
                [_, _, _, account, name] => {
                    format!("{account}:{}", name.strip_prefix("policy/").unwrap_or(name))
                }
                _ => p.to_owned(),
            }
        }
        None => format!("aws:{p}"),
    }
}

/// EC2: a key pair name has at most 255 ASCII characters; a gp2/gp3 volume 1-16384 GiB,
/// a magnetic (`standard`) one 1-1024 (EBS user guide, "Amazon EBS volume types").
fn instances(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    if let Some(k) = &c.instances.key_name
        && (k.is_empty() || k.len() > 255 || !k.is_ascii())
    {
        err(
            "instances.key_name",
            "a key pair name has 1 to 255 ASCII characters".into(),
        );
    }
    if let Some(v) = &c.instances.root_volume
        && let Some(size) = v.size_gib
    {
        let max = match v.volume_type {
            crate::config::VolumeType::Standard => 1024,
            _ => 16384,
        };
        if !(1..=max).contains(&size) {
            err(
                "instances.root_volume.size_gib",
                format!(
                    "a {} volume has 1 to {max} GiB, not {size}",
                    v.volume_type.as_str()
                ),
            );
        }
    }
}

/// A price in USD per hour; EC2 refuses one below 0.001 (EC2 API reference,
/// `SpotMarketOptions.MaxPrice`).
fn prices(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    let check = |price: &str| -> Result<(), String> {
        let digits = price.split_once('.').map_or((price, "0"), |(a, b)| (a, b));
        let numeric = !digits.0.is_empty()
            && !digits.1.is_empty()
            && digits
                .0
                .chars()
                .chain(digits.1.chars())
                .all(|ch| ch.is_ascii_digit());
        match price.parse::<f64>() {
            Ok(v) if numeric && v >= 0.001 => Ok(()),
            _ => Err(format!(
                "{price:?} is not a price: expected USD per hour as a decimal string, at least 0.001 (\"0.05\")"
            )),
        }
    };
    if let Some(p) = &c.spot.max_price
        && let Err(e) = check(p)
    {
        err("spot.max_price", e);
    }
    for (i, t) in c.spot.instance_types.iter().enumerate() {
        if let Some(p) = &t.max_price
            && let Err(e) = check(p)
        {
            err(&format!("spot.instance_types[{i}].max_price"), e);
        }
    }
}

/// The shape of each override; the template checks the rest ([`crate::overrides`]).
fn overrides(c: &StackConfig, err: &mut impl FnMut(&str, String)) {
    for (path, o) in c.overrides.entries() {
        match (&o.value, o.delete) {
            (Some(_), true) => err(&path, "give `value` or `delete: true`, not both".into()),
            (None, false) => err(&path, "give `value` (to set) or `delete: true`".into()),
            _ => {}
        }
        if let Err(e) = crate::overrides::parse_path(&o.path) {
            err(&format!("{path}.path"), e);
        }
    }
}

/// EC2 user guide, "Amazon EC2 Spot Instances pricing" and the API reference
/// (`SpotPrice`, `MaxPrice`): "If you specify a maximum price, your instances will be
/// interrupted more frequently than if you do not specify this parameter."
pub fn warnings(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    const ADVICE: &str = "AWS: \"If you specify a maximum price, your instances will be interrupted more frequently than if you do not specify this parameter.\" Without one, spot instances cost the current spot price, never more than on-demand";
    let mut out = Vec::new();
    if c.spot.max_price.is_some() {
        out.push(ConfigError::at(join_path(prefix, "spot.max_price"), ADVICE));
    }
    for (i, t) in c.spot.instance_types.iter().enumerate() {
        if t.max_price.is_some() {
            out.push(ConfigError::at(
                join_path(prefix, &format!("spot.instance_types[{i}].max_price")),
                ADVICE,
            ));
        }
    }
    if let Some(n) = c.reconciler.reserved_concurrency
        && n > RESERVABLE_IN_A_DEFAULT_ACCOUNT
    {
        out.push(ConfigError::at(
            join_path(prefix, "reconciler.reserved_concurrency"),
            reservation_beyond_quota(u64::from(n)),
        ));
    }
    out.extend(override_warnings(c, prefix));
    out
}

/// Lambda developer guide, "Lambda quotas": 1,000 concurrent executions per account and
/// Region by default; "Configuring reserved concurrency": Lambda keeps at least 100 of
/// them unreserved. A larger reservation fails to deploy unless the account's quota was
/// raised.
const RESERVABLE_IN_A_DEFAULT_ACCOUNT: u32 = 900;

fn reservation_beyond_quota(n: u64) -> String {
    format!(
        "reserving {n} concurrent executions fails to deploy unless this account's Lambda concurrency quota is at least {} (1,000 by default, and Lambda keeps 100 unreserved); the reconciler needs a few at most (one run a minute, plus events)",
        n + 100
    )
}

/// Overrides that switch the reconciler off, or ask for more than AWS gives: valid, and
/// applied, but each is said with its consequence.
fn override_warnings(c: &StackConfig, prefix: &str) -> Vec<ConfigError> {
    let entries = c.overrides.entries();
    if entries.is_empty() {
        return Vec::new();
    }
    let asset = crate::compose::Asset {
        sha256: "0".repeat(64),
    };
    let Ok(doc) = crate::compose(c, &asset).and_then(|t| t.to_value()) else {
        return Vec::new();
    };
    let kind = |id: &str| {
        doc["Resources"][id]["Type"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    };
    let mut out = Vec::new();
    for (path, o) in entries {
        let Some(value) = &o.value else { continue };
        let at = join_path(prefix, &format!("{path}.value"));
        match (kind(&o.resource).as_str(), o.path.as_str()) {
            ("AWS::Lambda::Function", "Properties.ReservedConcurrentExecutions") => {
                match value.as_u64() {
                    Some(0) => out.push(ConfigError::at(
                        at,
                        format!("reserved concurrency 0 stops {} from ever running: nothing covers a spot shortfall, and every on-demand instance the group scales in waits out its drain hook", o.resource),
                    )),
                    Some(n) if n > u64::from(RESERVABLE_IN_A_DEFAULT_ACCOUNT) => {
                        out.push(ConfigError::at(at, reservation_beyond_quota(n)));
                    }
                    _ => {}
                }
            }
            ("AWS::Events::Rule", "Properties.State") if value.as_str() != Some("ENABLED") => {
                out.push(ConfigError::at(
                    at,
                    format!("{} no longer invokes the reconciler: the scheduled run is the backstop for every event EventBridge drops, and each rule carries events (drain hooks, interruption warnings, fleet errors) the cover acts on", o.resource),
                ));
            }
            ("AWS::CloudWatch::Alarm", "Properties.ActionsEnabled")
                if value.as_bool() == Some(false) =>
            {
                out.push(ConfigError::at(
                    at,
                    format!(
                        "{} changes state without notifying or invoking anything",
                        o.resource
                    ),
                ));
            }
            _ => {}
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const QUICKSTART: &str = include_str!("../../../../examples/quickstart.yaml");

    /// The knob problems of the quickstart with `extra` appended.
    fn problems(extra: &str) -> Vec<String> {
        let mut c: StackConfig = super::super::parse(&format!("{QUICKSTART}\n{extra}")).unwrap();
        if let Some(u) = c.instances.user_data.as_mut() {
            u.text = u.inline.clone();
        }
        validate(&c, "").iter().map(ToString::to_string).collect()
    }

    #[test]
    fn every_knob_set_well_is_no_problem() {
        let e = problems(
            "instances:\n  root_volume: { size_gib: 50 }\n  user_data: { inline: echo }\n  ecs_config: { ECS_RESERVED_MEMORY: \"256\" }\n  managed_policies: [AmazonSSMManagedInstanceCore, service-role/X, \"arn:aws-us-gov:iam::123456789012:policy/p/q\"]\n  key_name: ops\ntags: { team: a b+c }\n",
        );
        assert!(e.is_empty(), "{e:?}");
    }

    #[test]
    fn user_data_takes_exactly_one_of_file_and_inline() {
        let e = problems("instances:\n  user_data: { file: a.sh, inline: echo }\n");
        assert!(
            e[0].starts_with("instances.user_data: give exactly one"),
            "{e:?}"
        );
        let e = problems("instances:\n  user_data: {}\n");
        assert!(
            e[0].starts_with("instances.user_data: give exactly one"),
            "{e:?}"
        );
    }

    #[test]
    fn a_script_naming_an_unknown_variable_is_refused() {
        let e = problems("instances:\n  user_data: { inline: \"{{region}}\" }\n");
        assert!(
            e[0].contains("is rendered with handlebars") && e[0].contains("does not render"),
            "{e:?}"
        );
    }

    #[test]
    fn an_ecs_setting_value_is_one_line() {
        let e = problems("instances:\n  ecs_config: { ECS_X: \"a\\nb\" }\n");
        assert!(e[0].contains("no line breaks"), "{e:?}");
    }

    #[test]
    fn a_managed_policy_is_an_iam_policy_arn_or_a_name() {
        let e =
            problems("instances:\n  managed_policies: [\"arn:aws:s3:::bucket\", \"has space\"]\n");
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("instances.managed_policies[0]: \"arn:aws:s3:::bucket\" is neither")
        );
    }

    #[test]
    fn a_role_takes_at_most_20_managed_policies() {
        let many: Vec<String> = (0..20).map(|i| format!("P{i}")).collect();
        let e = problems(&format!(
            "instances:\n  managed_policies: [{}]\n",
            many.join(", ")
        ));
        assert!(e[0].contains("more than the 20 managed policies"), "{e:?}");
    }

    #[test]
    fn a_key_pair_name_is_1_to_255_ascii_characters() {
        let e = problems("instances:\n  key_name: \"\"\n");
        assert!(e[0].starts_with("instances.key_name:"), "{e:?}");
    }

    #[test]
    fn a_root_volume_size_fits_its_type() {
        let e = problems("instances:\n  root_volume: { size_gib: 2000, type: standard }\n");
        assert!(
            e[0].contains("a standard volume has 1 to 1024 GiB"),
            "{e:?}"
        );
        assert!(problems("instances:\n  root_volume: { size_gib: 2000 }\n").is_empty());
    }

    #[test]
    fn a_price_is_a_decimal_of_at_least_a_tenth_of_a_cent() {
        let priced = |p: &str| {
            let mut c: StackConfig = super::super::parse(QUICKSTART).unwrap();
            c.spot.max_price = Some(p.to_owned());
            validate(&c, "")
        };
        for bad in ["0.0001", "1e3", "-1", "$1", ".5", "1."] {
            assert_eq!(priced(bad).len(), 1, "{bad}");
        }
        for good in ["0.001", "0.05", "3"] {
            assert!(priced(good).is_empty(), "{good}");
        }
    }

    #[test]
    fn an_override_sets_a_value_or_deletes_not_both_nor_neither() {
        let e = problems(
            "overrides:\n  - { resource: A, path: Properties.X, value: 1, delete: true }\n  - { resource: A, path: Properties.X }\n",
        );
        assert!(
            e[0].starts_with("overrides[0]: give `value` or `delete: true`, not both"),
            "{e:?}"
        );
        assert!(
            e[1].starts_with("overrides[1]: give `value` (to set)"),
            "{e:?}"
        );
    }

    #[test]
    fn an_override_path_starts_with_properties() {
        let e = problems("overrides:\n  - { resource: A, path: Metadata.X, value: 1 }\n");
        assert!(e[0].starts_with("overrides[0].path:"), "{e:?}");
    }

    #[test]
    fn tags_use_the_characters_every_aws_service_accepts() {
        let e = problems("tags: { team: \"a#b\" }\n");
        assert!(e[0].starts_with("tags.team: tags take letters"), "{e:?}");
    }
}
