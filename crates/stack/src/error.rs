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

/// `path: message`, or only `message` for the whole document.
impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.path.is_empty() {
            write!(f, "{}: ", self.path)?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConfigError {}
