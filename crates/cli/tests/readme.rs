//! The docs stay true: the README's example commands run as it shows them (with their
//! output compared where it shows output), its account of the reconciler's rights matches
//! the template, and no "one file of ~N lines" claim in a crate's docs drifts.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A fenced block of the README: its info string and its lines with their line numbers.
struct Block {
    info: String,
    lines: Vec<(usize, String)>,
}

fn readme() -> String {
    std::fs::read_to_string(root().join("README.md")).unwrap()
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    // The open block and its fence's indentation (blocks inside list items are indented).
    let mut open: Option<(Block, usize)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match open.take() {
                Some((b, _)) => out.push(b),
                None => {
                    let block = Block {
                        info: info.trim().to_owned(),
                        lines: Vec::new(),
                    };
                    open = Some((block, line.len() - trimmed.len()));
                }
            }
        } else if let Some((b, indent)) = open.as_mut() {
            let cut = line.len() - line.trim_start().len();
            b.lines.push((i + 1, line[cut.min(*indent)..].to_owned()));
        }
    }
    out
}

/// Lines of shell blocks the test does not run, each with the reason: they install,
/// build, or talk to AWS, which the deploy tests cover against moto.
const NOT_RUN: &[(&str, &str)] = &[
    ("tools/", "set-up and the test command itself"),
    (
        "cargo ",
        "installs or builds spotcover (tests/install.rs covers it)",
    ),
    (
        "aws ",
        "talks to AWS (tests/deploy_moto.rs runs these steps against moto)",
    ),
    ("--", "continues an `aws` command above"),
    ("Subnets=", "continues an `aws` command above"),
    ("key=", "reads a deployed manifest for `aws s3 cp`"),
    ("unzip ", "unpacks the Lambda for a dry run against AWS"),
    ("AWS_REGION=", "runs the reconciler against AWS"),
    ("#", "a comment"),
    (
        "bucket=",
        "the deploy's own values (tests/deploy_moto.rs runs the block)",
    ),
    (
        "stack=",
        "the deploy's own values (tests/deploy_moto.rs runs the block)",
    ),
    (
        "subnets=",
        "the deploy's own values (tests/deploy_moto.rs runs the block)",
    ),
    (
        "security_groups=",
        "the deploy's own values (tests/deploy_moto.rs runs the block)",
    ),
];

/// The directory the commands run in: the examples, `stack.yaml` (the quickstart),
/// `edited.yaml` (the quickstart with the two changes the diff example shows), `my.zip`
/// (a reconciler zip) and `deploy/` (the committed output `--check` and `diff` compare).
fn workdir() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    std::os::unix::fs::symlink(root().join("examples"), dir.join("examples")).unwrap();
    let quickstart = std::fs::read_to_string(example("quickstart")).unwrap();
    std::fs::write(dir.join("stack.yaml"), &quickstart).unwrap();
    let edited = quickstart
        .replace("spot:\n", "spot:\n  allocation_strategy: diversified\n")
        .replace("target_capacity: 4", "target_capacity: 6");
    assert_ne!(edited, quickstart);
    std::fs::write(dir.join("edited.yaml"), edited).unwrap();
    let zip = fixture_zip(dir);
    std::fs::rename(zip, dir.join("my.zip")).unwrap();
    let o = run(dir, "spotcover synth stack.yaml --out deploy");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    tmp
}

/// Runs one README command line (`spotcover ARGS [> FILE]`) in `dir`.
fn run(dir: &Path, line: &str) -> std::process::Output {
    let (command, redirect) = match line.split_once(" > ") {
        Some((c, file)) => (c, Some(file.trim())),
        None => (line, None),
    };
    let mut words = command.split_whitespace();
    assert_eq!(words.next(), Some("spotcover"), "{line}");
    let o = Command::new(env!("CARGO_BIN_EXE_spotcover"))
        .args(words)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    if let Some(file) = redirect {
        std::fs::write(dir.join(file), &o.stdout).unwrap();
    }
    o
}

/// A command as written, without its trailing `# comment`.
fn command(line: &str) -> &str {
    line.split(" # ").next().unwrap_or(line).trim()
}

#[test]
fn the_readmes_commands_run_as_shown() {
    let text = readme();
    let work = workdir();
    let dir = work.path();
    let mut ran = 0;
    for b in blocks(&text) {
        match b.info.as_str() {
            "sh" => {
                let mut continued = false;
                for (n, line) in &b.lines {
                    let cmd = command(line);
                    let skip = continued
                        || cmd.is_empty()
                        || NOT_RUN.iter().any(|(prefix, _)| cmd.starts_with(prefix));
                    continued = line.trim_end().ends_with('\\');
                    if skip {
                        continue;
                    }
                    assert!(
                        cmd.starts_with("spotcover "),
                        "README.md:{n}: `{cmd}` is neither run by this test nor listed in NOT_RUN with a reason"
                    );
                    let o = run(dir, cmd);
                    assert!(
                        o.status.success(),
                        "README.md:{n}: `{cmd}` exited {:?}: {}",
                        o.status.code(),
                        String::from_utf8_lossy(&o.stderr)
                    );
                    ran += 1;
                }
            }
            // A transcript: `$ spotcover ...` and the output the README shows.
            "" if b
                .lines
                .first()
                .is_some_and(|(_, l)| l.starts_with("$ spotcover ")) =>
            {
                let mut lines = b.lines.iter().peekable();
                while let Some((n, line)) = lines.next() {
                    let cmd = line
                        .strip_prefix("$ ")
                        .unwrap_or_else(|| panic!("README.md:{n}: expected a `$ ` command line"));
                    let mut shown = String::new();
                    while let Some((_, out)) = lines.next_if(|(_, l)| !l.starts_with("$ ")) {
                        shown.push_str(out);
                        shown.push('\n');
                    }
                    let o = run(dir, cmd);
                    // `diff` exits 1 when the stacks differ, as the README says.
                    let expected = if cmd.starts_with("spotcover diff ") && !shown.is_empty() {
                        Some(1)
                    } else {
                        Some(0)
                    };
                    assert_eq!(
                        o.status.code(),
                        expected,
                        "README.md:{n}: `{cmd}`: {}",
                        String::from_utf8_lossy(&o.stderr)
                    );
                    assert_eq!(
                        String::from_utf8_lossy(&o.stdout),
                        shown,
                        "README.md:{n}: `{cmd}` prints something else than the README shows"
                    );
                    ran += 1;
                }
            }
            _ => {}
        }
    }
    assert!(ran >= 10, "only {ran} README commands found");
}

/// The reconciler role's actions, from the quickstart's template.
fn reconciler_actions() -> Vec<String> {
    let r = spotcover_stack::load(&std::fs::read_to_string(example("quickstart")).unwrap())
        .unwrap()
        .remove(0);
    let doc = spotcover_stack::compose(
        &r.config,
        &spotcover_stack::Asset {
            sha256: "0".repeat(64),
        },
    )
    .unwrap()
    .to_value()
    .unwrap();
    let mut out = Vec::new();
    for policy in doc["Resources"]["ReconcilerRole"]["Properties"]["Policies"]
        .as_array()
        .unwrap()
    {
        for st in policy["PolicyDocument"]["Statement"].as_array().unwrap() {
            for a in st["Action"].as_array().unwrap() {
                out.push(a.as_str().unwrap().to_owned());
            }
        }
    }
    out
}

#[test]
fn the_readme_names_every_right_of_the_reconciler_role() {
    let text = readme();
    let start = text
        .find("**IAM** (the `ReconcilerRole` the template creates)")
        .expect("the README's IAM paragraph");
    let paragraph = &text[start..text[start..].find("\n\n").map_or(text.len(), |e| start + e)];
    for action in reconciler_actions() {
        assert!(
            paragraph.contains(&format!("`{action}`")),
            "the README's IAM paragraph does not name {action}, which the quickstart's ReconcilerRole has"
        );
    }
    // The quickstart's interruption handling is off, and it still has these rights.
    assert!(
        !paragraph.contains("with interruptions on,"),
        "the README ties rights to interruption handling that every template has"
    );
}

#[test]
fn the_readme_says_what_the_template_reserves() {
    let text = readme();
    let r = spotcover_stack::load(&std::fs::read_to_string(example("quickstart")).unwrap())
        .unwrap()
        .remove(0);
    assert_eq!(r.config.reconciler.reserved_concurrency, None);
    assert!(
        !text.contains("Reserved concurrency 1 keeps"),
        "the README claims a reservation the template does not make"
    );
}

/// Files whose crate docs say "One file of ~N lines": N within 15 % of the file.
#[test]
fn line_counts_in_crate_docs_are_true() {
    let mut stack = vec![root().join("crates")];
    let mut files: Vec<PathBuf> = Vec::new();
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
    }
    for f in files {
        let text = std::fs::read_to_string(&f).unwrap();
        let Some(rest) = text
            .lines()
            .find_map(|l| l.trim_start().strip_prefix("//! One file of ~"))
        else {
            continue;
        };
        let claimed: f64 = rest
            .split(|c: char| !c.is_ascii_digit())
            .next()
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}: a line count without a number", f.display()));
        let actual = text.lines().count() as f64;
        assert!(
            (actual - claimed).abs() <= claimed * 0.15,
            "{}: its docs say ~{claimed} lines, it has {actual}",
            f.display()
        );
    }
}
