//! The docs stay true: every `spotcover` command in the README and the other docs runs as
//! they show it (with its output compared where they show output), the account of the
//! reconciler's rights in docs/reconciler.md matches the template, the README stays short,
//! and no "one file of ~N lines" claim in a crate's docs drifts.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::*;

/// A fenced block of a doc: its info string, its lines with their line numbers, and the
/// command whose output it is, when the line before its fence says
/// `<!-- output of: spotcover ARGS -->`.
struct Block {
    info: String,
    lines: Vec<(usize, String)>,
    output_of: Option<(usize, String)>,
}

/// The README's path, relative to the checkout.
const README: &str = "README.md";

/// The longest the README may be: the rest belongs in docs/ (one page per reader).
const README_MAX_LINES: usize = 250;

/// The file holding the reconciler's rights, relative to the checkout.
const RECONCILER_DOC: &str = "docs/reconciler.md";

/// Every Markdown file of the docs, relative to the checkout: the checkout's own
/// (README.md, CONTRIBUTING.md, ...), and those under docs/ and examples/.
fn docs() -> Vec<String> {
    let root = root();
    let md = |p: &Path| p.is_file() && p.extension().is_some_and(|x| x == "md");
    let mut out: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| md(p))
        .collect();
    let mut stack = vec![root.join("docs"), root.join("examples")];
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if md(&p) {
                out.push(p);
            }
        }
    }
    let mut out: Vec<String> = out
        .iter()
        .map(|p| p.strip_prefix(&root).unwrap().display().to_string())
        .collect();
    out.sort();
    assert!(out.iter().any(|d| d == README), "{out:?}");
    out
}

fn read(doc: &str) -> String {
    std::fs::read_to_string(root().join(doc)).unwrap()
}

fn blocks(text: &str) -> Vec<Block> {
    let mut out = Vec::new();
    // The open block and its fence's indentation (blocks inside list items are indented).
    let mut open: Option<(Block, usize)> = None;
    let mut before: Option<(usize, &str)> = None;
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start();
        if let Some(info) = trimmed.strip_prefix("```") {
            match open.take() {
                Some((b, _)) => out.push(b),
                None => {
                    let output_of = before.and_then(|(n, l)| {
                        let cmd = l.strip_prefix("<!-- output of: ")?.strip_suffix(" -->")?;
                        Some((n, cmd.to_owned()))
                    });
                    let block = Block {
                        info: info.trim().to_owned(),
                        lines: Vec::new(),
                        output_of,
                    };
                    open = Some((block, line.len() - trimmed.len()));
                }
            }
        } else if let Some((b, indent)) = open.as_mut() {
            let cut = line.len() - line.trim_start().len();
            b.lines.push((i + 1, line[cut.min(*indent)..].to_owned()));
        }
        before = Some((i + 1, trimmed));
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
    ("export ", "sets the environment of the shell it runs in"),
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

/// Runs one command line of the docs (`spotcover ARGS [> FILE]`) in `dir`.
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
fn every_docs_commands_run_as_shown() {
    let work = workdir();
    let dir = work.path();
    let mut ran_in_readme = 0;
    let mut ran = 0;
    for doc in docs() {
        let before = ran;
        for b in blocks(&read(&doc)) {
            // A block that is a command's output, as the line before its fence says.
            if let Some((n, cmd)) = &b.output_of {
                let shown: String = b.lines.iter().map(|(_, l)| format!("{l}\n")).collect();
                let o = run(dir, cmd);
                assert!(
                    o.status.success(),
                    "{doc}:{n}: `{cmd}` exited {:?}: {}",
                    o.status.code(),
                    String::from_utf8_lossy(&o.stderr)
                );
                assert_eq!(
                    String::from_utf8_lossy(&o.stdout),
                    shown,
                    "{doc}:{n}: `{cmd}` prints something else than the block below it"
                );
                ran += 1;
                continue;
            }
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
                            "{doc}:{n}: `{cmd}` is neither run by this test nor listed in NOT_RUN with a reason"
                        );
                        let o = run(dir, cmd);
                        assert!(
                            o.status.success(),
                            "{doc}:{n}: `{cmd}` exited {:?}: {}",
                            o.status.code(),
                            String::from_utf8_lossy(&o.stderr)
                        );
                        ran += 1;
                    }
                }
                // A transcript: `$ spotcover ...` and the output the doc shows.
                "" if b
                    .lines
                    .first()
                    .is_some_and(|(_, l)| l.starts_with("$ spotcover ")) =>
                {
                    let mut lines = b.lines.iter().peekable();
                    while let Some((n, line)) = lines.next() {
                        let cmd = line
                            .strip_prefix("$ ")
                            .unwrap_or_else(|| panic!("{doc}:{n}: expected a `$ ` command line"));
                        let mut shown = String::new();
                        while let Some((_, out)) = lines.next_if(|(_, l)| !l.starts_with("$ ")) {
                            shown.push_str(out);
                            shown.push('\n');
                        }
                        let o = run(dir, cmd);
                        // `diff` exits 1 when the stacks differ, as the docs say.
                        let expected = if cmd.starts_with("spotcover diff ") && !shown.is_empty() {
                            Some(1)
                        } else {
                            Some(0)
                        };
                        assert_eq!(
                            o.status.code(),
                            expected,
                            "{doc}:{n}: `{cmd}`: {}",
                            String::from_utf8_lossy(&o.stderr)
                        );
                        assert_eq!(
                            String::from_utf8_lossy(&o.stdout),
                            shown,
                            "{doc}:{n}: `{cmd}` prints something else than the doc shows"
                        );
                        ran += 1;
                    }
                }
                _ => {}
            }
        }
        if doc == README {
            ran_in_readme = ran - before;
        }
    }
    assert!(
        ran_in_readme >= 10,
        "only {ran_in_readme} README commands found"
    );
    // The diff transcript (docs/reviewing.md) and the graph (its output block) at least.
    assert!(
        ran >= ran_in_readme + 2,
        "only {ran} commands found in the docs"
    );
}

#[test]
fn the_readme_stays_short() {
    let n = read(README).lines().count();
    assert!(
        n <= README_MAX_LINES,
        "README.md has {n} lines, more than {README_MAX_LINES}: move what one reader needs into docs/"
    );
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
fn the_reconciler_doc_names_every_right_of_the_reconciler_role() {
    let text = read(RECONCILER_DOC);
    let start = text
        .find("**IAM** (the `ReconcilerRole` the template creates)")
        .expect("docs/reconciler.md's IAM paragraph");
    let paragraph = &text[start..text[start..].find("\n\n").map_or(text.len(), |e| start + e)];
    for action in reconciler_actions() {
        assert!(
            paragraph.contains(&format!("`{action}`")),
            "docs/reconciler.md's IAM paragraph does not name {action}, which the quickstart's ReconcilerRole has"
        );
    }
    // The quickstart's interruption handling is off, and it still has these rights.
    assert!(
        !paragraph.contains("with interruptions on,"),
        "docs/reconciler.md ties rights to interruption handling that every template has"
    );
}

#[test]
fn the_docs_say_what_the_template_reserves() {
    let r = spotcover_stack::load(&std::fs::read_to_string(example("quickstart")).unwrap())
        .unwrap()
        .remove(0);
    assert_eq!(r.config.reconciler.reserved_concurrency, None);
    for doc in docs() {
        assert!(
            !read(&doc).contains("Reserved concurrency 1 keeps"),
            "{doc} claims a reservation the template does not make"
        );
    }
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

/// A heading's anchor as GitHub makes it: lower case, spaces to hyphens, and only
/// letters, digits, hyphens and underscores kept.
fn anchor(heading: &str) -> String {
    heading
        .trim()
        .to_lowercase()
        .chars()
        .filter_map(|c| match c {
            ' ' => Some('-'),
            c if c.is_alphanumeric() || c == '-' || c == '_' => Some(c),
            _ => None,
        })
        .collect()
}

/// The anchors of a doc's headings (outside code blocks).
fn anchors(text: &str) -> Vec<String> {
    let mut fenced = false;
    let mut out = Vec::new();
    for line in text.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        } else if !fenced && line.starts_with('#') {
            out.push(anchor(line.trim_start_matches('#')));
        }
    }
    out
}

/// Every relative link between the docs reaches a file that exists, and a heading of it
/// when it names one.
#[test]
fn the_docs_links_reach_their_files_and_headings() {
    let root = root();
    for doc in docs() {
        let text = read(&doc);
        let dir = root.join(&doc).parent().unwrap().to_owned();
        for (n, line) in text.lines().enumerate() {
            for link in line.split("](").skip(1) {
                let Some(target) = link.split(')').next() else {
                    continue;
                };
                if target.contains("://") || target.starts_with("mailto:") {
                    continue;
                }
                let (file, heading) = match target.split_once('#') {
                    Some((f, h)) => (f, Some(h)),
                    None => (target, None),
                };
                let path = if file.is_empty() {
                    root.join(&doc)
                } else {
                    dir.join(file)
                };
                assert!(
                    path.exists(),
                    "{doc}:{}: the link `{target}` reaches no file",
                    n + 1
                );
                if let Some(h) = heading {
                    let have = anchors(&std::fs::read_to_string(&path).unwrap());
                    assert!(
                        have.iter().any(|a| a == h),
                        "{doc}:{}: the link `{target}` names no heading of {}",
                        n + 1,
                        path.display()
                    );
                }
            }
        }
    }
}
