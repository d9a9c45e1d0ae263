pub mod demand;
