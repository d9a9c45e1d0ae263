//! `parameters:` checked like the rest: names against the template's parameters (per
//! region), the parameter's shape, ids as for `network`.

use spotcover_stack::load;

const QUICKSTART: &str = include_str!("../../../examples/quickstart.yaml");

fn problems(parameters: &str) -> Vec<String> {
    match load(&format!("{QUICKSTART}parameters: {parameters}\n")) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.iter().map(|e| e.to_string()).collect(),
    }
}

fn the_problem(parameters: &str) -> String {
    let mut p = problems(parameters);
    assert_eq!(p.len(), 1, "{p:?}");
    p.remove(0)
}

#[test]
fn good_parameters_pass() {
    let p = problems(
        "{AssetBucket: my-bucket, Subnets: [subnet-0123456789abcdef0, subnet-12345678], SecurityGroups: [sg-12345678]}",
    );
    assert_eq!(p, Vec::<String>::new());
}

#[test]
fn a_name_the_template_does_not_have_is_refused() {
    let e = the_problem("{Bogus: x}");
    assert!(
        e.starts_with(
            "parameters.Bogus: not a parameter of this template; it has AssetBucket, Subnets"
        ),
        "{e}"
    );
}

#[test]
fn a_name_is_checked_against_each_regions_template() {
    // With literal subnets in one region, its template has no `Subnets` parameter.
    let text = format!(
        "{QUICKSTART}parameters: {{Subnets: [subnet-12345678]}}\nregions:\n  us-east-1: {{}}\n  eu-west-1:\n    network: {{subnets: [subnet-87654321]}}\n"
    );
    let errors: Vec<String> = load(&text)
        .unwrap_err()
        .iter()
        .map(|e| e.to_string())
        .collect();
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("regions.eu-west-1.parameters.Subnets: not a parameter"),
        "{errors:?}"
    );
}

#[test]
fn an_empty_list_is_refused() {
    let e = the_problem("{SecurityGroups: []}");
    assert!(
        e.starts_with("parameters.SecurityGroups: expected at least one item"),
        "{e}"
    );
}

#[test]
fn a_comma_inside_a_list_item_is_refused() {
    let e = the_problem("{Subnets: ['subnet-12345678,subnet-87654321']}");
    assert!(
        e.starts_with("parameters.Subnets[0]: \"subnet-12345678,subnet-87654321\" holds a comma"),
        "{e}"
    );
}

#[test]
fn ids_are_checked_as_for_network() {
    let e = the_problem("{Subnets: [subnet-3]}");
    assert_eq!(
        e,
        "parameters.Subnets[0]: \"subnet-3\" is not a subnet id: expected `subnet-` and 8 or 17 hex digits"
    );
    let e = the_problem("{SecurityGroups: [subnet-12345678]}");
    assert!(e.contains("is not a security group id"), "{e}");
}

#[test]
fn a_list_for_a_single_value_parameter_is_refused() {
    let e = the_problem("{AssetBucket: [a, b]}");
    assert!(
        e.starts_with("parameters.AssetBucket: expected one value"),
        "{e}"
    );
}

#[test]
fn an_empty_value_is_refused() {
    let e = the_problem("{AssetBucket: ''}");
    assert_eq!(
        e,
        "parameters.AssetBucket: expected a value, found an empty string"
    );
}

#[test]
fn a_problem_without_a_parser_position_is_still_located() {
    let errors = load(&format!("{QUICKSTART}parameters: {{Bogus: x}}\n")).unwrap_err();
    let line = QUICKSTART.lines().count() as u64 + 1;
    assert_eq!(errors[0].location, Some((line, 21)));
}
