//! One problem in a YAML document spotcover reads (a config or a scenario), located as
//! precisely as is known.

use std::fmt;

/// One problem with a config or a scenario, located as precisely as is known.
#[derive(Debug, Clone, PartialEq)]
pub struct ConfigError {
    /// 1-based line and column in the file, where known.
    pub location: Option<(u64, u64)>,
    /// Key path such as `spot.instance_types[1].weight`; empty for the whole document.
    pub path: String,
    pub message: String,
}

impl ConfigError {
    /// A problem at a key path, where the parser gave no line.
    pub fn at(path: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError {
            location: None,
            path: path.into(),
            message: message.into(),
        }
    }

    /// `FILE:LINE:COL: path: message`, or `FILE: path: message`, as the CLI prints it.
    pub fn in_file(&self, file: impl fmt::Display) -> String {
        match self.location {
            Some((line, col)) => format!("{file}:{line}:{col}: {self}"),
            None => format!("{file}: {self}"),
        }
    }
}

/// `path: message`, or only `message` for the whole document; any word over
/// `MAX_WORD` (80) characters (a pasted value, a huge key) elided.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", elide(&self.path))?;
        }
        f.write_str(&elide(&self.message))
    }
}

/// Longest word a message shows whole.
pub const MAX_WORD: usize = 80;

/// `text` with every whitespace-separated word longer than `MAX_WORD` (80) characters cut to
/// its start, an ellipsis and its length, so that a 50 MB value never fills a terminal.
pub fn elide(text: &str) -> String {
    if text
        .split_whitespace()
        .all(|w| w.chars().count() <= MAX_WORD)
    {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let start = rest
            .find(|c: char| !c.is_whitespace())
            .unwrap_or(rest.len());
        out.push_str(&rest[..start]);
        rest = &rest[start..];
        let end = rest.find(char::is_whitespace).unwrap_or(rest.len());
        let word = &rest[..end];
        let n = word.chars().count();
        if n > MAX_WORD {
            let head: String = word.chars().take(MAX_WORD - 20).collect();
            out.push_str(&format!("{head}\u{2026} ({n} characters)"));
        } else {
            out.push_str(word);
        }
        rest = &rest[end..];
    }
    out
}

impl std::error::Error for ConfigError {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_over_80_characters_are_elided() {
        let e = ConfigError::at(
            "stack",
            format!("{:?} is not a stack name", "x".repeat(5000)),
        );
        let shown = e.to_string();
        assert!(shown.len() < 200, "{shown}");
        assert!(shown.contains("(5002 characters)"), "{shown}");
        assert!(shown.ends_with("is not a stack name"), "{shown}");
    }

    #[test]
    fn short_values_are_shown_whole() {
        let e = ConfigError::at("stack", "\"abc\" is not a stack name");
        assert_eq!(e.to_string(), "stack: \"abc\" is not a stack name");
    }
}
