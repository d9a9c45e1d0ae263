//! What the cluster needs, in fleet units, from what the ECS API shows: the
//! [`Observation`](crate::policy::demand::Observation) the demand policy decides on.
//!
//! This is how capacity providers size a cluster (`CapacityProviderReservation`, ECS
//! developer guide, "Amazon ECS capacity providers for EC2 workloads" / "managed
//! scaling"): what the tasks reserve on the instances they run on, plus what the tasks
//! that could not be placed would reserve, against what the instances register.
//!
//! - **Placed:** per container instance (ACTIVE or DRAINING: the cluster's), `registeredResources - remainingResources`
//!   (CPU units and memory MiB): what its tasks reserve (DescribeContainerInstances).
//!   Standalone tasks count too.
//! - **Waiting:** per service, `desiredCount - runningCount - pendingCount` tasks that
//!   exist nowhere yet (the service scheduler could not place them; DescribeServices),
//!   each at its size when known ([`ServiceNeed::task`]), else at the average task placed
//!   in the cluster (what the instances reserve divided by the tasks they run), else at
//!   one unit. Reading each task definition would take a call and, more, the SDK's
//!   `DescribeTaskDefinition` shape pushed the Lambda's zip over its 2,000,000-byte
//!   budget; the average is exact for a cluster of one task size, and a service's
//!   replacement tasks are mostly of the kind that runs.
//! - **Supply:** spot instances count their weight (ACTIVE, or DRAINING: leaving); the
//!   cluster's other instances, not launched by spotcover, count their registered size
//!   in units; the on-demand group's instances are the cover, not supply, so that cover
//!   arriving never lowers what spot is asked for.
//! - **Units:** one fleet unit is the smallest `registered / weight` among the
//!   instances registered (per resource); with none registered, the last unit size
//!   seen (kept in the state), else [`UnitSize::FALLBACK`]. Demand is the larger of the
//!   CPU and memory needs, rounded up to whole units.

use serde::Serialize;

use crate::ecs::{CapacityKind, ContainerInstance, InstanceStatus, Resources};

/// A service as DescribeServices shows it, with its task size when known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ServiceNeed {
    pub desired: u32,
    pub running: u32,
    pub pending: u32,
    /// The task's CPU and memory, when known (the Lambda does not read task
    /// definitions: see the module docs).
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

/// A container instance with the fleet units it counts for (its type's weight, or the
/// on-demand weight).
#[derive(Debug, Clone, Copy)]
pub struct Weighted<'a> {
    pub instance: &'a ContainerInstance,
    pub weight: u32,
}

impl UnitSize {
    /// One vCPU and 2 GiB: an m-family instance's unit at weight = vCPUs. Used only
    /// until an instance has registered once.
    pub const FALLBACK: UnitSize = UnitSize(Resources {
        cpu_units: 1024,
        memory_mib: 2048,
    });

    /// The smallest `registered / weight` among `supply`, per resource; `None` when
    /// nothing is registered.
    pub fn observed(supply: &[Weighted]) -> Option<UnitSize> {
        let mut cpu = None::<u32>;
        let mut memory = None::<u32>;
        for s in supply.iter().filter(|s| s.weight > 0) {
            let r = s.instance.registered;
            if r.cpu_units > 0 {
                let c = r.cpu_units / s.weight;
                cpu = Some(cpu.map_or(c, |x| x.min(c)));
            }
            if r.memory_mib > 0 {
                let m = r.memory_mib / s.weight;
                memory = Some(memory.map_or(m, |x| x.min(m)));
            }
        }
        Some(UnitSize(Resources {
            cpu_units: cpu?.max(1),
            memory_mib: memory?.max(1),
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
pub fn units(supply: &[Weighted], services: &[ServiceNeed], last_unit: Option<UnitSize>) -> Units {
    // The cluster's instances: ACTIVE, or DRAINING with tasks still on them.
    let live: Vec<Weighted> = supply
        .iter()
        .filter(|s| {
            matches!(
                s.instance.status,
                InstanceStatus::Active | InstanceStatus::Draining
            )
        })
        .copied()
        .collect();
    let supply = &live[..];
    let unit = UnitSize::observed(supply)
        .or(last_unit)
        .unwrap_or(UnitSize::FALLBACK);
    let (mut cpu, mut memory) = (0u64, 0u64);
    for s in supply {
        let (r, left) = (s.instance.registered, s.instance.remaining);
        cpu += u64::from(r.cpu_units.saturating_sub(left.cpu_units));
        memory += u64::from(r.memory_mib.saturating_sub(left.memory_mib));
    }
    // The average placed task: what the instances reserve over the tasks they hold.
    let placed_tasks: u64 = supply
        .iter()
        .map(|s| u64::from(s.instance.running_tasks) + u64::from(s.instance.pending_tasks))
        .sum();
    let UnitSize(u) = unit;
    let average = if placed_tasks > 0 {
        Resources {
            cpu_units: u32::try_from(cpu.div_ceil(placed_tasks)).unwrap_or(u32::MAX),
            memory_mib: u32::try_from(memory.div_ceil(placed_tasks)).unwrap_or(u32::MAX),
        }
    } else {
        u
    };
    let mut waiting_tasks = 0u32;
    for s in services {
        let n = s.waiting();
        waiting_tasks = waiting_tasks.saturating_add(n);
        let task = s.task.unwrap_or(average);
        cpu += u64::from(n) * u64::from(task.cpu_units);
        memory += u64::from(n) * u64::from(task.memory_mib);
    }
    let demand = cpu
        .div_ceil(u64::from(u.cpu_units.max(1)))
        .max(memory.div_ceil(u64::from(u.memory_mib.max(1))));
    // Supply that is not the on-demand cover: spot instances at their weight, and the
    // cluster's other instances (not launched by spotcover) at their registered size.
    let size_in_units = |r: Resources| {
        u64::from(r.cpu_units / u.cpu_units.max(1))
            .min(u64::from(r.memory_mib / u.memory_mib.max(1)))
    };
    let spot = |active: bool| {
        supply
            .iter()
            .filter(|s| (s.instance.status == InstanceStatus::Active) == active)
            .map(|s| match s.instance.capacity {
                CapacityKind::Spot => u64::from(s.weight),
                CapacityKind::Unknown => size_in_units(s.instance.registered),
                CapacityKind::OnDemand => 0,
            })
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
