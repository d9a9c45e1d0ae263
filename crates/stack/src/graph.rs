//! A picture of a stack: its resources, and how control flows between them.

use serde_json::Value;
use spotcover_cfn::references;

/// An edge between two resources. Control flow edges are labelled; the rest are plain
/// references (roles, permissions, logs) and drawn dashed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edge {
    pub from: String,
    pub to: String,
    pub label: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Graph {
    /// Logical id and type, in template order.
    pub nodes: Vec<(String, String)>,
    pub edges: Vec<Edge>,
}

/// How a reference from a resource of one type to one of another reads as control flow:
/// `(referrer, referenced, forward, label)`. `forward` false draws it the other way.
const FLOW: &[(&str, &str, bool, &str)] = &[
    (
        "AWS::CloudWatch::Alarm",
        "AWS::SNS::Topic",
        true,
        "notifies",
    ),
    (
        "AWS::CloudWatch::Alarm",
        "AWS::EC2::SpotFleet",
        false,
        "PendingCapacity > 0",
    ),
    ("AWS::SNS::Topic", "AWS::Lambda::Function", true, "invokes"),
    (
        "AWS::Events::Rule",
        "AWS::Lambda::Function",
        true,
        "invokes",
    ),
    (
        "AWS::Events::Rule",
        "AWS::EC2::SpotFleet",
        false,
        "fleet events",
    ),
    (
        "AWS::Lambda::Function",
        "AWS::AutoScaling::AutoScalingGroup",
        true,
        "SetDesiredCapacity",
    ),
    (
        "AWS::Lambda::Function",
        "AWS::EC2::SpotFleet",
        true,
        "observes",
    ),
    (
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::ApplicationAutoScaling::ScalableTarget",
        true,
        "scales",
    ),
    (
        "AWS::ApplicationAutoScaling::ScalableTarget",
        "AWS::EC2::SpotFleet",
        true,
        "TargetCapacity",
    ),
    (
        "AWS::ApplicationAutoScaling::ScalingPolicy",
        "AWS::ECS::Cluster",
        false,
        "reservation",
    ),
    (
        "AWS::EC2::SpotFleet",
        "AWS::EC2::LaunchTemplate",
        true,
        "launches",
    ),
    (
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::EC2::LaunchTemplate",
        true,
        "launches",
    ),
    (
        "AWS::AutoScaling::AutoScalingGroup",
        "AWS::AutoScaling::LaunchConfiguration",
        true,
        "launches",
    ),
    (
        "AWS::EC2::LaunchTemplate",
        "AWS::ECS::Cluster",
        true,
        "instances join",
    ),
    (
        "AWS::AutoScaling::LaunchConfiguration",
        "AWS::ECS::Cluster",
        true,
        "instances join",
    ),
    (
        "AWS::EC2::SpotFleet",
        "AWS::ECS::Cluster",
        true,
        "instances join",
    ),
];

impl Graph {
    pub fn from_template(doc: &Value) -> Graph {
        let resources: Vec<(&String, &Value)> = doc
            .get("Resources")
            .and_then(Value::as_object)
            .map(|m| m.iter().collect())
            .unwrap_or_default();
        let kind = |id: &str| {
            resources
                .iter()
                .find(|(i, _)| *i == id)
                .and_then(|(_, r)| r["Type"].as_str())
        };
        let nodes = resources
            .iter()
            .map(|(id, r)| ((*id).clone(), r["Type"].as_str().unwrap_or("?").to_owned()))
            .collect();
        let mut edges: Vec<Edge> = Vec::new();
        for (id, r) in &resources {
            let from_kind = r["Type"].as_str().unwrap_or_default();
            for reference in references(&r["Properties"]) {
                let to = reference.target();
                let Some(to_kind) = kind(to) else { continue };
                let edge = match FLOW.iter().find(|f| f.0 == from_kind && f.1 == to_kind) {
                    Some((_, _, true, label)) => Edge {
                        from: (*id).clone(),
                        to: to.to_owned(),
                        label: Some((*label).to_owned()),
                    },
                    Some((_, _, false, label)) => Edge {
                        from: to.to_owned(),
                        to: (*id).clone(),
                        label: Some((*label).to_owned()),
                    },
                    None => Edge {
                        from: (*id).clone(),
                        to: to.to_owned(),
                        label: None,
                    },
                };
                if !edges.contains(&edge) {
                    edges.push(edge);
                }
            }
        }
        Graph { nodes, edges }
    }

    /// Mermaid flowchart, as GitHub renders it in Markdown.
    pub fn mermaid(&self) -> String {
        let mut out = String::from("flowchart LR\n");
        for (id, kind) in &self.nodes {
            out.push_str(&format!("  {id}[\"{id}<br/><small>{kind}</small>\"]\n"));
        }
        for e in &self.edges {
            match &e.label {
                Some(l) => out.push_str(&format!("  {} -->|\"{l}\"| {}\n", e.from, e.to)),
                None => out.push_str(&format!("  {} -.-> {}\n", e.from, e.to)),
            }
        }
        out
    }

    /// Graphviz DOT.
    pub fn dot(&self) -> String {
        let mut out = String::from(
            "digraph spotcover {\n  rankdir=LR;\n  node [shape=box, fontname=\"Helvetica\"];\n",
        );
        for (id, kind) in &self.nodes {
            out.push_str(&format!("  \"{id}\" [label=\"{id}\\n{kind}\"];\n"));
        }
        for e in &self.edges {
            match &e.label {
                Some(l) => out.push_str(&format!(
                    "  \"{}\" -> \"{}\" [label=\"{l}\"];\n",
                    e.from, e.to
                )),
                None => out.push_str(&format!(
                    "  \"{}\" -> \"{}\" [style=dashed];\n",
                    e.from, e.to
                )),
            }
        }
        out.push_str("}\n");
        out
    }
}
