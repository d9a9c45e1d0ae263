//! The config's `tags:`, added to spotcover's own on every taggable resource. Validation
//! refuses user keys spotcover sets (`Name`, `spotcover:*`) and AWS reserves (`aws:*`), so
//! the two never collide.

use spotcover_cfn::aws::Tag;
use spotcover_cfn::aws::autoscaling::AsgTag;

use crate::config::StackConfig;

/// spotcover's `own` tags, then the config's in key order.
pub(crate) fn with_own(c: &StackConfig, own: Vec<Tag>) -> Vec<Tag> {
    own.into_iter()
        .chain(c.tags.iter().map(|(k, v)| Tag::new(k.as_str(), v.as_str())))
        .collect()
}

/// The config's tags alone, for resources spotcover does not tag itself.
pub(crate) fn user(c: &StackConfig) -> Vec<Tag> {
    with_own(c, Vec::new())
}

/// As an Auto Scaling group takes them: each copied to the instances it launches.
pub(crate) fn propagated(tags: Vec<Tag>) -> Vec<AsgTag> {
    tags.into_iter()
        .map(|tag| AsgTag {
            key: tag.key,
            value: tag.value,
            propagate_at_launch: true,
        })
        .collect()
}
