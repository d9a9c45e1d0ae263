//! What the cluster needs, in fleet units, from what the ECS API shows: the
//! [`ClusterView`](crate::need::ClusterView) the demand policy decides on.
//!
//! This is how capacity providers size a cluster (`CapacityProviderReservation`, ECS
//! developer guide, "Amazon ECS capacity providers for EC2 workloads" / "managed
//! scaling"): what the tasks reserve on the instances they run on, plus what the tasks
//! that could not be placed would reserve, against what the instances register.
//!
//! - **Placed:** per container instance, `registeredResources - remainingResources`
//!   (CPU units and memory MiB): what its tasks reserve (DescribeContainerInstances).
//!   Standalone tasks count too.
//! - **Waiting:** per service, `desiredCount - runningCount - pendingCount` tasks that
//!   exist nowhere yet (the service scheduler could not place them; DescribeServices),
//!   times the task definition's CPU and memory (DescribeTaskDefinition). A service
//!   whose task size is unknown counts its waiting tasks at the largest placed task's
//!   share (a guess that errs high is safer than one that errs at zero).
//! - **Units:** one fleet unit is the smallest `registered / weight` among the
//!   instances registered (per resource); with none registered, the last unit size
//!   seen (kept in the state), else [`UnitSize::FALLBACK`]. Demand is the larger of the
//!   CPU and memory needs, rounded up to whole units.

use serde::Serialize;

/// CPU units (1024 per vCPU) and memory MiB.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Resources {
    pub cpu: u64,
    pub memory: u64,
}

/// Which purchase option a container instance is, from the `spotcover.capacity`
/// attribute the user data sets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Purchase {
    Spot,
    OnDemand,
    /// No attribute: not an instance spotcover launched (it still serves tasks).
    Other,
}

/// A container instance as the demand policy reads it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Supply {
    pub purchase: Purchase,
    /// ACTIVE (takes tasks); false: DRAINING or on its way out.
    pub active: bool,
    /// Fleet units the instance counts for (its type's weight; the on-demand weight).
    pub weight: u32,
    pub registered: Resources,
    pub remaining: Resources,
}

/// A service as DescribeServices shows it, with its task size when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServiceNeed {
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    /// The task definition's CPU and memory, when read.
    pub task: Option<Resources>,
}

impl ServiceNeed {
    /// Tasks the service wants that exist nowhere.
    pub fn waiting(&self) -> u32 {
        self.desired
            .saturating_sub(self.running.saturating_add(self.pending))
    }
}

/// Resources per fleet unit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct UnitSize(pub Resources);

impl UnitSize {
    /// One vCPU and 2 GiB: an m-family instance's unit at weight = vCPUs. Used only
    /// until an instance has registered once.
    pub const FALLBACK: UnitSize = UnitSize(Resources {
        cpu: 1024,
        memory: 2048,
    });

    /// The smallest `registered / weight` among `supply`, per resource; `None` when
    /// nothing is registered.
    pub fn observed(supply: &[Supply]) -> Option<UnitSize> {
        let mut cpu = None::<u64>;
        let mut memory = None::<u64>;
        for s in supply.iter().filter(|s| s.weight > 0) {
            let w = u64::from(s.weight);
            if s.registered.cpu > 0 {
                let c = s.registered.cpu / w;
                cpu = Some(cpu.map_or(c, |x| x.min(c)));
            }
            if s.registered.memory > 0 {
                let m = s.registered.memory / w;
                memory = Some(memory.map_or(m, |x| x.min(m)));
            }
        }
        Some(UnitSize(Resources {
            cpu: cpu?.max(1),
            memory: memory?.max(1),
        }))
    }
}

/// Demand and spot supply in fleet units.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Units {
    pub demand: u32,
    pub spot_active: u32,
    pub spot_draining: u32,
    /// The unit size used (keep it for runs that see no instance).
    pub unit: UnitSize,
    /// Tasks services want that exist nowhere.
    pub waiting_tasks: u32,
}

fn to_u32(x: u64) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// The cluster's demand and spot supply in units (see the module docs).
pub fn units(supply: &[Supply], services: &[ServiceNeed], last_unit: Option<UnitSize>) -> Units {
    let unit = UnitSize::observed(supply)
        .or(last_unit)
        .unwrap_or(UnitSize::FALLBACK);
    let mut need = Resources::default();
    let mut largest_task = Resources::default();
    for s in supply {
        need.cpu += s.registered.cpu.saturating_sub(s.remaining.cpu);
        need.memory += s.registered.memory.saturating_sub(s.remaining.memory);
    }
    for t in services.iter().filter_map(|s| s.task) {
        largest_task.cpu = largest_task.cpu.max(t.cpu);
        largest_task.memory = largest_task.memory.max(t.memory);
    }
    let mut waiting_tasks = 0u32;
    for s in services {
        let n = s.waiting();
        waiting_tasks = waiting_tasks.saturating_add(n);
        let task = s.task.unwrap_or(largest_task);
        need.cpu += u64::from(n) * task.cpu;
        need.memory += u64::from(n) * task.memory;
    }
    let UnitSize(u) = unit;
    let demand = need
        .cpu
        .div_ceil(u.cpu.max(1))
        .max(need.memory.div_ceil(u.memory.max(1)));
    let spot = |active: bool| {
        supply
            .iter()
            .filter(|s| s.purchase == Purchase::Spot && s.active == active)
            .map(|s| u64::from(s.weight))
            .sum::<u64>()
    };
    Units {
        demand: to_u32(demand),
        spot_active: to_u32(spot(true)),
        spot_draining: to_u32(spot(false)),
        unit,
        waiting_tasks,
    }
}
