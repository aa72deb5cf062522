//! Behaviour and policy against theory and against the rules: Erlang-A
//! abandonment, conservation of units and people, bans, night closures,
//! queue-jumping and blocking buffers.

mod common;

use borderq::engine::{run_replication, DayCounts, ModeColumn, Outcome, SeriesLayout};
use borderq::stats::Estimate;
use borderq::Scenario;

fn scenario(text: &str) -> Scenario {
    Scenario::from_toml(text, &[]).unwrap_or_else(|e| panic!("{e:?}\n{text}"))
}

/// Every mode of every replication: arrived + initial + switched in =
/// crossed + balked + reneged + switched out + sent away + still present,
/// for units and for people.
fn assert_conserved(label: &str, outs: &[Outcome]) {
    for (r, o) in outs.iter().enumerate() {
        for (m, mode) in o.modes.iter().enumerate() {
            let [units, people] = mode.balance();
            assert_eq!(
                units.0, units.1,
                "{label}: replication {r}, mode {m}: units in {} out {}",
                units.0, units.1
            );
            assert_eq!(
                people.0, people.1,
                "{label}: replication {r}, mode {m}: people in {} out {}",
                people.0, people.1
            );
        }
    }
}

/// Erlang A (M/M/c+M): probability of abandoning and mean wait of those
/// served, from the birth-death chain (truncated far beyond any mass) and the
/// tagged customer's phase-type wait.
fn erlang_a(c: u32, lambda: f64, mu: f64, theta: f64) -> (f64, f64) {
    const N: usize = 5000;
    let c = c as usize;
    let mut pi = vec![1.0f64; N];
    for n in 1..N {
        let death = (n.min(c) as f64) * mu + (n.saturating_sub(c) as f64) * theta;
        pi[n] = pi[n - 1] * lambda / death;
    }
    let total: f64 = pi.iter().sum();
    pi.iter_mut().for_each(|p| *p /= total);
    // A tagged arrival with k waiting ahead: served with P_s(k), E[W 1{served}] = M(k).
    let cmu = c as f64 * mu;
    let (mut ps, mut mk) = (Vec::with_capacity(N), Vec::with_capacity(N));
    for k in 0..N {
        let a = cmu + k as f64 * theta;
        let r = a + theta;
        let (prev_ps, prev_m) = if k == 0 {
            (1.0, 0.0)
        } else {
            (ps[k - 1], mk[k - 1])
        };
        let p = a / r * prev_ps;
        ps.push(p);
        mk.push(p / r + a / r * prev_m);
    }
    let served: f64 = (0..N)
        .map(|n| if n < c { pi[n] } else { pi[n] * ps[n - c] })
        .sum();
    let wait_served: f64 = (c..N).map(|n| pi[n] * mk[n - c]).sum();
    // Cross-check with θ E[queue] / λ.
    let queue: f64 = (c..N).map(|n| (n - c) as f64 * pi[n]).sum();
    assert!(((1.0 - served) - theta * queue / lambda).abs() < 1e-9);
    (1.0 - served, wait_served / served)
}

#[test]
fn mmc_with_exponential_patience_against_erlang_a() {
    // c = 10, λ = 10/min, mean service 1 min, mean patience 2 min: offered load 1.
    const REPS: u32 = 20;
    const LEVEL: f64 = 0.99;
    let sc = scenario(
        r#"name = "Erlang A"
horizon_min = 40000
warmup_h = 20
seed = 3
[modes.customer]
kind = "foot"
patience = { dist = "exponential", mean_min = 2.0 }
[arrivals.customer]
rate_per_min = 10
[[stages]]
name = "s"
[[stages.booths]]
name = "g"
modes = ["customer"]
count = 10
service = { dist = "exponential", mean_min = 1.0 }
"#,
    );
    let outs = common::run(&sc, REPS);
    assert_conserved("Erlang A", &outs);
    let (p_abandon, w_served) = erlang_a(10, 10.0, 1.0, 0.5);
    let p: Vec<f64> = outs
        .iter()
        .map(|o| o.modes[0].reneged.units as f64 / o.modes[0].arrived.units as f64)
        .collect();
    let w: Vec<f64> = outs.iter().map(|o| o.modes[0].wait.mean_min()).collect();
    let (ep, ew) = (
        Estimate::with_level(&p, LEVEL),
        Estimate::with_level(&w, LEVEL),
    );
    assert!(
        ep.contains(p_abandon),
        "P(abandon) {p_abandon:.5} outside [{:.5}, {:.5}]",
        ep.ci95[0],
        ep.ci95[1]
    );
    assert!(
        ew.contains(w_served),
        "E[W | served] {w_served:.5} outside [{:.5}, {:.5}]",
        ew.ci95[0],
        ew.ci95[1]
    );
}

const TWO_MODES: &str = r#"name = "ban"
horizon_h = 48
sample_interval_min = 10
seed = 5
[modes.car]
[modes.pedestrian]
kind = "foot"
[arrivals.car]
rate_per_h = 30
[arrivals.pedestrian]
rate_per_h = 40
[[stages]]
name = "post"
[[stages.booths]]
name = "all"
modes = ["car", "pedestrian"]
count = 2
service = { dist = "exponential", mean_min = 1.0 }
[[events]]
at_h = 10
action = "forbid_mode"
stage = "post"
mode = "pedestrian"
label = "walking stopped"
[[events]]
at_h = 20
action = "allow_mode"
stage = "post"
mode = "pedestrian"
"#;

#[test]
fn a_forbidden_mode_is_not_served_during_the_ban() {
    let sc = scenario(TWO_MODES);
    let layout = SeriesLayout::new(&sc);
    let o = run_replication(&sc, 0);
    assert_conserved("ban", std::slice::from_ref(&o));
    let crossed = |row: usize| {
        o.series
            .value(row, layout.mode(1, ModeColumn::CrossedUnits))
    };
    // Samples every 10 min: 10 h is row 60, 20 h is row 120. Allow 30 min for services under way.
    let during = crossed(63)..=crossed(120);
    assert_eq!(
        during.start(),
        during.end(),
        "pedestrians crossed during the ban"
    );
    assert!(
        crossed(150) > crossed(120) + 50.0,
        "the queue of pedestrians is served after the ban"
    );
    assert!(crossed(60) > 100.0);
}

#[test]
fn sent_away_units_leave_and_are_counted() {
    // One booth for 70 arrivals an hour: a queue stands when the ban comes.
    let text = TWO_MODES
        .replace(
            "mode = \"pedestrian\"\nlabel = \"walking stopped\"",
            "mode = \"pedestrian\"\nqueued = \"sent_away\"",
        )
        .replace("count = 2", "count = 1");
    let sc = scenario(&text);
    let outs = common::run(&sc, 4);
    assert_conserved("sent away", &outs);
    assert!(outs.iter().all(|o| o.modes[1].sent_away.units > 0));
}

#[test]
fn no_service_when_the_schedule_closes_every_booth_at_night() {
    let sc = scenario(
        r#"name = "night"
start = 2024-01-01T00:00:00
horizon_days = 3
sample_interval_min = 30
[modes.car]
[arrivals.car]
rate_per_h = 40
[[stages]]
name = "post"
[[stages.booths]]
name = "cars"
modes = ["car"]
schedule = [{ from = "06:00", count = 3 }, { from = "22:00", count = 0 }]
service = { dist = "exponential", mean_min = 3.0 }
"#,
    );
    let layout = SeriesLayout::new(&sc);
    let o = run_replication(&sc, 0);
    assert_conserved("night", std::slice::from_ref(&o));
    // One stage: a crossing is a service's end, minutes after its start.
    let column = layout.mode(0, ModeColumn::CrossedUnits);
    let crossed = |h: f64| o.series.value((h * 2.0) as usize, column);
    for day in 0..3 {
        let d = f64::from(day) * 24.0;
        // From 22:00 (plus the last services' time) to 06:00 next day: no service.
        if day > 0 {
            // 22:30 the day before to 06:00 (services started by 22:00 end within minutes).
            assert_eq!(
                crossed(d - 1.5),
                crossed(d + 6.0),
                "served at night before day {day}"
            );
        } else {
            assert_eq!(crossed(0.0), 0.0);
            assert_eq!(crossed(6.0), 0.0, "the first night is closed too");
        }
        assert!(
            crossed(d + 12.0) > crossed(d + 7.0),
            "day {day}: no service by day"
        );
    }
}

#[test]
fn queue_jumpers_wait_less_than_the_queue() {
    let sc = scenario(
        r#"name = "jump"
horizon_h = 72
seed = 9
[modes.car]
[arrivals.car]
rate_per_h = 130
[[stages]]
name = "post"
[[stages.booths]]
name = "cars"
modes = ["car"]
count = 4
jump_share = 0.1
service = { dist = "exponential", mean_min = 2.0 }
"#,
    );
    let outs = common::run(&sc, 6);
    assert_conserved("jump", &outs);
    for o in &outs {
        let m = &o.modes[0];
        assert!(m.jumped.units > 100);
        assert!(
            m.jumper_wait.mean_min() < 0.2 * m.wait.mean_min(),
            "jumpers {} vs all {}",
            m.jumper_wait.mean_min(),
            m.wait.mean_min()
        );
    }
}

#[test]
fn a_full_buffer_blocks_the_stage_before_it() {
    // Stage 1 could serve 4/min, stage 2 only 1/min, and nobody may wait between
    // them: stage 1 is held to stage 2's pace.
    let sc = scenario(
        r#"name = "block"
horizon_h = 24
sample_interval_min = 60
[modes.car]
[arrivals.car]
rate_per_min = 2
[[stages]]
name = "exit"
[[stages.booths]]
name = "cars"
modes = ["car"]
count = 4
service = { dist = "exponential", mean_min = 1.0 }
[[stages]]
name = "entry"
buffer = 0
[[stages.booths]]
name = "cars"
modes = ["car"]
count = 1
service = { dist = "exponential", mean_min = 1.0 }
"#,
    );
    let o = run_replication(&sc, 0);
    assert_conserved("block", std::slice::from_ref(&o));
    // Services started at each stage: one wait recorded at each.
    let started = |s: usize| o.modes[0].stage_wait[s].count() as f64;
    let (s1, s2) = (started(0), started(1));
    // Throughputs equal up to the units held in the 4 + 1 booths.
    assert!((s1 - s2).abs() <= 5.0, "exit {s1} vs entry {s2}");
    assert!(
        s2 > 1200.0 && s2 < 1500.0,
        "entry served {s2} in 24 h at 1/min"
    );
    assert!(
        o.modes[0].queue.peak > 500.0,
        "the queue before the exit grows"
    );
}

#[test]
fn drivers_leave_their_cars_and_walk_when_walking_is_allowed() {
    let sc = scenario(
        r#"name = "walk"
horizon_h = 48
seed = 2
[modes.car]
space_m = 8
people = 3
[modes.car.switching]
to = "pedestrian"
when_allowed = [{ within_km = 2, probability = 0.5 }]
walk_kmh = 4
vehicle = "blocks"
clear_after_h = 6
[modes.pedestrian]
kind = "foot"
[arrivals.car]
rate_per_h = 60
initial_queue = 400
[[stages]]
name = "post"
[[stages.booths]]
name = "cars"
modes = ["car"]
count = 1
service = { dist = "exponential", mean_min = 2.0 }
[[stages.booths]]
name = "walkers"
modes = ["pedestrian"]
count = 2
service = { dist = "exponential", mean_min = 0.5 }
[[events]]
at_h = 0
action = "forbid_mode"
stage = "post"
mode = "pedestrian"
[[events]]
at_h = 5
action = "allow_mode"
stage = "post"
mode = "pedestrian"
label = "walking allowed"
"#,
    );
    let outs = common::run(&sc, 4);
    assert_conserved("walk", &outs);
    for o in &outs {
        let (car, ped) = (&o.modes[0], &o.modes[1]);
        assert_eq!(car.initial.units, 400);
        assert!(car.switched_out.units > 50, "{}", car.switched_out.units);
        assert_eq!(ped.switched_in.units, 3 * car.switched_out.units);
        assert_eq!(ped.switched_in.persons, car.switched_out.persons);
        assert!(ped.crossed.units > 100);
    }
}

#[test]
fn every_shipped_scenario_conserves_units_and_people() {
    for entry in std::fs::read_dir("scenarios").unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_none_or(|e| e != "toml") {
            continue;
        }
        let sc = Scenario::load(&path, &["horizon_days=3".into()]).unwrap();
        assert_conserved(&path.display().to_string(), &common::run(&sc, 3));
    }
}

/// One count of a day's record, in units.
type DayCount = fn(&DayCounts) -> u64;

#[test]
fn daily_counts_fall_on_the_day_they_happened() {
    // Four days sampled at each midnight, with crossings, balking and giving
    // up every day (a post that cannot keep up by day and catches up at
    // night). A sample at midnight k has seen exactly what happened before
    // it, so the cumulative series there must equal the daily counts of days
    // 0..k: a count filed under a neighbouring day would break it.
    let day: [(u32, u32); 3] = [(0, 20), (8, 90), (20, 20)];
    let profile: Vec<String> = (0..4)
        .flat_map(|d| {
            day.map(|(h, rate)| format!("{{ at_h = {}, rate_per_h = {rate} }}", 24 * d + h))
        })
        .collect();
    let sc = scenario(&format!(
        r#"name = "days"
horizon_days = 4
sample_interval_min = 1440
seed = 21
[modes.car]
patience = {{ dist = "exponential", mean_min = 90 }}
balk = {{ above_km = 0.3, probability = 0.5 }}
[arrivals.car]
profile = [{}]
[[stages]]
name = "post"
[[stages.booths]]
name = "cars"
modes = ["car"]
count = 3
service = {{ dist = "exponential", mean_min = 3.0 }}
"#,
        profile.join(", ")
    ));
    let layout = SeriesLayout::new(&sc);
    let outs = common::run(&sc, 2);
    // The totals are the days' sums: conservation checks that nothing is
    // counted twice across the days' ends.
    assert_conserved("days", &outs);
    for o in outs {
        let m = &o.modes[0];
        assert_eq!(m.per_day.len(), 4);
        let columns: [(ModeColumn, DayCount); 3] = [
            (ModeColumn::CrossedUnits, |d| d.crossed.units),
            (ModeColumn::Balked, |d| d.balked.units),
            (ModeColumn::Reneged, |d| d.reneged.units),
        ];
        for (column, pick) in columns {
            assert!(
                m.per_day.iter().all(|d| pick(d) > 0),
                "{column:?} happens every day: {:?}",
                m.per_day.iter().map(pick).collect::<Vec<_>>()
            );
            for k in 1..o.series.rows() {
                let before: u64 = m.per_day[..k].iter().map(pick).sum();
                let sampled = o.series.value(k, layout.mode(0, column));
                assert_eq!(sampled, before as f64, "{column:?} at midnight {k}");
            }
        }
    }
}
