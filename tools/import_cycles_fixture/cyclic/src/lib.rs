mod a;
mod b;
mod sub;
pub struct Root;
