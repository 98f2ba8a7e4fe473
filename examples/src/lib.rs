//! Runnable programs using obs: the LLM gateway demo ([`gateway`]).

pub mod gateway;
