//! Sweep exporters and charts: `sweep.csv`, `sweep.json`, and one chart per
//! metric against the first swept key, one line per value of the others.

use std::io::Write;
use std::path::{Path, PathBuf};

use plotters::coord::Shift;
use plotters::prelude::*;

use super::charts;
use super::files::{ensure_dir, write_atomic_with, OutputError};
use super::tables::{grouped, Num};
use crate::sweep::SweepReport;

/// `sweep.csv`: one row per point, the swept values then each metric's mean
/// and 95% interval, streamed into `w`.
pub fn write_sweep_csv(r: &SweepReport, w: &mut dyn Write) -> std::io::Result<()> {
    let keys: Vec<&str> = r.plan.axes.iter().map(|a| a.key.as_str()).collect();
    write!(w, "{}", keys.join(","))?;
    for m in &r.plan.metrics {
        write!(w, ",{m}_mean,{m}_ci95_low,{m}_ci95_high")?;
    }
    writeln!(w)?;
    for p in 0..r.points() {
        write!(w, "{}", r.plan.point_values(p).join(","))?;
        for e in r.metrics(p) {
            write!(
                w,
                ",{},{},{}",
                Num(e.mean, 6),
                Num(e.ci95[0], 6),
                Num(e.ci95[1], 6)
            )?;
        }
        writeln!(w)?;
    }
    Ok(())
}

/// `sweep.json`: the plan and every point's metrics, streamed into `w`.
pub fn write_sweep_json(r: &SweepReport, w: &mut dyn Write) -> std::io::Result<()> {
    serde_json::to_writer_pretty(&mut *w, r)?;
    writeln!(w)
}

/// A point on a sweep chart: x, mean, interval low, interval high.
type Bar = (f64, f64, f64, f64);

/// Draws one metric against the first swept key, with interval bars.
pub fn draw_metric<DB: DrawingBackend>(
    r: &SweepReport,
    metric: usize,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    charts::register_font();
    let err = |e: &dyn std::fmt::Debug| format!("{e:?}");
    area.fill(&WHITE).map_err(|e| err(&e))?;
    let name = &r.plan.metrics[metric];
    let first = &r.plan.axes[0];
    let numeric: Option<Vec<f64>> = first.values.iter().map(|v| v.parse().ok()).collect();
    let xs: Vec<f64> = numeric
        .clone()
        .unwrap_or_else(|| (0..first.values.len()).map(|i| i as f64).collect());
    let (x_lo, x_hi) = xs
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &x| {
            (a.min(x), b.max(x))
        });
    let pad = ((x_hi - x_lo) * 0.05).max(0.5);
    // Lines: points grouped by the values of the other axes.
    let per_line = first.values.len();
    let lines = r.points() / per_line;
    let mut groups: Vec<(String, Vec<Bar>)> = vec![(String::new(), Vec::new()); lines];
    for p in 0..r.points() {
        // The first axis varies slowest: point p = i × lines + line.
        let (i, line) = (p / lines, p % lines);
        let e = r.metrics(p)[metric];
        if groups[line].0.is_empty() {
            groups[line].0 = r
                .plan
                .axes
                .iter()
                .zip(r.plan.point_values(p))
                .skip(1)
                .map(|(a, v)| format!("{}={v}", a.key))
                .collect::<Vec<_>>()
                .join(", ");
        }
        if e.mean.is_finite() {
            groups[line].1.push((xs[i], e.mean, e.ci95[0], e.ci95[1]));
        }
    }
    let y_hi = groups
        .iter()
        .flat_map(|g| g.1.iter().map(|p| p.3.max(p.1)))
        .fold(0.0f64, f64::max);
    let y_lo = groups
        .iter()
        .flat_map(|g| g.1.iter().map(|p| p.2.min(p.1)))
        .fold(0.0f64, f64::min);
    let y_hi = if y_hi > y_lo { y_hi * 1.1 } else { y_lo + 1.0 };
    // The title says what is measured; the x axis names the swept key.
    let (what, unit) = crate::sweep::metric_words(name);
    let title = format!("{}: {what}", r.plan.scenario);
    let y_desc = if unit.is_empty() {
        format!("{what}: mean and 95% interval")
    } else {
        format!("{what} ({unit}): mean and 95% interval")
    };
    let mut chart = charts::frame(area, &title, 90)
        .build_cartesian_2d((x_lo - pad)..(x_hi + pad), y_lo..y_hi)
        .map_err(|e| err(&e))?;
    let labels = first.values.clone();
    let is_numeric = numeric.is_some();
    // Whole-number values (a count of booths) and named values are labelled at
    // whole numbers only: no "10.5 booths", no name standing at two ticks.
    let whole = !is_numeric || xs.iter().all(|x| x.fract() == 0.0);
    charts::house_mesh(
        chart
            .configure_mesh()
            .x_desc(first.key.as_str())
            .y_desc(y_desc)
            .x_label_formatter(&|x| {
                if whole && (x - x.round()).abs() > 1e-9 {
                    String::new()
                } else if is_numeric {
                    grouped(*x)
                } else {
                    labels.get(x.round() as usize).cloned().unwrap_or_default()
                }
            }),
    )
    .draw()
    .map_err(|e| err(&e))?;
    for (i, (label, pts)) in groups.iter().enumerate() {
        let colour = charts::colour(i);
        chart
            .draw_series(pts.iter().map(|&(x, m, lo, hi)| {
                ErrorBar::new_vertical(x, lo, m, hi, colour.stroke_width(2), 10)
            }))
            .map_err(|e| err(&e))?;
        let s = chart
            .draw_series(LineSeries::new(
                pts.iter().map(|&(x, m, _, _)| (x, m)),
                colour.stroke_width(3),
            ))
            .map_err(|e| err(&e))?;
        if !label.is_empty() {
            s.label(label.clone()).legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
        }
    }
    if groups.iter().any(|g| !g.0.is_empty()) {
        charts::legend(&mut chart, SeriesLabelPosition::UpperRight)?;
    }
    area.present().map_err(|e| err(&e))
}

/// Whether `name` is the file of a sweep chart (PNG or SVG), of any metric.
pub fn is_sweep_chart(name: &str) -> bool {
    name.starts_with("sweep-") && (name.ends_with(".png") || name.ends_with(".svg"))
}

/// One metric's sweep chart.
struct MetricChart<'r>(&'r SweepReport, usize);

impl charts::Drawing for MetricChart<'_> {
    fn stem(&self) -> String {
        format!("sweep-{}", self.0.plan.metrics[self.1])
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        draw_metric(self.0, self.1, area)
    }
}

/// Writes `sweep.csv`, `sweep.json` and, unless `charts` is false, a PNG and an
/// SVG per metric (`sweep-METRIC.png`), drawn on up to `threads` threads (0:
/// every core).
pub fn write_sweep(
    r: &SweepReport,
    dir: &Path,
    charts: bool,
    threads: usize,
) -> Result<Vec<PathBuf>, OutputError> {
    ensure_dir(dir)?;
    let tables = || {
        Ok(vec![
            write_atomic_with(dir, "sweep.csv", |w| write_sweep_csv(r, w))?,
            write_atomic_with(dir, "sweep.json", |w| write_sweep_json(r, w))?,
        ])
    };
    if !charts {
        return tables();
    }
    let metrics: Vec<MetricChart> = (0..r.plan.metrics.len())
        .map(|i| MetricChart(r, i))
        .collect();
    // The tables are written while the charts are drawn.
    let (mut out, drawn) = charts::write_all(dir, &metrics, threads, tables)?;
    out.extend(drawn);
    Ok(out)
}
