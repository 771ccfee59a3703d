//! Values with units in scenario files: durations, distributions of durations, days of
//! the week and times of day.
//!
//! A duration is a string with a unit: `"90s"`, `"30min"`, `"36h"`, `"1.5d"`, `"2w"`,
//! `"1e3d"` (scientific notation is accepted). A bare number is refused where a duration
//! is expected: `7` could be hours or days, and that mix-up is exactly the mistake this
//! format exists to prevent. A duration is at most 100,000 years (the clock's range).
//!
//! A distribution of durations is either a duration (fixed) or a one-key table naming the
//! family with the parameters users know:
//! `{ exponential = { mean = "2d" } }`, `{ uniform = { min = "1d", max = "2d" } }`,
//! `{ triangular = { min = "8d", mode = "10d", max = "14d" } }`,
//! `{ normal = { mean = "1d", sd = "2h" } }` (truncated at zero),
//! `{ lognormal = { mean = "1d", sd = "0.3d" } }` (mean and sd of the duration itself),
//! `{ gamma = { shape = 2.0, scale = "12h" } }`, `{ weibull = { shape = 1.5, scale = "3d" } }`,
//! `{ empirical = { values = ["1d", "2d"], weights = [3, 1] } }`.
//!
//! Values are kept in days; the engine's clock ticks are the compiler's business.

use crate::engine::time::{TICKS_PER_DAY, TICKS_PER_HOUR, TICKS_PER_MINUTE, TICKS_PER_SECOND};
use crate::engine::{Dist, DistError};
use crate::model::limits::MAX_DURATION_DAYS;
use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use std::fmt;

const UNITS_HELP: &str = "units: s, min, h, d, w";

/// A duration, in days.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Days(pub f64);

/// `s` for a message: cut to 40 characters, so that a huge value is never echoed whole.
pub fn shown(s: &str) -> String {
    const MAX: usize = 40;
    if s.chars().count() <= MAX {
        s.to_string()
    } else {
        let head: String = s.chars().take(MAX).collect();
        format!("{head}... ({} characters)", s.chars().count())
    }
}

/// Parses `"36h"` and friends into days.
pub fn parse_duration(s: &str) -> Result<Days, String> {
    let t = s.trim();
    let s = &shown(s);
    // The unit is the trailing run of letters ("1.5d", "30 min", "1e3d").
    let at = t
        .char_indices()
        .rev()
        .find(|&(_, c)| !c.is_ascii_alphabetic())
        .map_or(0, |(i, c)| i + c.len_utf8());
    let (num, unit) = t.split_at(at);
    let unit = unit.trim();
    if unit.is_empty() {
        return Err(format!(
            "`{s}` has no unit: write it as \"{s}d\" or \"{s}h\" ({UNITS_HELP})"
        ));
    }
    if num.trim().is_empty() {
        return Err(format!(
            "`{s}` is not a duration: expected a number and a unit, e.g. \"36h\" ({UNITS_HELP})"
        ));
    }
    let per_day = |ticks: u64| ticks as f64 / TICKS_PER_DAY as f64;
    let factor = match unit {
        "s" => per_day(TICKS_PER_SECOND),
        "min" => per_day(TICKS_PER_MINUTE),
        "h" => per_day(TICKS_PER_HOUR),
        "d" => 1.0,
        "w" => 7.0,
        _ => return Err(format!("`{s}`: unknown unit `{unit}` ({UNITS_HELP})")),
    };
    let value: f64 = num.trim().parse().map_err(|_| {
        format!(
            "`{s}` is not a duration: expected a number and a unit, e.g. \"36h\" ({UNITS_HELP})"
        )
    })?;
    if !value.is_finite() || value < 0.0 {
        return Err(format!("`{s}`: a duration must be a finite number >= 0"));
    }
    let days = value * factor;
    if days > MAX_DURATION_DAYS {
        return Err(format!(
            "`{s}` is longer than 100,000 years, beyond the clock's range; check the unit"
        ));
    }
    Ok(Days(days))
}

impl<'de> Deserialize<'de> for Days {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Days;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a duration with a unit, such as \"36h\" or \"10d\"")
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<Days, E> {
                parse_duration(s).map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<Days, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write \"{n}d\" or \"{n}h\", not {n} ({UNITS_HELP})"
                )))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<Days, E> {
                self.visit_i64(n as i64)
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<Days, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write \"{n}d\" or \"{n}h\", not {n} ({UNITS_HELP})"
                )))
            }
        }
        d.deserialize_any(V)
    }
}

/// A distribution family with its parameters, as written.
#[derive(Clone, Debug, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum Family {
    Exponential {
        mean: Days,
    },
    Uniform {
        min: Days,
        max: Days,
    },
    Triangular {
        min: Days,
        mode: Days,
        max: Days,
    },
    Normal {
        mean: Days,
        sd: Days,
    },
    Lognormal {
        mean: Days,
        sd: Days,
    },
    Gamma {
        shape: f64,
        scale: Days,
    },
    Weibull {
        shape: f64,
        scale: Days,
    },
    Empirical {
        values: Vec<Days>,
        weights: Option<Vec<f64>>,
    },
}

/// A distribution of durations: a fixed duration or a named family.
#[derive(Clone, Debug, PartialEq)]
pub enum DurationDist {
    Fixed(Days),
    Family(Family),
}

impl DurationDist {
    /// The engine distribution, in days (errors name parameters in days).
    pub fn to_dist(&self) -> Result<Dist, DistError> {
        match self {
            DurationDist::Fixed(d) => Dist::fixed(d.0),
            DurationDist::Family(f) => match f {
                Family::Exponential { mean } => Dist::exponential(mean.0),
                Family::Uniform { min, max } => Dist::uniform(min.0, max.0),
                Family::Triangular { min, mode, max } => Dist::triangular(min.0, mode.0, max.0),
                Family::Normal { mean, sd } => Dist::truncated_normal(mean.0, sd.0),
                Family::Lognormal { mean, sd } => Dist::lognormal(mean.0, sd.0),
                Family::Gamma { shape, scale } => Dist::gamma(*shape, scale.0),
                Family::Weibull { shape, scale } => Dist::weibull(*shape, scale.0),
                Family::Empirical { values, weights } => {
                    let v: Vec<f64> = values.iter().map(|d| d.0).collect();
                    Dist::empirical(&v, weights.as_deref())
                }
            },
        }
    }
}

impl<'de> Deserialize<'de> for DurationDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = DurationDist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a duration such as \"2d\", or a distribution such as {{ exponential = {{ mean = \"2d\" }} }}"
                )
            }
            fn visit_str<E: de::Error>(self, s: &str) -> Result<DurationDist, E> {
                parse_duration(s)
                    .map(DurationDist::Fixed)
                    .map_err(E::custom)
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<DurationDist, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write \"{n}d\" or \"{n}h\", not {n} ({UNITS_HELP})"
                )))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<DurationDist, E> {
                self.visit_i64(n as i64)
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<DurationDist, E> {
                Err(E::custom(format!(
                    "a duration needs a unit: write \"{n}d\" or \"{n}h\", not {n} ({UNITS_HELP})"
                )))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<DurationDist, A::Error> {
                Family::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(DurationDist::Family)
            }
        }
        d.deserialize_any(V)
    }
}

/// A distribution of a count (doses per batch): a number, or a one-key table such as
/// `{ uniform = { min = 80, max = 120 } }`, `{ triangular = { min = 80, mode = 100, max = 120 } }`,
/// `{ normal = { mean = 100, sd = 10 } }`, `{ lognormal = { mean = 100, sd = 10 } }` or
/// `{ empirical = { values = [80, 100], weights = [1, 3] } }`. Draws are rounded.
#[derive(Clone, Debug, PartialEq)]
pub enum CountDist {
    Fixed(f64),
    Family(CountFamily),
}

/// A count distribution family with its parameters, as written.
#[derive(Clone, Debug, Deserialize, PartialEq, schemars::JsonSchema)]
#[serde(rename_all = "lowercase", deny_unknown_fields)]
pub enum CountFamily {
    Uniform {
        min: f64,
        max: f64,
    },
    Triangular {
        min: f64,
        mode: f64,
        max: f64,
    },
    Normal {
        mean: f64,
        sd: f64,
    },
    Lognormal {
        mean: f64,
        sd: f64,
    },
    Empirical {
        values: Vec<f64>,
        weights: Option<Vec<f64>>,
    },
}

impl CountDist {
    /// The engine distribution.
    pub fn to_dist(&self) -> Result<Dist, DistError> {
        match self {
            CountDist::Fixed(n) => Dist::fixed(*n),
            CountDist::Family(f) => match f {
                CountFamily::Uniform { min, max } => Dist::uniform(*min, *max),
                CountFamily::Triangular { min, mode, max } => Dist::triangular(*min, *mode, *max),
                CountFamily::Normal { mean, sd } => Dist::truncated_normal(*mean, *sd),
                CountFamily::Lognormal { mean, sd } => Dist::lognormal(*mean, *sd),
                CountFamily::Empirical { values, weights } => {
                    Dist::empirical(values, weights.as_deref())
                }
            },
        }
    }
}

impl<'de> Deserialize<'de> for CountDist {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = CountDist;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(
                    f,
                    "a number of doses such as 100, or a distribution such as {{ uniform = {{ min = 80, max = 120 }} }}"
                )
            }
            fn visit_i64<E: de::Error>(self, n: i64) -> Result<CountDist, E> {
                Ok(CountDist::Fixed(n as f64))
            }
            fn visit_u64<E: de::Error>(self, n: u64) -> Result<CountDist, E> {
                Ok(CountDist::Fixed(n as f64))
            }
            fn visit_f64<E: de::Error>(self, n: f64) -> Result<CountDist, E> {
                Ok(CountDist::Fixed(n))
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<CountDist, A::Error> {
                CountFamily::deserialize(de::value::MapAccessDeserializer::new(map))
                    .map(CountDist::Family)
            }
        }
        d.deserialize_any(V)
    }
}

/// Parses days of the week: `"mon-fri"`, `"sat,sun"`, `"mon,wed-fri"`, `"daily"`.
/// Returns a mask with bit 0 = Monday.
pub fn parse_days(s: &str) -> Result<u8, String> {
    const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
    let day = |d: &str| {
        let d = d.trim().to_ascii_lowercase();
        NAMES.iter().position(|n| d.starts_with(n) && d.len() >= 3).ok_or_else(|| {
            format!("`{d}` is not a day of the week: use mon, tue, wed, thu, fri, sat, sun, ranges such as \"mon-fri\", or \"daily\"")
        })
    };
    if s.trim().eq_ignore_ascii_case("daily") {
        return Ok(0b111_1111);
    }
    let mut mask = 0u8;
    for part in s.split(',') {
        match part.split_once('-') {
            Some((a, b)) => {
                let (a, b) = (day(a)?, day(b)?);
                let mut i = a;
                loop {
                    mask |= 1 << i;
                    if i == b {
                        break;
                    }
                    i = (i + 1) % 7; // "sat-mon" wraps
                }
            }
            None => mask |= 1 << day(part)?,
        }
    }
    Ok(mask)
}

/// Parses a time of day `"HH:MM"` (00:00 to 23:59) into days.
pub fn parse_time_of_day(s: &str) -> Result<Days, String> {
    let bad = || {
        format!("`{s}` is not a time of day: write it as \"HH:MM\", from \"00:00\" to \"23:59\"")
    };
    let (h, m) = s.trim().split_once(':').ok_or_else(bad)?;
    let (h, m): (u32, u32) = (h.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
    if h > 23 || m > 59 {
        return Err(bad());
    }
    Ok(Days(f64::from(h * 60 + m) / 1440.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_need_units() {
        assert_eq!(parse_duration("36h"), Ok(Days(1.5)));
        assert_eq!(parse_duration("2w"), Ok(Days(14.0)));
        assert!((parse_duration("30min").unwrap().0 - 30.0 / 1440.0).abs() < 1e-15);
        assert_eq!(parse_duration("0.1d"), Ok(Days(0.1)));
        assert!(parse_duration("7").unwrap_err().contains("no unit"));
        assert!(
            parse_duration("7 days")
                .unwrap_err()
                .contains("unknown unit")
        );
        assert!(parse_duration("-1d").is_err());
        assert_eq!(parse_duration("1e3d"), Ok(Days(1000.0)));
        assert_eq!(parse_duration("2.5E-1w"), Ok(Days(1.75)));
        let huge = format!("{}d", "9".repeat(301));
        let msg = parse_duration(&huge).unwrap_err();
        assert!(msg.contains("100,000 years") && msg.len() < 200, "{msg}");
        assert!(parse_duration("d").is_err());
        // Found by the fuzz harness: a non-ASCII character before the unit.
        assert!(
            parse_duration("36éd")
                .unwrap_err()
                .contains("not a duration")
        );
    }

    #[test]
    fn days_and_times() {
        assert_eq!(parse_days("mon-fri"), Ok(0b001_1111));
        assert_eq!(parse_days("sat,sun"), Ok(0b110_0000));
        assert_eq!(parse_days("fri-mon"), Ok(0b111_0001));
        assert_eq!(parse_days("daily"), Ok(0b111_1111));
        assert!(parse_days("funday").is_err());
        assert_eq!(parse_time_of_day("07:30"), Ok(Days(7.5 / 24.0)));
        assert!(parse_time_of_day("24:00").is_err());
    }
}
