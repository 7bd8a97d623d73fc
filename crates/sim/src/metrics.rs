//! What the platform displays, once a minute: views, online, orders and
//! GMV as observed — or, with `inflated-views`, multiplied. The truth
//! keeps the last figures shown and the highest online count.

use crate::config::{Config, Plan, Scenario};
use crate::orders::OrderBook;
use crate::stream::{q, Sim};
use std::io;

pub(crate) struct Display {
    /// Views shown per join observed (online ×12 whenever this is inflated).
    views: f64,
    /// Orders and GMV shown per one observed.
    sales: f64,
}

impl Display {
    pub fn new(cfg: &Config) -> Display {
        let inflated = cfg.has(Scenario::InflatedViews);
        Display {
            views: if inflated { 20.0 } else { 1.0 },
            sales: if inflated { 3.0 } else { 1.0 },
        }
    }

    /// Reports the figures at the end of the minute starting at `m_ms`.
    pub fn report(
        &self,
        sim: &mut Sim,
        plan: &Plan,
        m_ms: i64,
        book: &OrderBook,
    ) -> io::Result<()> {
        let reported_orders = (book.placed as f64 * self.sales) as u64;
        let gmv = (book.paid_gmv as f64 * self.sales) as i64;
        let views = (sim.joins as f64 * self.views) as u64;
        let online =
            (sim.online_all.max(0) as f64 * if self.views > 1.0 { 12.0 } else { 1.0 }) as u64;
        sim.truth.reported_views = views;
        sim.truth.reported_peak_online = sim.truth.reported_peak_online.max(online);
        sim.truth.reported_orders = reported_orders;
        sim.truth.reported_gmv = gmv;
        let body = format!(
            r#""session":{},"online":{online},"views":{views},"orders":{reported_orders},"gmv":{gmv},"currency":"CNY""#,
            q(&plan.tag)
        );
        sim.write_now(m_ms + 59_999, "metrics_reported", body)?;
        Ok(())
    }
}
