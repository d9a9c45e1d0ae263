//! What AWS has, as spotcover ships it: the regions of every partition and EC2's
//! instance types, generated from the pinned botocore's data by `tools/update-aws-lists`
//! (`crates/stack/data/*.txt`). A config may allow newer ones under `allow:`.

const REGIONS: &str = include_str!("../data/regions.txt");
const INSTANCE_TYPES: &str = include_str!("../data/instance-types.txt");

fn entries(list: &'static str) -> impl Iterator<Item = &'static str> {
    list.lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
}

/// Where the lists come from, for messages: `botocore 1.44.8`.
pub fn source() -> &'static str {
    REGIONS
        .lines()
        .next()
        .and_then(|l| l.split(" from ").nth(1))
        .and_then(|l| l.split(';').next())
        .unwrap_or("botocore")
}

/// A region AWS has (as of [`source`]).
pub fn is_known_region(name: &str) -> bool {
    entries(REGIONS).any(|r| r == name)
}

/// An EC2 instance type (as of [`source`]).
pub fn is_known_instance_type(name: &str) -> bool {
    entries(INSTANCE_TYPES).any(|t| t == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lists_hold_what_aws_has_and_nothing_made_up() {
        assert!(is_known_region("us-east-1") && is_known_region("us-gov-west-1"));
        assert!(!is_known_region("us-east-9") && !is_known_region("xx-fake-1"));
        assert!(is_known_instance_type("m6i.large") && is_known_instance_type("m7g.large"));
        assert!(!is_known_instance_type("zz99.large"));
        assert!(source().starts_with("botocore "), "{}", source());
    }
}
