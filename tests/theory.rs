//! The engine against queueing theory: Erlang C, Erlang A (with patience),
//! Pollaczek–Khinchine, tandem queues and Little's law. Fixed seeds; named
//! tolerances. Each check would fail if service, arrivals, giving up, queue
//! discipline or the statistics were wrong.

mod common;

use borderq::stats::Estimate;
use common::*;

/// Replications per configuration: independent, so a t interval is valid.
const REPS: u32 = 20;
/// Two-sided level of the interval that must contain the analytic value.
const LEVEL: f64 = 0.99;
/// Warm-up before statistics start (starting empty biases early waits low).
const WARMUP_H: f64 = 50.0;

fn assert_covers(label: &str, means: &[f64], exact: f64) {
    let e = Estimate::with_level(means, LEVEL);
    assert!(
        e.contains(exact),
        "{label}: analytic {exact:.5} outside the {LEVEL} interval [{:.5}, {:.5}] (mean {:.5})",
        e.ci95[0],
        e.ci95[1],
        e.mean
    );
}

#[test]
fn mm1_and_mmc_mean_wait_against_erlang_c() {
    for c in [1u32, 3, 10] {
        for rho in [0.5, 0.8, 0.95] {
            let lambda = rho * f64::from(c); // mean service 1 min
                                             // Long enough that each replication's mean is near-normal at rho = 0.95.
            let horizon_min = if rho > 0.9 { 300_000.0 } else { 60_000.0 } / f64::from(c).sqrt();
            let sc = series_scenario(
                lambda,
                &[(c, "{ dist = \"exponential\", mean_min = 1.0 }")],
                horizon_min + WARMUP_H * 60.0,
                WARMUP_H,
                1000 + u64::from(c),
            );
            let outs = run(&sc, REPS);
            assert_covers(
                &format!("M/M/{c} rho={rho}"),
                &rep_means(&outs),
                erlang_c_wq(c, lambda, 1.0),
            );
        }
    }
}

#[test]
fn md1_mean_wait_against_pollaczek_khinchine() {
    for rho in [0.5, 0.9] {
        let sc = series_scenario(
            rho,
            &[(1, "{ dist = \"deterministic\", value_min = 1.0 }")],
            100_000.0,
            WARMUP_H,
            7,
        );
        let outs = run(&sc, REPS);
        assert_covers(
            &format!("M/D/1 rho={rho}"),
            &rep_means(&outs),
            pk_wq(rho, 1.0, 0.0),
        );
    }
}

#[test]
fn mg1_lognormal_against_pollaczek_khinchine() {
    // Lognormal mean 0.8, sd 0.6: scv = 0.5625.
    let sc = series_scenario(
        1.0,
        &[(1, "{ dist = \"lognormal\", mean_min = 0.8, sd_min = 0.6 }")],
        100_000.0,
        WARMUP_H,
        8,
    );
    let outs = run(&sc, REPS);
    assert_covers(
        "M/G/1 lognormal",
        &rep_means(&outs),
        pk_wq(1.0, 0.8, 0.5625),
    );
}

#[test]
fn two_mmc_stages_in_series_add_their_waits() {
    // Burke: the departures of an M/M/c queue are Poisson, so the second stage
    // is M/M/c too and the total wait is the sum of two Erlang C waits.
    let lambda = 2.4;
    let sc = series_scenario(
        lambda,
        &[
            (3, "{ dist = \"exponential\", mean_min = 1.0 }"),
            (2, "{ dist = \"exponential\", mean_min = 0.6 }"),
        ],
        80_000.0,
        WARMUP_H,
        9,
    );
    let outs = run(&sc, REPS);
    let w1 = erlang_c_wq(3, lambda, 1.0);
    let w2 = erlang_c_wq(2, lambda, 1.0 / 0.6);
    assert_covers("tandem total", &rep_means(&outs), w1 + w2);
    let stage2: Vec<f64> = outs
        .iter()
        .map(|o| o.modes[0].stage_wait[1].mean_min())
        .collect();
    assert_covers("tandem stage 2", &stage2, w2);
}

#[test]
fn littles_law_in_one_long_run() {
    // Time-average number waiting = throughput × mean wait, within 1%.
    const REL_TOL: f64 = 0.01;
    let sc = series_scenario(
        9.0,
        &[(10, "{ dist = \"exponential\", mean_min = 1.0 }")],
        500_000.0,
        WARMUP_H,
        11,
    );
    let o = borderq::engine::run_replication(&sc, 0);
    let span_min = o.end.as_min() - WARMUP_H * 60.0;
    let lq = o.waiting_mean;
    let throughput = o.served_visits as f64 / span_min;
    let wq = o.served_wait_sum_min / o.served_visits as f64;
    assert!(
        (lq / (throughput * wq) - 1.0).abs() < REL_TOL,
        "Lq {lq:.5} vs lambda*Wq {:.5}",
        throughput * wq
    );
    // And both near Erlang C's Lq = 6.0186 (a looser check: one replication).
    assert!((lq / 6.018_584 - 1.0).abs() < 0.05, "Lq {lq}");
}

/// Erlang A (M/M/c+M, Palm's model): mean number waiting, from the birth and
/// death chain with death rate min(n, c)·mu + (n − c)⁺·theta, truncated
/// where the remaining mass is below 1e-300.
fn erlang_a_lq(c: u32, lambda: f64, mu: f64, theta: f64) -> f64 {
    let (mut p, mut total, mut lq) = (1.0f64, 1.0f64, 0.0f64);
    let mut n = 0u32;
    while p > 1e-300 || n <= c {
        n += 1;
        let death = f64::from(n.min(c)) * mu + f64::from(n.saturating_sub(c)) * theta;
        p *= lambda / death;
        total += p;
        lq += f64::from(n.saturating_sub(c)) * p;
    }
    lq / total
}

#[test]
fn mmc_with_patience_against_erlang_a() {
    // Overloaded (lambda = 11 > c·mu = 10): only giving up keeps the queue
    // finite, so a deadline lost or kept too long moves its mean. With a mean
    // patience of 200 min about 2,200 deadlines are pending at a time, most
    // of them of units already served, so the engine drops stale ones often.
    let (c, lambda, theta) = (10u32, 11.0, 1.0 / 200.0);
    let text = format!(
        "name = \"erlang-a\"\nhorizon_min = {}\nwarmup_h = 24\nseed = 21\n\
         sample_interval_min = 1440\n\
         [modes.customer]\nkind = \"foot\"\n\
         patience = {{ dist = \"exponential\", mean_min = {} }}\n\
         [arrivals.customer]\nrate_per_min = {lambda}\n\
         [[stages]]\nname = \"s\"\n[[stages.booths]]\nname = \"g\"\nmodes = [\"customer\"]\n\
         count = {c}\nservice = {{ dist = \"exponential\", mean_min = 1.0 }}\n",
        6 * 1440,
        1.0 / theta
    );
    let sc = borderq::Scenario::from_toml(&text, &[]).unwrap_or_else(|e| panic!("{e:?}"));
    let outs = run(&sc, REPS);
    let lq: Vec<f64> = outs.iter().map(|o| o.waiting_mean).collect();
    let gave_up: u64 = outs.iter().map(|o| o.modes[0].reneged.units).sum();
    assert!(gave_up > 10_000, "only {gave_up} gave up");
    assert_covers("M/M/10+M", &lq, erlang_a_lq(c, lambda, 1.0, theta));
}
