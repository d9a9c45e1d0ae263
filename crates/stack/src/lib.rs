//! spotcover's stack: the config users write, and its composition into a CloudFormation
//! template of typed resources. No I/O: text in, documents out.

// No I/O here (ARCHITECTURE.md): printing, and the file-system, environment and process
// calls in clippy.toml, do not compile.
#![deny(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    clippy::disallowed_types
)]

pub mod arch;
pub mod aws;
pub mod compose;
pub mod config;
pub mod diff;
mod error;
pub mod graph;
pub mod load;
pub mod overrides;
pub mod template_text;
mod userdata;

pub use compose::{Asset, compose};
pub use config::StackConfig;
pub use error::{ConfigError, elide};
pub use load::{Resolved, load, load_with, locate};

/// How a template is written out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Yaml,
    Json,
}

impl Format {
    pub fn extension(self) -> &'static str {
        match self {
            Format::Yaml => "yaml",
            Format::Json => "json",
        }
    }
}

/// A template document as text. YAML quotes every scalar a YAML 1.1 reader would turn
/// into a boolean, number or date, so both formats read back to the same value.
pub fn render(doc: &serde_json::Value, format: Format) -> String {
    match format {
        Format::Yaml => {
            // Multi-line strings (user data) stay literal blocks; long lines are never
            // folded, so a diff shows a changed ARN as one changed line.
            let options = serde_saphyr::ser_options! { folded_wrap_chars: 1_000_000 };
            serde_saphyr::to_string_with_options(doc, options)
                .expect("a JSON value always renders as YAML")
        }
        Format::Json => {
            let mut s = serde_json::to_string_pretty(doc).expect("a JSON value always renders");
            s.push('\n');
            s
        }
    }
}

/// The JSON Schema of the config file, as `spotcover schema` prints it.
pub fn config_schema() -> String {
    let mut schema =
        serde_json::to_value(schemars::schema_for!(StackConfig)).expect("a schema is JSON");
    load::bounds::apply_to_schema(&mut schema);
    load::bounds::integer_formats_to_bounds(&mut schema);
    load::regions::apply_to_schema(&mut schema);
    let mut s = serde_json::to_string_pretty(&schema).expect("a schema always renders");
    s.push('\n');
    s
}
