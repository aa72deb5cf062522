//! The engine against queueing theory: Erlang C, Pollaczek–Khinchine, tandem
//! queues and Little's law. Fixed seeds; named tolerances. Each check would
//! fail if service, arrivals, queue discipline or the statistics were wrong.

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
