pub mod demand;
pub mod fallback;
pub mod rule_2017;
