//! Reading what the user gives (configs, scenarios, templates) with a size cap and a
//! located message for text that is not UTF-8; writing to stderr without panicking.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};

/// The largest input spotcover reads: far above any real config, scenario or template
/// (CloudFormation's own template limit is 1 MB), far below what hurts (`/dev/zero`).
pub const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// The file's text, refused when it is over [`MAX_INPUT_BYTES`] or not UTF-8 (with the
/// line and column of the first bad byte). `what` names the input (`config`, `scenario`).
pub fn read_text(path: &Path, what: &str) -> anyhow::Result<String> {
    read_text_capped(path, what, MAX_INPUT_BYTES)
}

/// Exports of a week of history run to a few MiB: [`read_text`] with this cap.
pub const MAX_EXPORT_BYTES: u64 = 64 * 1024 * 1024;

/// [`read_text`] with another cap, in bytes.
pub fn read_text_capped(path: &Path, what: &str, cap: u64) -> anyhow::Result<String> {
    let file =
        std::fs::File::open(path).with_context(|| format!("reading {what} {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(cap + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {what} {}", path.display()))?;
    if bytes.len() as u64 > cap {
        bail!(
            "{}: the {what} is larger than {} MiB: expected a YAML or JSON file of at most that size",
            path.display(),
            cap / (1024 * 1024)
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let start = good
            .iter()
            .rposition(|b| *b == b'\n')
            .map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[start..]).chars().count() + 1;
        anyhow::anyhow!(
            "{}:{line}:{column}: the {what} is not UTF-8 text: expected a YAML or JSON file saved as UTF-8",
            path.display()
        )
    })
}

/// Writes a line to stderr; a reader that went away is not a reason to panic.
pub fn warn(line: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{line}");
}

/// Refuses to write `out` when it is one of the inputs (`--chart stack.yaml`): the
/// command would destroy what it was given.
pub fn refuse_overwriting_inputs(out: &Path, inputs: &[&Path]) -> anyhow::Result<()> {
    let Ok(target) = out.canonicalize() else {
        return Ok(()); // does not exist yet: it is no input
    };
    for input in inputs {
        if input.canonicalize().is_ok_and(|i| i == target) {
            bail!(
                "refusing to write the chart onto {}: it is an input of this command; expected a new path such as chart.svg",
                out.display()
            );
        }
    }
    Ok(())
}
