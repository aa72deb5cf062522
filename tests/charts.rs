//! Charts render from plain report data: the SVG text carries titles, axis
//! labels, series names, observation and event labels; PNGs decode to the
//! stated size and are not blank; the same run gives the same bytes, on
//! any number of threads.

mod common;

use std::path::Path;

use borderq::output::charts::{png_of, write_all, write_charts, Chart, Drawing, SIZE};
use borderq::output::OutputError;
use borderq::report::{aggregate, Report};
use borderq::Scenario;
use plotters::coord::Shift;
use plotters::prelude::{DrawingArea, DrawingBackend, RED, WHITE};

fn lars_report() -> Report {
    let sc = Scenario::load("scenarios/verkhny-lars-2022.toml".as_ref(), &[]).unwrap();
    let outs = borderq::experiment::run_replications(&sc, 4, 0, &|_| {}).unwrap();
    aggregate(&sc, outs)
}

#[test]
fn svg_charts_carry_their_words() {
    let r = lars_report();
    let expect: [(Chart, &[&str]); 6] = [
        (
            Chart::QueueKm,
            &[
                "queue on the approach in km",
                "queue length (km)",
                "date",
                "car (mean, 5–95% band)",
                "15 km (Yandex Maps)",
                "walking allowed",
                "cars barred from the region",
                "21 Sep",
            ],
        ),
        (
            Chart::QueueUnits,
            &["units waiting", "1,715 cars (customs)", "two rows of cars"],
        ),
        (
            Chart::WaitByArrival,
            &[
                "wait by time of joining the queue",
                "wait (h)",
                "car: mean",
                "car: 95th percentile",
            ],
        ),
        (
            Chart::WaitDistribution,
            &["distribution of waits", "wait (log scale)", "pedestrian"],
        ),
        (
            Chart::CrossingsPerDay,
            // Axis numbers grouped, without a trailing ".0".
            &[
                "people crossed per day",
                "10,808 into Georgia",
                "bicycle",
                "\n12,000\n",
            ],
        ),
        (
            Chart::Utilisation,
            &[
                "booth utilisation",
                "ru-exit",
                "ge-entry",
                "busy booths / open booths",
            ],
        ),
    ];
    for (chart, words) in expect {
        let svg = chart.svg(&r, SIZE).unwrap();
        for w in words {
            assert!(svg.contains(w), "{:?}: `{w}` missing", chart);
        }
        assert_eq!(
            svg,
            chart.svg(&r, SIZE).unwrap(),
            "{chart:?} is not deterministic"
        );
    }
}

#[test]
fn a_band_over_fewer_replications_than_the_run_says_so() {
    // As a run of more than `BAND_REPLICATIONS` reports it.
    let mut r = lars_report();
    r.band_replications = 3;
    let svg = Chart::QueueKm.svg(&r, SIZE).unwrap();
    assert!(
        svg.contains("car (mean, 5–95% band of the first 3 replications)"),
        "the band's replications are not said"
    );
}

/// The names of `paths`, in their order.
fn names(paths: &[std::path::PathBuf]) -> Vec<String> {
    paths
        .iter()
        .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn charts_drawn_on_several_threads_are_the_files_one_thread_writes() {
    let r = lars_report();
    let expected: Vec<String> = Chart::ALL
        .iter()
        .flat_map(|c| [format!("{}.svg", c.stem()), format!("{}.png", c.stem())])
        .collect();
    let one = common::scratch("charts-one-thread");
    let one_paths = write_charts(&r, &one, 1, || Ok(())).unwrap().1;
    assert_eq!(names(&one_paths), expected);
    for threads in [2, 3, 0] {
        let many = common::scratch(&format!("charts-{threads}-threads"));
        let paths = write_charts(&r, &many, threads, || Ok(())).unwrap().1;
        assert_eq!(names(&paths), expected, "{threads} threads");
        for (a, b) in one_paths.iter().zip(&paths) {
            assert!(b.starts_with(&many));
            assert!(
                common::read(a) == common::read(b),
                "{} differs on {threads} threads",
                b.display()
            );
        }
        std::fs::remove_dir_all(&many).unwrap();
    }
    std::fs::remove_dir_all(&one).unwrap();
}

/// A blank chart that cannot be drawn when its number is in `failing`.
struct Blank {
    number: usize,
    failing: &'static [usize],
}

impl Drawing for Blank {
    fn stem(&self) -> String {
        format!("blank-{}", self.number)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        if self.failing.contains(&self.number) {
            return Err(format!("chart {} fails", self.number));
        }
        area.fill(&WHITE).map_err(|e| format!("{e:?}"))
    }
}

#[test]
fn the_first_chart_that_fails_is_the_one_reported_at_any_thread_count() {
    let dir = common::scratch("charts-failing");
    let charts: Vec<Blank> = (0..8)
        .map(|number| Blank {
            number,
            failing: &[5, 2, 7],
        })
        .collect();
    for threads in [1, 2, 4] {
        match write_all(&dir, &charts, threads, || Ok(())) {
            Err(OutputError::Chart { path, message }) => {
                assert_eq!(path, Path::new(&dir).join("blank-2.svg"), "{threads}");
                assert_eq!(message, "chart 2 fails");
            }
            other => panic!("{threads} threads: {other:?}"),
        }
    }
    let fine: Vec<Blank> = (0..3)
        .map(|number| Blank {
            number,
            failing: &[],
        })
        .collect();
    let paths = write_all(&dir, &fine, 2, || Ok(())).unwrap().1;
    assert_eq!(
        names(&paths),
        [
            "blank-0.svg",
            "blank-0.png",
            "blank-1.svg",
            "blank-1.png",
            "blank-2.svg",
            "blank-2.png"
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// A chart painted red all over, or, when `red` is false, one that draws
/// nothing and leaves its bitmap as it found it.
struct Paint {
    number: usize,
    red: bool,
}

impl Drawing for Paint {
    fn stem(&self) -> String {
        format!("paint-{}", self.number)
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        if self.red {
            area.fill(&RED).map_err(|e| format!("{e:?}"))?;
        }
        Ok(())
    }
}

#[test]
fn a_chart_drawn_after_others_on_the_same_bitmap_is_the_chart_drawn_alone() {
    let alone = png_of(SIZE, |_| Ok(())).unwrap();
    let charts: Vec<Paint> = (0..8)
        .map(|number| Paint {
            number,
            red: number % 2 == 0,
        })
        .collect();
    for threads in [1, 2] {
        let dir = common::scratch(&format!("charts-paint-{threads}"));
        write_all(&dir, &charts, threads, || Ok(())).unwrap();
        for c in charts.iter().filter(|c| !c.red) {
            let png = dir.join(format!("paint-{}.png", c.number));
            assert!(
                common::read(&png) == alone,
                "{} on {threads} threads is not the chart drawn alone",
                png.display()
            );
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn files_written_beside_the_charts_come_back_and_their_error_comes_first() {
    let blanks = |failing: &'static [usize]| -> Vec<Blank> {
        (0..4).map(|number| Blank { number, failing }).collect()
    };
    for threads in [1, 2, 3] {
        let dir = common::scratch(&format!("charts-beside-{threads}"));
        let (n, paths) = write_all(&dir, &blanks(&[]), threads, || Ok(42)).unwrap();
        assert_eq!(n, 42);
        assert_eq!(paths.len(), 8, "{threads} threads");
        assert_eq!(common::chart_files(&dir).len(), 8, "{threads} threads");
        std::fs::remove_dir_all(&dir).unwrap();

        // The files fail, and a chart too: the files' error is the one
        // reported, and no chart is written.
        let dir = common::scratch(&format!("charts-beside-failing-{threads}"));
        let result = write_all(&dir, &blanks(&[1]), threads, || -> Result<(), _> {
            Err(OutputError::Io {
                path: dir.join("summary.json"),
                source: std::io::Error::other("no space left"),
            })
        });
        match result {
            Err(OutputError::Io { path, .. }) => {
                assert_eq!(path, dir.join("summary.json"), "{threads} threads");
            }
            other => panic!("{threads} threads: {other:?}"),
        }
        assert_eq!(
            common::chart_files(&dir),
            Vec::<String>::new(),
            "{threads} threads"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

#[test]
fn pngs_decode_to_the_stated_size_and_are_not_blank() {
    let r = lars_report();
    for chart in Chart::ALL {
        let png = chart.png(&r, SIZE).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        assert_eq!(img.dimensions(), SIZE, "{chart:?}");
        // The middle of the plot area must hold more than one colour.
        let mut colours = std::collections::BTreeSet::new();
        for y in (200..600).step_by(7) {
            for x in (200..1100).step_by(7) {
                colours.insert(img.get_pixel(x, y).0);
            }
        }
        assert!(
            colours.len() > 2,
            "{chart:?} looks blank: {} colours",
            colours.len()
        );
    }
}

#[test]
fn a_scenario_without_events_or_observations_still_charts() {
    let sc = Scenario::load(
        "scenarios/border-r2.toml".as_ref(),
        &["horizon_days=1".into(), "sample_interval_min=30".into()],
    )
    .unwrap();
    let outs = borderq::experiment::run_replications(&sc, 2, 1, &|_| {}).unwrap();
    let r = aggregate(&sc, outs);
    for chart in Chart::ALL {
        let svg = chart.svg(&r, SIZE).unwrap();
        assert!(svg.contains("R2"), "{chart:?}");
    }
}

#[test]
fn bands_span_the_replications_and_collapse_to_the_mean_for_one() {
    let sc = Scenario::load("scenarios/verkhny-lars-2022.toml".as_ref(), &[]).unwrap();
    let bands = |r: &Report| -> Vec<borderq::report::Band> {
        let s = &r.series;
        let mut all: Vec<_> = s.modes.iter().flatten().cloned().collect();
        all.push(s.road_km.clone());
        all.extend(s.utilisation.iter().cloned());
        all
    };
    let one = aggregate(
        &sc,
        borderq::experiment::run_replications(&sc, 1, 1, &|_| {}).unwrap(),
    );
    let three = aggregate(
        &sc,
        borderq::experiment::run_replications(&sc, 3, 1, &|_| {}).unwrap(),
    );
    let mut ranged = 0;
    for b in bands(&one) {
        if b.ranged {
            ranged += 1;
            assert_eq!(b.p5(), &b.mean[..], "{}", b.name);
            assert_eq!(b.p95(), &b.mean[..], "{}", b.name);
        } else {
            assert!(b.p5().is_empty() && b.p95().is_empty(), "{}", b.name);
        }
    }
    assert!(
        ranged >= 4,
        "queue units and km per mode, road, utilisation"
    );
    let mut wide = 0;
    for b in bands(&three).into_iter().filter(|b| b.ranged) {
        assert_eq!(b.p5().len(), b.mean.len(), "{}", b.name);
        // The mean of equal values may differ from them in the last bit.
        const ROUNDING: f64 = 1e-12;
        for ((lo, mean), hi) in b.p5().iter().zip(&b.mean).zip(b.p95()) {
            let slack = ROUNDING * mean.abs();
            assert!(
                lo - slack <= *mean && *mean <= hi + slack,
                "{}: {lo} {mean} {hi}",
                b.name
            );
        }
        wide += b
            .p5()
            .iter()
            .zip(b.p95())
            .filter(|(lo, hi)| lo < hi)
            .count();
    }
    assert!(
        wide > 100,
        "three replications differ: {wide} samples with a range"
    );
}

/// The labels under the x axis of an SVG chart, left to right: the centred
/// texts on the line most of them share (the title and the axis name sit
/// on lines of their own).
fn x_tick_labels(svg: &str) -> Vec<String> {
    let centred: Vec<(String, String)> = svg
        .split("<text ")
        .skip(1)
        .filter(|t| t.contains(r#"text-anchor="middle""#) && !t.contains("rotate"))
        .filter_map(|t| {
            let y = t.split_once(r#"y=""#)?.1.split('"').next()?.to_string();
            let text = t.split_once('>')?.1.split("</text>").next()?.trim();
            Some((y, text.to_string()))
        })
        .collect();
    let count = |y: &str| centred.iter().filter(|(other, _)| other == y).count();
    let line = centred
        .iter()
        .map(|(y, _)| y.as_str())
        .max_by_key(|y| count(y))
        .unwrap_or_default()
        .to_string();
    centred
        .into_iter()
        .filter(|(y, _)| *y == line)
        .map(|(_, text)| text)
        .collect()
}

#[test]
fn the_wait_distribution_is_labelled_in_round_durations() {
    let svg = Chart::WaitDistribution.svg(&lars_report(), SIZE).unwrap();
    // Waits run from under a second (pedestrians) to two days (cars). Left
    // to itself, plotters labels this axis 0.01, 0.1, 1.0, … 1000.0 minutes.
    assert_eq!(
        x_tick_labels(&svg),
        ["0.1 s", "1 s", "10 s", "1 min", "10 min", "1 h", "6 h", "1 day"]
    );
}

fn report_of(path: &str, overrides: &[&str], reps: u32) -> Report {
    let overrides: Vec<String> = overrides.iter().map(|s| s.to_string()).collect();
    let sc = Scenario::load(path.as_ref(), &overrides).unwrap();
    let outs = borderq::experiment::run_replications(&sc, reps, 0, &|_| {}).unwrap();
    aggregate(&sc, outs)
}

#[test]
fn crossings_are_a_daily_rate_over_the_dates_each_period_covers() {
    // 200 days are counted in 4-day periods: the bars run to December, at
    // crossings per day, and the axis says over how many days.
    let r = report_of("scenarios/border-r2.toml", &["horizon_days=200"], 2);
    let svg = Chart::CrossingsPerDay.svg(&r, SIZE).unwrap();
    let ticks = x_tick_labels(&svg);
    assert_eq!(
        ticks.first().map(String::as_str),
        Some("1 Jun"),
        "{ticks:?}"
    );
    assert!(ticks.iter().any(|t| t.ends_with("Nov")), "{ticks:?}");
    assert!(svg.contains("people crossed per day, mean over 4 days"));
    // About 5,500 people a day cross R2; drawn per 4 days it would be 22,000.
    assert!(svg.contains("\n5,000\n") && !svg.contains("\n20,000\n"));
}

#[test]
fn reports_the_run_does_not_reach_are_not_drawn() {
    // Verkhny Lars cut at 26 Sep 12:00: the 26→27 Sep count and the 27 Sep
    // jam lie beyond the end; the 25→26 Sep count and the 23 Sep jam do not.
    let r = report_of("scenarios/verkhny-lars-2022.toml", &["horizon_days=5.5"], 2);
    let crossings = Chart::CrossingsPerDay.svg(&r, SIZE).unwrap();
    assert!(crossings.contains("10,808 into Georgia"));
    assert!(!crossings.contains("9,440 into Georgia"));
    let km = Chart::QueueKm.svg(&r, SIZE).unwrap();
    assert!(km.contains("14 km (media)"));
    assert!(!km.contains("15 km (Yandex Maps)"));
}
