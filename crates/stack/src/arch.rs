//! Which CPU architecture an instance type runs, for picking the AMI.

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Arch {
    X86_64,
    Arm64,
}

impl Arch {
    /// Graviton families carry a `g` after the generation digit (`m7g`, `c6gn`, `x2gd`,
    /// `g5g`); `a1` is the first Graviton. GPU families start with `g` (`g4dn`) and are x86.
    pub fn of(instance_type: &str) -> Arch {
        let family = instance_type.split('.').next().unwrap_or_default();
        let family = family.split('-').next().unwrap_or_default();
        if family == "a1" {
            return Arch::Arm64;
        }
        let after_generation = family
            .trim_start_matches(|c: char| c.is_ascii_alphabetic())
            .trim_start_matches(|c: char| c.is_ascii_digit());
        if after_generation.contains('g') {
            Arch::Arm64
        } else {
            Arch::X86_64
        }
    }

    /// The public SSM parameter holding the current ECS-optimized Amazon Linux 2023 AMI.
    pub fn ecs_ami_parameter(self) -> &'static str {
        match self {
            Arch::X86_64 => "/aws/service/ecs/optimized-ami/amazon-linux-2023/recommended/image_id",
            Arch::Arm64 => {
                "/aws/service/ecs/optimized-ami/amazon-linux-2023/arm64/recommended/image_id"
            }
        }
    }

    /// Suffix for logical ids.
    pub fn id_suffix(self) -> &'static str {
        match self {
            Arch::X86_64 => "X8664",
            Arch::Arm64 => "Arm64",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graviton_families_are_arm() {
        for t in [
            "m7g.large",
            "c6gn.xlarge",
            "x2gd.large",
            "g5g.xlarge",
            "a1.large",
            "t4g.nano",
            "im4gn.large",
            "hpc7g.4xlarge",
        ] {
            assert_eq!(Arch::of(t), Arch::Arm64, "{t}");
        }
        for t in [
            "m5.large",
            "g4dn.xlarge",
            "m7i-flex.large",
            "c5n.large",
            "r7iz.large",
            "inf2.xlarge",
            "g6e.xlarge",
        ] {
            assert_eq!(Arch::of(t), Arch::X86_64, "{t}");
        }
    }
}
