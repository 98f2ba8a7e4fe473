//! The LLM gateway demo: an OpenAI-compatible gateway in front of three simulated providers,
//! instrumented with obs. See `obs_examples::gateway` and `gateway --help`.
//!
//! ```text
//! cargo run -p obs-examples --bin gateway -- --requests 200
//! ```

fn main() -> std::process::ExitCode {
    obs_examples::gateway::main()
}
