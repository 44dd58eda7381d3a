//! How a measure grows with the dataset: the least-squares fit of value ≈ a·n^k on
//! log-log axes (exponent, R², standard error), the logarithmic alternative
//! value ≈ c + b·ln n, the growth class, and a projection to a larger size with its 95 %
//! prediction interval. Pure arithmetic over (sessions, value) points: must not measure,
//! touch the database, print or format numbers as text.
//!
//! The class of a fit with exponent k (the rule `classify` applies):
//! - `constant`: k < 0.1;
//! - `log`: 0.1 ≤ k < 0.3, or 0.3 ≤ k < 0.8 when c + b·ln n (b > 0) fits at least as
//!   well as a·n^k, judged by the sum of squared relative errors on the original scale.
//!   Why 0.3: a·ln n has the local exponent 1/ln n, below 0.26 for every n ≥ 50, so a
//!   pure logarithm never shows a larger k over the sizes a sweep uses;
//! - `linear`: 0.8 ≤ k ≤ 1.2, and any 0.3 ≤ k < 0.8 that the logarithm does not fit
//!   better (growth like a power of n is gated as linear);
//! - `worse`: k > 1.2.

pub mod sweep;

use serde::{Deserialize, Serialize};

/// Below this exponent a measure is constant.
pub const CONSTANT_BELOW: f64 = 0.1;
/// Below this exponent a measure is logarithmic without comparing fits.
pub const LOG_BELOW: f64 = 0.3;
/// From this exponent a measure is linear.
pub const LINEAR_FROM: f64 = 0.8;
/// Above this exponent a measure grows faster than linear.
pub const WORSE_ABOVE: f64 = 1.2;

/// How fast a measure grows with the number of sessions, slowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum GrowthClass {
    Constant,
    Log,
    Linear,
    Worse,
}

impl GrowthClass {
    /// The names `max_growth` accepts (`worse` is a result, never a limit).
    pub const LIMITS: [&'static str; 3] = ["constant", "log", "linear"];

    /// The name used in files and reports.
    pub fn as_str(self) -> &'static str {
        match self {
            GrowthClass::Constant => "constant",
            GrowthClass::Log => "log",
            GrowthClass::Linear => "linear",
            GrowthClass::Worse => "worse",
        }
    }

    /// A `max_growth` value: one of [`GrowthClass::LIMITS`].
    pub fn parse_limit(text: &str) -> Option<GrowthClass> {
        match text {
            "constant" => Some(GrowthClass::Constant),
            "log" => Some(GrowthClass::Log),
            "linear" => Some(GrowthClass::Linear),
            _ => None,
        }
    }
}

/// value ≈ a·n^k, fitted by least squares of ln value on ln n.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct PowerFit {
    /// The exponent k.
    pub k: f64,
    /// ln a.
    pub ln_a: f64,
    /// Coefficient of determination of the log-log fit (1 when every point is on the line;
    /// 1 also when the values do not vary at all).
    pub r2: f64,
    /// Standard error of k (`None` with two points: no residual degree of freedom).
    pub k_stderr: Option<f64>,
    /// Points fitted.
    pub points: usize,
    /// Mean of ln n.
    mean_ln_n: f64,
    /// Sum of squared deviations of ln n.
    sxx: f64,
    /// Residual standard deviation of ln value (`None` with two points).
    residual_sd: Option<f64>,
}

/// A projected value with its 95 % prediction interval (none from two points).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    pub sessions: u64,
    pub value: f64,
    pub low: Option<f64>,
    pub high: Option<f64>,
}

/// Fits a·n^k to `points` (sessions, value). `None` with fewer than two points, with a
/// size or value that is not positive and finite, or when every size is the same.
pub fn fit_power(points: &[(f64, f64)]) -> Option<PowerFit> {
    let usable = points
        .iter()
        .all(|(n, y)| n.is_finite() && y.is_finite() && *n > 0.0 && *y > 0.0);
    if points.len() < 2 || !usable {
        return None;
    }
    let logs: Vec<(f64, f64)> = points.iter().map(|(n, y)| (n.ln(), y.ln())).collect();
    let line = least_squares(&logs)?;
    let df = points.len() - 2;
    let residual_sd = (df > 0).then(|| (line.sse / df as f64).sqrt());
    Some(PowerFit {
        k: line.slope,
        ln_a: line.intercept,
        r2: line.r2,
        k_stderr: residual_sd.map(|s| s / line.sxx.sqrt()),
        points: points.len(),
        mean_ln_n: line.mean_x,
        sxx: line.sxx,
        residual_sd,
    })
}

impl PowerFit {
    /// a·n^k.
    pub fn predict(&self, sessions: f64) -> f64 {
        (self.ln_a + self.k * sessions.ln()).exp()
    }

    /// The value at `sessions` with the 95 % prediction interval of a new measurement
    /// there: exp(ln ŷ ± t·s·√(1 + 1/m + (ln n − mean)²/Sxx)), t of Student's law with
    /// m − 2 degrees of freedom.
    pub fn project(&self, sessions: u64) -> Projection {
        let x = (sessions as f64).ln();
        let centre = self.ln_a + self.k * x;
        let spread = self.residual_sd.map(|s| {
            let m = self.points as f64;
            let leverage = 1.0 + 1.0 / m + (x - self.mean_ln_n).powi(2) / self.sxx;
            t_975(self.points - 2) * s * leverage.sqrt()
        });
        Projection {
            sessions,
            value: centre.exp(),
            low: spread.map(|d| (centre - d).exp()),
            high: spread.map(|d| (centre + d).exp()),
        }
    }
}

/// value ≈ c + b·ln n, fitted by least squares of value on ln n.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogFit {
    pub c: f64,
    pub b: f64,
}

/// Fits c + b·ln n to `points` (same conditions as [`fit_power`]).
fn fit_log(points: &[(f64, f64)]) -> Option<LogFit> {
    fit_power(points)?;
    let xs: Vec<(f64, f64)> = points.iter().map(|(n, y)| (n.ln(), *y)).collect();
    let line = least_squares(&xs)?;
    Some(LogFit {
        c: line.intercept,
        b: line.slope,
    })
}

impl LogFit {
    pub fn predict(&self, sessions: f64) -> f64 {
        self.c + self.b * sessions.ln()
    }
}

/// Σ ((predicted − value) / value)²: comparable between models fitted on different scales.
pub fn relative_sse(points: &[(f64, f64)], predict: impl Fn(f64) -> f64) -> f64 {
    points
        .iter()
        .map(|(n, y)| ((predict(*n) - y) / y).powi(2))
        .sum()
}

/// The class of a measure over `points`, with the fit it was judged on (see the module
/// documentation for the rule). `None` when the points cannot be fitted.
pub fn classify(points: &[(f64, f64)]) -> Option<(GrowthClass, PowerFit)> {
    let fit = fit_power(points)?;
    let k = fit.k;
    let class = if k < CONSTANT_BELOW {
        GrowthClass::Constant
    } else if k < LOG_BELOW {
        GrowthClass::Log
    } else if k < LINEAR_FROM {
        match fit_log(points) {
            Some(log)
                if log.b > 0.0
                    && relative_sse(points, |n| log.predict(n))
                        <= relative_sse(points, |n| fit.predict(n)) =>
            {
                GrowthClass::Log
            }
            _ => GrowthClass::Linear,
        }
    } else if k <= WORSE_ABOVE {
        GrowthClass::Linear
    } else {
        GrowthClass::Worse
    };
    Some((class, fit))
}

/// A fitted straight line y = intercept + slope·x.
struct Line {
    slope: f64,
    intercept: f64,
    r2: f64,
    sse: f64,
    mean_x: f64,
    sxx: f64,
}

fn least_squares(points: &[(f64, f64)]) -> Option<Line> {
    let m = points.len() as f64;
    let mean_x = points.iter().map(|p| p.0).sum::<f64>() / m;
    let mean_y = points.iter().map(|p| p.1).sum::<f64>() / m;
    let sxx: f64 = points.iter().map(|p| (p.0 - mean_x).powi(2)).sum();
    let sxy: f64 = points.iter().map(|p| (p.0 - mean_x) * (p.1 - mean_y)).sum();
    let syy: f64 = points.iter().map(|p| (p.1 - mean_y).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let slope = sxy / sxx;
    let intercept = mean_y - slope * mean_x;
    let sse: f64 = points
        .iter()
        .map(|p| (p.1 - intercept - slope * p.0).powi(2))
        .sum::<f64>()
        .max(0.0);
    let r2 = if syy > 0.0 { 1.0 - sse / syy } else { 1.0 };
    Some(Line {
        slope,
        intercept,
        r2,
        sse,
        mean_x,
        sxx,
    })
}

/// The 97.5 % quantile of Student's t with `df` degrees of freedom (df ≥ 1; the normal
/// quantile beyond 30).
pub fn t_975(df: usize) -> f64 {
    const TABLE: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    TABLE.get(df.max(1) - 1).copied().unwrap_or(1.960)
}

#[cfg(test)]
mod tests;
