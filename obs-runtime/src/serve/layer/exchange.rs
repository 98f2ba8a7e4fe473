//! One request in progress: what it is recorded under and what it has measured so far. It is
//! recorded exactly once, when dropped: when its response body ended or was dropped (the client
//! went away mid-stream), or at once when the service failed without a response.

use super::families::{Key, Measured, STORAGE};
use crate::observed::call::{nanos_between, now};

/// A request being served.
#[derive(Debug)]
pub(super) struct Exchange {
    key: Key,
    start: u64,
    /// The request body's size when known up front (its `Content-Length`).
    request_size: Option<u64>,
    /// Response body bytes sent so far.
    pub(super) response_bytes: u64,
}

impl Exchange {
    /// A request under `key` (its status still 0) that arrived at `start` (a reading of the
    /// call clock), now counted as active.
    pub(super) fn start(key: Key, start: u64, request_size: Option<u64>) -> Self {
        STORAGE.started(key.block);
        Self {
            key,
            start,
            request_size,
            response_bytes: 0,
        }
    }

    /// The status code the response carries.
    pub(super) fn set_status(&mut self, status: u16) {
        self.key.status = status;
    }

    /// The route index it is recorded under.
    pub(super) fn route(&self) -> usize {
        self.key.route
    }
}

impl Drop for Exchange {
    fn drop(&mut self) {
        STORAGE.ended(
            self.key,
            Measured {
                nanos: nanos_between(self.start, now()),
                request_bytes: self.request_size,
                response_bytes: self.response_bytes,
            },
        );
    }
}
