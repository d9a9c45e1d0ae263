//! The cluster's demand in fleet units from the ECS API's view (`demand` module docs),
//! one rule each.

use spotcover_reconciler_core::demand::*;

fn res(cpu: u64, memory: u64) -> Resources {
    Resources { cpu, memory }
}

/// An m6i.large (2 vCPU, ~7.5 GiB registered) at weight 2, with `used` reserved.
fn spot(active: bool, used: Resources) -> Supply {
    let registered = res(2048, 7680);
    Supply {
        purchase: Purchase::Spot,
        active,
        weight: 2,
        registered,
        remaining: res(registered.cpu - used.cpu, registered.memory - used.memory),
    }
}

#[test]
fn placed_tasks_count_what_they_reserve() {
    // 3 instances, each with 1.5 vCPU reserved: 4608 CPU units at 1024 per unit.
    let s = [spot(true, res(1536, 512)); 3];
    let u = units(&s, &[], None);
    assert_eq!(u.demand, 5); // ceil(4608 / 1024)
}

#[test]
fn waiting_tasks_count_at_their_task_definitions_size() {
    let s = [spot(true, res(0, 0))];
    let svc = ServiceNeed {
        desired: 10,
        running: 4,
        pending: 2,
        task: Some(res(512, 1024)),
    };
    let u = units(&s, &[svc], None);
    assert_eq!(u.waiting_tasks, 4);
    assert_eq!(u.demand, 2); // 4 * 512 = 2048 CPU: 2 units; memory 4096 / 3840 -> 2
}

#[test]
fn memory_counts_when_it_is_the_larger_need() {
    let s = [spot(true, res(256, 7000))];
    assert_eq!(units(&s, &[], None).demand, 2); // memory 7000 / 3840 -> 2, cpu 1
}

#[test]
fn a_waiting_task_of_unknown_size_counts_as_the_largest_known_task() {
    let s = [spot(true, res(0, 0))];
    let known = ServiceNeed {
        desired: 1,
        running: 1,
        pending: 0,
        task: Some(res(2048, 1024)),
    };
    let unknown = ServiceNeed {
        desired: 1,
        running: 0,
        pending: 0,
        task: None,
    };
    assert_eq!(units(&s, &[known, unknown], None).demand, 2);
}

#[test]
fn the_unit_is_the_smallest_registered_share_per_weight() {
    let small = spot(true, res(0, 0));
    let mut large = small;
    large.weight = 1; // the same size at weight 1: a larger unit
    assert_eq!(
        UnitSize::observed(&[small, large]),
        Some(UnitSize(res(1024, 3840)))
    );
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
    let mut od = spot(true, res(0, 0));
    od.purchase = Purchase::OnDemand;
    let u = units(
        &[spot(true, res(0, 0)), spot(false, res(0, 0)), od],
        &[],
        None,
    );
    assert_eq!((u.spot_active, u.spot_draining), (2, 2));
}

#[test]
fn cover_placed_on_on_demand_does_not_change_demand() {
    // The same tasks on spot or on on-demand instances: the same demand.
    let on_spot = units(&[spot(true, res(1024, 512))], &[], None);
    let mut od = spot(true, res(1024, 512));
    od.purchase = Purchase::OnDemand;
    let on_od = units(&[spot(true, res(0, 0)), od], &[], None);
    assert_eq!(on_spot.demand, on_od.demand);
}
