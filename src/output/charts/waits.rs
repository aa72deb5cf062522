//! Charts of waits: by the time of joining the queue, and their distribution.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::axis::{duration_label, duration_ticks};
use super::{date_label, err, frame, house_mesh, legend, marker, span_days, time_axis, COLOURS};
use crate::report::Report;

pub(super) fn wait_by_arrival<DB: DrawingBackend>(
    report: &Report,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let cal = &report.calendar;
    let span = span_days(report);
    let hours = report.cohorts.iter().any(|c| c.wait.p95 >= 180.0);
    let (scale, unit) = if hours { (60.0, "h") } else { (1.0, "min") };
    let y_max = report
        .cohorts
        .iter()
        .map(|c| c.wait.p95 / scale)
        .fold(0.0f64, f64::max)
        .max(1e-3)
        * 1.15;
    let (x_axis, step_h) = time_axis(cal, span);
    let title = format!(
        "{}: wait by time of joining the queue (those served by the end)",
        report.scenario
    );
    let mut chart = frame(area, &title, 80)
        .build_cartesian_2d(x_axis, 0.0..y_max)
        .map_err(err)?;
    house_mesh(
        chart
            .configure_mesh()
            .x_desc("joined the queue on")
            .y_desc(format!("wait ({unit})"))
            .x_label_formatter(&|x| date_label(cal, *x, step_h)),
    )
    .draw()
    .map_err(err)?;
    for (i, (name, _)) in report.modes.0.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let cohorts: Vec<_> = report.cohorts.iter().filter(|c| &c.mode == name).collect();
        if cohorts.is_empty() {
            continue;
        }
        // Steps: each cohort's value holds over its width.
        let steps = |f: &dyn Fn(&crate::report::CohortReport) -> f64| -> Vec<(f64, f64)> {
            cohorts
                .iter()
                .flat_map(|c| {
                    let x0 = c.start_h / 24.0;
                    [(x0, f(c) / scale), ((x0 + c.days).min(span), f(c) / scale)]
                })
                .collect()
        };
        chart
            .draw_series(LineSeries::new(
                steps(&|c| c.wait.mean),
                colour.stroke_width(3),
            ))
            .map_err(err)?
            .label(format!("{name}: mean"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
        chart
            .draw_series(LineSeries::new(
                steps(&|c| c.wait.p95),
                colour.mix(0.6).stroke_width(1),
            ))
            .map_err(err)?
            .label(format!("{name}: 95th percentile"))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.mix(0.6).stroke_width(1))
            });
        let mids: Vec<(f64, f64)> = cohorts
            .iter()
            .map(|c| (c.start_h / 24.0 + c.days / 2.0, c.wait.mean / scale))
            .collect();
        marker(&mut chart, i, mids, colour)?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}

pub(super) fn wait_distribution<DB: DrawingBackend>(
    report: &Report,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let lo = report
        .wait_cdf
        .iter()
        .flat_map(|(_, c)| c.first().map(|p| p.0))
        .fold(f64::INFINITY, f64::min)
        .clamp(1e-3, 1.0);
    let hi = report
        .wait_cdf
        .iter()
        .flat_map(|(_, c)| c.last().map(|p| p.0))
        .fold(lo * 10.0, f64::max);
    let title = format!(
        "{}: distribution of waits (all replications)",
        report.scenario
    );
    let (ticks, faint) = duration_ticks(lo, hi * 1.2);
    let x_axis = (lo..hi * 1.2)
        .log_scale()
        .with_key_points(ticks)
        .with_light_points(faint);
    let mut chart = frame(area, &title, 80)
        .build_cartesian_2d(x_axis, 0.0..1.0)
        .map_err(err)?;
    house_mesh(
        chart
            .configure_mesh()
            .x_label_formatter(&|x| duration_label(*x))
            .x_desc("wait (log scale)")
            .y_desc("share who waited at most this long"),
    )
    .draw()
    .map_err(err)?;
    for (i, (name, cdf)) in report.wait_cdf.iter().enumerate() {
        if cdf.is_empty() {
            continue;
        }
        let colour = COLOURS[i % COLOURS.len()];
        let pts: Vec<(f64, f64)> = cdf.iter().map(|&(x, y)| (x.max(lo), y)).collect();
        chart
            .draw_series(LineSeries::new(pts.clone(), colour.stroke_width(3)))
            .map_err(err)?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
        let step = (pts.len() / 10).max(1);
        marker(
            &mut chart,
            i,
            pts.iter().step_by(step).copied().collect(),
            colour,
        )?;
    }
    legend(&mut chart, SeriesLabelPosition::LowerRight)
}
