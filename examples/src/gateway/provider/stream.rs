//! A simulated provider's streamed answer: the chunks, paced by its speed, and an account of
//! what was reported on them, given to the ground truth once: when `[DONE]` goes out, or, when
//! the caller goes away first, on drop (with the usage the chunks sent so far had reported).

use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::Stream;
use serde_json::json;

use super::super::activity::Open;
use super::super::catalog::Provider;
use super::super::sse;
use super::super::truth::{CallOutcome, Truth};
use super::super::wire::{self, Tokens};
use super::config::ProviderConfig;
use super::plan::{Answer, WORDS_PER_CHUNK};

/// One event of the stream.
#[derive(Debug)]
struct Step {
    /// Wait before sending it.
    delay: Duration,
    bytes: Bytes,
    /// The usage it reports.
    usage: Option<Tokens>,
    /// Whether it ends the stream (`[DONE]`).
    last: bool,
}

/// How the caller asked for usage.
#[derive(Debug, Clone, Copy)]
pub(crate) struct UsageMode {
    /// A final chunk with the whole usage.
    pub(crate) include: bool,
    /// The usage so far on every chunk.
    pub(crate) continuous: bool,
}

/// What to tell the ground truth about one call.
pub(crate) struct Account {
    pub(crate) truth: Arc<Truth>,
    pub(crate) provider: Provider,
    pub(crate) model: &'static str,
    pub(crate) _open: Open,
}

/// The stream's account: reported once.
struct Guard {
    account: Account,
    reported: Option<Tokens>,
    total: Tokens,
    finished: bool,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if !self.finished {
            let a = &self.account;
            a.truth.provider_call(
                a.provider,
                a.model,
                CallOutcome::Disconnected,
                self.reported,
            );
        }
    }
}

/// The body of a streamed answer.
pub(crate) fn body(
    answer: Answer,
    config: &ProviderConfig,
    usage: UsageMode,
    id: String,
    created: u64,
    account: Account,
) -> impl Stream<Item = Result<Bytes, Infallible>> + Send + 'static {
    let steps = steps(&answer, config, usage, &id, account.model, created);
    let guard = Guard {
        account,
        reported: None,
        total: answer.tokens,
        finished: false,
    };
    futures_util::stream::unfold(
        (steps.into_iter(), guard),
        |(mut steps, mut guard)| async move {
            let step = steps.next()?;
            if !step.delay.is_zero() {
                tokio::time::sleep(step.delay).await;
            }
            if step.usage.is_some() {
                guard.reported = step.usage;
            }
            if step.last {
                guard.finished = true;
                let a = &guard.account;
                a.truth
                    .provider_call(a.provider, a.model, CallOutcome::Ok, Some(guard.total));
            }
            Some((Ok(step.bytes), (steps, guard)))
        },
    )
}

/// The events: a first chunk with the role (after the time to first token), the words a few at a
/// time at the provider's speed (with a hang after `stall_after` chunks), a last chunk with the
/// finish reason, the usage chunk when asked for, `[DONE]`.
fn steps(
    answer: &Answer,
    config: &ProviderConfig,
    usage: UsageMode,
    id: &str,
    model: &str,
    created: u64,
) -> Vec<Step> {
    let total = answer.tokens;
    let per_token = Duration::from_secs_f64(1.0 / config.tokens_per_second);
    // Reasoning happens before the first visible token; it is reported with the first chunk.
    let mut so_far = Tokens {
        completion: total.reasoning,
        ..total
    };
    let on_chunk = |t: Tokens| usage.continuous.then_some(t);
    let mut steps = vec![Step {
        delay: config.time_to_first_token,
        bytes: sse::event(&wire::chunk(
            id,
            model,
            created,
            json!({"role": "assistant", "content": ""}),
            None,
            on_chunk(so_far),
        )),
        usage: on_chunk(so_far),
        last: false,
    }];
    for (i, words) in answer.words.chunks(WORDS_PER_CHUNK).enumerate() {
        so_far.completion += words.len() as u64;
        let mut text = words.join(" ");
        if i > 0 {
            text.insert(0, ' ');
        }
        let stall = if answer.stall_after == Some(i) {
            config.stall
        } else {
            Duration::ZERO
        };
        steps.push(Step {
            delay: per_token * words.len() as u32 + stall,
            bytes: sse::event(&wire::chunk(
                id,
                model,
                created,
                json!({"content": text}),
                None,
                on_chunk(so_far),
            )),
            usage: on_chunk(so_far),
            last: false,
        });
    }
    steps.push(Step {
        delay: Duration::ZERO,
        bytes: sse::event(&wire::chunk(
            id,
            model,
            created,
            json!({}),
            Some("stop"),
            on_chunk(total),
        )),
        usage: on_chunk(total),
        last: false,
    });
    if usage.include {
        steps.push(Step {
            delay: Duration::ZERO,
            bytes: sse::event(&wire::usage_chunk(id, model, created, total)),
            usage: Some(total),
            last: false,
        });
    }
    steps.push(Step {
        delay: Duration::ZERO,
        bytes: Bytes::from_static(sse::DONE),
        usage: None,
        last: true,
    });
    steps
}

#[cfg(test)]
mod tests {
    use super::super::super::sse::{Decoder, Event};
    use super::*;

    #[test]
    fn chunks_carry_the_words_and_the_usage_so_far() {
        let answer = Answer {
            tokens: Tokens {
                prompt: 50,
                cached: 20,
                completion: 13,
                reasoning: 3,
            },
            words: vec!["w"; 10],
            stall_after: Some(1),
        };
        let config = ProviderConfig::default_for(Provider::OpenAi);
        let mode = UsageMode {
            include: true,
            continuous: true,
        };
        let steps = steps(&answer, &config, mode, "c", "gpt-4o", 0);
        // role, 3 word chunks (4 + 4 + 2), finish, usage, done.
        assert_eq!(steps.len(), 7);
        assert!(steps[2].delay >= config.stall);
        let mut decoder = Decoder::default();
        for s in &steps {
            decoder.push(&s.bytes);
        }
        let mut text = String::new();
        let mut usages = Vec::new();
        while let Some(e) = decoder.next_event() {
            if let Event::Chunk(c) = e {
                if let Some(t) = c["choices"][0]["delta"]["content"].as_str() {
                    text.push_str(t);
                }
                usages.push(Tokens::read(&c).map(|t| t.completion));
            }
        }
        assert_eq!(text, ["w"; 10].join(" "));
        assert_eq!(
            usages,
            [Some(3), Some(7), Some(11), Some(13), Some(13), Some(13)]
        );
        let plain = super::steps(
            &answer,
            &config,
            UsageMode {
                include: false,
                continuous: false,
            },
            "c",
            "m",
            0,
        );
        assert!(plain.iter().all(|s| s.usage.is_none()));
    }
}
