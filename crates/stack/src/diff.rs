//! What changes between two sets of templates, and what CloudFormation will do about it.
//!
//! One file (with its tests) on purpose: computing a `StackDiff` and its
//! three renderings (text, Markdown, JSON) share the same types, and each renderer is short.

use std::collections::BTreeSet;

use serde::Serialize;
use serde_json::Value;
use spotcover_cfn::update::{UpdateAction, facts};

/// Templates by name (file name without its extension), old and new.
pub type Templates = Vec<(String, Value)>;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StackDiff {
    pub templates: Vec<TemplateDiff>,
}

impl StackDiff {
    pub fn is_empty(&self) -> bool {
        self.templates.iter().all(|t| t.change == Change::Unchanged)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    Added,
    Removed,
    Modified,
    Unchanged,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TemplateDiff {
    pub name: String,
    pub change: Change,
    pub resources: Vec<ResourceDiff>,
    pub parameters: Vec<NamedChange>,
    pub outputs: Vec<NamedChange>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct NamedChange {
    pub name: String,
    pub change: Change,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResourceDiff {
    pub id: String,
    #[serde(rename = "type")]
    pub kind: String,
    pub change: Change,
    /// For a modified resource, the most drastic effect of its changes.
    pub action: Option<UpdateAction>,
    pub properties: Vec<PropertyDiff>,
    /// Changes a reviewer must not miss, in words.
    pub warnings: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PropertyDiff {
    /// Dotted path below `Properties`, list items as `[i]`.
    pub path: String,
    pub old: Option<Value>,
    pub new: Option<Value>,
    pub action: UpdateAction,
}

/// Pairs templates by name; with one template on each side, pairs them whatever their names.
pub fn diff(old: &Templates, new: &Templates) -> StackDiff {
    let mut templates = Vec::new();
    if old.len() == 1 && new.len() == 1 {
        let name = if old[0].0 == new[0].0 {
            new[0].0.clone()
        } else {
            format!("{} → {}", old[0].0, new[0].0)
        };
        templates.push(diff_template(name, Some(&old[0].1), Some(&new[0].1)));
    } else {
        let names: BTreeSet<&String> = old.iter().chain(new).map(|(n, _)| n).collect();
        fn find<'a>(side: &'a Templates, n: &str) -> Option<&'a Value> {
            side.iter().find(|(m, _)| m == n).map(|(_, v)| v)
        }
        for name in names {
            templates.push(diff_template(
                name.clone(),
                find(old, name),
                find(new, name),
            ));
        }
    }
    StackDiff { templates }
}

fn section<'a>(doc: Option<&'a Value>, key: &str) -> Vec<(&'a String, &'a Value)> {
    doc.and_then(|d| d.get(key))
        .and_then(Value::as_object)
        .map(|m| m.iter().collect())
        .unwrap_or_default()
}

fn diff_template(name: String, old: Option<&Value>, new: Option<&Value>) -> TemplateDiff {
    let change = match (old, new) {
        (None, Some(_)) => Change::Added,
        (Some(_), None) => Change::Removed,
        (Some(a), Some(b)) if a == b => Change::Unchanged,
        _ => Change::Modified,
    };
    let old_res = section(old, "Resources");
    let new_res = section(new, "Resources");
    let mut resources = Vec::new();
    // Old order first, then what only the new side has: both are dependency orders.
    let mut ids: Vec<&String> = old_res.iter().map(|(id, _)| *id).collect();
    ids.extend(
        new_res
            .iter()
            .map(|(id, _)| *id)
            .filter(|id| !old_res.iter().any(|(o, _)| o == id)),
    );
    for id in ids {
        let a = old_res.iter().find(|(i, _)| *i == id).map(|(_, v)| *v);
        let b = new_res.iter().find(|(i, _)| *i == id).map(|(_, v)| *v);
        if let Some(d) = diff_resource(id, a, b) {
            resources.push(d);
        }
    }
    TemplateDiff {
        name,
        change,
        resources,
        parameters: named_changes(&section(old, "Parameters"), &section(new, "Parameters")),
        outputs: named_changes(&section(old, "Outputs"), &section(new, "Outputs")),
    }
}

fn named_changes(old: &[(&String, &Value)], new: &[(&String, &Value)]) -> Vec<NamedChange> {
    let names: BTreeSet<&String> = old.iter().chain(new).map(|(n, _)| *n).collect();
    names
        .into_iter()
        .filter_map(|n| {
            let a = old.iter().find(|(m, _)| *m == n);
            let b = new.iter().find(|(m, _)| *m == n);
            let change = match (a, b) {
                (None, Some(_)) => Change::Added,
                (Some(_), None) => Change::Removed,
                (Some(a), Some(b)) if a.1 != b.1 => Change::Modified,
                _ => return None,
            };
            Some(NamedChange {
                name: n.clone(),
                change,
            })
        })
        .collect()
}

fn diff_resource(id: &str, old: Option<&Value>, new: Option<&Value>) -> Option<ResourceDiff> {
    let kind = |v: Option<&Value>| v.and_then(|r| r["Type"].as_str()).unwrap_or("?").to_owned();
    let mut d = ResourceDiff {
        id: id.to_owned(),
        kind: kind(new.or(old)),
        change: Change::Modified,
        action: None,
        properties: Vec::new(),
        warnings: Vec::new(),
    };
    match (old, new) {
        (None, None) => return None,
        (None, Some(_)) => d.change = Change::Added,
        (Some(_), None) => {
            d.change = Change::Removed;
            if d.kind == "AWS::EC2::SpotFleet" || d.kind == "AWS::AutoScaling::AutoScalingGroup" {
                d.warnings
                    .push("deleting it terminates its instances".to_owned());
            }
        }
        (Some(a), Some(b)) if a == b => return None,
        (Some(a), Some(b)) => {
            if kind(Some(a)) != kind(Some(b)) {
                d.action = Some(UpdateAction::Replace);
                d.warnings
                    .push(format!("type changes from {}: replaced", kind(Some(a))));
            }
            let mut changes = Vec::new();
            walk(
                &a["Properties"],
                &b["Properties"],
                &mut Vec::new(),
                &mut changes,
            );
            let facts = facts(&d.kind);
            for (path, old, new) in changes {
                let action = match facts {
                    Some(f) => f.action(&path),
                    // Unknown to us: assume the worst, say so.
                    None => UpdateAction::Replace,
                };
                d.properties.push(PropertyDiff {
                    path: dotted(&path),
                    old,
                    new,
                    action,
                });
            }
            for attr in [
                "DependsOn",
                "Metadata",
                "DeletionPolicy",
                "UpdateReplacePolicy",
            ] {
                if a.get(attr) != b.get(attr) {
                    d.properties.push(PropertyDiff {
                        path: format!("({attr})"),
                        old: a.get(attr).cloned(),
                        new: b.get(attr).cloned(),
                        action: UpdateAction::InPlace,
                    });
                }
            }
            d.action = d.properties.iter().map(|p| p.action).chain(d.action).max();
            d.warnings.extend(managed_value_warnings(&d));
        }
    }
    Some(d)
}

/// Values Application Auto Scaling or the reconciler own: a template change resets them.
fn managed_value_warnings(d: &ResourceDiff) -> Vec<String> {
    let mut out = Vec::new();
    for p in &d.properties {
        match (d.kind.as_str(), p.path.as_str()) {
            ("AWS::EC2::SpotFleet", "SpotFleetRequestConfigData.TargetCapacity") => out.push(
                "resets the fleet's TargetCapacity, which Application Auto Scaling manages".into(),
            ),
            ("AWS::AutoScaling::AutoScalingGroup", "DesiredCapacity") => {
                out.push("resets the group's DesiredCapacity, which the reconciler manages".into())
            }
            ("AWS::EC2::SpotFleet", path)
                if path.starts_with("SpotFleetRequestConfigData.LaunchTemplateConfigs") =>
            {
                let note = "the fleet is modified in place: new instances come from the new pools, running ones stay until interrupted or scaled in";
                if !out.iter().any(|w| w == note) {
                    out.push(note.into());
                }
            }
            _ => {}
        }
    }
    out
}

fn walk(
    a: &Value,
    b: &Value,
    path: &mut Vec<String>,
    out: &mut Vec<(Vec<String>, Option<Value>, Option<Value>)>,
) {
    if a == b {
        return;
    }
    match (a, b) {
        // Intrinsics are values, not structure: report them whole.
        (Value::Object(x), Value::Object(y)) if !is_intrinsic(x) && !is_intrinsic(y) => {
            let keys: BTreeSet<&String> = x.keys().chain(y.keys()).collect();
            for k in keys {
                path.push(k.clone());
                match (x.get(k), y.get(k)) {
                    (Some(u), Some(v)) => walk(u, v, path, out),
                    (u, v) => out.push((path.clone(), u.cloned(), v.cloned())),
                }
                path.pop();
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (u, v)) in x.iter().zip(y).enumerate() {
                path.push(i.to_string());
                walk(u, v, path, out);
                path.pop();
            }
        }
        _ => out.push((path.clone(), Some(a.clone()), Some(b.clone()))),
    }
}

fn is_intrinsic(m: &serde_json::Map<String, Value>) -> bool {
    m.len() == 1
        && m.keys()
            .next()
            .is_some_and(|k| k == "Ref" || k.starts_with("Fn::"))
}

fn dotted(path: &[String]) -> String {
    let mut s = String::new();
    for seg in path {
        if seg.chars().all(|c| c.is_ascii_digit()) {
            s.push_str(&format!("[{seg}]"));
        } else {
            if !s.is_empty() {
                s.push('.');
            }
            s.push_str(seg);
        }
    }
    s
}

fn action_word(a: Option<UpdateAction>) -> &'static str {
    match a {
        Some(UpdateAction::Replace) => "REPLACE",
        Some(UpdateAction::Conditional) => "may replace",
        Some(UpdateAction::InPlace) => "update in place",
        None => "",
    }
}

fn value(v: &Option<Value>) -> String {
    v.as_ref()
        .map_or_else(|| "(none)".to_owned(), Value::to_string)
}

fn change_word(c: Change) -> &'static str {
    match c {
        Change::Added => "added",
        Change::Removed => "removed",
        Change::Modified => "modified",
        Change::Unchanged => "unchanged",
    }
}

fn marker(c: Change) -> &'static str {
    match c {
        Change::Added => "+",
        Change::Removed => "-",
        Change::Modified => "~",
        Change::Unchanged => "=",
    }
}

/// For a terminal; `color` adds ANSI colours (red for replacements and removals).
pub fn render_text(d: &StackDiff, color: bool) -> String {
    let paint = |code: &str, s: &str| {
        if color {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    };
    let mut out = String::new();
    for t in &d.templates {
        let head = format!(
            "{} {} ({})",
            marker(t.change),
            t.name,
            change_word(t.change)
        );
        out.push_str(&paint("1", &head));
        out.push('\n');
        for r in &t.resources {
            let code = match (r.change, r.action) {
                (Change::Removed, _) | (_, Some(UpdateAction::Replace)) => "31",
                (Change::Added, _) => "32",
                _ => "33",
            };
            let line = format!(
                "  {} {} ({}) {}",
                marker(r.change),
                r.id,
                r.kind,
                match r.change {
                    Change::Added => "add",
                    Change::Removed => "remove",
                    _ => action_word(r.action),
                }
            );
            out.push_str(&paint(code, line.trim_end()));
            out.push('\n');
            for p in &r.properties {
                out.push_str(&format!(
                    "      {}: {} -> {}  [{}]\n",
                    p.path,
                    value(&p.old),
                    value(&p.new),
                    action_word(Some(p.action))
                ));
            }
            for w in &r.warnings {
                out.push_str(&paint("31", &format!("      ! {w}")));
                out.push('\n');
            }
        }
        for (what, items) in [("parameter", &t.parameters), ("output", &t.outputs)] {
            for n in items {
                out.push_str(&format!(
                    "  {} {what} {} ({})\n",
                    marker(n.change),
                    n.name,
                    change_word(n.change)
                ));
            }
        }
    }
    if d.is_empty() {
        out.push_str("no changes\n");
    }
    out
}

/// For a pull request comment.
pub fn render_markdown(d: &StackDiff) -> String {
    let cell = |s: &str| s.replace('|', "\\|");
    let mut out = String::from("## spotcover diff\n\n");
    if d.is_empty() {
        out.push_str("No changes.\n");
        return out;
    }
    let replaced: Vec<&str> = d
        .templates
        .iter()
        .flat_map(|t| &t.resources)
        .filter(|r| r.action == Some(UpdateAction::Replace) || r.change == Change::Removed)
        .map(|r| r.id.as_str())
        .collect();
    if !replaced.is_empty() {
        out.push_str(&format!(
            "> [!CAUTION]\n> Replaced or removed: {}\n\n",
            replaced
                .iter()
                .map(|id| format!("`{id}`"))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    for t in &d.templates {
        out.push_str(&format!("### `{}` ({})\n\n", t.name, change_word(t.change)));
        if t.change == Change::Unchanged {
            continue;
        }
        if !t.resources.is_empty() {
            out.push_str("| | resource | type | effect | changes |\n|---|---|---|---|---|\n");
            for r in &t.resources {
                let effect = match r.change {
                    Change::Added => "add".to_owned(),
                    Change::Removed => "**remove**".to_owned(),
                    _ if r.action == Some(UpdateAction::Replace) => "**REPLACE**".to_owned(),
                    _ => action_word(r.action).to_owned(),
                };
                let mut changes: Vec<String> = r
                    .properties
                    .iter()
                    .map(|p| {
                        format!(
                            "`{}`: `{}` → `{}` ({})",
                            p.path,
                            cell(&value(&p.old)),
                            cell(&value(&p.new)),
                            action_word(Some(p.action))
                        )
                    })
                    .collect();
                changes.extend(r.warnings.iter().map(|w| format!("⚠️ {w}")));
                out.push_str(&format!(
                    "| {} | `{}` | `{}` | {} | {} |\n",
                    marker(r.change),
                    r.id,
                    r.kind,
                    effect,
                    changes.join("<br>")
                ));
            }
            out.push('\n');
        }
        for (what, items) in [("Parameter", &t.parameters), ("Output", &t.outputs)] {
            for n in items {
                out.push_str(&format!(
                    "- {what} `{}`: {}\n",
                    n.name,
                    change_word(n.change)
                ));
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fleet(strategy: &str, capacity: u32) -> Value {
        json!({"Resources": {"SpotFleet": {"Type": "AWS::EC2::SpotFleet", "Properties": {
            "SpotFleetRequestConfigData": {"AllocationStrategy": strategy, "TargetCapacity": capacity}
        }}}})
    }

    #[test]
    fn equal_templates_have_no_diff() {
        let t = vec![("a".to_owned(), fleet("diversified", 2))];
        assert!(diff(&t, &t).is_empty());
    }

    #[test]
    fn target_capacity_is_in_place_but_flagged() {
        let d = diff(
            &vec![("a".into(), fleet("diversified", 2))],
            &vec![("a".into(), fleet("diversified", 4))],
        );
        let r = &d.templates[0].resources[0];
        assert_eq!(r.action, Some(UpdateAction::InPlace));
        assert_eq!(
            r.properties[0].path,
            "SpotFleetRequestConfigData.TargetCapacity"
        );
        assert_eq!(
            (r.properties[0].old.clone(), r.properties[0].new.clone()),
            (Some(json!(2)), Some(json!(4)))
        );
        assert!(r.warnings[0].contains("Application Auto Scaling"));
    }

    #[test]
    fn allocation_strategy_replaces_the_fleet() {
        let d = diff(
            &vec![("a".into(), fleet("diversified", 2))],
            &vec![("a".into(), fleet("lowestPrice", 2))],
        );
        assert_eq!(
            d.templates[0].resources[0].action,
            Some(UpdateAction::Replace)
        );
    }

    #[test]
    fn templates_pair_by_name_and_regions_come_and_go() {
        let old = vec![("s.us-east-1".into(), fleet("diversified", 2))];
        let new = vec![
            ("s.eu-west-1".into(), fleet("diversified", 2)),
            ("s.us-east-1".into(), fleet("diversified", 2)),
            ("s.us-west-2".into(), fleet("diversified", 2)),
        ];
        let d = diff(&old, &new);
        let changes: Vec<(&str, Change)> = d
            .templates
            .iter()
            .map(|t| (t.name.as_str(), t.change))
            .collect();
        assert_eq!(
            changes,
            [
                ("s.eu-west-1", Change::Added),
                ("s.us-east-1", Change::Unchanged),
                ("s.us-west-2", Change::Added)
            ]
        );
    }
}
