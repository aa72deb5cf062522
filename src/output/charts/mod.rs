//! Charts of a report, drawn with plotters onto any drawing area (so tests can
//! render SVG into a string), and written as PNG and SVG. The font is DejaVu
//! Sans, embedded in the binary: no system font libraries are needed.

mod axis;
mod crossings;
mod over_time;
mod waits;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Once};

use image::codecs::png::{CompressionType, FilterType, PngEncoder};
use plotters::chart::MeshStyle;
use plotters::coord::ranged1d::Ranged;
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::FontStyle;

use super::files::{write_atomic, OutputError};
use crate::report::Report;
use axis::{date_label, span_days, time_axis};
use crossings::crossings_per_day;
use over_time::{queue_chart, utilisation};
use waits::{wait_by_arrival, wait_distribution};

/// Default chart size in pixels.
pub const SIZE: (u32, u32) = (1280, 720);

static FONT: &[u8] = include_bytes!("../../../assets/fonts/DejaVuSans.ttf");
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
        svg_of(size, |area| self.draw(report, area))
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

/// Draws with `draw` onto an SVG canvas of `size` and returns its text.
pub fn svg_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<SVGBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<String, String> {
    let mut svg = String::new();
    draw(&SVGBackend::with_string(&mut svg, size).into_drawing_area())?;
    Ok(svg)
}

/// Draws with `draw` onto a bitmap of `size` and encodes it as PNG.
pub fn png_of(
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    png_on(&mut Vec::new(), size, draw)
}

/// [`png_of`] on the bitmap `rgb`, cleared first: charts drawn one after
/// another reuse one bitmap's memory instead of touching a fresh one each.
fn png_on(
    rgb: &mut Vec<u8>,
    size: (u32, u32),
    draw: impl FnOnce(&DrawingArea<BitMapBackend<'_>, Shift>) -> Result<(), String>,
) -> Result<Vec<u8>, String> {
    rgb.clear();
    rgb.resize(size.0 as usize * size.1 as usize * 3, 0);
    {
        let area = BitMapBackend::with_buffer(rgb, size).into_drawing_area();
        draw(&area)?;
    }
    let mut png = Vec::new();
    // Fast deflate after the Paeth filter on every row: a chart's flat
    // areas and lines compress about as well as with a filter chosen per
    // row (4% larger files), for half the encoder's work.
    let encoder = PngEncoder::new_with_quality(&mut png, CompressionType::Fast, FilterType::Paeth);
    image::ImageEncoder::write_image(encoder, rgb, size.0, size.1, image::ColorType::Rgb8)
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

/// Whether `name` is the file of one of the run charts (PNG or SVG).
pub fn is_chart_file(name: &str) -> bool {
    Chart::ALL.iter().any(|c| {
        name.strip_prefix(c.stem())
            .is_some_and(|ext| ext == ".png" || ext == ".svg")
    })
}

/// A chart [`write_all`] draws: its file name and its drawing on any backend.
pub trait Drawing: Sync {
    /// The file name without extension.
    fn stem(&self) -> String;
    /// Draws the chart onto `area`.
    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String>;
}

/// One of a run's charts, of its report.
struct RunChart<'r>(Chart, &'r Report);

impl Drawing for RunChart<'_> {
    fn stem(&self) -> String {
        self.0.stem().to_string()
    }

    fn draw<DB: DrawingBackend>(&self, area: &DrawingArea<DB, Shift>) -> Result<(), String> {
        self.0.draw(self.1, area)
    }
}

/// Writes every chart of `report` to `dir` as PNG and SVG, on up to
/// `threads` threads (0: every core), while `files` writes the report's
/// other outputs ([`write_all`]). Returns what `files` returned, and the
/// charts' paths in the order of [`Chart::ALL`].
pub fn write_charts<T>(
    report: &Report,
    dir: &Path,
    threads: usize,
    files: impl FnOnce() -> Result<T, OutputError>,
) -> Result<(T, Vec<PathBuf>), OutputError> {
    let charts = Chart::ALL.map(|c| RunChart(c, report));
    write_all(dir, &charts, threads, files)
}

/// Draws each chart as SVG and as PNG and writes both to `dir`, on up to
/// `threads` threads (0: every core), while `files` writes other outputs.
/// Returns what `files` returned, and the charts' paths in the order of
/// `drawings`, each SVG before its PNG. On failure, `files`' error (no
/// chart is written then), else the error of the first chart in that
/// order that failed.
///
/// On one thread, `files` runs first and each chart is drawn and written
/// in turn. On more, that many threads of their own draw the charts (each
/// on one bitmap, chart after chart) while this one runs `files` and then
/// writes each chart as it comes. Writing a file is mostly waiting for the
/// disk to sync it, and syncs wait for one another (here twelve files of a
/// chart's size took 4.4 ms synced one after another, 4.3 ms from two
/// threads at once): so the drawing threads never wait on the disk, and
/// the writing waits while they draw. Where no thread can be started, this
/// one draws them all.
pub fn write_all<D: Drawing, T>(
    dir: &Path,
    drawings: &[D],
    threads: usize,
    files: impl FnOnce() -> Result<T, OutputError>,
) -> Result<(T, Vec<PathBuf>), OutputError> {
    let threads = crate::experiment::threads_for(threads, drawings.len());
    let next = AtomicUsize::new(0);
    // Draws the charts not yet taken, one after another on one bitmap,
    // handing each to `done` until none is left or `done` says stop.
    let draw_rest = |done: &mut dyn FnMut(usize, Result<Drawn, OutputError>) -> bool| {
        let mut rgb = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(d) = drawings.get(i) else { return };
            if !done(i, draw_both(dir, d, &mut rgb)) {
                return;
            }
        }
    };
    let mut each: Vec<Option<Result<[PathBuf; 2], OutputError>>> =
        drawings.iter().map(|_| None).collect();
    let mut write = |i: usize, drawn: Result<Drawn, OutputError>| {
        each[i] = Some(drawn.and_then(|d| d.write(dir)));
        true
    };
    let written = std::thread::scope(|scope| {
        // At most one drawn chart a thread waits to be written: a thread
        // with another one ready waits too.
        let (tx, rx) = mpsc::sync_channel(threads);
        if threads > 1 {
            let draw_rest = &draw_rest;
            for _ in 0..threads {
                let tx = tx.clone();
                // A thread stops drawing once nothing is written any more.
                let drawing = std::thread::Builder::new().spawn_scoped(scope, move || {
                    draw_rest(&mut |i, drawn| tx.send((i, drawn)).is_ok());
                });
                if drawing.is_err() {
                    break;
                }
            }
        }
        drop(tx);
        let written = files()?;
        for (i, drawn) in rx {
            write(i, drawn);
        }
        // Those no thread took: all of them on one thread.
        draw_rest(&mut write);
        Ok(written)
    })?;
    let mut paths = Vec::with_capacity(2 * drawings.len());
    for chart in each {
        paths.extend(chart.expect("every chart is drawn")?);
    }
    Ok((written, paths))
}

/// A chart drawn as SVG and PNG, not yet written.
struct Drawn {
    stem: String,
    svg: String,
    png: Vec<u8>,
}

impl Drawn {
    /// Writes the SVG, then the PNG, each whole ([`write_atomic`]).
    fn write(self, dir: &Path) -> Result<[PathBuf; 2], OutputError> {
        let svg = write_atomic(dir, &format!("{}.svg", self.stem), self.svg.as_bytes())?;
        Ok([
            svg,
            write_atomic(dir, &format!("{}.png", self.stem), &self.png)?,
        ])
    }
}

/// Draws `d` as SVG, and as PNG on the bitmap `rgb`; an error names the
/// file in `dir` that could not be drawn.
fn draw_both<D: Drawing>(dir: &Path, d: &D, rgb: &mut Vec<u8>) -> Result<Drawn, OutputError> {
    let stem = d.stem();
    let fail = |ext: &str, message: String| OutputError::Chart {
        path: dir.join(format!("{stem}.{ext}")),
        message,
    };
    let svg = svg_of(SIZE, |area| d.draw(area)).map_err(|m| fail("svg", m))?;
    let png = png_on(rgb, SIZE, |area| d.draw(area)).map_err(|m| fail("png", m))?;
    Ok(Drawn { stem, svg, png })
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

/// A value-axis label: plotters passes the value by reference.
fn axis_number(x: &f64) -> String {
    crate::output::tables::grouped(*x)
}

/// The house style of a chart's grid: its label fonts, faint minor lines and
/// the numbers of its value axis ([`grouped`](crate::output::tables::grouped)).
pub fn house_mesh<'m, 'a, 'b, X: Ranged, Y: Ranged<ValueType = f64>, DB: DrawingBackend>(
    mesh: &'m mut MeshStyle<'a, 'b, X, Y, DB>,
) -> &'m mut MeshStyle<'a, 'b, X, Y, DB> {
    mesh.label_style(("sans-serif", 16))
        .y_label_formatter(&axis_number)
        .axis_desc_style(("sans-serif", 18))
        .light_line_style(RGBColor(0xee, 0xee, 0xee))
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
