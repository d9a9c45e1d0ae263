//! What a problem says: the user's words, not the YAML or JSON library's, with the same
//! wording and a line and column whether it is in the base or in a region's overrides.

use spotcover_stack::{ConfigError, load};

const QUICKSTART: &str = include_str!("../../../examples/quickstart.yaml");

fn the_error(text: &str) -> ConfigError {
    let mut errors = load(text).unwrap_err();
    assert_eq!(errors.len(), 1, "{errors:?}");
    errors.remove(0)
}

#[test]
fn an_empty_or_comment_only_file_says_what_is_expected() {
    for text in ["", "# nothing here\n"] {
        let e = the_error(text);
        assert!(e.message.contains("empty or holds only comments"), "{e}");
    }
}

#[test]
fn a_duplicate_key_says_which_and_to_keep_one() {
    let e = the_error(&format!("{QUICKSTART}stack: again\n"));
    assert_eq!(
        e.message,
        "`stack` is given twice: expected each key once; keep one"
    );
    assert!(e.location.is_some());
}

#[test]
fn a_parameter_of_the_wrong_shape_says_string_or_list() {
    let e = the_error(&format!("{QUICKSTART}parameters: {{A: [1, {{b: 2}}]}}\n"));
    assert_eq!(
        e.to_string(),
        "parameters.A: expected a string, or a list of strings"
    );
}

#[test]
fn a_region_override_keeps_line_column_and_wording() {
    let base = the_error(&QUICKSTART.replace("weight: 2\n", "weight: lots\n"));
    let region = the_error(&format!(
        "{QUICKSTART}regions:\n  us-east-1:\n    on_demand: {{weight: lots}}\n"
    ));
    assert_eq!(region.message, base.message);
    assert_eq!(region.path, "regions.us-east-1.on_demand.weight");
    let line = QUICKSTART.lines().count() as u64 + 3;
    assert_eq!(region.location, Some((line, 25)));
}

#[test]
fn a_quoted_number_is_a_string_as_the_schema_reads_it() {
    let e = the_error(&QUICKSTART.replace("weight: 2\n", "weight: \"2\"\n"));
    assert_eq!(e.path, "on_demand.weight");
    assert!(e.message.contains("write the number without quotes"), "{e}");
    assert!(e.location.is_some());
}

#[test]
fn yes_is_not_a_boolean_as_the_schema_reads_it() {
    let e = the_error(&format!(
        "{QUICKSTART}cluster: {{container_insights: yes}}\n"
    ));
    assert_eq!(
        e.to_string(),
        "cluster.container_insights: expected true or false"
    );
}

#[test]
fn a_null_value_says_what_is_expected() {
    let e = the_error(&format!("{QUICKSTART}tags:\n  team: null\n"));
    assert_eq!(
        e.to_string(),
        "tags.team: expected a string, found nothing (null): give a value, or leave the key out"
    );
    assert!(e.location.is_some());
}

#[test]
fn an_empty_user_data_path_says_what_is_expected() {
    let e = the_error(&format!(
        "{QUICKSTART}instances:\n  user_data: {{ file: \"\" }}\n"
    ));
    assert_eq!(
        e.to_string(),
        "instances.user_data.file: expected the path of a script, relative to the config file; found an empty string"
    );
}

// handlebars: `\{{` is a literal `{{`.
#[test]
fn handlebars_syntax_in_a_script_says_where_and_how_to_escape() {
    let e = the_error(&format!(
        "{QUICKSTART}instances:\n  user_data: {{ inline: \"echo {{{{foo}}\" }}\n"
    ));
    assert!(
        e.message.contains("at line 1, column 11 of the script"),
        "{e}"
    );
    assert!(e.message.contains("write a literal `{{` as `\\{{`"), "{e}");
    // As the message says.
    load(&format!(
        "{QUICKSTART}instances:\n  user_data: {{ inline: \"echo \\\\{{{{foo}}\" }}\n"
    ))
    .unwrap();
}

// EC2 user guide, "Run commands when you launch an EC2 instance with user data input":
// cloud-init takes shell scripts, cloud-config directives, or a MIME multi-part archive
// of them, each as a whole document; spotcover appends the config's script to its bash.
#[test]
fn user_data_that_is_not_shell_is_refused() {
    for script in [
        "#cloud-config\\npackages: [htop]",
        "Content-Type: multipart/mixed; boundary=x\\n",
        "#!/usr/bin/python3\\nprint(1)",
    ] {
        let e = the_error(&format!(
            "{QUICKSTART}instances:\n  user_data: {{ inline: \"{script}\" }}\n"
        ));
        assert!(
            e.message.contains("spotcover appends the script"),
            "{script}: {e}"
        );
    }
    load(&format!(
        "{QUICKSTART}instances:\n  user_data: {{ inline: \"#!/bin/bash\\necho hi\" }}\n"
    ))
    .unwrap();
}

// Its whole text goes into every template and into `spotcover diff` output: a file
// from outside the config's directory is read only when the config says so, and even
// then it is warned about. Refused files are never asked for.
#[test]
fn a_user_data_file_outside_the_configs_directory_is_refused_unless_allowed() {
    let asked = std::cell::RefCell::new(Vec::new());
    let read = |name: &str| {
        asked.borrow_mut().push(name.to_owned());
        Ok("echo hi\n".to_owned())
    };
    for (file, outside) in [
        ("../secret.sh", true),
        ("/etc/x.sh", true),
        ("~/x.sh", true),
        ("scripts/../../x.sh", true),
        ("scripts/../x.sh", false),
        ("x.sh", false),
    ] {
        asked.borrow_mut().clear();
        let config = format!("{QUICKSTART}instances:\n  user_data: {{ file: \"{file}\" }}\n");
        match spotcover_stack::load_with(&config, &read) {
            Ok(r) => {
                assert!(!outside, "{file} was read");
                assert!(r[0].warnings.is_empty(), "{file}");
            }
            Err(e) => {
                assert!(outside, "{file}: {e:?}");
                assert!(asked.borrow().is_empty(), "{file} was asked for");
                assert_eq!(e[0].path, "instances.user_data.file");
                assert!(e[0].location.is_some());
                assert!(
                    e[0].message.contains("allow_outside_config_dir: true"),
                    "{}",
                    e[0]
                );
            }
        }
        let allowed = format!(
            "{QUICKSTART}instances:\n  user_data: {{ file: \"{file}\", allow_outside_config_dir: true }}\n"
        );
        let r = spotcover_stack::load_with(&allowed, &read)
            .unwrap()
            .remove(0);
        assert_eq!(
            r.warnings
                .iter()
                .any(|w| w.message.contains("outside the config's directory")),
            outside,
            "{file}"
        );
    }
}
