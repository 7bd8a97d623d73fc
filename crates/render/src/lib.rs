//! Human renderings of reports: a terminal summary and a self-contained
//! HTML page with SVG charts (no scripts, no network).

pub mod html;
pub mod text;

pub use analysis::report::grouped;

pub fn pct(x: f64) -> String {
    format!("{:.1}%", x * 100.0)
}
