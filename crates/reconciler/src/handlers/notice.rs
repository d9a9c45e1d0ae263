//! An EC2 spot interruption warning (or, when configured, a rebalance recommendation):
//! find the instance's container instance in the stack's cluster
//! (`ListContainerInstances` + `DescribeContainerInstances`), then the configured
//! policy's cover ([`crate::policies::cover_notice`]). Under the demand policy: the
//! 2017 rule's per-notice cover below, then the demand policy's run, raise only. Under the 2017 rule: `DescribeAutoScalingGroups` -> [`decide_interruption`] -> apply in order, stopping at
//! the first error (but a failed drain, which only holds back the final mark):
//! `UpdateContainerInstancesState` DRAINING, read back (`DescribeContainerInstances`: a
//! lost drain write is an error Lambda retries), the claim (`PutAttributes`
//! `spotcover.covered=claim-<base>`, see `apply::cover`) read back
//! (`DescribeContainerInstances`), `SetDesiredCapacity` (HonorCooldown=false), the final
//! mark (`PutAttributes` `spotcover.covered=<epoch>`). The final mark, put last, makes a
//! repeated notice a no-op; a retry after a failed step completes what is missing, from
//! the claim's base; and the scheduled run finishes a claim no delivery confirmed. At
//! most 10 AWS calls; 1 for another cluster's instance, 0 for an ignored rebalance
//! recommendation.

use spotcover_reconciler_core::EpochSeconds;
use spotcover_reconciler_core::contract::events::InstanceNotice;
use spotcover_reconciler_core::interruption::decide_interruption;

use crate::adapters::{Aws, find_instance};
use crate::config::Config;
use crate::error::Error;
use crate::policies;
use crate::report::{self, InterruptionReport, Report};

/// Handles an interruption warning or rebalance recommendation (see the module docs).
pub async fn handle<A: Aws>(
    api: &A,
    config: &Config,
    notice: &InstanceNotice,
    now: EpochSeconds,
    dry_run: bool,
) -> Report {
    let mut r = Report::new(now, dry_run);
    r.group = Some(config.group_name.clone());
    let mut ir = InterruptionReport {
        notice: notice.notice,
        instance_id: notice.instance_id.clone(),
        instance_action: notice.instance_action.clone(),
        cluster: config.cluster.clone(),
        container_instance: None,
        group_state: None,
        decision: None,
        drained: false,
        raised: false,
        marked: false,
    };
    let ip = &config.interruption;
    // Before the instance is found: the decision that nothing is to be done.
    let nothing = || decide_interruption(&config.policy, ip, notice.notice, None, None);

    if !ip.acts_on(notice.notice) {
        ir.decision = Some(nothing());
        return report::of_notice(r, ir, None);
    }
    let Some(cluster) = config.cluster.as_deref() else {
        return report::of_notice(r, ir, Some(Error::NoCluster));
    };
    let (calls, found) = find_instance(api, cluster, &notice.instance_id).await;
    r.api_calls += calls;
    let ci = match found {
        Ok(Some(ci)) => ci,
        Ok(None) => {
            ir.decision = Some(nothing());
            return report::of_notice(r, ir, None);
        }
        Err(e) => return report::of_notice(r, ir, Some(e.into())),
    };
    policies::cover_notice(api, config, notice, ci, ir, r).await
}
