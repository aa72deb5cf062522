//! The reference models R1 and R2 as bare hand-written loops
//! (`borderq::bench::bare`), run as whole processes: the ceiling that
//! `docs/performance.md` measures borderq against, in the same `hyperfine`
//! call as borderq and the Python peers, so that a ratio to SimPy can be read
//! against what plain Rust reaches on the same machine on the same day.
//! `borderq bench` runs the same loops in its own rounds.
//!
//! ```sh
//! cargo build --release --example bare_loop
//! target/release/examples/bare_loop r1 1000000   # M/M/10, stop at the 1,000,000th departure
//! target/release/examples/bare_loop r2 700       # the border model, 700 days
//! ```

use borderq::bench::bare;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match (
        args.first().map(String::as_str),
        args.get(1).map(|s| s.parse::<f64>()),
    ) {
        (Some("r1"), Some(Ok(n))) if n >= 1.0 => {
            let r = bare::r1(n as u64);
            println!(
                "R1 departed={} Wq={:.4} Lq={:.4} utilisation={:.4}",
                r.departed, r.wq_min, r.lq, r.utilisation
            );
        }
        (Some("r2"), Some(Ok(days))) if days > 0.0 => {
            let r = bare::r2(days);
            for c in &r.classes {
                println!(
                    "R2 {:<10} n={:<8} mean_wait={:.4} p95_wait={:.4}",
                    c.name, c.served, c.mean_wait_min, c.p95_wait_min
                );
            }
            println!(
                "R2 longest queues (car 1, bicycle, pedestrian, car 2): {:?}",
                r.longest
            );
        }
        _ => {
            eprintln!("usage: bare_loop r1 DEPARTURES | bare_loop r2 DAYS");
            std::process::exit(2);
        }
    }
}
