//! `synth --out`: synth replaces the whole directory, so it must never hold synth's own
//! inputs, and a symlinked `--out` is followed.

mod common;

use std::path::Path;

use common::*;

fn quickstart_into(dir: &Path) -> std::path::PathBuf {
    let config = dir.join("stack.yaml");
    std::fs::copy(example("quickstart"), &config).unwrap();
    config
}

fn stderr(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

#[test]
fn an_out_holding_the_config_is_refused_and_the_config_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let out = tmp.path().join("out");
    // An earlier synth's output, where the user then saved the config.
    synth(&example("quickstart"), &out, &zip, "yaml");
    let config = quickstart_into(&out);
    let o = try_synth(&config, &out, &zip, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("an input of this synth"),
        "{}",
        stderr(&o)
    );
    assert!(config.is_file(), "synth deleted its own config");
    assert!(
        out.join("manifest.json").is_file(),
        "the earlier output is kept"
    );
}

#[test]
fn an_out_holding_the_user_data_file_is_refused_and_the_file_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let out = tmp.path().join("out");
    synth(&example("quickstart"), &out, &zip, "yaml");
    std::fs::write(out.join("extra.sh"), "echo hello\n").unwrap();
    let config = tmp.path().join("stack.yaml");
    let text = std::fs::read_to_string(example("quickstart")).unwrap();
    std::fs::write(
        &config,
        format!("{text}instances:\n  user_data: {{ file: out/extra.sh }}\n"),
    )
    .unwrap();
    let o = try_synth(&config, &out, &zip, &[]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("extra.sh"), "{}", stderr(&o));
    assert!(
        out.join("extra.sh").is_file(),
        "synth deleted its user data"
    );
}

#[test]
fn a_symlinked_out_is_followed_and_the_link_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let real = tmp.path().join("real");
    std::fs::create_dir(&real).unwrap();
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let o = try_synth(&example("quickstart"), &link, &zip, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(link.symlink_metadata().unwrap().file_type().is_symlink());
    assert!(real.join("manifest.json").is_file());
    // Again, over the earlier output through the link.
    let o = try_synth(&example("quickstart"), &link, &zip, &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(link.join("manifest.json").is_file());
}

#[test]
fn a_dangling_symlink_out_is_refused_with_what_it_is() {
    let tmp = tempfile::tempdir().unwrap();
    let zip = fixture_zip(tmp.path());
    let link = tmp.path().join("link");
    std::os::unix::fs::symlink(tmp.path().join("gone"), &link).unwrap();
    let o = try_synth(&example("quickstart"), &link, &zip, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("symbolic link to nothing"),
        "{}",
        stderr(&o)
    );
}
