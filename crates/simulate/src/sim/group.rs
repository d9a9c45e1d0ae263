//! The on-demand Auto Scaling group in one world: `SetDesiredCapacity`, launches
//! (InService after the latency and jitter, registered later) and terminations, and its
//! cooldown counted from the end of the scaling activity.

use super::batches::OdBatch;
use super::world::{Env, World};

impl World {
    pub(super) fn od_alive(&self) -> u32 {
        self.od.iter().fold(0u32, |s, b| s.saturating_add(b.count))
    }

    /// Auto Scaling's `SetDesiredCapacity`, then the group converging on it. A call
    /// that honours the cooldown inside it is refused (returns false). The cooldown
    /// counts from the end of the scaling activity: for a scale-out, the minute the
    /// last instance it launched is InService; for a scale-in, the minute it
    /// terminates (Amazon EC2 Auto Scaling user guide, "Scaling cooldowns": the group
    /// "waits for a cooldown period to end" after it "launches or terminates
    /// instances"; `DefaultCooldown`: "the number of seconds after a scaling activity
    /// completes before another scaling activity can start").
    pub(super) fn set_desired(
        &mut self,
        env: &Env,
        t: u32,
        desired: u32,
        honor_cooldown: bool,
        cooldown_secs: u32,
        jitter: bool,
    ) -> bool {
        let cooling = self
            .activity_end
            .is_some_and(|e| t < e || u64::from(t - e) * 60 < u64::from(cooldown_secs));
        if honor_cooldown && cooling {
            return false;
        }
        let alive = self.od_alive();
        if desired > alive {
            let sc = env.scenario;
            let jitter = jitter && sc.on_demand.launch_jitter_minutes > 0;
            let mut end = t;
            // Without jitter every instance runs and registers at the same minute: one
            // batch, whatever the count.
            let draws = if jitter { desired - alive } else { 1 };
            let each = if jitter { 1 } else { desired - alive };
            for _ in 0..draws {
                let j = if jitter {
                    self.od_rng.upto(sc.on_demand.launch_jitter_minutes)
                } else {
                    0
                };
                let running_at = t
                    .saturating_add(sc.on_demand.launch_latency_minutes)
                    .saturating_add(j);
                let serve_at = running_at.saturating_add(sc.ecs_registration_minutes);
                end = end.max(running_at);
                match self
                    .od
                    .iter_mut()
                    .find(|b| b.running_at == running_at && b.serve_at == serve_at)
                {
                    Some(b) => b.count = b.count.saturating_add(each),
                    None => self.od.push(OdBatch {
                        count: each,
                        running_at,
                        serve_at,
                    }),
                }
            }
            self.activity_end = Some(end);
        } else if desired < alive {
            // Terminations are immediate: launching instances first, then the newest.
            let mut excess = alive - desired;
            while excess > 0 {
                let k = (0..self.od.len())
                    .max_by_key(|&k| (self.od[k].serve_at, k))
                    .expect("alive > 0");
                let n = excess.min(self.od[k].count);
                self.od[k].count -= n;
                excess -= n;
                if self.od[k].count == 0 {
                    self.od.remove(k);
                }
            }
            self.activity_end = Some(t);
        }
        true
    }
}
