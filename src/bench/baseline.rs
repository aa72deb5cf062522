//! What a bench ran on (its [`Setting`]: the build and the machine), and how
//! it compares with an earlier bench saved with `--json` (a [`Baseline`]):
//! workload by workload, the customers per second then and now, and the
//! ratios that carry across machines, the engine's time over its bare loop's
//! and the thread speed-up.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{ratios::median, BenchRow, Ratios};
use crate::output::tables::counted;
use crate::time::DateTime;

/// The build a bench ran, the machine it ran on, and how.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Setting {
    /// borderq's version.
    pub borderq: String,
    /// When the bench started: UTC, to the minute (`2026-12-06T13:20`).
    pub started_utc: String,
    /// The processor's model name (Linux's `/proc/cpuinfo`), or `unknown`.
    pub cpu: String,
    /// The threads the machine offers the process.
    pub threads: usize,
    /// Operating system and architecture (`linux x86_64`).
    pub os: String,
    /// Whether the workloads were the `--quick` ones.
    pub quick: bool,
    /// Rounds of every workload.
    pub rounds: u32,
}

impl Setting {
    /// This build on this machine, now.
    pub fn here(quick: bool, rounds: u32) -> Setting {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64);
        Setting {
            borderq: env!("CARGO_PKG_VERSION").to_string(),
            started_utc: DateTime::from_seconds_since_epoch(now - now.rem_euclid(60)).to_string(),
            cpu: cpu_model().unwrap_or_else(|| "unknown".to_string()),
            threads: crate::experiment::threads_for(0, usize::MAX),
            os: format!("{} {}", std::env::consts::OS, std::env::consts::ARCH),
            quick,
            rounds,
        }
    }

    /// Whether `other` ran on the same kind of machine: the same processor,
    /// threads and system (their times then compare, within the host's
    /// noise).
    pub fn same_machine(&self, other: &Setting) -> bool {
        (&self.cpu, self.threads, &self.os) == (&other.cpu, other.threads, &other.os)
    }

    /// One line: `borderq 0.1.0, 3 rounds, started 2026-12-06T13:20 UTC, on
    /// 2 threads of AMD EPYC 7B13 (linux x86_64)`, with `--quick` when so.
    pub fn describe(&self) -> String {
        format!(
            "borderq {}{}, {}, started {} UTC, on {} of {} ({})",
            self.borderq,
            if self.quick { " --quick" } else { "" },
            counted(self.rounds as usize, "round"),
            self.started_utc,
            counted(self.threads, "thread"),
            self.cpu,
            self.os
        )
    }
}

/// The processor's model name, from Linux's `/proc/cpuinfo`.
fn cpu_model() -> Option<String> {
    let info = std::fs::read_to_string("/proc/cpuinfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("model name"))?;
    let name = line.split_once(':')?.1.split_whitespace();
    Some(name.collect::<Vec<_>>().join(" "))
}

/// What `borderq bench --json` prints: the setting, the rows, and the
/// comparison with a baseline when one was given.
#[derive(Debug, Serialize)]
pub struct Report<'a> {
    /// The build and the machine.
    #[serde(flatten)]
    pub setting: &'a Setting,
    /// One row per workload.
    pub workloads: &'a [BenchRow],
    /// Against the baseline, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub baseline: Option<&'a Comparison>,
}

/// Of a saved row, what a comparison reads.
#[derive(Clone, Debug, Deserialize)]
struct SavedRow {
    workload: String,
    customers: u64,
    customers_per_s: f64,
    #[serde(flatten)]
    ratios: Ratios,
    #[serde(default)]
    check: Option<String>,
}

/// An earlier bench, read from its `--json`.
#[derive(Clone, Debug)]
pub struct Baseline {
    /// Its setting; `None` for the list of rows printed before the setting
    /// was recorded.
    pub setting: Option<Setting>,
    rows: Vec<SavedRow>,
}

impl Baseline {
    /// Reads the JSON of `borderq bench --json`: the object with the setting
    /// and `workloads`, or the bare list of rows of earlier versions.
    ///
    /// # Errors
    /// Why the text is not such a JSON, with serde's line and column.
    pub fn parse(text: &str) -> Result<Baseline, String> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        let (setting, rows) = match value {
            Value::Array(_) => (None, value),
            Value::Object(mut fields) => {
                let rows = fields.remove("workloads").ok_or("it has no `workloads`")?;
                fields.remove("baseline");
                let setting = serde_json::from_value(Value::Object(fields))
                    .map_err(|e| format!("its setting: {e}"))?;
                (Some(setting), rows)
            }
            _ => return Err("it is neither an object nor a list of rows".to_string()),
        };
        let rows: Vec<SavedRow> =
            serde_json::from_value(rows).map_err(|e| format!("its workloads: {e}"))?;
        if rows.is_empty() {
            return Err("it has no workloads".to_string());
        }
        Ok(Baseline { setting, rows })
    }
}

/// How a bench compares with its baseline.
#[derive(Clone, Debug, Serialize)]
pub struct Comparison {
    /// The baseline's file, as given.
    pub file: String,
    /// The baseline's setting, if it recorded one.
    pub setting: Option<Setting>,
    /// The workloads in both, in this bench's order.
    pub workloads: Vec<Change>,
    /// Workloads the baseline ran and this bench did not.
    pub only_in_baseline: Vec<String>,
    /// Workloads this bench ran and the baseline did not.
    pub only_in_this_run: Vec<String>,
}

/// One workload then and now.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Change {
    /// The workload.
    pub workload: String,
    /// Customers per second: the baseline's, this bench's.
    pub customers_per_s: [f64; 2],
    /// Whether both ran as many customers (the same work: not so between a
    /// `--quick` bench and a full one).
    pub same_work: bool,
    /// The engine's time over its bare loop's, median of the rounds: then, now.
    pub over_bare_loop: Option<[f64; 2]>,
    /// The thread speed-up, median of the rounds: then, now.
    pub speedup: Option<[f64; 2]>,
    /// The correctness figure then and now, when the same work gave
    /// another: the same seeds give the same figure, so the model's results
    /// moved between the two builds.
    pub check_moved: Option<[String; 2]>,
}

impl Change {
    /// This bench's customers per second over the baseline's: above 1 is faster.
    pub fn pace(&self) -> f64 {
        self.customers_per_s[1] / self.customers_per_s[0]
    }
}

/// This bench's `rows` against `baseline`, read from `file`.
pub fn compare(baseline: &Baseline, file: &str, rows: &[BenchRow]) -> Comparison {
    // A ratio's median over the rounds, then and now, where both benches
    // carry it (each row carries its ratios, as `--json` prints them).
    let then_now = |then: &Option<Vec<f64>>, now: &Option<Vec<f64>>| {
        let median_of = |r: &Option<Vec<f64>>| r.as_deref().filter(|r| !r.is_empty()).map(median);
        Some([median_of(then)?, median_of(now)?])
    };
    let workloads = rows
        .iter()
        .filter_map(|row| {
            let saved = baseline.rows.iter().find(|s| s.workload == row.workload)?;
            let (then, now) = (&saved.ratios, &row.ratios);
            let same_work = saved.customers == row.customers;
            let check_moved = match &saved.check {
                Some(then) if same_work && *then != row.check => {
                    Some([then.clone(), row.check.clone()])
                }
                _ => None,
            };
            Some(Change {
                workload: row.workload.clone(),
                customers_per_s: [saved.customers_per_s, row.customers_per_s],
                same_work,
                over_bare_loop: then_now(&then.over_bare_loop_rounds, &now.over_bare_loop_rounds),
                speedup: then_now(&then.speedup_rounds, &now.speedup_rounds),
                check_moved,
            })
        })
        .collect();
    let in_rows = |name: &str| rows.iter().any(|r| r.workload == name);
    let in_baseline = |name: &str| baseline.rows.iter().any(|s| s.workload == name);
    Comparison {
        file: file.to_string(),
        setting: baseline.setting.clone(),
        workloads,
        only_in_baseline: baseline
            .rows
            .iter()
            .filter(|s| !in_rows(&s.workload))
            .map(|s| s.workload.clone())
            .collect(),
        only_in_this_run: rows
            .iter()
            .filter(|r| !in_baseline(&r.workload))
            .map(|r| r.workload.clone())
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(workload: &str, customers: u64, wall_s_rounds: &[f64]) -> BenchRow {
        BenchRow {
            workload: workload.to_string(),
            replications: 1,
            threads: 1,
            customers,
            events: 2 * customers,
            wall_s: median(wall_s_rounds),
            wall_s_rounds: wall_s_rounds.to_vec(),
            events_per_s: 0.0,
            customers_per_s: customers as f64 / median(wall_s_rounds),
            ms_per_replication_rounds: vec![vec![1.0]; wall_s_rounds.len()],
            peak_rss_mib: None,
            check: String::new(),
            bare_loop_of: None,
            speedup_over: None,
            ratios: Ratios::default(),
        }
    }

    /// An engine row, its bare loop, and the engine's row on two threads.
    fn bench(engine_s: [f64; 3], bare_s: [f64; 3], two_threads_s: [f64; 3]) -> Vec<BenchRow> {
        let bare = BenchRow {
            bare_loop_of: Some("engine".to_string()),
            ..row("bare", 1000, &bare_s)
        };
        let two = BenchRow {
            threads: 2,
            speedup_over: Some("engine".to_string()),
            ..row("engine, 2 threads", 1000, &two_threads_s)
        };
        super::super::with_ratios(vec![row("engine", 1000, &engine_s), bare, two])
    }

    fn setting() -> Setting {
        Setting {
            borderq: "0.1.0".to_string(),
            started_utc: "2026-12-06T13:20".to_string(),
            cpu: "a processor".to_string(),
            threads: 2,
            os: "linux x86_64".to_string(),
            quick: false,
            rounds: 3,
        }
    }

    fn saved(rows: &[BenchRow]) -> String {
        let report = Report {
            setting: &setting(),
            workloads: rows,
            baseline: None,
        };
        serde_json::to_string_pretty(&report).unwrap()
    }

    #[test]
    fn a_saved_bench_compares_workload_by_workload_with_the_medians_of_its_ratios() {
        let then = bench([1.2, 1.0, 1.1], [1.0; 3], [0.6, 0.5, 0.55]);
        let baseline = Baseline::parse(&saved(&then)).unwrap();
        assert_eq!(baseline.setting, Some(setting()));
        let now = bench([0.9, 1.0, 0.8], [0.5, 0.5, 0.5], [0.5, 0.5, 0.5]);
        let c = compare(&baseline, "then.json", &now);
        assert_eq!(c.file, "then.json");
        assert!(c.only_in_baseline.is_empty() && c.only_in_this_run.is_empty());
        assert_eq!(c.workloads.len(), 3);
        let engine = &c.workloads[0];
        assert_eq!(engine.workload, "engine");
        assert!(engine.same_work);
        // 1000 customers in a median 1.1 s then, 0.9 s now.
        assert!((engine.pace() - 1.1 / 0.9).abs() < 1e-12, "{engine:?}");
        // Over the bare loop: the median of 1.2, 1.0, 1.1 then; of 1.8, 2.0, 1.6 now.
        assert_eq!(engine.over_bare_loop, Some([1.1, 1.8]));
        assert_eq!(engine.speedup, None);
        // The speed-up: the one-thread time over the two-thread time, round by round.
        let two = &c.workloads[2];
        assert_eq!(two.speedup, Some([2.0, 1.8]));
        assert_eq!(two.over_bare_loop, None);
        assert_eq!(c.workloads[1].over_bare_loop, None);
    }

    #[test]
    fn workloads_in_one_bench_only_are_named_and_other_work_is_marked() {
        let then = bench([1.0; 3], [1.0; 3], [0.5; 3]);
        let mut now = bench([1.0; 3], [1.0; 3], [0.5; 3]);
        now[0].customers = 100;
        now.push(row("new", 10, &[1.0]));
        now.remove(1);
        // The ratios as a bench without the bare loop writes them.
        let now = super::super::with_ratios(
            now.into_iter()
                .map(|r| BenchRow {
                    ratios: Ratios::default(),
                    ..r
                })
                .collect(),
        );
        let c = compare(&Baseline::parse(&saved(&then)).unwrap(), "f", &now);
        let names: Vec<&str> = c.workloads.iter().map(|w| w.workload.as_str()).collect();
        assert_eq!(names, ["engine", "engine, 2 threads"]);
        assert!(!c.workloads[0].same_work && c.workloads[1].same_work);
        // Without its bare loop this run has no ratio to compare.
        assert_eq!(c.workloads[0].over_bare_loop, None);
        assert_eq!(c.only_in_baseline, ["bare"]);
        assert_eq!(c.only_in_this_run, ["new"]);
    }

    #[test]
    fn a_correctness_figure_that_moved_on_the_same_work_is_reported() {
        let mut then = bench([1.0; 3], [1.0; 3], [0.5; 3]);
        then[0].check = "Wq 0.6702".to_string();
        then[1].check = "Wq 0.6717".to_string();
        let mut now = then.clone();
        now[0].check = "Wq 0.6650".to_string();
        // Other work: its figure may differ, and says nothing of the model.
        now[1].check = "Wq 0.6548".to_string();
        now[1].customers = 100;
        let c = compare(&Baseline::parse(&saved(&then)).unwrap(), "f", &now);
        assert_eq!(
            c.workloads[0].check_moved,
            Some(["Wq 0.6702".to_string(), "Wq 0.6650".to_string()])
        );
        assert_eq!(c.workloads[1].check_moved, None);
        assert_eq!(c.workloads[2].check_moved, None, "the same figure");
    }

    #[test]
    fn an_earlier_list_of_rows_is_a_baseline_without_a_setting() {
        let rows = bench([1.0; 3], [1.0; 3], [0.5; 3]);
        let list = serde_json::to_string(&rows).unwrap();
        let baseline = Baseline::parse(&list).unwrap();
        assert_eq!(baseline.setting, None);
        assert_eq!(compare(&baseline, "f", &rows).workloads.len(), 3);
        // A bench printed with its own comparison reads as a baseline too.
        let c = compare(&baseline, "f", &rows);
        let report = Report {
            setting: &setting(),
            workloads: &rows,
            baseline: Some(&c),
        };
        let text = serde_json::to_string(&report).unwrap();
        assert_eq!(Baseline::parse(&text).unwrap().setting, Some(setting()));
    }

    #[test]
    fn what_is_not_a_bench_is_refused_with_its_reason() {
        let refused = |text: &str| Baseline::parse(text).unwrap_err();
        assert!(refused("{").contains("EOF"), "{}", refused("{"));
        assert_eq!(refused("3"), "it is neither an object nor a list of rows");
        assert_eq!(refused("{}"), "it has no `workloads`");
        assert_eq!(refused("[]"), "it has no workloads");
        let e = refused(r#"[{"workload": "a"}]"#);
        assert!(e.starts_with("its workloads: missing field"), "{e}");
        let e = refused(r#"{"workloads": [], "borderq": 1}"#);
        assert!(e.starts_with("its setting: invalid type"), "{e}");
    }

    #[test]
    fn the_setting_says_what_ran_where() {
        let s = setting();
        assert_eq!(
            s.describe(),
            "borderq 0.1.0, 3 rounds, started 2026-12-06T13:20 UTC, on 2 threads of a processor (linux x86_64)"
        );
        let quick = Setting {
            quick: true,
            rounds: 1,
            ..setting()
        };
        assert!(quick
            .describe()
            .starts_with("borderq 0.1.0 --quick, 1 round,"));
        assert!(s.same_machine(&quick));
        let other = Setting {
            cpu: "another".to_string(),
            ..setting()
        };
        assert!(!s.same_machine(&other));
        let here = Setting::here(false, 3);
        assert!(here.threads >= 1 && !here.cpu.is_empty(), "{here:?}");
        assert_eq!(here.started_utc.len(), "2026-12-06T13:20".len(), "{here:?}");
    }
}
