//! spotcover's stack: the config users write, and its composition into a CloudFormation
//! template of typed resources. No I/O: text in, documents out.
//!
//! The stack it composes (`engine: fleet`, the default): an ECS cluster, a Spot Fleet whose
//! target the reconciler sets from the cluster's demand (`reconciler.policy: demand`, the
//! default; the `2017` policy has Application Auto Scaling track the cluster's reservation
//! instead), an on-demand Auto Scaling group the reconciler sizes to cover what spot cannot
//! deliver, and the reconciler Lambda with its triggers and least-privilege role.
//! `engine: asg` composes one spot group behind an ECS capacity provider instead. Entry
//! points: [`load`](fn@load) (text to one resolved config per region),
//! [`compose`](fn@compose) (a config to a template), [`config_schema`] and
//! [`config_reference`].

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
pub mod reference;
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
    let mut s =
        serde_json::to_string_pretty(&reference::schema_value()).expect("a schema always renders");
    s.push('\n');
    s
}

/// The config reference in Markdown, from the schema's descriptions, as
/// `spotcover schema --markdown` prints it and `docs/config.md` holds it.
pub fn config_reference() -> String {
    reference::markdown(&reference::schema_value())
}
