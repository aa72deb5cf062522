//! The real crossings of September 2022: with its own seed and replications,
//! every scenario's mean lies within the tolerance of every reported figure,
//! so a change that breaks a calibration fails here.

mod common;

use borderq::report::aggregate;
use borderq::Scenario;

#[test]
fn every_real_crossing_matches_its_reports() {
    for name in [
        "verkhny-lars-2022",
        "finland-2022",
        "kazakhstan-2022",
        "mongolia-2022",
    ] {
        let sc = Scenario::load(format!("scenarios/{name}.toml").as_ref(), &[]).unwrap();
        assert!(
            sc.observations.len() >= 2,
            "{name} has too few observations"
        );
        let report = aggregate(&sc, common::run(&sc, sc.replications));
        for o in &report.observations {
            assert!(
                o.within,
                "{name}: {} {} at {}: model {:.1}, reported {} ± {}",
                o.metric,
                o.mode.as_deref().unwrap_or("all"),
                o.at,
                o.simulated.mean,
                o.observed,
                o.tolerance
            );
        }
    }
}
