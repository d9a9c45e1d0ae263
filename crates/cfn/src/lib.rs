//! Typed CloudFormation: a template of checked logical ids, intrinsic functions as values,
//! and the resource types spotcover emits. Knows nothing of spotcover's config.

// No I/O here (ARCHITECTURE.md): printing, and the file-system, environment and process
// calls in clippy.toml, do not compile.
#![deny(
    clippy::print_stdout,
    clippy::print_stderr,
    clippy::disallowed_methods,
    clippy::disallowed_types
)]

pub mod aws;
mod expr;
mod template;
pub mod update;

pub use expr::{Expr, InvalidLogicalId, LogicalId, Pseudo, RefTarget, Sub, SubPart};
pub use template::{
    Attribute, CfnLintConfig, CfnLintIgnore, CheckovSkip, CheckovSkips, Export, Handle, Metadata,
    NoAttr, Options, Output, ParamHandle, Parameter, Reference, Resource, Template, TemplateError,
    Why, check_references, references,
};
