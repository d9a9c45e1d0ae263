mod leaf;
use crate::Root;
pub fn root() -> Root {
    Root
}
