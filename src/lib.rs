pub mod engine;
pub mod station;
