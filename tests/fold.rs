//! Replications folded into the report one at a time, as they finish: they
//! come in replication order at any thread count, and the report's bands are
//! what sorting every replication's values at once gives.

use borderq::engine::{run_replication, ModeColumn, Outcome, SeriesLayout};
use borderq::experiment::{for_each_replication, run_replications};
use borderq::report::{aggregate, Fold, BAND_REPLICATIONS};
use borderq::Scenario;

/// M/M/10 stopped after a number of crossings, so that replications end at
/// different times and their series have different numbers of rows.
fn uneven() -> Scenario {
    let set = [
        "end_after_crossings=3000",
        "horizon_h=24",
        "sample_interval_min=5",
    ];
    let set: Vec<String> = set.iter().map(|s| s.to_string()).collect();
    Scenario::load("scenarios/mmc.toml".as_ref(), &set).unwrap()
}

#[test]
fn outcomes_come_in_replication_order_at_any_thread_count() {
    let sc = uneven();
    const REPLICATIONS: u32 = 40;
    let alone: Vec<(u64, u64)> = (0..REPLICATIONS)
        .map(|r| {
            let o = run_replication(&sc, r);
            (o.events, o.end.0)
        })
        .collect();
    // Distinct, or the order could not be told.
    let mut distinct = alone.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), alone.len());
    // More threads than cores, so that replications finish out of order.
    for threads in [1, 2, 3, 7] {
        let mut seen = Vec::new();
        for_each_replication(&sc, REPLICATIONS, threads, &|_| {}, &mut |o: Outcome| {
            seen.push((o.events, o.end.0))
        })
        .unwrap();
        assert_eq!(seen, alone, "{threads} threads");
    }
}

#[test]
fn bands_are_the_nearest_rank_percentiles_of_every_replication() {
    let sc = uneven();
    let layout = SeriesLayout::new(&sc);
    // 45 replications: the 5th percentile is the 3rd smallest and the 95th
    // the 3rd largest, so neither is an extreme.
    let outs = run_replications(&sc, 45, 2, &|_| {}).unwrap();
    let rows: Vec<usize> = outs.iter().map(|o| o.series.rows()).collect();
    let fewest = *rows.iter().min().unwrap();
    assert!(
        fewest < *rows.iter().max().unwrap(),
        "rows differ: {rows:?}"
    );
    let queue = layout.mode(0, ModeColumn::QueueUnits);
    let crossed = layout.mode(0, ModeColumn::CrossedUnits);
    let utilisation = layout.stage_utilisation(0);
    let expected: Vec<[f64; 5]> = (0..fewest)
        .map(|r| {
            let column =
                |c: usize| -> Vec<f64> { outs.iter().map(|o| o.series.value(r, c)).collect() };
            let mut q = column(queue);
            let mean = q.iter().sum::<f64>() / q.len() as f64;
            q.sort_by(f64::total_cmp);
            let mut u = column(utilisation);
            u.sort_by(f64::total_cmp);
            let crossed = column(crossed).iter().sum::<f64>() / outs.len() as f64;
            [mean, q[2], q[42], u[2], crossed]
        })
        .collect();

    let report = aggregate(&sc, outs);
    let band = &report.series.modes[0][ModeColumn::QueueUnits as usize];
    let used = &report.series.utilisation[0];
    let count = &report.series.modes[0][ModeColumn::CrossedUnits as usize];
    assert_eq!(band.mean.len(), fewest);
    assert_eq!(report.series.times_h.len(), fewest);
    for (r, e) in expected.iter().enumerate() {
        let got = [
            band.mean[r],
            band.p5()[r],
            band.p95()[r],
            used.p5()[r],
            count.mean[r],
        ];
        assert_eq!(
            got.map(f64::to_bits),
            e.map(f64::to_bits),
            "row {r}: {got:?} against {e:?}"
        );
    }
    // The bands are not flat: the comparison above could tell them apart.
    assert!((0..fewest).any(|r| band.p5()[r] < band.p95()[r]));
}

#[test]
fn a_long_runs_bands_are_those_of_its_first_thousand_replications() {
    // Short replications, a sample every five minutes; a fifth more of them
    // than the bands are taken over.
    let set = ["horizon_h=2", "sample_interval_min=5"].map(String::from);
    let sc = Scenario::load("scenarios/mmc.toml".as_ref(), &set).unwrap();
    let replications = BAND_REPLICATIONS + BAND_REPLICATIONS / 5;
    let utilisation = SeriesLayout::new(&sc).stage_utilisation(0);
    let mut fold = Fold::new(&sc, replications as u32);
    let mut columns: Vec<Vec<f64>> = Vec::new();
    for_each_replication(&sc, replications as u32, 2, &|_| {}, &mut |o: Outcome| {
        columns.push(
            (0..o.series.rows())
                .map(|r| o.series.value(r, utilisation))
                .collect(),
        );
        fold.add(o);
    })
    .unwrap();
    let report = fold.finish();
    assert_eq!(report.band_replications as usize, BAND_REPLICATIONS);
    let band = &report.series.utilisation[0];
    let rows = band.mean.len();
    assert!(rows >= 24, "{rows} rows");
    // Nearest ranks, 1-based: ⌈q·n⌉ (the 50th and the 950th of a thousand).
    let percentiles = |n: usize, r: usize| {
        let mut v: Vec<f64> = columns[..n].iter().map(|c| c[r]).collect();
        v.sort_by(f64::total_cmp);
        [0.05, 0.95].map(|q: f64| v[(q * n as f64).ceil() as usize - 1])
    };
    let mut told_apart = false;
    for r in 0..rows {
        let first = percentiles(BAND_REPLICATIONS, r);
        assert_eq!([band.p5()[r], band.p95()[r]], first, "row {r}");
        told_apart |= first != percentiles(replications, r);
        let mean = columns.iter().map(|c| c[r]).sum::<f64>() / replications as f64;
        assert_eq!(
            band.mean[r].to_bits(),
            mean.to_bits(),
            "row {r}: the mean is over all"
        );
    }
    // The percentiles of all the replications differ somewhere, so the
    // comparison above could tell the two apart.
    assert!(told_apart);
}

/// Runs `f` on a thread of its own and returns whether it panicked; a run
/// still going after a minute fails the test instead of hanging it.
fn panics_within_a_minute(f: impl FnOnce() + Send + 'static) -> bool {
    let (done, wait) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
        let _ = done.send(result.is_err());
    });
    wait.recv_timeout(std::time::Duration::from_secs(60))
        .expect("the run hung: still going after a minute")
}

#[test]
fn a_panic_on_any_thread_ends_the_run_instead_of_hanging_it() {
    // Folding fails on the calling thread while the workers wait to run ahead.
    assert!(panics_within_a_minute(|| {
        let sc = uneven();
        let _ = for_each_replication(&sc, 60, 2, &|_| {}, &mut |_: Outcome| {
            panic!("folding failed")
        });
    }));
    // A worker fails after a few replications, the others waiting for it.
    assert!(panics_within_a_minute(|| {
        let sc = uneven();
        let fail = |n: u64| assert!(n < 5, "a worker failed");
        let _ = for_each_replication(&sc, 60, 3, &fail, &mut |_: Outcome| {});
    }));
}
