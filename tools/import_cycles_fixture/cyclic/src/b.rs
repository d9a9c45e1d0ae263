pub struct B;
pub fn make() -> super::a::A {
    super::a::A(B)
}
