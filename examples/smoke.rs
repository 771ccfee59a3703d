use cgtsim::engine::*;
use cgtsim::station::*;
fn main() {
    let cfg = StationConfig::mmc(4.5, 1.0, 5).unwrap();
    let t0 = std::time::Instant::now();
    let mut k = Kernel::new();
    let mut st = Station::new(&cfg, &mut k, Streams::new(1, 0)).unwrap();
    let len = RunLength {
        warmup: Duration::from_days(1000),
        horizon: Duration::from_days(100_000),
    };
    run(&mut st, &mut k, len);
    let el = t0.elapsed().as_secs_f64();
    let now = k.now();
    let c = &st.class_stats()[0];
    println!(
        "events {} in {el:.3}s = {:.1} M/s",
        k.events_processed(),
        k.events_processed() as f64 / el / 1e6
    );
    println!(
        "Wq {:.4} L {:.4} util {:.4} served {} pwait {:.4}",
        c.wait.mean(),
        st.mean_in_system(now),
        k.pool(st.pool()).utilisation_nominal(now),
        c.served,
        c.waited as f64 / c.served as f64
    );
    println!(
        "little: area {} sojourn {}",
        st.in_system_area(now),
        st.sojourn_area(now)
    );
    println!(
        "p50 {} p90 {} p99 {}",
        c.wait.quantile(0.5),
        c.wait.quantile(0.9),
        c.wait.quantile(0.99)
    );
}
