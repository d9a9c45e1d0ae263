// `crate::b::B` in a comment is not an edge; "super::b::B" in a string is not either.
use super::b::B;
pub struct A(B);
