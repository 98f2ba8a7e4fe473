//! A streamed answer relayed to the client: the provider's chunks as they come (the usage they
//! carry taken off, unless the client asked for it), then the usage chunk when the client asked,
//! then `[DONE]`. The request is accounted once: when the stream ends, or, when the client goes
//! away first, on drop (with the usage the provider had reported so far). Dropping the relay
//! drops the provider's stream, which ends its `#[llm_call]` as cancelled and closes the
//! connection to the provider.

use std::convert::Infallible;

use bytes::Bytes;
use futures_util::{Stream, StreamExt};
use serde_json::Value;

use super::activity::Open;
use super::catalog::Provider;
use super::families::{Mode, RequestOutcome};
use super::queue::Slot;
use super::sse;
use super::upstream::ChunkStream;
use super::wire::{self, Tokens};

/// What the relay holds until the request is accounted.
pub(crate) struct Held {
    /// The upstream slot.
    pub(crate) slot: Slot,
    /// The request's open work.
    pub(crate) open: Open,
}

/// The request's account: given once.
struct Account {
    provider: Provider,
    usage: Option<Tokens>,
    outcome: Option<RequestOutcome>,
    _held: Held,
}

impl Account {
    fn end(&mut self, outcome: RequestOutcome) {
        if self.outcome.is_none() {
            self.outcome = Some(outcome);
            super::app::finish(outcome, Mode::Stream);
            if let Some(usage) = self.usage {
                super::app::account_tokens(self.provider, usage);
            }
        }
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        self.end(RequestOutcome::ClientDisconnected);
    }
}

struct State {
    first: Option<Value>,
    upstream: ChunkStream,
    include_usage: bool,
    /// `id`, `model` and `created` of the first chunk, for the usage chunk.
    header: (String, String, u64),
    account: Account,
    finished: bool,
}

/// The body relaying `upstream`, whose `first` chunk has arrived.
pub(crate) fn body(
    provider: Provider,
    first: Value,
    upstream: ChunkStream,
    include_usage: bool,
    held: Held,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let header = (
        first["id"].as_str().unwrap_or_default().to_owned(),
        first["model"].as_str().unwrap_or_default().to_owned(),
        first["created"].as_u64().unwrap_or(0),
    );
    let state = State {
        first: Some(first),
        upstream,
        include_usage,
        header,
        account: Account {
            provider,
            usage: None,
            outcome: None,
            _held: held,
        },
        finished: false,
    };
    futures_util::stream::unfold(state, |mut state| async move {
        if state.finished {
            return None;
        }
        loop {
            let next = match state.first.take() {
                Some(first) => Some(Ok(first)),
                None => state.upstream.next().await,
            };
            match next {
                Some(Ok(chunk)) => {
                    if let Some(usage) = Tokens::read(&chunk) {
                        state.account.usage = Some(usage);
                    }
                    if let Some(out) = relayed(chunk, state.include_usage) {
                        return Some((Ok(sse::event(&out)), state));
                    }
                }
                Some(Err(e)) => {
                    // Cut short upstream: say so in the stream, and end it.
                    let error = wire::error(&e.to_string(), "upstream_error", "upstream_error");
                    state.account.end(RequestOutcome::UpstreamError);
                    state.finished = true;
                    return Some((Ok(sse::event(&error)), state));
                }
                None => {
                    let mut tail = Vec::new();
                    if state.include_usage
                        && let Some(usage) = state.account.usage
                    {
                        let (id, model, created) = &state.header;
                        tail.extend_from_slice(&sse::event(&wire::usage_chunk(
                            id, model, *created, usage,
                        )));
                    }
                    tail.extend_from_slice(sse::DONE);
                    state.account.end(RequestOutcome::Ok);
                    state.finished = true;
                    return Some((Ok(Bytes::from(tail)), state));
                }
            }
        }
    })
}

/// The chunk as the client gets it: the provider's usage-only chunk is dropped (the relay sends
/// its own at the end), and the usage on other chunks is `null` when the client asked for usage
/// (as OpenAI sends them) and absent otherwise.
fn relayed(mut chunk: Value, include_usage: bool) -> Option<Value> {
    let no_choices = chunk["choices"].as_array().is_some_and(Vec::is_empty);
    if no_choices {
        return None;
    }
    if let Some(object) = chunk.as_object_mut() {
        if include_usage {
            object.insert("usage".into(), Value::Null);
        } else {
            object.remove("usage");
        }
    }
    Some(chunk)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn usage_is_taken_off_the_relayed_chunks() {
        let chunk =
            json!({"choices": [{"delta": {"content": "a"}}], "usage": {"prompt_tokens": 1}});
        assert_eq!(relayed(chunk.clone(), true).unwrap()["usage"], Value::Null);
        assert!(relayed(chunk, false).unwrap().get("usage").is_none());
        assert!(relayed(json!({"choices": [], "usage": {}}), true).is_none());
    }
}
