// Labels named after per-entity values are refused, whatever their type: one error per label.
// (`Bounded` is written as a path: a refused `metrics!` expands to nothing, so an import of it
// would be reported unused as well.)
use obs_runtime::metrics;

metrics! {
    /// Service metrics.
    pub SERVICE in "svc" {
        /// By user.
        by_user_total: Counter { user_id: obs_runtime::Bounded<10> },
        /// By request.
        by_request_total: Counter { request_id: obs_runtime::Bounded<10> },
        /// By client address.
        by_ip_total: Counter { client_ip: obs_runtime::Bounded<10> },
        /// By email.
        by_email_total: Counter { email: obs_runtime::Bounded<10> },
        /// By a name ending in `_id`.
        by_order_total: Counter { order_id: bool },
    }
}

fn main() {}
