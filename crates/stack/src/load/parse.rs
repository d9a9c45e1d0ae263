//! Strict YAML to typed values, with the line, column and key path of a problem.

use std::cell::RefCell;

use serde_json::Value;

use crate::config::StackConfig;
use crate::error::ConfigError;

/// Deserializes a YAML document strictly, reporting the line, column and key path of the
/// first problem. Shared by everything spotcover reads (configs, scenarios).
pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    let path = RefCell::new(String::new());
    let options = serde_saphyr::options! { with_snippet: false };
    serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            *path.borrow_mut() = path_string(e.path());
            e.into_inner()
        })
    })
    .map_err(|e| saphyr_error(e, &path.borrow()))
}

fn saphyr_error(e: serde_saphyr::Error, path: &str) -> ConfigError {
    let location = e
        .location()
        .map(|l| (l.line(), l.column()))
        .filter(|(l, _)| *l > 0);
    ConfigError {
        location,
        path: path.to_owned(),
        message: bare_message(&e.to_string()),
    }
}

/// serde-saphyr appends the position to its message; we print it ourselves, in front.
fn bare_message(msg: &str) -> String {
    let msg = msg.lines().next().unwrap_or_default();
    let msg = match msg.rfind(" at line ") {
        Some(i) => &msg[..i],
        None => msg,
    };
    match msg {
        "invalid u32" => "expected a whole number from 0 to 4294967295".to_owned(),
        "invalid bool" => "expected true or false".to_owned(),
        other => other.to_owned(),
    }
}

pub(super) fn from_value(v: Value, prefix: &str) -> Result<StackConfig, ConfigError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let inner = path_string(e.path());
        ConfigError {
            location: None,
            path: join_path(prefix, &inner),
            message: e.into_inner().to_string(),
        }
    })
}

/// `spot.instance_types.1.weight` as `spot.instance_types[1].weight`.
fn path_string(p: &serde_path_to_error::Path) -> String {
    use serde_path_to_error::Segment;
    let mut out = String::new();
    for seg in p.iter() {
        match seg {
            Segment::Seq { index } => out.push_str(&format!("[{index}]")),
            Segment::Map { key } | Segment::Enum { variant: key } => {
                if !out.is_empty() {
                    out.push('.');
                }
                out.push_str(key);
            }
            Segment::Unknown => {}
        }
    }
    out
}

pub(super) fn join_path(prefix: &str, rest: &str) -> String {
    match (prefix.is_empty(), rest.is_empty()) {
        (true, _) => rest.to_owned(),
        (false, true) => prefix.to_owned(),
        (false, false) if rest.starts_with('[') => format!("{prefix}{rest}"),
        (false, false) => format!("{prefix}.{rest}"),
    }
}

/// The document as a plain value (for merging regions).
pub(super) fn raw(text: &str) -> Result<Value, ConfigError> {
    serde_saphyr::from_str(text).map_err(|e| saphyr_error(e, ""))
}
