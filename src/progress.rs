//! Progress on stderr: a bar with ETA on a terminal, a plain line every few
//! seconds otherwise (batch logs), nothing when quiet.

use std::io::IsTerminal;
use std::time::{Duration, Instant};

/// Reports `done/total` of some work.
pub struct Progress {
    bar: Option<indicatif::ProgressBar>,
    plain: bool,
    what: String,
    total: u64,
    started: Instant,
    last_line: Instant,
}

/// How often the plain line is printed.
const PLAIN_EVERY: Duration = Duration::from_secs(5);

impl Progress {
    /// Progress over `total` units of `what` (`replications`, `tasks`).
    pub fn new(total: u64, what: &str, quiet: bool) -> Progress {
        let tty = std::io::stderr().is_terminal();
        let bar = (!quiet && tty).then(|| {
            let b = indicatif::ProgressBar::new(total);
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{bar:40} {pos}/{len} {msg} ({elapsed}, ETA {eta})",
                )
                .expect("a valid template"),
            );
            b.set_message(what.to_string());
            b
        });
        Progress {
            bar,
            plain: !quiet && !tty,
            what: what.to_string(),
            total,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    /// `done` units are finished.
    pub fn update(&mut self, done: u64) {
        if let Some(b) = &self.bar {
            b.set_position(done);
        } else if self.plain && self.last_line.elapsed() >= PLAIN_EVERY {
            let secs = self.started.elapsed().as_secs_f64();
            let eta = if done > 0 {
                secs / done as f64 * (self.total - done.min(self.total)) as f64
            } else {
                f64::NAN
            };
            eprintln!(
                "{done}/{} {} done after {secs:.0} s (about {eta:.0} s to go)",
                self.total, self.what
            );
            self.last_line = Instant::now();
        }
    }

    /// Clears the bar.
    pub fn finish(self) {
        if let Some(b) = self.bar {
            b.finish_and_clear();
        }
    }
}
