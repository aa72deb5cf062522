//! Charts of a report, drawn with plotters onto any drawing area (so tests can
//! render SVG into a string), and written as PNG and SVG. The font is DejaVu
//! Sans, embedded in the binary: no system font libraries are needed.

use std::path::{Path, PathBuf};
use std::sync::Once;

use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::{DefaultFormatting, KeyPointHint, Ranged};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::files::{write_atomic, OutputError};
use crate::report::{Band, Report};
use crate::time::{Calendar, SimTime};

/// Default chart size in pixels.
pub const SIZE: (u32, u32) = (1280, 720);

static FONT: &[u8] = include_bytes!("../../assets/fonts/DejaVuSans.ttf");
static REGISTER: Once = Once::new();

/// Registers the embedded font with plotters (once).
pub fn register_font() {
    REGISTER.call_once(|| {
        plotters::style::register_font("sans-serif", FontStyle::Normal, FONT)
            .unwrap_or_else(|_| panic!("the embedded DejaVu Sans font is a valid font"));
    });
}

/// Series colours: distinct hues that also differ in lightness, so lines stay
/// apart in grey-scale print; each line also carries its own marker shape.
const COLOURS: [RGBColor; 6] = [
    RGBColor(0x1b, 0x2a, 0x80), // dark blue
    RGBColor(0xd5, 0x5e, 0x00), // vermillion
    RGBColor(0x2c, 0xa0, 0xdc), // sky blue
    RGBColor(0x33, 0x33, 0x33), // near black
    RGBColor(0xcc, 0x79, 0xa7), // pink
    RGBColor(0x00, 0x9e, 0x73), // green
];

/// The charts `borderq run` writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chart {
    /// Approach queue in km over time, per mode and all vehicles.
    QueueKm,
    /// Units waiting on the approach over time, per mode.
    QueueUnits,
    /// Mean and p95 wait by time of joining the queue.
    WaitByArrival,
    /// Cumulative distribution of waits per mode (log scale).
    WaitDistribution,
    /// Crossings per day, people and units, with observed counts.
    CrossingsPerDay,
    /// Booth utilisation per stage over time.
    Utilisation,
}

impl Chart {
    /// Every chart, in the order they are written.
    pub const ALL: [Chart; 6] = [
        Chart::QueueKm,
        Chart::QueueUnits,
        Chart::WaitByArrival,
        Chart::WaitDistribution,
        Chart::CrossingsPerDay,
        Chart::Utilisation,
    ];

    /// File name without extension.
    pub fn stem(self) -> &'static str {
        match self {
            Chart::QueueKm => "queue-km",
            Chart::QueueUnits => "queue-units",
            Chart::WaitByArrival => "wait-by-arrival",
            Chart::WaitDistribution => "wait-distribution",
            Chart::CrossingsPerDay => "crossings-per-day",
            Chart::Utilisation => "utilisation",
        }
    }

    /// Draws the chart onto `area`.
    pub fn draw<DB: DrawingBackend>(
        self,
        report: &Report,
        area: &DrawingArea<DB, Shift>,
    ) -> Result<(), String> {
        register_font();
        area.fill(&WHITE).map_err(err)?;
        match self {
            Chart::QueueKm => queue_chart(report, area, true),
            Chart::QueueUnits => queue_chart(report, area, false),
            Chart::WaitByArrival => wait_by_arrival(report, area),
            Chart::WaitDistribution => wait_distribution(report, area),
            Chart::CrossingsPerDay => crossings_per_day(report, area),
            Chart::Utilisation => utilisation(report, area),
        }?;
        area.present().map_err(err)
    }

    /// The chart as SVG text.
    pub fn svg(self, report: &Report, size: (u32, u32)) -> Result<String, String> {
        let mut s = String::new();
        {
            let area = SVGBackend::with_string(&mut s, size).into_drawing_area();
            self.draw(report, &area)?;
        }
        Ok(s)
    }

    /// The chart as PNG bytes.
    pub fn png(self, report: &Report, size: (u32, u32)) -> Result<Vec<u8>, String> {
        png_of(size, |area| self.draw(report, area))
    }
}

/// The `i`-th series colour.
pub fn colour(i: usize) -> RGBColor {
    COLOURS[i % COLOURS.len()]
}

/// Draws with `draw` onto a bitmap of `size` and encodes it as PNG.
pub fn png_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    let mut rgb = vec![0u8; size.0 as usize * size.1 as usize * 3];
    {
        let area = BitMapBackend::with_buffer(&mut rgb, size).into_drawing_area();
        draw(&area)?;
    }
    let mut png = Vec::new();
    image::ImageEncoder::write_image(
        image::codecs::png::PngEncoder::new(&mut png),
        &rgb,
        size.0,
        size.1,
        image::ColorType::Rgb8,
    )
    .map_err(|e| e.to_string())?;
    Ok(png)
}

/// The colour of reported figures on every chart.
const OBSERVED: RGBColor = RGBColor(0xc0, 0x00, 0x00);

/// A reported figure: a tolerance bar at `(x, value, tolerance)` and its label at `at`.
fn draw_observation<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    (x, v, tol): (f64, f64, f64),
    label: &str,
    at: (f64, f64),
) -> Result<(), String> {
    chart
        .draw_series(std::iter::once(ErrorBar::new_vertical(
            x,
            v - tol,
            v,
            v + tol,
            OBSERVED.stroke_width(2),
            12,
        )))
        .map_err(err)?;
    chart
        .draw_series(std::iter::once(Text::new(
            label.to_string(),
            at,
            ("sans-serif", 15).into_font().color(&OBSERVED),
        )))
        .map_err(err)?;
    Ok(())
}

/// Draws the legend of a chart at `position`, in the house style.
pub fn legend<'a, DB: DrawingBackend + 'a, CT: plotters::coord::CoordTranslate>(
    chart: &mut ChartContext<'a, DB, CT>,
    position: SeriesLabelPosition,
) -> Result<(), String> {
    chart
        .configure_series_labels()
        .position(position)
        .background_style(WHITE.mix(0.85))
        .border_style(RGBColor(0xaa, 0xaa, 0xaa))
        .label_font(("sans-serif", 16))
        .draw()
        .map_err(err)
}

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Writes every chart as PNG and SVG into `dir`.
pub fn write_charts(report: &Report, dir: &Path) -> Result<Vec<PathBuf>, OutputError> {
    let mut out = Vec::new();
    for chart in Chart::ALL {
        let name = chart.stem();
        let fail = |ext: &str, message: String| OutputError::Chart {
            path: dir.join(format!("{name}.{ext}")),
            message,
        };
        let svg = chart.svg(report, SIZE).map_err(|m| fail("svg", m))?;
        out.push(write_atomic(dir, &format!("{name}.svg"), svg.as_bytes())?);
        let png = chart.png(report, SIZE).map_err(|m| fail("png", m))?;
        out.push(write_atomic(dir, &format!("{name}.png"), &png)?);
    }
    Ok(out)
}

/// Steps between time ticks, in hours: the first that gives at most 12 ticks.
const TICK_STEPS_H: [f64; 14] = [
    0.25, 0.5, 1.0, 2.0, 3.0, 6.0, 12.0, 24.0, 48.0, 72.0, 168.0, 336.0, 720.0, 2160.0,
];

/// The time axis over `[0, span_days]` with ticks on round clock times or
/// dates (every 15 min up to every 90 days, at most 12 ticks), and the step in hours.
fn time_axis(cal: &Calendar, span_days: f64) -> (TimeAxis, f64) {
    let span_h = span_days * 24.0;
    let step = TICK_STEPS_H
        .iter()
        .copied()
        .find(|s| span_h / s <= 12.0)
        .unwrap_or(span_h / 12.0);
    // Align to the calendar: hours of day for steps under a day, midnights above.
    let start = cal.start();
    let offset_h = f64::from(start.hour) + f64::from(start.minute) / 60.0;
    let align = if step < 24.0 { step } else { 24.0 };
    let first = ((offset_h / align).ceil() * align - offset_h).max(0.0);
    let ticks: Vec<f64> = (0..)
        .map(|i| (first + f64::from(i) * step) / 24.0)
        .take_while(|&d| d <= span_days + 1e-9)
        .collect();
    (
        TimeAxis {
            span: span_days,
            ticks,
        },
        step,
    )
}

/// A time axis in days whose ticks fall on round clock times or dates.
#[derive(Clone, Debug)]
struct TimeAxis {
    span: f64,
    ticks: Vec<f64>,
}

impl Ranged for TimeAxis {
    type FormatOption = DefaultFormatting;
    type ValueType = f64;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        let share = if self.span > 0.0 {
            value / self.span
        } else {
            0.0
        };
        limit.0 + (share * f64::from(limit.1 - limit.0)).round() as i32
    }

    fn key_points<Hint: KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // The bold mesh lines and labels; the light mesh asks for none.
        if hint.max_num_points() == 0 {
            return Vec::new();
        }
        self.ticks.clone()
    }

    fn range(&self) -> std::ops::Range<f64> {
        0.0..self.span
    }
}

/// Tick label for a time `x` days from the start, for ticks `step_h` hours apart.
fn date_label(cal: &Calendar, x: f64, step_h: f64) -> String {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let d = cal.datetime(SimTime::from_days(x.max(0.0)));
    let date = format!("{} {}", d.day, MONTHS[(d.month - 1) as usize]);
    let midnight = d.hour == 0 && d.minute == 0;
    if step_h >= 24.0 || midnight {
        date
    } else if x < step_h / 24.0 {
        format!("{date} {:02}:{:02}", d.hour, d.minute)
    } else {
        format!("{:02}:{:02}", d.hour, d.minute)
    }
}

fn title_style() -> TextStyle<'static> {
    ("sans-serif", 26).into_font().color(&BLACK)
}

/// A chart's frame in the house style: its title, margins, and room for the
/// y labels (`y_labels_px` wide).
pub fn frame<'a, 'b, DB: DrawingBackend>(
    area: &'a DrawingArea<DB, Shift>,
    title: &str,
    y_labels_px: u32,
) -> ChartBuilder<'a, 'b, DB> {
    let mut builder = ChartBuilder::on(area);
    builder
        .caption(title, title_style())
        .margin(20)
        .margin_right(40)
        .x_label_area_size(50)
        .y_label_area_size(y_labels_px);
    builder
}

/// The house style of a chart's grid: its label fonts and faint minor lines.
pub fn house_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(("sans-serif", 16))
        .axis_desc_style(("sans-serif", 18))
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
}

/// A line with its band, in the chart's x unit (days).
struct Line<'a> {
    name: String,
    band: &'a Band,
    colour: RGBColor,
}

fn marker<DB: DrawingBackend, X: Ranged<ValueType = f64>>(
    chart: &mut ChartContext<'_, DB, Cartesian2d<X, plotters::coord::types::RangedCoordf64>>,
    i: usize,
    points: Vec<(f64, f64)>,
    colour: RGBColor,
) -> Result<(), String> {
    let style = colour.filled();
    match i % 3 {
        0 => chart
            .draw_series(points.into_iter().map(|p| Circle::new(p, 5, style)))
            .map(|_| ())
            .map_err(err),
        1 => chart
            .draw_series(points.into_iter().map(|p| TriangleMarker::new(p, 6, style)))
            .map(|_| ())
            .map_err(err),
        _ => chart
            .draw_series(
                points
                    .into_iter()
                    .map(|p| Cross::new(p, 5, colour.stroke_width(2))),
            )
            .map(|_| ())
            .map_err(err),
    }
}

/// A time chart: mean lines with 5–95% bands, observations with tolerance bars,
/// and policy events as labelled vertical lines.
fn time_chart<DB: DrawingBackend>(
    report: &Report,
    area: &DrawingArea<DB, Shift>,
    title: &str,
    y_label: &str,
    lines: &[Line<'_>],
    observed: &[(f64, f64, f64, String)],
) -> Result<(), String> {
    let cal = &report.calendar;
    let xs: Vec<f64> = report.series.times_h.iter().map(|h| h / 24.0).collect();
    let span = span_days(report);
    let mut y_max = lines
        .iter()
        .flat_map(|l| l.band.p95().iter().chain(&l.band.mean))
        .fold(0.0f64, |a, &b| a.max(b));
    for (_, v, tol, _) in observed {
        y_max = y_max.max(v + tol);
    }
    let y_max = if y_max > 0.0 { y_max * 1.3 } else { 1.0 };
    let (x_axis, step_h) = time_axis(cal, span);
    let mut chart = frame(area, title, 80)
        .build_cartesian_2d(x_axis, 0.0..y_max)
        .map_err(err)?;
    house_mesh(
        chart
            .configure_mesh()
            .x_desc("date")
            .y_desc(y_label)
            .y_labels(10)
            .x_label_formatter(&|x| date_label(cal, *x, step_h)),
    )
    .draw()
    .map_err(err)?;

    // Policy events: vertical lines; each label goes in the first of three
    // rows where it clears the labels already there (about 7.5 px a character
    // on a plot some 1,100 px wide).
    let days_per_char = span * 7.5 / 1100.0;
    let mut row_ends = [f64::NEG_INFINITY; 3];
    for e in &report.events {
        let x = e.at_h / 24.0;
        if x < 0.0 || x > span {
            continue;
        }
        let row = row_ends.iter().position(|&end| end < x).unwrap_or_else(|| {
            (0..3)
                .min_by(|&a, &b| row_ends[a].total_cmp(&row_ends[b]))
                .expect("three rows")
        });
        row_ends[row] = x + (e.label.chars().count() as f64 + 1.0) * days_per_char;
        let grey = RGBColor(0x88, 0x88, 0x88);
        chart
            .draw_series(LineSeries::new(
                vec![(x, 0.0), (x, y_max)],
                grey.stroke_width(1),
            ))
            .map_err(err)?;
        let y = y_max * (0.985 - 0.035 * row as f64);
        chart
            .draw_series(std::iter::once(Text::new(
                e.label.clone(),
                (x, y),
                ("sans-serif", 14)
                    .into_font()
                    .color(&RGBColor(0x55, 0x55, 0x55)),
            )))
            .map_err(err)?;
    }

    for (i, l) in lines.iter().enumerate() {
        let band: Vec<(f64, f64)> = xs
            .iter()
            .zip(l.band.p95())
            .map(|(&x, &y)| (x, y))
            .chain(xs.iter().zip(l.band.p5()).rev().map(|(&x, &y)| (x, y)))
            .collect();
        chart
            .draw_series(std::iter::once(Polygon::new(
                band,
                l.colour.mix(0.18).filled(),
            )))
            .map_err(err)?;
        let colour = l.colour;
        chart
            .draw_series(LineSeries::new(
                xs.iter().copied().zip(l.band.mean.iter().copied()),
                colour.stroke_width(3),
            ))
            .map_err(err)?
            .label(format!("{} (mean, 5–95% band)", l.name))
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 24, y)], colour.stroke_width(3))
            });
        let step = (xs.len() / 12).max(1);
        let marks: Vec<(f64, f64)> = xs
            .iter()
            .zip(&l.band.mean)
            .enumerate()
            .filter(|(k, _)| k % step == step / 2)
            .map(|(_, (&x, &y))| (x, y))
            .collect();
        marker(&mut chart, i, marks, colour)?;
    }

    // Observations: points with tolerance bars and their labels.
    for (k, (x, v, tol, label)) in observed.iter().enumerate() {
        let dy = if k % 2 == 0 { 0.03 } else { -0.045 };
        draw_observation(
            &mut chart,
            (*x, *v, *tol),
            label,
            (x + span * 0.008, v + y_max * dy),
        )?;
        chart
            .draw_series(std::iter::once(Rectangle::new(
                [
                    (x - span * 0.004, v - y_max * 0.007),
                    (x + span * 0.004, v + y_max * 0.007),
                ],
                OBSERVED.filled(),
            )))
            .map_err(err)?;
    }
    if !observed.is_empty() {
        chart
            .draw_series(std::iter::once(Circle::new(
                (-1.0, -1.0),
                0,
                OBSERVED.filled(),
            )))
            .map_err(err)?
            .label("reported (± tolerance)")
            .legend(move |(x, y)| {
                ErrorBar::new_vertical(x + 12, y - 6, y, y + 6, OBSERVED.stroke_width(2), 8)
            });
    }
    legend(
        &mut chart,
        SeriesLabelPosition::Coordinate(12, if report.events.is_empty() { 12 } else { 80 }),
    )
}

fn queue_chart<DB: DrawingBackend>(
    report: &Report,
    area: &DrawingArea<DB, Shift>,
    km: bool,
) -> Result<(), String> {
    let col = usize::from(km);
    let modes: Vec<(&String, &[Band; 7])> = report
        .modes
        .0
        .iter()
        .map(|(n, _)| n)
        .zip(&report.series.modes)
        .collect();
    let top = |b: &Band| b.p95().iter().chain(&b.mean).fold(0.0f64, |a, &v| a.max(v));
    let scale = modes
        .iter()
        .map(|(_, b)| top(&b[col]))
        .fold(0.0f64, f64::max);
    // Modes whose queue never reaches 2% of the scale would lie flat on the axis: name them instead.
    let (shown, flat): (Vec<_>, Vec<_>) = modes
        .iter()
        .enumerate()
        .partition(|(_, (_, b))| scale > 0.0 && top(&b[col]) >= 0.02 * scale);
    let mut lines: Vec<Line<'_>> = Vec::new();
    let n_vehicles = report.vehicle_modes;
    if km && n_vehicles > 1 && shown.len() > 1 && top(&report.series.road_km) > 0.0 {
        lines.push(Line {
            name: "all vehicles".to_string(),
            band: &report.series.road_km,
            colour: COLOURS[3],
        });
    }
    lines.extend(shown.iter().map(|(i, (name, bands))| Line {
        name: (*name).clone(),
        band: &bands[col],
        colour: COLOURS[i % COLOURS.len()],
    }));
    let note = if flat.is_empty() {
        String::new()
    } else {
        let names: Vec<&str> = flat.iter().map(|(_, (n, _))| n.as_str()).collect();
        format!(" (near zero, not drawn: {})", names.join(", "))
    };
    let metric = if km { "queue_km" } else { "queue_units" };
    let observed: Vec<(f64, f64, f64, String)> = report
        .observations
        .iter()
        .filter(|o| o.metric == metric)
        .map(|o| (o.at_h / 24.0, o.observed, o.tolerance, o.label.clone()))
        .collect();
    let (title, unit) = if km {
        (
            format!("{}: queue on the approach in km{note}", report.scenario),
            "queue length (km)",
        )
    } else {
        (
            format!("{}: units waiting on the approach{note}", report.scenario),
            "units waiting",
        )
    };
    time_chart(report, area, &title, unit, &lines, &observed)
}

fn utilisation<DB: DrawingBackend>(
    report: &Report,
    area: &DrawingArea<DB, Shift>,
) -> Result<(), String> {
    let lines: Vec<Line<'_>> = report
        .stages
        .0
        .iter()
        .zip(&report.series.utilisation)
        .enumerate()
        .map(|(i, ((name, _), band))| Line {
            name: name.clone(),
            band,
            colour: COLOURS[i % COLOURS.len()],
        })
        .collect();
    let title = format!("{}: booth utilisation per stage", report.scenario);
    time_chart(
        report,
        area,
        &title,
        "busy booths / open booths",
        &lines,
        &[],
    )
}

/// Days the time axis spans: to the last sample, or the horizon without samples.
fn span_days(report: &Report) -> f64 {
    let last_h = report.series.times_h.last().copied();
    (last_h.unwrap_or(report.horizon_h) / 24.0).max(1e-6)
}

fn wait_by_arrival<DB: DrawingBackend>(
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

fn wait_distribution<DB: DrawingBackend>(
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
    let mut chart = frame(area, &title, 80)
        .build_cartesian_2d((lo..hi * 1.2).log_scale(), 0.0..1.0)
        .map_err(err)?;
    house_mesh(
        chart
            .configure_mesh()
            .x_desc("wait (minutes, log scale)")
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

fn crossings_per_day<DB: DrawingBackend>(
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
                crate::output::tables::num(units, 0)
            ))
            .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 18, y + 6)], colour.filled()));
    }
    for (x, v, tol, label) in &observed {
        draw_observation(&mut chart, (*x, *v, *tol), label, (x + 0.12, *v))?;
    }
    legend(&mut chart, SeriesLabelPosition::UpperLeft)
}
