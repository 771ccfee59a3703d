//! The one bench binary (criterion.rs layout): `cargo bench`, or `cargo bench -- model_b`
//! for one topic. Each topic is a module under `benches/topics/`.
use criterion::criterion_main;

mod topics {
    pub mod calendar;
    pub mod event_list;
    pub mod lean_b;
    pub mod model_a;
    pub mod model_b;
}

criterion_main!(
    topics::event_list::group,
    topics::model_a::group,
    topics::model_b::group,
    topics::calendar::group
);
