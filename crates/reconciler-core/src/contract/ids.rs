//! The form of the AWS ids the template and the Lambda pass each other (and the config's
//! literal ids), checked by one function, [`is_aws_id`].

/// An EC2 instance id, `i-`: what EC2 mints (8 or 17 hex digits), read leniently (see
/// [`IdForm::Token`]) in events.
pub const INSTANCE: (&str, IdForm) = ("i-", IdForm::Token);
/// A Spot Fleet request id, `sfr-` then a UUID.
pub const FLEET: (&str, IdForm) = ("sfr-", IdForm::Token);
/// A subnet id as the config writes it.
pub const SUBNET: (&str, IdForm) = ("subnet-", IdForm::Hex);
/// A security group id as the config writes it.
pub const SECURITY_GROUP: (&str, IdForm) = ("sg-", IdForm::Hex);

/// What follows an id's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IdForm {
    /// 8 or 17 lowercase hex digits, as EC2 mints resource ids: what a config's literal
    /// id must be.
    Hex,
    /// One or more ASCII letters, digits or dashes: what the Lambda accepts from an event
    /// or the environment (a fleet id's UUID has dashes; anything else is malformed).
    Token,
}

/// Whether `id` is `prefix` followed by the `form`'s body.
pub fn is_aws_id(id: &str, (prefix, form): (&str, IdForm)) -> bool {
    id.strip_prefix(prefix).is_some_and(|rest| match form {
        IdForm::Hex => {
            (rest.len() == 8 || rest.len() == 17)
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
        }
        IdForm::Token => {
            !rest.is_empty() && rest.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fleet_id_is_sfr_then_letters_digits_and_dashes() {
        assert!(is_aws_id("sfr-0b1c2d3e-aaaa-bbbb-cccc-0123456789ab", FLEET));
        assert!(!is_aws_id("sfr-", FLEET));
        assert!(!is_aws_id("sfr-a/b", FLEET));
        assert!(!is_aws_id("i-0123", FLEET));
    }

    #[test]
    fn a_config_id_is_its_prefix_then_8_or_17_lowercase_hex_digits() {
        assert!(is_aws_id("subnet-0123abcd", SUBNET));
        assert!(is_aws_id("sg-0123456789abcdef0", SECURITY_GROUP));
        assert!(!is_aws_id("subnet-0123abc", SUBNET));
        assert!(!is_aws_id("subnet-0123ABCD", SUBNET));
        assert!(!is_aws_id("sg-0123abcd", SUBNET));
    }
}
