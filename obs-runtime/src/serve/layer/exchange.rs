//! One request in progress: what it is recorded under and what it has measured so far. It is
//! recorded exactly once, when dropped: when its response body ended or was dropped (the client
//! went away mid-stream), or at once when the service failed without a response.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use super::families::{Key, Measured, STORAGE};
use crate::observed::call::{nanos_between, now};

/// How the request body's size is known.
#[derive(Debug)]
pub(super) enum RequestSize {
    /// From its `Content-Length` (the body's exact size hint).
    Known(u64),
    /// Counted by the [`RequestBody`](super::RequestBody) as the handler reads it.
    Counted(Arc<AtomicU64>),
}

impl RequestSize {
    fn bytes(&self) -> u64 {
        match self {
            Self::Known(n) => *n,
            Self::Counted(n) => n.load(Ordering::Relaxed),
        }
    }
}

/// A request being served.
#[derive(Debug)]
pub(super) struct Exchange {
    key: Key,
    start: u64,
    request_size: RequestSize,
    /// Response body bytes sent so far.
    pub(super) response_bytes: u64,
}

impl Exchange {
    /// A request under `key` (its status still 0) that arrived at `start` (a reading of the
    /// call clock), now counted as active.
    pub(super) fn start(key: Key, start: u64, request_size: RequestSize) -> Self {
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
                request_bytes: self.request_size.bytes(),
                response_bytes: self.response_bytes,
            },
        );
    }
}
