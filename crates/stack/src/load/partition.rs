//! ARNs of the right partition: in a config pinned to regions (`regions:`), every ARN
//! the config gives must be in the partition of the region it deploys to. An
//! `arn:aws:...` policy in `cn-north-1` (partition `aws-cn`) is refused by IAM at deploy
//! time; here it is refused at its line.

use super::parse::join_path;
use crate::config::StackConfig;
use crate::error::ConfigError;

/// The partition of a region (AWS General Reference, "Amazon Resource Names": `aws`,
/// `aws-cn` for China, `aws-us-gov` for GovCloud (US), and the isolated partitions).
pub(super) fn of(region: &str) -> &'static str {
    [
        ("cn-", "aws-cn"),
        ("us-gov-", "aws-us-gov"),
        ("us-isob-", "aws-iso-b"),
        ("us-iso-", "aws-iso"),
        ("eu-isoe-", "aws-iso-e"),
        ("us-isof-", "aws-iso-f"),
    ]
    .iter()
    .find(|(prefix, _)| region.starts_with(prefix))
    .map_or("aws", |(_, p)| p)
}

/// Each ARN of `c` whose partition is not `region`'s.
pub(super) fn check(c: &StackConfig, region: &str, prefix: &str) -> Vec<ConfigError> {
    let want = of(region);
    let mut arns: Vec<(String, &str)> = Vec::new();
    if let Some(b) = &c.iam.permissions_boundary {
        arns.push(("iam.permissions_boundary".into(), b));
    }
    for (i, p) in c.instances.managed_policies.iter().enumerate() {
        arns.push((format!("instances.managed_policies[{i}]"), p));
    }
    if let Some(t) = &c.observability.alarm_topic_arn {
        arns.push(("observability.alarm_topic_arn".into(), t));
    }
    arns.into_iter()
        .filter_map(|(path, arn)| {
            let partition = arn.strip_prefix("arn:")?.split(':').next()?;
            (partition != want).then(|| {
                ConfigError::at(
                    join_path(prefix, &path),
                    format!(
                        "{arn} is in partition {partition}, but {region} is in {want}: a stack in {region} can use only arn:{want}:... ARNs"
                    ),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_region_has_its_partition() {
        assert_eq!(of("us-east-1"), "aws");
        assert_eq!(of("cn-north-1"), "aws-cn");
        assert_eq!(of("us-gov-west-1"), "aws-us-gov");
        assert_eq!(of("us-iso-east-1"), "aws-iso");
        assert_eq!(of("us-isob-east-1"), "aws-iso-b");
    }
}
