//! The reasoned opt-out: a label whose name looks per-entity is accepted with
//! `#[allow_entity_label(reason = "...")]`, as long as its type is bounded.

use obs_runtime::{Bounded, Format, LabelValue, Registry, metrics};

/// Pricing tier: a handful of values, even though the label is called `user`.
#[derive(Clone, Copy, Debug, LabelValue)]
pub enum Tier {
    /// Free tier.
    Free,
    /// Paying customers.
    Pro,
}

metrics! {
    /// Per-tier usage.
    pub USAGE in "usage" {
        /// Requests, by kind of user.
        per_user_total: Counter {
            #[allow_entity_label(reason = "tiers, not users")]
            user: Tier,
        },
        /// Requests, by tenant: a fixed list of four internal tenants.
        per_tenant_total: Counter {
            #[allow_entity_label(reason = "four internal tenants, capped by Bounded<4>")]
            tenant_id: Bounded<4>,
        },
    }
}

fn main() {
    USAGE.per_user_total.with(Tier::Pro).inc();
    USAGE.per_tenant_total.with("billing").inc();
    let text = Registry::global().encode(Format::Text);
    assert!(
        text.contains("usage_per_user_total{user=\"pro\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("usage_per_tenant_total{tenant_id=\"billing\"} 1"),
        "{text}"
    );
}
