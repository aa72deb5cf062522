//! Properties over random valid scenarios: nothing is lost (conservation of
//! units and people), Little's law holds exactly, queues are FIFO, and the
//! outputs do not depend on the thread count.

use proptest::prelude::*;

use borderq::experiment::run_replications;
use borderq::report::aggregate;
use borderq::Scenario;

/// A random scenario: 1–3 modes, 1–2 stages, optional behaviour and events.
fn scenario_text() -> impl Strategy<Value = String> {
    (
        1usize..=3,
        1usize..=2,
        prop::collection::vec((1.0f64..120.0, 1u32..4, 0.2f64..5.0, 1u32..=4), 3),
        (any::<bool>(), any::<bool>(), any::<bool>(), any::<bool>()),
        (0u32..3, 0.0f64..0.3, 0u32..=50, 0u64..1000),
    )
        .prop_map(|(n_modes, n_stages, modes, (patience, balk, switch, events), (buffer, jump, initial, seed))| {
            let names = ["car", "bus", "pedestrian"];
            let mut t = format!("name = \"random\"\nhorizon_h = 12\nsample_interval_min = 60\nseed = {seed}\n");
            for (i, name) in names.iter().take(n_modes).enumerate() {
                let (_, people, _, _) = modes[i];
                let kind = if *name == "pedestrian" { "foot" } else { "vehicle" };
                t += &format!("[modes.{name}]\nkind = \"{kind}\"\npeople = {people}\n");
                if patience {
                    t += "patience = { dist = \"exponential\", mean_min = 30 }\n";
                }
                if balk {
                    t += "balk = { above_km = 0.05, probability = 0.5 }\n";
                }
                if switch && *name != "pedestrian" && n_modes == 3 {
                    t += &format!(
                        "[modes.{name}.switching]\nto = \"pedestrian\"\non_patience = 0.5\n\
                         when_allowed = [{{ within_km = 1, probability = 0.3 }}]\n{}",
                        if seed % 2 == 0 { "vehicle = \"leaves\"\n" } else { "vehicle = \"blocks\"\nclear_after_h = 1\n" }
                    );
                }
            }
            for (i, name) in names.iter().take(n_modes).enumerate() {
                let (rate, _, _, _) = modes[i];
                t += &format!("[arrivals.{name}]\nrate_per_h = {rate}\ninitial_queue = {initial}\n");
            }
            let served: Vec<String> = names.iter().take(n_modes).map(|n| format!("\"{n}\"")).collect();
            for (s, &(_, _, mean, booths)) in modes.iter().enumerate().take(n_stages) {
                t += &format!("[[stages]]\nname = \"s{s}\"\n");
                if s > 0 && buffer > 0 {
                    t += &format!("buffer = {}\n", buffer - 1);
                }
                t += &format!(
                    "[[stages.booths]]\nname = \"g\"\nmodes = [{}]\ncount = {booths}\njump_share = {jump}\n\
                     service = {{ dist = \"exponential\", mean_min = {mean} }}\n",
                    served.join(", ")
                );
            }
            if events {
                let last = names[n_modes - 1];
                t += &format!(
                    "[[events]]\nat_h = 2\naction = \"forbid_mode\"\nstage = \"s0\"\nmode = \"{last}\"\nqueued = \"{}\"\n\
                     [[events]]\nat_h = 4\naction = \"allow_mode\"\nstage = \"s0\"\nmode = \"{last}\"\n\
                     [[events]]\nat_h = 5\naction = \"close_stage\"\nstage = \"s0\"\n\
                     [[events]]\nat_h = 6\naction = \"open_stage\"\nstage = \"s0\"\n\
                     [[events]]\nat_h = 7\naction = \"set_booths\"\nstage = \"s0\"\ngroup = \"g\"\ncount = 1\n",
                    if seed % 3 == 0 { "sent_away" } else { "wait" }
                );
            }
            t
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 128, failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn nothing_is_lost_and_threads_do_not_matter(text in scenario_text()) {
        let sc = Scenario::from_toml(&text, &[]).map_err(|e| TestCaseError::fail(format!("{e:?}\n{text}")))?;
        let one = run_replications(&sc, 2, 1, &|_| {}).unwrap();
        for o in &one {
            for m in &o.modes {
                let [units, people] = m.balance();
                prop_assert_eq!(units.0, units.1, "units\n{}", text);
                prop_assert_eq!(people.0, people.1, "people\n{}", text);
                // A wait is never longer than the stay.
                if m.wait.count() > 0 && m.sojourn.count() > 0 {
                    prop_assert!(m.wait.max_min() <= 12.0 * 60.0 + 1e-9);
                }
            }
            // Little's law, exactly, per replication: the time-average number
            // waiting times the run's length is all the time spent waiting
            // (served, gone, or still waiting at the end).
            const REL_TOL: f64 = 1e-9;
            let area = o.waiting_mean * o.end.as_min();
            prop_assert!(
                (area - o.queue_time_min).abs() <= REL_TOL * o.queue_time_min.max(1.0),
                "L x T = {} but waits sum to {}\n{}", area, o.queue_time_min, text
            );
            // FIFO within every queue; time never goes back (asserted in the engine).
            prop_assert_eq!(o.fifo_violations, 0);
        }
        let two = run_replications(&sc, 2, 2, &|_| {}).unwrap();
        let (a, b) = (aggregate(&sc, one), aggregate(&sc, two));
        prop_assert_eq!(
            borderq::output::tables::summary_json(&a),
            borderq::output::tables::summary_json(&b)
        );
    }
}
