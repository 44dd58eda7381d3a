//! Values in their units, spelt the same in every human-facing output (table, Markdown,
//! HTML, JUnit, failure reasons): durations `850µs` `12.3ms` `1.52s`, counts `3`, rates
//! `420.0/s`, and threshold limits exactly as set (`5ms`, `1.5ms`, `500/s`). Pure text;
//! must not decide verdicts or know any format's markup.

use super::cells::NONE;
use crate::config::Metric;

/// A duration in microseconds with three significant digits and a unit:
/// `850µs`, `1.50ms`, `12.3ms`, `250ms`, `1.52s`.
pub fn format_latency_us(us: f64) -> String {
    if !us.is_finite() {
        return NONE.to_string();
    }
    if us < 0.0 {
        return format!("-{}", format_latency_us(-us));
    }
    if us < 999.5 {
        return format!("{:.0}µs", us);
    }
    if us < 999_500.0 {
        return format!("{}ms", three_digits(us / 1_000.0));
    }
    format!("{}s", three_digits(us / 1_000_000.0))
}

/// A signed duration difference: `+1.20ms`, `-850µs`, `±0µs`.
pub fn format_signed_latency_us(us: f64) -> String {
    if us == 0.0 {
        return "±0µs".to_string();
    }
    let sign = if us > 0.0 { "+" } else { "-" };
    format!("{sign}{}", format_latency_us(us.abs()))
}

/// A rate per second with one decimal: `420.0/s`.
pub fn format_rate_per_s(rate: f64) -> String {
    format!("{rate:.1}/s")
}

/// A measured value of `metric` in its unit: a duration, a count (`3`) or a rate.
pub fn format_measured(metric: Metric, value: f64) -> String {
    match metric {
        Metric::Errors | Metric::Buffers => format!("{value:.0}"),
        Metric::Throughput => format_rate_per_s(value),
        _ => format_latency_us(value),
    }
}

/// A threshold limit of `metric`, exact and without trailing zeros: `100µs`, `1.5ms`,
/// `5ms`, `2s`, `0`, `500/s`.
pub fn format_limit(metric: Metric, limit: f64) -> String {
    match metric {
        Metric::Errors | Metric::Buffers => exact(limit),
        Metric::Throughput => format!("{}/s", exact(limit)),
        _ if limit < 1_000.0 => format!("{}µs", exact(limit)),
        _ if limit < 1_000_000.0 => format!("{}ms", exact(limit / 1_000.0)),
        _ => format!("{}s", exact(limit / 1_000_000.0)),
    }
}

/// A number with three significant digits (at least one), no unit.
fn three_digits(value: f64) -> String {
    if value < 9.995 {
        format!("{value:.2}")
    } else if value < 99.95 {
        format!("{value:.1}")
    } else {
        format!("{value:.0}")
    }
}

/// At most three decimals, without trailing zeros.
fn exact(value: f64) -> String {
    let text = format!("{value:.3}");
    text.trim_end_matches('0').trim_end_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn latencies_use_three_significant_digits_and_the_right_unit() {
        assert_eq!(format_latency_us(0.0), "0µs");
        assert_eq!(format_latency_us(850.0), "850µs");
        assert_eq!(format_latency_us(999.4), "999µs");
        assert_eq!(format_latency_us(999.6), "1.00ms");
        assert_eq!(format_latency_us(1_500.0), "1.50ms");
        assert_eq!(format_latency_us(12_345.0), "12.3ms");
        assert_eq!(format_latency_us(99_990.0), "100ms");
        assert_eq!(format_latency_us(250_000.0), "250ms");
        assert_eq!(format_latency_us(999_700.0), "1.00s");
        assert_eq!(format_latency_us(1_520_000.0), "1.52s");
        assert_eq!(format_latency_us(125_000_000.0), "125s");
        assert_eq!(format_latency_us(f64::NAN), "—");
    }

    #[test]
    fn signed_latencies_show_their_sign() {
        assert_eq!(format_signed_latency_us(1_200.0), "+1.20ms");
        assert_eq!(format_signed_latency_us(-850.0), "-850µs");
        assert_eq!(format_signed_latency_us(0.0), "±0µs");
    }

    #[test]
    fn measured_values_are_spelt_in_the_unit_of_their_metric() {
        assert_eq!(format_measured(Metric::P95, 850.0), "850µs");
        assert_eq!(format_measured(Metric::Mean, 12_300.0), "12.3ms");
        assert_eq!(format_measured(Metric::Max, 2_500_000.0), "2.50s");
        assert_eq!(format_measured(Metric::Errors, 3.0), "3");
        assert_eq!(format_measured(Metric::Throughput, 321.44), "321.4/s");
        assert_eq!(format_rate_per_s(4_000.0), "4000.0/s");
    }

    #[test]
    fn limits_are_exact_in_the_same_units() {
        assert_eq!(format_limit(Metric::P50, 100.0), "100µs");
        assert_eq!(format_limit(Metric::P95, 1_500.0), "1.5ms");
        assert_eq!(format_limit(Metric::P95, 5_000.0), "5ms");
        assert_eq!(format_limit(Metric::P95, 5_040.0), "5.04ms");
        assert_eq!(format_limit(Metric::Max, 2_000_000.0), "2s");
        assert_eq!(format_limit(Metric::Errors, 0.0), "0");
        assert_eq!(format_limit(Metric::Throughput, 499.5), "499.5/s");
    }
}
