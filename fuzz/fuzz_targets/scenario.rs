//! Any bytes as a scenario file, with any `--set` overrides: the loader must
//! answer with a valid scenario or with problems, never panic or hang; and a
//! valid scenario's expected size must be a number, so `run` can refuse it.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    // Lines after a line `--set` are overrides.
    let (file, sets) = match text.split_once("\n--set\n") {
        Some((f, s)) => (f, s.lines().map(str::to_string).collect::<Vec<_>>()),
        None => (text.as_ref(), Vec::new()),
    };
    if let Ok(sc) = borderq::Scenario::from_toml(file, &sets) {
        let events = sc.expected_events();
        assert!(!events.is_nan());
        // Small valid scenarios also run (bounded, so no hang).
        if events * f64::from(sc.replications.min(1)) < 20_000.0 {
            let _ = borderq::engine::run_replication(&sc, 0);
        }
    }
});
