//! The fuzz target's logic on its seeds and on every input the fuzzer has
//! found to break it (kept in `fuzz/regressions/`), as an ordinary test: no
//! nightly toolchain needed. Any input gives a valid scenario or problems,
//! never a panic.

use std::path::Path;

fn replay(dir: &Path) -> usize {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut n = 0;
    for entry in entries.flatten() {
        let data = std::fs::read(entry.path()).unwrap();
        let text = String::from_utf8_lossy(&data);
        let (file, sets) = match text.split_once("\n--set\n") {
            Some((f, s)) => (f, s.lines().map(str::to_string).collect::<Vec<_>>()),
            None => (text.as_ref(), Vec::new()),
        };
        if let Ok(sc) = borderq::Scenario::from_toml(file, &sets) {
            let events = sc.expected_events();
            assert!(!events.is_nan(), "{}", entry.path().display());
            if events < 20_000.0 {
                let _ = borderq::engine::run_replication(&sc, 0);
            }
        }
        n += 1;
    }
    n
}

#[test]
fn fuzz_seeds_and_regressions_never_panic() {
    let seeds = replay(Path::new("fuzz/seeds"));
    assert!(seeds >= 6, "only {seeds} seeds");
    replay(Path::new("fuzz/regressions"));
}
