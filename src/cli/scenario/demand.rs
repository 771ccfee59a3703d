//! Arrivals from the file format to the model: rates with their units, schedules,
//! growth, cohorts, windows, and dated lists read from CSV files (a referral or
//! enrolment log), each mistake located in the scenario or in the CSV file.

use super::ScenarioError;
use super::compile::Ctx;
use super::format;
use super::spanned::Spanned;
use super::units::{Days, shown};
use crate::engine::time::TICKS_PER_DAY;
use crate::engine::{Dist, Duration, Time};
use crate::model::{Arrivals, Cohort, Growth, RatePeriod, Spread, Window, limits};
use std::path::Path;

type R<T> = Result<T, ScenarioError>;

fn at(d: Days) -> Time {
    Time::ZERO + Duration::from_days_f64(d.0)
}

/// Days per rate unit (`per`): "hour", "day" (default), "week" or "year" (365 days).
fn per_days(cx: &Ctx, per: Option<&Spanned<String>>) -> R<f64> {
    match per.map(|p| p.get_ref().as_str()) {
        None | Some("day") => Ok(1.0),
        Some("hour") => Ok(1.0 / 24.0),
        Some("week") => Ok(7.0),
        Some("year") => Ok(365.0),
        Some(other) => cx.err(
            per.expect("matched Some"),
            format!(
                "per must be \"hour\", \"day\", \"week\" or \"year\", not \"{}\"",
                shown(other)
            ),
        ),
    }
}

/// A rate per `per` as arrivals per clock tick; `min_zero`: zero is allowed.
fn rate(cx: &Ctx, r: &Spanned<f64>, per: Option<&Spanned<String>>, min_zero: bool) -> R<f64> {
    let v = *r.get_ref();
    if !(v.is_finite() && (v > 0.0 || (min_zero && v == 0.0))) {
        let bound = if min_zero { ">= 0" } else { "> 0" };
        return cx.err(r, format!("a rate must be a number {bound}, not {v}"));
    }
    Ok(v / per_days(cx, per)? / TICKS_PER_DAY as f64)
}

const FORMS: &str = "give arrivals as { rate = 2.0, per = \"day\" } (Poisson), { interarrival = <duration or distribution> }, { schedule = [{ from = \"0d\", rate = 20, per = \"year\" }, ...] } (a rate by period), { growth = { rate = 20, per = \"year\", yearly = \"+40%\" } }, { cohort = 40, from = \"0d\", to = \"150d\" } (exactly 40 patients), or { file = \"referrals.csv\" } (dated arrivals)";

/// A product's arrivals and their window. `start_date`: the civil day number of t = 0,
/// if the scenario gives one (for `date` columns).
pub(super) fn arrivals(
    cx: &Ctx,
    a: &Spanned<format::ArrivalsSpec>,
    start_date: Option<i64>,
) -> R<(Arrivals, Option<Window>)> {
    let f = a.get_ref();
    let given = [
        f.rate.is_some(),
        f.interarrival.is_some(),
        f.schedule.is_some(),
        f.growth.is_some(),
        f.cohort.is_some(),
        f.file.is_some(),
    ];
    if given.iter().filter(|&&g| g).count() != 1 {
        return cx.err(a, FORMS);
    }
    if f.per.is_some() && f.rate.is_none() {
        let msg = if f.schedule.is_some() || f.growth.is_some() {
            "`per` goes inside the schedule's periods or the growth table"
        } else {
            "`per` goes with `rate`"
        };
        return cx.err(a, msg);
    }
    if f.spread.is_some() && f.cohort.is_none() {
        return cx.err(a, "`spread` is for a cohort; remove it");
    }
    let arrivals = if let Some(r) = &f.rate {
        let per_tick = rate(cx, r, f.per.as_ref(), false)?;
        let mean_days = 1.0 / per_tick / TICKS_PER_DAY as f64;
        let v = r.get_ref();
        if mean_days.is_nan() || mean_days > limits::MAX_DURATION_DAYS {
            return cx.err(r, format!("a rate of {v:e} means fewer than one arrival in 100,000 years, beyond the clock's range; check the value and `per`"));
        }
        match Dist::exponential(mean_days * TICKS_PER_DAY as f64) {
            Ok(d) => Arrivals::Renewal(d),
            Err(_) => return cx.err(r, format!("a rate of {v:e} is too high: arrivals would come without time passing between them")),
        }
    } else if let Some(d) = &f.interarrival {
        Arrivals::Renewal(cx.duration_dist(d)?)
    } else if let Some(periods) = &f.schedule {
        let mut out = Vec::new();
        for p in periods {
            let pf = p.get_ref();
            out.push(RatePeriod {
                from: at(*pf.from.get_ref()),
                rate: rate(cx, &pf.rate, pf.per.as_ref(), true)?,
            });
        }
        Arrivals::Schedule(out)
    } else if let Some(g) = &f.growth {
        growth(cx, g)?
    } else if let Some(size) = &f.cohort {
        let n = cx.count(size, "a cohort's size", 1)?;
        let from = f.from.as_ref().map_or(Time::ZERO, |d| at(*d.get_ref()));
        let spread = match f.spread.as_ref().map(|s| s.get_ref().as_str()) {
            None | Some("random") => Spread::Random,
            Some("even") => Spread::Even,
            Some(other) => {
                return cx.err(
                    f.spread.as_ref().expect("matched Some"),
                    format!(
                        "spread must be \"random\" or \"even\", not \"{}\"",
                        shown(other)
                    ),
                );
            }
        };
        return Ok((
            Arrivals::Cohort(Cohort {
                size: n,
                from,
                to: f.to.as_ref().map_or(from, |d| at(*d.get_ref())),
                spread,
            }),
            None,
        ));
    } else {
        let file = f.file.as_ref().expect("one form is given");
        if let Some(x) = f.from.as_ref().or(f.to.as_ref()) {
            return cx.err(
                x,
                "a dated list has its own times; remove `from` and `to` (or edit the file)",
            );
        }
        return Ok((Arrivals::Dated(dated(cx, file, start_date)?), None));
    };
    let window = match (&f.from, &f.to) {
        (None, None) => None,
        (from, to) => Some(Window {
            from: from.as_ref().map_or(Time::ZERO, |d| at(*d.get_ref())),
            to: to.as_ref().map_or(Time::NEVER, |d| at(*d.get_ref())),
        }),
    };
    Ok((arrivals, window))
}

fn growth(cx: &Ctx, g: &Spanned<format::GrowthSpec>) -> R<Arrivals> {
    let f = g.get_ref();
    let compounding = match f.kind.as_ref().map(|k| k.get_ref().as_str()) {
        None | Some("compounding") => true,
        Some("linear") => false,
        Some(other) => {
            return cx.err(
                f.kind.as_ref().expect("matched Some"),
                format!(
                    "kind must be \"compounding\" or \"linear\", not \"{}\"",
                    shown(other)
                ),
            );
        }
    };
    Ok(Arrivals::Growth(Growth {
        rate: rate(cx, &f.rate, f.per.as_ref(), true)?,
        from: f.from.as_ref().map_or(Time::ZERO, |d| at(*d.get_ref())),
        yearly: f.yearly.get_ref().0,
        compounding,
        cap: f
            .cap
            .as_ref()
            .map(|c| rate(cx, c, f.per.as_ref(), true))
            .transpose()?,
    }))
}

/// The civil day number (days since 1970-01-01) of `"YYYY-MM-DD"`.
pub(super) fn civil_day(s: &str) -> Option<i64> {
    let mut parts = s.trim().splitn(3, '-');
    let y: i64 = parts.next()?.parse().ok()?;
    let m: u32 = parts.next()?.parse().ok()?;
    let d: u32 = parts.next()?.parse().ok()?;
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let days_in = [
        31,
        if leap { 29 } else { 28 },
        31,
        30,
        31,
        30,
        31,
        31,
        30,
        31,
        30,
        31,
    ];
    if !(1..=12).contains(&m) || d == 0 || d > days_in[m as usize - 1] || !(1..=9999).contains(&y) {
        return None;
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (i64::from(m) + 9) % 12;
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// The arrival times listed in a CSV file: a header naming a `day` column (days since
/// the start of the run) or a `date` column (YYYY-MM-DD, with `start_date`); other
/// columns are ignored; blank lines and lines starting with `#` are skipped.
fn dated(cx: &Ctx, file: &Spanned<String>, start_date: Option<i64>) -> R<Vec<Time>> {
    let name = file.get_ref();
    let path = Path::new(cx.path)
        .parent()
        .map_or_else(|| Path::new(name).to_path_buf(), |d| d.join(name));
    let shown_path = path.display().to_string();
    let src = match std::fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) => {
            return cx.err(
                file,
                format!(
                    "cannot read the arrivals file `{shown_path}`: {e} (paths are relative to the scenario file)"
                ),
            );
        }
    };
    {
        use sha2::{Digest, Sha256};
        let sha = format!("{:x}", Sha256::digest(src.as_bytes()));
        cx.inputs.borrow_mut().push((shown_path.clone(), sha));
    }
    // Byte offset of each line, for located errors.
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in src.split_inclusive('\n') {
        lines.push((offset, line.trim_end_matches(['\n', '\r'])));
        offset += line.len();
    }
    let mut rows = lines
        .into_iter()
        .filter(|(_, l)| !l.trim().is_empty() && !l.trim_start().starts_with('#'));
    let Some((_, header)) = rows.next() else {
        return cx.err(
            file,
            format!("the arrivals file `{shown_path}` is empty; give a header (`day` or `date`) and one line per arrival"),
        );
    };
    let cells = |l: &str| -> Vec<String> {
        l.split(',')
            .map(|c| c.trim().trim_matches('"').to_string())
            .collect()
    };
    let head = cells(header);
    let col = head.iter().position(|h| h.eq_ignore_ascii_case("day"));
    let (col, is_date) = match col {
        Some(c) => (c, false),
        None => match head.iter().position(|h| h.eq_ignore_ascii_case("date")) {
            Some(c) => (c, true),
            None => {
                return Err(ScenarioError::at(
                    &shown_path,
                    &src,
                    0..0,
                    "the first line must be a header naming a `day` column (days since the start of the run) or a `date` column (YYYY-MM-DD)",
                ));
            }
        },
    };
    if is_date && start_date.is_none() {
        return cx.err(
            file,
            "this file gives dates; set simulation.start_date (e.g. \"2021-03-01\") so that they can be placed on the clock",
        );
    }
    let mut out = Vec::new();
    for (start, line) in rows {
        let cell_start = line
            .split(',')
            .take(col)
            .map(|c| c.len() + 1)
            .sum::<usize>();
        let span = start + cell_start.min(line.len())..start + line.len();
        let bad = |msg: String| Err(ScenarioError::at(&shown_path, &src, span.clone(), msg));
        let row = cells(line);
        let Some(v) = row.get(col) else {
            return bad(format!(
                "this line has no `{}` value (column {})",
                head[col],
                col + 1
            ));
        };
        let days = if is_date {
            match civil_day(v) {
                Some(d) => (d - start_date.expect("checked above")) as f64,
                None => {
                    return bad(format!(
                        "`{}` is not a date; write it as YYYY-MM-DD",
                        shown(v)
                    ));
                }
            }
        } else {
            match v.parse::<f64>() {
                Ok(d) if d.is_finite() => d,
                _ => {
                    return bad(format!(
                        "`{}` is not a number of days since the start of the run",
                        shown(v)
                    ));
                }
            }
        };
        if !(0.0..=limits::MAX_RUN_DAYS as f64).contains(&days) {
            let what = if is_date {
                "this date is before simulation.start_date"
            } else {
                "days must be from 0"
            };
            let msg = if days < 0.0 {
                format!("{what}; arrivals cannot come before the run starts")
            } else {
                format!(
                    "day {days} is beyond the longest run ({} days)",
                    limits::MAX_RUN_DAYS
                )
            };
            return bad(msg);
        }
        out.push(Time::ZERO + Duration::from_days_f64(days));
        if out.len() as f64 > limits::MAX_ARRIVALS_PER_RUN {
            return bad(format!(
                "more than {:.0e} arrivals in one file",
                limits::MAX_ARRIVALS_PER_RUN
            ));
        }
    }
    // A log may be kept out of order; the model takes arrivals in time order.
    out.sort_unstable();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::civil_day;

    #[test]
    fn civil_days_count_from_1970() {
        assert_eq!(civil_day("1970-01-01"), Some(0));
        assert_eq!(civil_day("2000-03-01"), Some(11_017));
        assert_eq!(civil_day("2021-03-01"), Some(18_687));
        assert_eq!(civil_day("2024-02-29"), Some(19_782));
        assert_eq!(civil_day("2023-02-29"), None);
        assert_eq!(civil_day("2021-13-01"), None);
        assert_eq!(civil_day("yesterday"), None);
    }
}
