//! Strict YAML to typed values, with the line, column and key path of a problem.

use std::cell::RefCell;

use serde_json::Value;

use crate::config::StackConfig;
use crate::error::ConfigError;

/// Deserializes a YAML document strictly, reporting the line, column and key path of the
/// first problem. Shared by everything spotcover reads (configs, scenarios).
///
/// Read twice: as YAML into `T` (lines and columns), then as the JSON value the document
/// is (the published JSON Schema's reading), so that what the schema refuses the loader
/// refuses too: `weight: "2"` is a string, `yes` is not a boolean.
pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, ConfigError> {
    let path = RefCell::new(String::new());
    let options = serde_saphyr::options! { with_snippet: false, strict_booleans: true };
    let typed = serde_saphyr::with_deserializer_from_str_with_options(text, options, |de| {
        serde_path_to_error::deserialize(de).map_err(|e| {
            *path.borrow_mut() = path_string(e.path());
            e.into_inner()
        })
    })
    .map_err(|e| saphyr_error(e, &path.borrow()))?;
    let as_json = raw(text)?;
    serde_path_to_error::deserialize::<_, T>(as_json).map_err(|e| {
        let path = path_string(e.path());
        let message = reword(&e.into_inner().to_string());
        ConfigError {
            location: locate(text, &path, message.starts_with("unknown field")),
            path,
            message,
        }
    })?;
    Ok(typed)
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
    reword(msg)
}

/// What the user should write, in place of the YAML or JSON library's words. Shared by
/// the base document and the regions' overrides, so both say the same.
pub(crate) fn reword(msg: &str) -> String {
    let whole = "expected a whole number from 0 to 4294967295";
    if msg == "invalid u32" || msg.ends_with("expected u32") {
        if let Some(rest) = msg.strip_prefix("invalid type: string ") {
            let value = rest.trim_end_matches(", expected u32");
            if value.trim_matches('"').parse::<u64>().is_ok() {
                return format!(
                    "{whole}, found the string {value}: write the number without quotes"
                );
            }
            return whole.to_owned();
        }
        return whole.to_owned();
    }
    if msg == "invalid bool"
        || msg.starts_with("invalid boolean")
        || msg.ends_with("expected a boolean")
    {
        return "expected true or false".to_owned();
    }
    if msg.starts_with("data did not match any variant of untagged enum ParameterValue") {
        return "expected a string, or a list of strings".to_owned();
    }
    if let Some(rest) = msg.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        return format!("`{key}` is given twice: expected each key once; keep one");
    }
    if let Some(rest) = msg.strip_prefix("cannot deserialize null into ") {
        let kind = rest.split(';').next().unwrap_or(rest);
        return format!(
            "expected a {kind}, found nothing (null): give a value, or leave the key out"
        );
    }
    if msg == "unexpected end of input" {
        return "the document is empty or holds only comments: expected a mapping of keys, as in the examples".to_owned();
    }
    if msg.starts_with("budget breached") {
        return "the document is too large or too deeply nested: expected a file of ordinary size, without alias expansions".to_owned();
    }
    msg.to_owned()
}

/// A region's merged config. `text` is the whole document, to locate a problem.
pub(super) fn from_value(v: Value, prefix: &str, text: &str) -> Result<StackConfig, ConfigError> {
    serde_path_to_error::deserialize(v).map_err(|e| {
        let inner = path_string(e.path());
        let message = reword(&e.into_inner().to_string());
        let path = join_path(prefix, &inner);
        let key = message.starts_with("unknown field");
        ConfigError {
            location: locate(text, &path, key).or_else(|| locate(text, &inner, key)),
            path,
            message,
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
    let options = serde_saphyr::options! { with_snippet: false, strict_booleans: true };
    serde_saphyr::from_str_with_options(text, options).map_err(|e| saphyr_error(e, ""))
}

/// Where each value of a document is written, to locate problems found after parsing.
pub(super) struct Positions(Loc);

impl Positions {
    pub(super) fn of(text: &str) -> Option<Positions> {
        let options = serde_saphyr::options! { with_snippet: false };
        serde_saphyr::from_str_with_options(text, options)
            .ok()
            .map(Positions)
    }

    /// Where the value at `path` is written: under `regions.<name>.` when the region
    /// overrides it, else in the base. `None` for a default nobody wrote.
    pub(super) fn written(&self, path: &str) -> Option<(u64, u64)> {
        self.find(path, false).or_else(|| {
            let rest = path.strip_prefix("regions.")?;
            let (_, inner) = rest.split_once('.')?;
            self.find(inner, false)
        })
    }

    /// The line and column of the value at `path` (`a.b[1].c`), or of its key when
    /// `key` (an unknown field is reported at its name).
    fn find(&self, path: &str, key: bool) -> Option<(u64, u64)> {
        let mut node = &self.0;
        let mut at = node.at;
        for seg in segments(path) {
            node = match (seg, &node.children) {
                (Seg::Key(k), Children::Map(entries)) => {
                    let (_, key_at, child) = entries.iter().find(|(name, _, _)| name == k)?;
                    at = if key { *key_at } else { child.at };
                    child
                }
                (Seg::Index(i), Children::Seq(items)) => {
                    let child = items.get(i)?;
                    at = child.at;
                    child
                }
                _ => return None,
            };
        }
        Some(at).filter(|(line, _)| *line > 0)
    }
}

/// The line and column of the value at `path` in `text` (see [`Positions::find`]).
fn locate(text: &str, path: &str, key: bool) -> Option<(u64, u64)> {
    Positions::of(text)?.find(path, key)
}

enum Seg<'a> {
    Key(&'a str),
    Index(usize),
}

fn segments(path: &str) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    for part in path.split('.').filter(|p| !p.is_empty()) {
        let (name, indexes) = part.split_at(part.find('[').unwrap_or(part.len()));
        if !name.is_empty() {
            out.push(Seg::Key(name));
        }
        for i in indexes.split(['[', ']']).filter(|i| !i.is_empty()) {
            out.push(Seg::Index(i.parse().unwrap_or(usize::MAX)));
        }
    }
    out
}

/// A document as positions only: where each value (and each mapping key) starts.
struct Loc {
    at: (u64, u64),
    children: Children,
}

enum Children {
    Leaf,
    Seq(Vec<Loc>),
    Map(Vec<(String, (u64, u64), Loc)>),
}

impl<'de> serde::Deserialize<'de> for Loc {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = serde_saphyr::Spanned::<LocChildren>::deserialize(d)?;
        Ok(Loc {
            at: (s.referenced.line(), s.referenced.column()),
            children: s.value.0,
        })
    }
}

struct LocChildren(Children);

impl<'de> serde::Deserialize<'de> for LocChildren {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(LocVisitor)
    }
}

struct LocVisitor;

impl<'de> serde::de::Visitor<'de> for LocVisitor {
    type Value = LocChildren;

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a YAML value")
    }
    fn visit_bool<E>(self, _: bool) -> Result<LocChildren, E> {
        Ok(LocChildren(Children::Leaf))
    }
    fn visit_i64<E>(self, _: i64) -> Result<LocChildren, E> {
        Ok(LocChildren(Children::Leaf))
    }
    fn visit_u64<E>(self, _: u64) -> Result<LocChildren, E> {
        Ok(LocChildren(Children::Leaf))
    }
    fn visit_f64<E>(self, _: f64) -> Result<LocChildren, E> {
        Ok(LocChildren(Children::Leaf))
    }
    fn visit_str<E>(self, _: &str) -> Result<LocChildren, E> {
        Ok(LocChildren(Children::Leaf))
    }
    fn visit_unit<E>(self) -> Result<LocChildren, E> {
        Ok(LocChildren(Children::Leaf))
    }
    fn visit_none<E>(self) -> Result<LocChildren, E> {
        Ok(LocChildren(Children::Leaf))
    }
    fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<LocChildren, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<Loc>()? {
            items.push(item);
        }
        Ok(LocChildren(Children::Seq(items)))
    }
    fn visit_map<A: serde::de::MapAccess<'de>>(self, mut map: A) -> Result<LocChildren, A::Error> {
        let mut entries = Vec::new();
        while let Some(k) = map.next_key::<serde_saphyr::Spanned<Value>>()? {
            let name = match k.value {
                Value::String(s) => s,
                other => other.to_string(),
            };
            let at = (k.referenced.line(), k.referenced.column());
            entries.push((name, at, map.next_value::<Loc>()?));
        }
        Ok(LocChildren(Children::Map(entries)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_breached_budget_says_what_to_write_not_the_librarys_struct() {
        let m = reword("budget breached: Nodes { nodes: 250001 }");
        assert!(m.starts_with("the document is too large"), "{m}");
        assert!(!m.contains('{'), "{m}");
    }

    #[test]
    fn library_wording_is_replaced() {
        for (library, ours) in [
            (
                "invalid u32",
                "expected a whole number from 0 to 4294967295",
            ),
            (
                "invalid type: string \"lots\", expected u32",
                "expected a whole number from 0 to 4294967295",
            ),
            (
                "invalid boolean (strict mode expects true/false)",
                "expected true or false",
            ),
            (
                "data did not match any variant of untagged enum ParameterValue",
                "expected a string, or a list of strings",
            ),
            (
                "duplicate mapping key: stack, set DuplicateKeyPolicy in Options if acceptable",
                "`stack` is given twice: expected each key once; keep one",
            ),
        ] {
            assert_eq!(reword(library), ours);
        }
    }
}
