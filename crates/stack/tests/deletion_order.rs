//! CloudFormation's order of deletion, derived from the synthesized templates: no
//! instance may be left waiting on a lifecycle hook whose handler is already gone.
//!
//! The rule (CloudFormation user guide, "DependsOn attribute"): "If the properties of
//! resource A use a !Ref to resource B ... Resource B is created before resource A.
//! Resource A is deleted before resource B." The same holds for `Fn::GetAtt`, for every
//! `${X}` and `${X.Attr}` an `Fn::Sub` string refers to, and for `DependsOn`. Resources
//! that do not depend on each other, directly or through others, are created and deleted
//! in parallel, in no order one can rely on; so "A is deleted before B" holds only when A
//! depends on B transitively.
//!
//! A terminating lifecycle hook holds every instance its group terminates in
//! `Terminating:Wait` until its handler completes the action or the heartbeat ends
//! (AWS::AutoScaling::LifecycleHook, `HeartbeatTimeout`). DeleteLifecycleHook completes
//! any outstanding action ("CONTINUE for terminating instances", EC2 Auto Scaling API
//! reference). So a hook deleted before anything its handling needs, and before its
//! group, never leaves an instance waiting; a hook that outlives its handler (one in the
//! group's `LifecycleHookSpecificationList` lives until the group is deleted) does.
//!
//! The same checks cover a failed create's rollback: CloudFormation creates a resource
//! only after all it depends on, so what exists when a create fails is closed under
//! dependencies, and the rollback deletes it in the same order as above.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;
use spotcover_cfn::references;
use spotcover_stack::{Asset, load_with};

const SHA: &str = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";
const TERMINATING: &str = "autoscaling:EC2_INSTANCE_TERMINATING";

fn synth(yaml: &str) -> Vec<Value> {
    let read = |path: &str| match path {
        "production-user-data.sh" => {
            Ok(include_str!("../../../examples/production-user-data.sh").to_owned())
        }
        other => Err(format!("no file {other} in this test")),
    };
    load_with(yaml, &read)
        .unwrap_or_else(|e| panic!("config errors: {e:?}"))
        .iter()
        .map(|r| {
            spotcover_stack::compose(&r.config, &Asset { sha256: SHA.into() })
                .unwrap()
                .to_value()
                .unwrap()
        })
        .collect()
}

/// Every example, both engines; and the fleet engine with a launch configuration and
/// with every alarm (more resources that refer to the group).
fn templates() -> Vec<(&'static str, Value)> {
    let alarms = format!(
        "{}\nobservability:\n  alarms:\n    uncovered_minutes: 5\n    reconciler_errors: true\n",
        include_str!("../../../examples/quickstart.yaml")
    );
    let mut out = Vec::new();
    for (name, yaml) in [
        (
            "quickstart",
            include_str!("../../../examples/quickstart.yaml"),
        ),
        (
            "production",
            include_str!("../../../examples/production.yaml"),
        ),
        (
            "seed-2017",
            include_str!("../../../examples/seed-2017.yaml"),
        ),
        (
            "multi-region",
            include_str!("../../../examples/multi-region.yaml"),
        ),
        ("asg", include_str!("../../../examples/asg.yaml")),
        ("quickstart with alarms", alarms.as_str()),
    ] {
        out.extend(synth(yaml).into_iter().map(|t| (name, t)));
    }
    out
}

/// The template's resources, and what each one depends on directly.
struct Deps {
    kinds: BTreeMap<String, String>,
    needs: BTreeMap<String, BTreeSet<String>>,
    props: BTreeMap<String, Value>,
}

impl Deps {
    fn of(doc: &Value) -> Deps {
        let resources = doc["Resources"].as_object().unwrap();
        let mut d = Deps {
            kinds: BTreeMap::new(),
            needs: BTreeMap::new(),
            props: BTreeMap::new(),
        };
        for (id, body) in resources {
            let mut needs: BTreeSet<String> = references(body)
                .iter()
                .map(|r| r.target().to_owned())
                .filter(|t| resources.contains_key(t))
                .collect();
            match &body["DependsOn"] {
                Value::String(s) => {
                    needs.insert(s.clone());
                }
                Value::Array(a) => needs.extend(a.iter().map(|v| v.as_str().unwrap().to_owned())),
                _ => {}
            }
            d.kinds
                .insert(id.clone(), body["Type"].as_str().unwrap().to_owned());
            d.needs.insert(id.clone(), needs);
            d.props.insert(id.clone(), body["Properties"].clone());
        }
        d
    }

    /// Everything `id` depends on, directly or through others: created before it,
    /// deleted after it.
    fn closure(&self, id: &str) -> BTreeSet<String> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![id.to_owned()];
        while let Some(next) = todo.pop() {
            for n in &self.needs[&next] {
                if seen.insert(n.clone()) {
                    todo.push(n.clone());
                }
            }
        }
        seen
    }

    /// Resources are deleted before `id` exactly when they depend on it transitively.
    fn deleted_before(&self, id: &str) -> BTreeSet<String> {
        self.kinds
            .keys()
            .filter(|other| self.closure(other).contains(id))
            .cloned()
            .collect()
    }

    fn of_kind<'a>(&'a self, kind: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.kinds
            .iter()
            .filter(move |(_, k)| *k == kind)
            .map(|(id, _)| id)
    }

    fn refers_to(&self, v: &Value, id: &str) -> bool {
        references(v).iter().any(|r| r.target() == id)
    }

    /// Each terminating hook: the resource that holds it (a hook of its own, or the
    /// group itself for an entry of its `LifecycleHookSpecificationList`) and its group.
    fn terminating_hooks(&self) -> Vec<(String, String)> {
        let mut out = Vec::new();
        for id in self.of_kind("AWS::AutoScaling::LifecycleHook") {
            let p = &self.props[id];
            if p["LifecycleTransition"] == TERMINATING {
                let group = references(&p["AutoScalingGroupName"])
                    .first()
                    .map(|r| r.target().to_owned())
                    .expect("a hook names its group with a Ref");
                out.push((id.clone(), group));
            }
        }
        for id in self.of_kind("AWS::AutoScaling::AutoScalingGroup") {
            if let Some(list) = self.props[id]["LifecycleHookSpecificationList"].as_array()
                && list.iter().any(|h| h["LifecycleTransition"] == TERMINATING)
            {
                out.push((id.clone(), id.clone()));
            }
        }
        out
    }

    /// What handling the group's lifecycle actions needs: each function whose role may
    /// `CompleteLifecycleAction` on the group; that role and every policy attached to
    /// it; every EventBridge rule that invokes the function (the hook's rule, and the
    /// schedule that finds instances held without an event) and every permission that
    /// lets something invoke it; an SNS topic that invokes it.
    fn handler(&self, group: &str) -> BTreeSet<String> {
        let mut out = BTreeSet::new();
        let grants_completion = |doc: &Value| {
            doc["Statement"].as_array().into_iter().flatten().any(|s| {
                let actions = match &s["Action"] {
                    Value::String(a) => vec![a.clone()],
                    Value::Array(a) => a
                        .iter()
                        .filter_map(|v| v.as_str().map(str::to_owned))
                        .collect(),
                    _ => vec![],
                };
                actions
                    .iter()
                    .any(|a| a == "autoscaling:CompleteLifecycleAction")
                    && self.refers_to(&s["Resource"], group)
            })
        };
        for role in self.of_kind("AWS::IAM::Role") {
            let inline = self.props[role]["Policies"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|p| grants_completion(&p["PolicyDocument"]));
            let attached: Vec<&String> = self
                .of_kind("AWS::IAM::Policy")
                .chain(self.of_kind("AWS::IAM::ManagedPolicy"))
                .filter(|p| self.refers_to(&self.props[*p]["Roles"], role))
                .collect();
            let granted = inline
                || attached
                    .iter()
                    .any(|p| grants_completion(&self.props[*p]["PolicyDocument"]));
            if !granted {
                continue;
            }
            for function in self.of_kind("AWS::Lambda::Function") {
                if !self.refers_to(&self.props[function]["Role"], role) {
                    continue;
                }
                out.insert(function.clone());
                out.insert(role.clone());
                out.extend(attached.iter().map(|p| (*p).clone()));
                for rule in self.of_kind("AWS::Events::Rule") {
                    if self.refers_to(&self.props[rule]["Targets"], function) {
                        out.insert(rule.clone());
                    }
                }
                for topic in self.of_kind("AWS::SNS::Topic") {
                    if self.refers_to(&self.props[topic]["Subscription"], function) {
                        out.insert(topic.clone());
                    }
                }
                for permission in self.of_kind("AWS::Lambda::Permission") {
                    if self.refers_to(&self.props[permission]["FunctionName"], function) {
                        out.insert(permission.clone());
                    }
                }
            }
        }
        out
    }
}

/// Every way a hook of `d` can hold an instance with its handler gone, or outlive its
/// group's deletion.
fn deletion_problems(name: &str, d: &Deps) -> Vec<String> {
    let mut out = Vec::new();
    for (hook, group) in d.terminating_hooks() {
        let handler = d.handler(&group);
        if handler.is_empty() {
            out.push(format!(
                "{name}: {hook} holds {group}'s instances but nothing completes its actions"
            ));
        }
        let after = d.closure(&hook);
        let gone_first: Vec<&String> = handler.iter().filter(|h| !after.contains(*h)).collect();
        if !gone_first.is_empty() {
            out.push(format!(
                "{name}: {hook} may still hold {group}'s instances when {gone_first:?} are deleted"
            ));
        }
        if hook != group && !after.contains(&group) {
            out.push(format!("{name}: {hook} is not deleted before {group}"));
        }
    }
    out
}

// A hook in the group's LifecycleHookSpecificationList is deleted with the group, after
// every resource that names the group (the function's environment, its role's
// statements, the hook's rule): each instance then waits out the heartbeat. Each hook
// must be deleted before everything its handling needs, and before its group.
#[test]
fn every_lifecycle_hook_is_deleted_before_its_handler_and_its_group() {
    let mut hooks = 0;
    for (name, doc) in templates() {
        let d = Deps::of(&doc);
        let problems = deletion_problems(name, &d);
        assert!(problems.is_empty(), "{problems:#?}");
        hooks += d.terminating_hooks().len();
        if d.of_kind("AWS::EC2::SpotFleet").next().is_some() {
            assert!(
                !d.terminating_hooks().is_empty(),
                "{name}: the fleet engine's on-demand group has a drain hook"
            );
        }
    }
    assert!(hooks > 0, "the check saw no hook at all");
}

// The check catches the layout it replaced: the same hook inside the group's
// LifecycleHookSpecificationList outlives the reconciler, its role and its rules.
#[test]
fn a_hook_inside_the_group_is_caught_outliving_its_handler() {
    let mut doc = synth(include_str!("../../../examples/quickstart.yaml")).remove(0);
    let hook = doc["Resources"]
        .as_object_mut()
        .unwrap()
        .remove("DrainHook")
        .unwrap();
    let mut spec = hook["Properties"].clone();
    spec.as_object_mut().unwrap().remove("AutoScalingGroupName");
    doc["Resources"]["OnDemandGroup"]["Properties"]["LifecycleHookSpecificationList"] =
        Value::Array(vec![spec]);
    let problems = deletion_problems("quickstart, hook in the group", &Deps::of(&doc));
    assert_eq!(problems.len(), 1, "{problems:#?}");
    for gone in ["ReconcilerFunction", "ReconcilerRole", "DrainHookRule"] {
        assert!(problems[0].contains(gone), "{problems:#?}");
    }
}

// CloudFormation user guide, "Stack failure options": a failed create rolls back by
// deleting what it created. What exists at a failure is closed under dependencies (a
// resource is created only after all it depends on), and the largest such set without a
// resource `r` is every resource that does not depend on `r`. In every one of them, a
// hook that exists has its whole handler with it, so the rollback deletes the hook
// first, as above; and no hook exists before its handler during a create.
#[test]
fn a_failed_create_never_leaves_a_hook_without_its_handler() {
    for (name, doc) in templates() {
        let d = Deps::of(&doc);
        for failed in d.kinds.keys() {
            let created: BTreeSet<&String> = d
                .kinds
                .keys()
                .filter(|id| *id != failed && !d.closure(id).contains(failed))
                .collect();
            for (hook, group) in d.terminating_hooks() {
                if !created.contains(&hook) {
                    continue;
                }
                let missing: Vec<String> = d
                    .handler(&group)
                    .into_iter()
                    .filter(|h| !created.contains(h))
                    .collect();
                assert!(
                    missing.is_empty(),
                    "{name}: when {failed} fails to create, {hook} exists without {missing:?}"
                );
            }
        }
    }
}

// Creation. The hook is created after the group, so an instance the group launched
// before the hook existed is not held at launch; this hook acts on termination, and an
// EC2_INSTANCE_TERMINATING hook holds every instance the group terminates after the
// hook exists, whenever it was launched. The group starts at its minimum (0 unless the
// config says more, `desired_capacity` at most that start) and only the reconciler,
// which the hook depends on and so exists first, or the config's own minimum raise it;
// in the seconds between the group's and the hook's creation nothing of this stack
// lowers the group, so no instance terminates unheld. Accepted.
#[test]
fn the_drain_hook_is_created_after_the_group_and_its_handler() {
    for (name, doc) in templates() {
        let d = Deps::of(&doc);
        for (hook, group) in d.terminating_hooks() {
            let before = d.closure(&hook);
            assert!(before.contains(&group), "{name}: {hook} before {group}");
            assert!(
                d.handler(&group).iter().all(|h| before.contains(h)),
                "{name}: {hook} is created before its handler"
            );
        }
    }
}

/// The deletion order of quickstart, for the record: what CloudFormation deletes before
/// the on-demand group.
#[test]
fn quickstart_deletes_the_hook_then_its_handler_then_the_group() {
    let doc = &synth(include_str!("../../../examples/quickstart.yaml"))[0];
    let d = Deps::of(doc);
    let before_group = d.deleted_before("OnDemandGroup");
    let before_hook = d.deleted_before("DrainHook");
    println!("deleted before OnDemandGroup: {before_group:?}");
    println!("deleted before DrainHook: {before_hook:?}");
    assert!(before_group.contains("DrainHook"));
    for h in d.handler("OnDemandGroup") {
        assert!(before_group.contains(&h), "{h} is deleted before the group");
        assert!(!before_hook.contains(&h), "{h} is deleted before the hook");
    }
}
