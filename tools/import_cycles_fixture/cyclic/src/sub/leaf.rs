// A child naming its parent module's item is not an edge.
pub fn root() -> super::Root {
    super::root()
}
