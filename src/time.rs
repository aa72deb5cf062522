//! Simulated time as integer microseconds, and the calendar that maps it to dates.

use std::fmt;

/// A point in simulated time, or a duration, in whole microseconds since the
/// scenario's start. Integer time keeps event order exact and reproducible;
/// `u64` microseconds cover more than 500,000 years.
#[derive(
    Clone,
    Copy,
    Debug,
    Default,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    serde::Serialize,
    serde::Deserialize,
)]
#[serde(transparent)]
pub struct SimTime(pub u64);

/// Microseconds in one second.
pub const US_PER_S: u64 = 1_000_000;
/// Microseconds in one minute.
pub const US_PER_MIN: u64 = 60 * US_PER_S;
/// Microseconds in one hour.
pub const US_PER_H: u64 = 60 * US_PER_MIN;
/// Microseconds in one day.
pub const US_PER_DAY: u64 = 24 * US_PER_H;

impl SimTime {
    /// Time zero, the scenario's start.
    pub const ZERO: SimTime = SimTime(0);
    /// The latest representable time; used as "never".
    pub const NEVER: SimTime = SimTime(u64::MAX);

    /// From a number of minutes, rounded to the nearest microsecond (halves
    /// to even). Negative or NaN inputs give zero; huge inputs saturate at
    /// [`SimTime::SATURATED`] (142 years, beyond any horizon).
    #[inline]
    pub fn from_min(min: f64) -> SimTime {
        SimTime::from_us(min * US_PER_MIN as f64)
    }

    /// The longest duration made from a number: 2^52 µs (142.7 years; a
    /// horizon is at most 100).
    pub const SATURATED: SimTime = SimTime(1 << 52);

    /// From a number of microseconds, rounded as [`SimTime::from_min`] rounds.
    #[inline]
    pub fn from_us(us: f64) -> SimTime {
        // Clamped to [0, 2^52] (NaN to 0) and rounded by adding 2^52: the sum
        // lies in [2^52, 2^53], where a double holds whole numbers only, so
        // the addition rounds to the nearest one and the sum's bits, less
        // those of 2^52, are that number. Five instructions, where a
        // saturating cast to an integer takes ten.
        const TWO_52: f64 = (1u64 << 52) as f64;
        let us = if us > 0.0 { us } else { 0.0 };
        let us = if us < TWO_52 { us } else { TWO_52 };
        SimTime((us + TWO_52).to_bits() - TWO_52.to_bits())
    }

    /// From a number of hours.
    pub fn from_h(h: f64) -> SimTime {
        SimTime::from_min(h * 60.0)
    }

    /// From a number of days.
    pub fn from_days(days: f64) -> SimTime {
        SimTime::from_min(days * 1440.0)
    }

    /// This time in minutes.
    pub fn as_min(self) -> f64 {
        self.0 as f64 / US_PER_MIN as f64
    }

    /// This time in hours.
    pub fn as_h(self) -> f64 {
        self.0 as f64 / US_PER_H as f64
    }

    /// This time in days.
    pub fn as_days(self) -> f64 {
        self.0 as f64 / US_PER_DAY as f64
    }

    /// The later of `self + d`, saturating at [`SimTime::NEVER`].
    pub fn plus(self, d: SimTime) -> SimTime {
        SimTime(self.0.saturating_add(d.0))
    }
}

/// A wall-calendar date and time of day, to the second, in the scenario's own
/// local time (no time zones: a scenario is set in one place).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct DateTime {
    /// Year, e.g. 2022.
    pub year: i32,
    /// Month 1–12.
    pub month: u32,
    /// Day of month 1–31.
    pub day: u32,
    /// Hour 0–23.
    pub hour: u32,
    /// Minute 0–59.
    pub minute: u32,
    /// Second 0–59.
    pub second: u32,
}

impl DateTime {
    /// Midnight at the start of the given day.
    pub fn date(year: i32, month: u32, day: u32) -> DateTime {
        DateTime {
            year,
            month,
            day,
            hour: 0,
            minute: 0,
            second: 0,
        }
    }

    /// Seconds since 1970-01-01T00:00:00 in the same local time.
    pub fn seconds_since_epoch(self) -> i64 {
        days_from_civil(self.year, self.month, self.day) * 86_400
            + i64::from(self.hour) * 3600
            + i64::from(self.minute) * 60
            + i64::from(self.second)
    }

    /// The calendar date-time a number of seconds after 1970-01-01T00:00:00.
    pub fn from_seconds_since_epoch(s: i64) -> DateTime {
        let days = s.div_euclid(86_400);
        let secs = s.rem_euclid(86_400) as u32;
        let (year, month, day) = civil_from_days(days);
        DateTime {
            year,
            month,
            day,
            hour: secs / 3600,
            minute: secs % 3600 / 60,
            second: secs % 60,
        }
    }

    /// Whether the fields name a real date and time of day.
    pub fn is_valid(self) -> bool {
        (1..=12).contains(&self.month)
            && self.day >= 1
            && self.day <= days_in_month(self.year, self.month)
            && self.hour < 24
            && self.minute < 60
            && self.second < 60
    }
}

impl fmt::Display for DateTime {
    /// ISO 8601 to the minute (`2022-09-27T12:00`), with seconds only when not zero.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:04}-{:02}-{:02}T{:02}:{:02}",
            self.year, self.month, self.day, self.hour, self.minute
        )?;
        if self.second != 0 {
            write!(f, ":{:02}", self.second)?;
        }
        Ok(())
    }
}

/// Maps simulated time to calendar time from the scenario's start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Calendar {
    start: DateTime,
    start_s: i64,
}

impl Calendar {
    /// A calendar whose time zero is `start`.
    pub fn new(start: DateTime) -> Calendar {
        Calendar {
            start,
            start_s: start.seconds_since_epoch(),
        }
    }

    /// The calendar date-time of time zero.
    pub fn start(&self) -> DateTime {
        self.start
    }

    /// The calendar date-time of a simulated time (to the whole second).
    pub fn datetime(&self, t: SimTime) -> DateTime {
        DateTime::from_seconds_since_epoch(self.start_s + (t.0 / US_PER_S) as i64)
    }

    /// The simulated time of a calendar date-time, or `None` if it lies before the start.
    pub fn sim_time(&self, at: DateTime) -> Option<SimTime> {
        let s = at.seconds_since_epoch() - self.start_s;
        (s >= 0).then(|| SimTime(s as u64 * US_PER_S))
    }

    /// The calendar date (`2022-09-27`) of the day that contains `t`.
    pub fn date_label(&self, t: SimTime) -> String {
        let d = self.datetime(t);
        format!("{:04}-{:02}-{:02}", d.year, d.month, d.day)
    }
}

fn is_leap(y: i32) -> bool {
    (y % 4 == 0 && y % 100 != 0) || y % 400 == 0
}

fn days_in_month(y: i32, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if is_leap(y) => 29,
        2 => 28,
        _ => 0,
    }
}

/// Days from 1970-01-01 to the given proleptic Gregorian date (H. Hinnant's algorithm).
fn days_from_civil(y: i32, m: u32, d: u32) -> i64 {
    let y = i64::from(y) - i64::from(m <= 2);
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let m = i64::from(m);
    let doy = (153 * (if m > 2 { m - 3 } else { m + 9 }) + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date `z` days after 1970-01-01 (inverse of [`days_from_civil`]).
fn civil_from_days(z: i64) -> (i32, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    ((y + i64::from(m <= 2)) as i32, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_round_trip_over_four_centuries() {
        for z in (-200_000..200_000).step_by(7) {
            let (y, m, d) = civil_from_days(z);
            assert_eq!(days_from_civil(y, m, d), z);
        }
        assert_eq!(days_from_civil(1970, 1, 1), 0);
        assert_eq!(days_from_civil(2022, 9, 21), 19_256);
    }

    #[test]
    fn calendar_maps_sim_time_to_dates() {
        let cal = Calendar::new(DateTime::date(2022, 9, 21));
        let t = SimTime::from_days(6.5);
        assert_eq!(cal.datetime(t).to_string(), "2022-09-27T12:00");
        assert_eq!(cal.date_label(t), "2022-09-27");
        assert_eq!(cal.sim_time(cal.datetime(t)), Some(t));
        assert_eq!(cal.sim_time(DateTime::date(2022, 9, 20)), None);
        // 21 Sep 2022 was a Wednesday; 1 Oct follows 30 Sep.
        assert_eq!(cal.date_label(SimTime::from_days(10.0)), "2022-10-01");
    }

    #[test]
    fn conversions_round_to_microseconds() {
        assert_eq!(SimTime::from_min(1.0).0, US_PER_MIN);
        assert_eq!(SimTime::from_min(-3.0), SimTime::ZERO);
        assert_eq!(SimTime::from_us(f64::NAN), SimTime::ZERO);
        assert_eq!(SimTime::from_us(2.4).0, 2);
        assert_eq!(SimTime::from_us(2.6).0, 3);
        assert_eq!(SimTime::from_us(2.5).0, 2);
        assert_eq!(SimTime::from_us(3.5).0, 4);
        assert_eq!(SimTime::from_us(123_456_789.7).0, 123_456_790);
        assert_eq!(SimTime::from_days(36_525.0).0, 36_525 * US_PER_DAY);
        assert_eq!(SimTime::from_us(1e300), SimTime::SATURATED);
        assert_eq!(SimTime::from_us(f64::INFINITY), SimTime::SATURATED);
        assert!(SimTime::SATURATED > SimTime::from_days(36_525.0));
        assert!((SimTime::from_h(36.0).as_days() - 1.5).abs() < 1e-12);
        assert!(!DateTime::date(2022, 2, 29).is_valid());
        assert!(DateTime::date(2024, 2, 29).is_valid());
    }
}
