//! The reference models R1 and R2 as bare hand-written loops: one binary heap
//! of events, one queue per booth group, and only the figures they print.
//! No scenario, no time series, no histograms, no behaviour.
//!
//! They are the ceiling that `docs/performance.md` measures borderq against,
//! in the same `hyperfine` call as borderq and the Python peers, so that a
//! ratio to SimPy can be read against what plain Rust reaches on the same
//! machine on the same day:
//!
//! ```sh
//! cargo build --release --example bare_loop
//! target/release/examples/bare_loop r1 1000000   # M/M/10, stop at the 1,000,000th departure
//! target/release/examples/bare_loop r2 700       # the border model, 700 days
//! ```

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp, LogNormal};

/// R2's event list: a binary heap in (time, insertion) order, the time as
/// the bits of a non-negative `f64` (which order as the value).
struct Events<W: Ord> {
    heap: BinaryHeap<Reverse<(u64, u64, W)>>,
    seq: u64,
}

impl<W: Ord> Events<W> {
    fn new() -> Events<W> {
        Events {
            heap: BinaryHeap::new(),
            seq: 0,
        }
    }

    fn push(&mut self, at: f64, what: W) {
        self.seq += 1;
        self.heap.push(Reverse((at.to_bits(), self.seq, what)));
    }

    fn pop(&mut self) -> Option<(f64, W)> {
        self.heap
            .pop()
            .map(|Reverse((at, _, what))| (f64::from_bits(at), what))
    }
}

/// What happens in R2.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum What {
    /// An arrival of class `k`.
    Arrival(usize),
    /// Group `k` finishes a service; the unit has waited `wait` minutes so far (as bits).
    ServiceEnd(usize, u64),
}

/// R1: M/M/10 at ρ = 0.9 until `n` departures; prints Wq, Lq and utilisation.
/// The heap is used directly here (the leanest form measured).
#[inline(never)]
fn r1(n: u64) {
    const ARRIVAL: u8 = 0;
    const SERVICE_END: u8 = 1;
    let mut rng = SmallRng::seed_from_u64(20240601);
    let arrivals: Exp<f64> = Exp::new(9.0).expect("a rate");
    let service: Exp<f64> = Exp::new(1.0).expect("a rate");
    let servers = 10u32;
    let mut heap = BinaryHeap::new();
    let mut seq = 0u64;
    heap.push(Reverse((arrivals.sample(&mut rng).to_bits(), seq, ARRIVAL)));
    let mut queue: VecDeque<f64> = VecDeque::new();
    let mut busy = 0u32;
    let (mut departed, mut waited, mut queue_area, mut busy_area, mut last) =
        (0u64, 0.0f64, 0.0f64, 0.0f64, 0.0f64);
    while let Some(Reverse((at, _, what))) = heap.pop() {
        let t = f64::from_bits(at);
        queue_area += queue.len() as f64 * (t - last);
        busy_area += f64::from(busy) * (t - last);
        last = t;
        if what == ARRIVAL {
            seq += 1;
            heap.push(Reverse((
                (t + arrivals.sample(&mut rng)).to_bits(),
                seq,
                ARRIVAL,
            )));
            if busy < servers {
                busy += 1;
                seq += 1;
                heap.push(Reverse((
                    (t + service.sample(&mut rng)).to_bits(),
                    seq,
                    SERVICE_END,
                )));
            } else {
                queue.push_back(t);
            }
        } else {
            departed += 1;
            if departed == n {
                break;
            }
            match queue.pop_front() {
                Some(arrived) => {
                    waited += t - arrived;
                    seq += 1;
                    heap.push(Reverse((
                        (t + service.sample(&mut rng)).to_bits(),
                        seq,
                        SERVICE_END,
                    )));
                }
                None => busy -= 1,
            }
        }
    }
    println!(
        "R1 departed={departed} Wq={:.4} Lq={:.4} utilisation={:.4}",
        waited / departed as f64,
        queue_area / last,
        busy_area / last / f64::from(servers)
    );
}

/// R2's booth groups: car stage 1, bicycle, pedestrian, car stage 2.
struct Groups {
    booths: [u32; 4],
    busy: [u32; 4],
    /// Waiting units: when they joined, and what they had waited before.
    queues: [VecDeque<(f64, f64)>; 4],
    longest: [usize; 4],
    car_1: LogNormal<f64>,
    others: [Exp<f64>; 3],
}

impl Groups {
    fn service(&self, k: usize, rng: &mut SmallRng) -> f64 {
        match k {
            0 => self.car_1.sample(rng),
            _ => self.others[k - 1].sample(rng),
        }
    }

    /// A unit that has waited `wait` minutes joins group `k` at `t`.
    fn join(&mut self, k: usize, t: f64, wait: f64, events: &mut Events<What>, rng: &mut SmallRng) {
        if self.busy[k] < self.booths[k] {
            self.busy[k] += 1;
            events.push(
                t + self.service(k, rng),
                What::ServiceEnd(k, wait.to_bits()),
            );
        } else {
            self.queues[k].push_back((t, wait));
            self.longest[k] = self.longest[k].max(self.queues[k].len());
        }
    }
}

/// R2: cars, bicycles and pedestrians to their own groups at stage 1, cars
/// on to stage 2; prints per class the number served, mean and p95 wait.
#[inline(never)]
fn r2(days: f64) {
    const CAR_1: usize = 0;
    const CAR_2: usize = 3;
    let end = days * 1440.0;
    let mut rng = SmallRng::seed_from_u64(20240601);
    let arrivals = [2.0, 0.3, 1.5].map(|rate| Exp::new(rate).expect("a rate"));
    // Lognormal with mean 1.8 and sd 0.9 (of the duration itself).
    let (mean, sd) = (1.8f64, 0.9f64);
    let s2 = (1.0 + (sd / mean).powi(2)).ln();
    let mut groups = Groups {
        booths: [4, 1, 3, 5],
        busy: [0; 4],
        queues: Default::default(),
        longest: [0; 4],
        car_1: LogNormal::new(mean.ln() - s2 / 2.0, s2.sqrt()).expect("a lognormal"),
        others: [0.8, 1.5, 1.2].map(|m| Exp::new(1.0 / m).expect("a mean")),
    };
    let mut waits: [Vec<f64>; 3] = Default::default();
    let mut events = Events::new();
    for (k, a) in arrivals.iter().enumerate() {
        events.push(a.sample(&mut rng), What::Arrival(k));
    }
    while let Some((t, what)) = events.pop() {
        if t > end {
            break;
        }
        match what {
            What::Arrival(k) => {
                events.push(t + arrivals[k].sample(&mut rng), What::Arrival(k));
                groups.join(k, t, 0.0, &mut events, &mut rng);
            }
            What::ServiceEnd(k, wait) => {
                let wait = f64::from_bits(wait);
                if k == CAR_1 {
                    groups.join(CAR_2, t, wait, &mut events, &mut rng);
                } else {
                    waits[if k == CAR_2 { 0 } else { k }].push(wait);
                }
                // The booth serves the next in line, if any.
                groups.busy[k] -= 1;
                if let Some((joined, waited)) = groups.queues[k].pop_front() {
                    groups.join(k, t, waited + (t - joined), &mut events, &mut rng);
                }
            }
        }
    }
    for (class, w) in ["car", "bicycle", "pedestrian"].iter().zip(&mut waits) {
        w.sort_by(f64::total_cmp);
        let n = w.len().max(1);
        let p95 = w
            .get((0.95 * n as f64).ceil() as usize - 1)
            .copied()
            .unwrap_or(0.0);
        println!(
            "R2 {class:<10} n={:<8} mean_wait={:.4} p95_wait={p95:.4}",
            w.len(),
            w.iter().sum::<f64>() / n as f64
        );
    }
    println!(
        "R2 longest queues (car 1, bicycle, pedestrian, car 2): {:?}",
        groups.longest
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match (
        args.first().map(String::as_str),
        args.get(1).map(|s| s.parse::<f64>()),
    ) {
        (Some("r1"), Some(Ok(n))) if n >= 1.0 => r1(n as u64),
        (Some("r2"), Some(Ok(days))) if days > 0.0 => r2(days),
        _ => {
            eprintln!("usage: bare_loop r1 DEPARTURES | bare_loop r2 DAYS");
            std::process::exit(2);
        }
    }
}
