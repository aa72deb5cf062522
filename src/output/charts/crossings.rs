//! The chart of people crossed per day, stacked by mode.

use plotters::coord::Shift;
use plotters::prelude::*;

use super::{date_label, draw_observation, err, frame, house_mesh, legend, COLOURS};
use crate::report::Report;

pub(super) fn crossings_per_day<DB: DrawingBackend>(
    report: &Report,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let days = report
        .modes
        .0
        .iter()
        .map(|(_, m)| m.per_day.len())
        .max()
        .unwrap_or(0)
        .max(1);
    // Observed counts over periods of about a day, drawn per day.
    let observed: Vec<(f64, f64, f64, String)> = report
        .observations
        .iter()
        .filter(|o| o.metric == "crossed_persons" && o.until.is_some())
        .filter_map(|o| {
            let len_h = o.until_h? - o.at_h;
            (len_h > 0.0 && len_h <= 36.0).then(|| {
                (
                    o.at_h / 24.0 + len_h / 48.0,
                    o.observed,
                    o.tolerance,
                    o.label.clone(),
                )
            })
        })
        .collect();
    let y_max = (0..days)
        .map(|d| {
            report
                .modes
                .0
                .iter()
                .map(|(_, m)| m.per_day.get(d).map_or(0.0, |c| c.crossed_persons.mean))
                .sum::<f64>()
        })
        .chain(observed.iter().map(|o| o.1 + o.2))
        .fold(0.0f64, f64::max)
        .max(1.0)
        * 1.15;
    let cal = &report.calendar;
    let span = days as f64;
    let title = format!("{}: people crossed per day, by mode", report.scenario);
    let mut chart = frame(area, &title, 90)
        .build_cartesian_2d(0.0..span, 0.0..y_max)
        .map_err(err)?;
    house_mesh(
        chart
            .configure_mesh()
            .x_desc("day")
            .y_desc("people crossed (stacked by mode)")
            .x_labels(days.min(16) + 1)
            .x_label_formatter(&|x| date_label(cal, *x, 24.0)),
    )
    .draw()
    .map_err(err)?;
    let mut base = vec![0.0; days];
    for (i, (name, m)) in report.modes.0.iter().enumerate() {
        let colour = COLOURS[i % COLOURS.len()];
        let bars: Vec<Rectangle<(f64, f64)>> = (0..days)
            .map(|d| {
                let v = m.per_day.get(d).map_or(0.0, |c| c.crossed_persons.mean);
                let r = Rectangle::new(
                    [(d as f64 + 0.1, base[d]), (d as f64 + 0.9, base[d] + v)],
                    colour.mix(0.85).filled(),
                );
                base[d] += v;
                r
            })
            .collect();
        let units: f64 = m.per_day.iter().map(|c| c.crossed_units.mean).sum();
        chart
            .draw_series(bars)
            .map_err(err)?
            .label(format!(
                "{name} ({} units in all)",
                super::chart_number(&units.round())
            ))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], colour.filled()));
    }
    for (x, v, tol, label) in &observed {
        draw_observation(&mut chart, (*x, *v, *tol), label, (x + 0.12, *v))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}
