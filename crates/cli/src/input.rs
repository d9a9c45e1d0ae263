//! Reading what the user gives (configs, scenarios, templates) with a size cap and a
//! located message for text that is not UTF-8; writing to stderr without panicking.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};

/// The largest config, scenario or template spotcover reads: far above any real one
/// (CloudFormation's own template limit is 1 MB), far below what hurts (`/dev/zero`).
pub const MAX_INPUT_BYTES: u64 = 4 * 1024 * 1024;

/// EC2 user data is "limited to 16 KB, in raw form, before it is base64-encoded" (EC2
/// user guide, "Run commands when you launch an EC2 instance with user data input"); a
/// script file above that can never fit beside spotcover's own part.
pub const MAX_USER_DATA_BYTES: u64 = 16 * 1024;

/// A kind of input: what messages call it, what it should be, and its size cap.
#[derive(Debug, Clone, Copy)]
pub struct Kind {
    /// `config`, `scenario`, `template`, `user data`.
    pub what: &'static str,
    /// What a file of this kind is, for messages: `a YAML config`.
    expected: &'static str,
    max_bytes: u64,
    /// The cap in the user's terms, and why.
    cap: &'static str,
}

pub const CONFIG: Kind = Kind {
    what: "config",
    expected: "a YAML config file",
    max_bytes: MAX_INPUT_BYTES,
    cap: "4 MiB",
};
pub const SCENARIO: Kind = Kind {
    what: "scenario",
    expected: "a YAML scenario file",
    max_bytes: MAX_INPUT_BYTES,
    cap: "4 MiB",
};
pub const TEMPLATE: Kind = Kind {
    what: "template",
    expected: "a YAML or JSON template",
    max_bytes: MAX_INPUT_BYTES,
    cap: "4 MiB",
};
/// A history export (`spotcover history`): a week of one-minute data runs to a few MiB.
pub const EXPORT: Kind = Kind {
    what: "export",
    expected: "the AWS CLI's JSON output",
    max_bytes: 64 * 1024 * 1024,
    cap: "64 MiB",
};
pub const USER_DATA: Kind = Kind {
    what: "user data",
    expected: "a script",
    max_bytes: MAX_USER_DATA_BYTES,
    cap: "16 KB, EC2's limit for an instance's whole user data",
};

/// The file's text, refused when it is not a regular file (a FIFO, a device, a
/// directory: never opened, so nothing hangs), over the kind's cap, or not UTF-8 (with
/// the line and column of the first bad byte).
pub fn read_text(path: &Path, kind: Kind) -> anyhow::Result<String> {
    let Kind {
        what,
        expected,
        max_bytes,
        cap,
    } = kind;
    let not_regular = || {
        anyhow::anyhow!(
            "{}: the {what} is not a regular file (a pipe, device or directory): expected {expected}",
            path.display()
        )
    };
    // Opening a FIFO blocks until something writes to it: look before opening, and
    // again at what was opened (it may have been swapped in between).
    let meta =
        std::fs::metadata(path).with_context(|| format!("reading {what} {}", path.display()))?;
    if !meta.is_file() {
        return Err(not_regular());
    }
    let file =
        std::fs::File::open(path).with_context(|| format!("reading {what} {}", path.display()))?;
    if !file
        .metadata()
        .with_context(|| format!("reading {what} {}", path.display()))?
        .is_file()
    {
        return Err(not_regular());
    }
    let mut bytes = Vec::new();
    file.take(max_bytes + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("reading {what} {}", path.display()))?;
    if bytes.len() as u64 > max_bytes {
        bail!(
            "{}: the {what} is larger than {cap}: expected {expected} of at most that size",
            path.display(),
        );
    }
    String::from_utf8(bytes).map_err(|e| {
        let good = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let line = good.iter().filter(|b| **b == b'\n').count() + 1;
        let start = good.iter().rposition(|b| *b == b'\n').map_or(0, |i| i + 1);
        let column = String::from_utf8_lossy(&good[start..]).chars().count() + 1;
        anyhow::anyhow!(
            "{}:{line}:{column}: the {what} is not UTF-8 text: expected {expected} saved as UTF-8",
            path.display()
        )
    })
}

/// Refuses a file that `name` places inside `dir` but that a symbolic link leads out
/// of: the config did not ask to read from elsewhere (a path it writes as outside was
/// already checked against `allow_outside_config_dir`).
pub fn refuse_link_out_of(dir: &Path, name: &str) -> Result<(), String> {
    let written_inside = Path::new(name).components().all(|c| {
        matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    });
    let (Ok(dir), Ok(file)) = (dir.canonicalize(), dir.join(name).canonicalize()) else {
        return Ok(()); // reading it says what is missing
    };
    if written_inside && !file.starts_with(&dir) {
        return Err(format!(
            "{name} leads outside the config's directory through a symbolic link, to {}; name that path and set instances.user_data.allow_outside_config_dir: true, or copy the script beside the config",
            file.display()
        ));
    }
    Ok(())
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

/// Writes to stdout; a reader that went away (`| head`) is not an error.
pub fn emit(text: &str) -> anyhow::Result<()> {
    use std::io::Write;
    match std::io::stdout().lock().write_all(text.as_bytes()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(e.into()),
        _ => Ok(()),
    }
}
