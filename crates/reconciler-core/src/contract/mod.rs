pub mod events;
pub mod metrics;
pub mod settings;
