//! The reference models R1 and R2 as bare hand-written loops: one binary heap
//! of events, one queue per booth group, and only the figures they report.
//! No scenario, no time series, no histograms, no behaviour.
//!
//! They are the ceiling borderq is read against: `borderq bench` runs them
//! in the same rounds as the engine, and `examples/bare_loop.rs` runs them as
//! whole processes, for the same `hyperfine` call as borderq and the Python
//! peers. A ratio to SimPy can then be read against what plain Rust reaches on
//! the same machine on the same day.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use rand::rngs::SmallRng;
use rand::SeedableRng;
use rand_distr::{Distribution, Exp, LogNormal};

/// What R1 reports.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct R1 {
    /// Customers that arrived.
    pub arrived: u64,
    /// Customers that departed (the run stops at the `n`th).
    pub departed: u64,
    /// Events handled.
    pub events: u64,
    /// Mean wait in queue of those who departed, minutes.
    pub wq_min: f64,
    /// Time-weighted mean queue length.
    pub lq: f64,
    /// Mean fraction of the servers busy.
    pub utilisation: f64,
}

/// The loops' event list: a binary heap in (time, insertion) order, the time as
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

/// R1: M/M/10 at ρ = 0.9 (λ = 9/min, mean service 1 min) until `n`
/// departures.
#[inline(never)]
pub fn r1(n: u64) -> R1 {
    const ARRIVAL: u8 = 0;
    const SERVICE_END: u8 = 1;
    let mut rng = SmallRng::seed_from_u64(20240601);
    let arrivals: Exp<f64> = Exp::new(9.0).expect("a rate");
    let service: Exp<f64> = Exp::new(1.0).expect("a rate");
    let servers = 10u32;
    let mut heap = Events::new();
    heap.push(arrivals.sample(&mut rng), ARRIVAL);
    let mut queue: VecDeque<f64> = VecDeque::new();
    let mut busy = 0u32;
    let (mut arrived, mut departed, mut events) = (0u64, 0u64, 0u64);
    let (mut waited, mut queue_area, mut busy_area, mut last) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    while let Some((t, what)) = heap.pop() {
        events += 1;
        queue_area += queue.len() as f64 * (t - last);
        busy_area += f64::from(busy) * (t - last);
        last = t;
        if what == ARRIVAL {
            arrived += 1;
            heap.push(t + arrivals.sample(&mut rng), ARRIVAL);
            if busy < servers {
                busy += 1;
                heap.push(t + service.sample(&mut rng), SERVICE_END);
            } else {
                queue.push_back(t);
            }
        } else {
            departed += 1;
            if departed == n {
                break;
            }
            match queue.pop_front() {
                Some(joined) => {
                    waited += t - joined;
                    heap.push(t + service.sample(&mut rng), SERVICE_END);
                }
                None => busy -= 1,
            }
        }
    }
    R1 {
        arrived,
        departed,
        events,
        wq_min: waited / departed as f64,
        lq: queue_area / last,
        utilisation: busy_area / last / f64::from(servers),
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

/// One class of R2's results.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct R2Class {
    /// `car`, `bicycle` or `pedestrian`.
    pub name: &'static str,
    /// Served to the end (cars: both stages).
    pub served: usize,
    /// Mean wait in minutes (cars: both stages).
    pub mean_wait_min: f64,
    /// 95th percentile of the wait, nearest rank.
    pub p95_wait_min: f64,
}

/// What R2 reports.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct R2 {
    /// Units that arrived within the horizon.
    pub arrived: u64,
    /// Events handled within the horizon.
    pub events: u64,
    /// Car, bicycle and pedestrian.
    pub classes: [R2Class; 3],
    /// Longest queue of each group: car stage 1, bicycle, pedestrian, car stage 2.
    pub longest: [usize; 4],
}

/// R2: cars, bicycles and pedestrians to their own groups at stage 1, cars
/// on to stage 2, for `days`. Every wait is kept, for the percentile: memory
/// grows with the horizon, as the bare loop's only statistics.
#[inline(never)]
pub fn r2(days: f64) -> R2 {
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
    let (mut arrived, mut handled) = (0u64, 0u64);
    let mut events = Events::new();
    for (k, a) in arrivals.iter().enumerate() {
        events.push(a.sample(&mut rng), What::Arrival(k));
    }
    while let Some((t, what)) = events.pop() {
        if t > end {
            break;
        }
        handled += 1;
        match what {
            What::Arrival(k) => {
                arrived += 1;
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
    let class = |name, w: &mut Vec<f64>| {
        w.sort_by(f64::total_cmp);
        let n = w.len().max(1);
        R2Class {
            name,
            served: w.len(),
            mean_wait_min: w.iter().sum::<f64>() / n as f64,
            p95_wait_min: w
                .get((0.95 * n as f64).ceil() as usize - 1)
                .copied()
                .unwrap_or(0.0),
        }
    };
    let [car, bicycle, pedestrian] = &mut waits;
    R2 {
        arrived,
        events: handled,
        classes: [
            class("car", car),
            class("bicycle", bicycle),
            class("pedestrian", pedestrian),
        ],
        longest: groups.longest,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The bare loops are a yardstick only if they simulate the models: R1's
    /// wait against Erlang C, R2's waits against the peers' references (M/M/1
    /// for bicycles, M/M/3 for pedestrians, cars approximately). One run's
    /// standard errors, from 20 replications of the engine's same models: R1's
    /// mean wait 4.9% at 200,000 departures, so 1.55% at 2,000,000; R2 at
    /// 1,000 days 1.45% for cars, 0.58% for bicycles, 0.74% for pedestrians.
    /// The tolerances are 3 to 5 of those.
    #[test]
    fn the_bare_loops_agree_with_queueing_theory() {
        let r1 = r1(2_000_000);
        assert_eq!(r1.departed, 2_000_000);
        assert!(r1.arrived >= r1.departed && r1.events > 2 * r1.departed - 10);
        assert!(
            (r1.wq_min / crate::bench::R1_WQ_MIN - 1.0).abs() < 0.05,
            "{r1:?}"
        );
        assert!((r1.utilisation - 0.9).abs() < 0.01, "{r1:?}");
        // Little's law in the queue: Lq = λ Wq.
        assert!((r1.lq / (9.0 * r1.wq_min) - 1.0).abs() < 0.02, "{r1:?}");
        let r2 = r2(1000.0);
        for (class, (reference, tolerance)) in
            r2.classes
                .iter()
                .zip([(2.26, 0.05), (0.2526, 0.03), (1.1355, 0.03)])
        {
            assert!(
                (class.mean_wait_min / reference - 1.0).abs() < tolerance,
                "{class:?} against {reference}"
            );
        }
    }
}
