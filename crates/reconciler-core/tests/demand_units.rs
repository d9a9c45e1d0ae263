//! The cluster's demand in fleet units from the ECS API's view (`demand` module docs),
//! one rule each.

use spotcover_reconciler_core::ecs::{CapacityKind, ContainerInstance, InstanceStatus, Resources};
use spotcover_reconciler_core::policy::demand::units::*;

fn res(cpu_units: u32, memory_mib: u32) -> Resources {
    Resources {
        cpu_units,
        memory_mib,
    }
}

/// An m6i.large (2 vCPU, 7.5 GiB registered) with `used` reserved.
fn instance(status: InstanceStatus, capacity: CapacityKind, used: Resources) -> ContainerInstance {
    let registered = res(2048, 7680);
    let mut ci = ContainerInstance::new("arn:ci", Some("i-1".into()));
    ci.status = status;
    ci.capacity = capacity;
    ci.registered = registered;
    ci.remaining = res(
        registered.cpu_units - used.cpu_units,
        registered.memory_mib - used.memory_mib,
    );
    ci
}

fn spot(used: Resources) -> ContainerInstance {
    instance(InstanceStatus::Active, CapacityKind::Spot, used)
}

/// Every instance at weight 2.
fn at_weight_2(all: &[ContainerInstance]) -> Vec<Weighted<'_>> {
    all.iter()
        .map(|instance| Weighted {
            instance,
            weight: 2,
        })
        .collect()
}

#[test]
fn placed_tasks_count_what_they_reserve() {
    // 3 instances, each with 1.5 vCPU reserved: 4608 CPU units at 1024 per unit.
    let all = [
        spot(res(1536, 512)),
        spot(res(1536, 512)),
        spot(res(1536, 512)),
    ];
    assert_eq!(units(&at_weight_2(&all), &[], None).demand, 5);
}

#[test]
fn waiting_tasks_count_at_their_task_definitions_size() {
    let all = [spot(res(0, 0))];
    let svc = ServiceNeed {
        desired: 10,
        running: 4,
        pending: 2,
        task: Some(res(512, 1024)),
    };
    let u = units(&at_weight_2(&all), &[svc], None);
    assert_eq!(u.waiting_tasks, 4);
    assert_eq!(u.demand, 2); // 4 * 512 CPU = 2 units; memory 4096 / 3840 -> 2
}

#[test]
fn memory_counts_when_it_is_the_larger_need() {
    let all = [spot(res(256, 7000))];
    assert_eq!(units(&at_weight_2(&all), &[], None).demand, 2);
}

#[test]
fn a_waiting_task_of_unknown_size_counts_as_the_average_placed_task() {
    // One instance holds 2 tasks reserving 1024 CPU and 2048 MiB: 512 / 1024 each.
    let mut ci = spot(res(1024, 2048));
    ci.running_tasks = 2;
    let all = [ci];
    let waiting = ServiceNeed {
        desired: 6,
        running: 2,
        pending: 0,
        task: None,
    };
    // 1024 placed + 4 * 512 waiting = 3072 CPU: 3 units (memory 6144 / 3840: 2).
    assert_eq!(units(&at_weight_2(&all), &[waiting], None).demand, 3);
}

#[test]
fn with_no_task_placed_a_waiting_task_counts_one_unit() {
    let all = [spot(res(0, 0))];
    let waiting = ServiceNeed {
        desired: 3,
        running: 0,
        pending: 0,
        task: None,
    };
    assert_eq!(units(&at_weight_2(&all), &[waiting], None).demand, 3);
}

#[test]
fn the_unit_is_the_smallest_registered_share_per_weight() {
    let all = [spot(res(0, 0)), spot(res(0, 0))];
    let mixed = [
        Weighted {
            instance: &all[0],
            weight: 2,
        },
        Weighted {
            instance: &all[1],
            weight: 1,
        },
    ];
    assert_eq!(UnitSize::observed(&mixed), Some(UnitSize(res(1024, 3840))));
}

#[test]
fn with_nothing_registered_the_last_unit_seen_is_used() {
    let waiting = ServiceNeed {
        desired: 4,
        running: 0,
        pending: 0,
        task: Some(res(1024, 512)),
    };
    let last = UnitSize(res(2048, 8192));
    assert_eq!(units(&[], &[waiting], Some(last)).demand, 2);
    assert_eq!(units(&[], &[waiting], None).unit, UnitSize::FALLBACK);
}

#[test]
fn spot_supply_is_split_into_active_and_draining_and_excludes_on_demand() {
    let all = [
        spot(res(0, 0)),
        instance(InstanceStatus::Draining, CapacityKind::Spot, res(0, 0)),
        instance(InstanceStatus::Active, CapacityKind::OnDemand, res(0, 0)),
        instance(InstanceStatus::Inactive, CapacityKind::Spot, res(0, 0)),
    ];
    let u = units(&at_weight_2(&all), &[], None);
    assert_eq!((u.spot_active, u.spot_draining), (2, 2));
}

#[test]
fn cover_placed_on_on_demand_does_not_change_demand() {
    let on_spot = [spot(res(1024, 512))];
    let on_od = [
        spot(res(0, 0)),
        instance(
            InstanceStatus::Active,
            CapacityKind::OnDemand,
            res(1024, 512),
        ),
    ];
    assert_eq!(
        units(&at_weight_2(&on_spot), &[], None).demand,
        units(&at_weight_2(&on_od), &[], None).demand
    );
}

#[test]
fn the_clusters_other_instances_count_as_supply_at_their_registered_size() {
    // An instance spotcover did not launch (no capacity attribute), 2 vCPU: 2 units.
    let all = [
        spot(res(0, 0)),
        instance(InstanceStatus::Active, CapacityKind::Unknown, res(0, 0)),
    ];
    let weighted = [
        Weighted {
            instance: &all[0],
            weight: 2,
        },
        Weighted {
            instance: &all[1],
            weight: 0,
        },
    ];
    assert_eq!(units(&weighted, &[], None).spot_active, 4);
}
