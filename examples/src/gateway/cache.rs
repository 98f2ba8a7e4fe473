//! A small response cache for non-streaming chat completions, keyed by a hash of what decides the
//! answer (model, messages, temperature, token limit), bounded in entries (the oldest goes first).

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

use bytes::Bytes;

use super::families::{CacheResult, GATEWAY};
use super::rng::hash;
use super::wire::ChatRequest;

/// The cache.
#[derive(Debug)]
pub(crate) struct ResponseCache {
    capacity: usize,
    inner: Mutex<(HashMap<u64, Bytes>, VecDeque<u64>)>,
}

impl ResponseCache {
    /// A cache of at most `capacity` responses (0: caches nothing).
    pub(crate) fn new(capacity: usize) -> Self {
        Self {
            capacity,
            inner: Mutex::new((HashMap::new(), VecDeque::new())),
        }
    }

    /// The key of `request`.
    pub(crate) fn key(request: &ChatRequest) -> u64 {
        let messages = serde_json::to_vec(&request.messages).unwrap_or_default();
        let temperature = request.temperature.map_or(u64::MAX, f64::to_bits);
        let max_tokens = request.max_tokens.map_or(u64::MAX, u64::from);
        hash(
            0,
            &[
                request.model.as_bytes(),
                &messages,
                &temperature.to_le_bytes(),
                &max_tokens.to_le_bytes(),
            ],
        )
    }

    /// The cached response for `key`, counting the hit or miss.
    pub(crate) fn get(&self, key: u64) -> Option<Bytes> {
        let found = self.lock().0.get(&key).cloned();
        let result = if found.is_some() {
            CacheResult::Hit
        } else {
            CacheResult::Miss
        };
        GATEWAY.cache_lookups_total.with(result).inc();
        found
    }

    /// Keeps `response` under `key`.
    pub(crate) fn put(&self, key: u64, response: Bytes) {
        if self.capacity == 0 {
            return;
        }
        let mut inner = self.lock();
        let (map, order) = &mut *inner;
        if map.insert(key, response).is_none() {
            order.push_back(key);
        }
        while map.len() > self.capacity {
            match order.pop_front() {
                Some(oldest) => {
                    map.remove(&oldest);
                }
                None => break,
            }
        }
        GATEWAY.cache_entries.series().set(map.len() as i64);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, (HashMap<u64, Bytes>, VecDeque<u64>)> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn request(text: &str, temperature: Option<f64>) -> ChatRequest {
        serde_json::from_value(serde_json::json!({
            "model": "gpt-4o",
            "messages": [{"role": "user", "content": text}],
            "temperature": temperature,
        }))
        .unwrap()
    }

    #[test]
    fn keys_follow_the_content_and_the_oldest_entry_goes_first() {
        assert_eq!(
            ResponseCache::key(&request("a", None)),
            ResponseCache::key(&request("a", None))
        );
        assert_ne!(
            ResponseCache::key(&request("a", None)),
            ResponseCache::key(&request("a", Some(0.5)))
        );
        let cache = ResponseCache::new(2);
        cache.put(1, Bytes::from_static(b"one"));
        cache.put(2, Bytes::from_static(b"two"));
        cache.put(3, Bytes::from_static(b"three"));
        assert_eq!(cache.get(1), None);
        assert_eq!(cache.get(3).as_deref(), Some(&b"three"[..]));
        assert_eq!(cache.get(2).as_deref(), Some(&b"two"[..]));
    }
}
