//! Architectural and resource invariants, checked rather than promised:
//! - the engine allocates nothing per event once its vectors have grown (a 100-year run
//!   makes no more allocations than a 1-year run);
//! - the engine and the model do no I/O, know no serde and print nothing.

use cgtsim::engine::{Duration, Kernel, RunLength, Streams, run};
use cgtsim::station::{Station, StationConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

/// Counts allocations made by the current thread (tests run on several threads).
struct CountingAllocator;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
}

unsafe impl GlobalAlloc for CountingAllocator {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        ALLOCATIONS.with(|a| a.set(a.get() + 1));
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: CountingAllocator = CountingAllocator;

fn allocations_of_a_run(days: u64) -> (u64, u64) {
    let cfg = StationConfig::mmc(4.5, 1.0, 5).unwrap();
    let mut kernel = Kernel::new();
    let mut st = Station::new(&cfg, &mut kernel, Streams::new(1, 0)).unwrap();
    let length = RunLength {
        warmup: Duration::from_days(100),
        horizon: Duration::from_days(days),
    };
    let before = ALLOCATIONS.with(Cell::get);
    let end = run(&mut st, &mut kernel, length);
    assert_eq!(end, cgtsim::engine::RunEnd::Completed);
    (
        ALLOCATIONS.with(Cell::get) - before,
        kernel.events_processed(),
    )
}

#[test]
fn the_event_loop_does_not_allocate_in_steady_state() {
    // Vectors grow to their peak size (the longest queue seen) and stay there; the quantile
    // sketches grow to the range of values seen and stay there. A run 100 times longer
    // sees a few longer queues and wider ranges, so it may allocate a few more times, but
    // not in proportion to its events.
    let (short, short_events) = allocations_of_a_run(365);
    let (long, long_events) = allocations_of_a_run(36_500);
    eprintln!(
        "1 year: {short} allocations for {short_events} events; 100 years: {long} for {long_events}"
    );
    assert!(
        long_events > 70 * short_events,
        "the long run must really be longer"
    );
    assert!(
        long <= short + 20,
        "100 years allocated {long} times, 1 year {short} times"
    );
}

#[test]
fn the_engine_and_the_model_do_no_io_and_know_no_formats() {
    let root = env!("CARGO_MANIFEST_DIR");
    assert_free_of_io(&format!("{root}/src/engine"), 8);
    assert_free_of_io(&format!("{root}/src/model"), 3);
}

fn assert_free_of_io(dir: &str, at_least: usize) {
    let forbidden = [
        "std::fs",
        "std::io",
        "serde",
        "toml",
        "println!",
        "eprintln!",
        "print!(",
        "dbg!(",
        "std::env",
        "thread_rng",
    ];
    let mut files = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from(dir)];
    while let Some(d) = dirs.pop() {
        for entry in std::fs::read_dir(&d).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path)
            } else {
                files.push(path)
            }
        }
    }
    for path in &files {
        let text = std::fs::read_to_string(path).unwrap();
        for word in forbidden {
            // The module docs may *name* what the module must not do; code may not use it.
            let uses = text
                .lines()
                .filter(|l| !l.trim_start().starts_with("//"))
                .any(|l| l.contains(word));
            assert!(
                !uses,
                "{} uses `{word}`: this layer must stay free of I/O and formats",
                path.display()
            );
        }
    }
    assert!(
        files.len() >= at_least,
        "found only {} files in {dir}",
        files.len()
    );
}
