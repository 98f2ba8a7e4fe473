//! The provider hop: real HTTP calls from the gateway to the simulated providers (hyper's client),
//! each carrying the W3C trace context of the `#[llm_call]` span it is made in (obs'
//! [`inject_request`]), so the provider's server span is that span's child.
//!
//! One `#[llm_call]` function per provider and shape (the provider is a literal of the
//! attribute): usage is read from the JSON response, or from every chunk of a stream, through
//! obs' [`OpenAiJson`](obs_runtime::llm::OpenAiJson).

use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use futures_util::Stream;
use http::{Request, StatusCode, header};
use http_body_util::{BodyExt, Full};
use hyper::body::Incoming;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector;
use hyper_util::rt::TokioExecutor;
use obs_runtime::export::inject_request;
use obs_runtime::llm::OpenAiJson;
use obs_runtime::{ErrorKind, llm_call};
use serde_json::Value;

use super::catalog::Provider;
use super::sse::{Decoder, Event};

/// The HTTP client (hyper's pooled client over plain TCP).
pub(crate) type HttpClient = Client<HttpConnector, Full<Bytes>>;

/// A new client.
pub(crate) fn http_client() -> HttpClient {
    Client::builder(TokioExecutor::new()).build_http()
}

/// How a provider call failed (its `error.type`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ErrorKind)]
pub(crate) enum UpstreamError {
    /// `429`.
    RateLimited,
    /// A `5xx`.
    ServerError,
    /// No connection, or it broke.
    Unreachable,
    /// An answer that is not what the API promises.
    BadResponse,
}

impl UpstreamError {
    /// Whether another try may succeed.
    pub(crate) fn retryable(self) -> bool {
        !matches!(self, UpstreamError::BadResponse)
    }

    /// Whether it counts against the provider's circuit breaker (a rate limit does not: the
    /// provider is up, only busy).
    pub(crate) fn trips_breaker(self) -> bool {
        matches!(
            self,
            UpstreamError::ServerError | UpstreamError::Unreachable
        )
    }
}

impl std::fmt::Display for UpstreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            UpstreamError::RateLimited => "the provider is rate limiting",
            UpstreamError::ServerError => "the provider failed",
            UpstreamError::Unreachable => "the provider cannot be reached",
            UpstreamError::BadResponse => "the provider answered something unexpected",
        })
    }
}

impl std::error::Error for UpstreamError {}

/// What one provider call sends.
#[derive(Debug, Clone)]
pub(crate) struct Call {
    /// The provider's model id.
    pub(crate) model: &'static str,
    /// The request body.
    pub(crate) body: Bytes,
    /// `gen_ai.request.temperature`.
    pub(crate) temperature: Option<f64>,
    /// `gen_ai.request.max_tokens`.
    pub(crate) max_tokens: Option<u32>,
}

/// A provider's stream of chunks.
pub(crate) type ChunkStream = Pin<Box<dyn Stream<Item = Result<Value, UpstreamError>> + Send>>;

/// Where the providers listen, and the client that calls them.
#[derive(Debug, Clone)]
pub(crate) struct Upstream {
    client: HttpClient,
    addrs: [SocketAddr; 3],
}

impl Upstream {
    /// Calls the providers at `addrs` (in [`Provider::ALL`] order).
    pub(crate) fn new(client: HttpClient, addrs: [SocketAddr; 3]) -> Self {
        Self { client, addrs }
    }

    /// Where `provider` listens.
    pub(crate) fn addr(&self, provider: Provider) -> SocketAddr {
        self.addrs[provider as usize]
    }

    /// `path` at `provider`, with the current span's trace context.
    fn request(
        &self,
        provider: Provider,
        method: http::Method,
        path: &str,
        body: Bytes,
    ) -> Request<Full<Bytes>> {
        let uri = format!(
            "http://{}/{}/v1{path}",
            self.addr(provider),
            provider.slug()
        );
        let mut request = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Full::new(body))
            .unwrap_or_else(|_| Request::new(Full::new(Bytes::new())));
        inject_request(&mut request);
        request
    }

    /// Sends `body` to `path` at `provider`; the response when it is a `200`.
    async fn send(
        &self,
        provider: Provider,
        method: http::Method,
        path: &str,
        body: Bytes,
    ) -> Result<http::Response<Incoming>, UpstreamError> {
        let request = self.request(provider, method, path, body);
        let response = self
            .client
            .request(request)
            .await
            .map_err(|_| UpstreamError::Unreachable)?;
        match response.status() {
            StatusCode::OK => Ok(response),
            StatusCode::TOO_MANY_REQUESTS => Err(UpstreamError::RateLimited),
            s if s.is_server_error() => Err(UpstreamError::ServerError),
            _ => Err(UpstreamError::BadResponse),
        }
    }

    /// A whole (non-streamed) completion.
    async fn complete(&self, provider: Provider, body: Bytes) -> Result<Value, UpstreamError> {
        let response = self
            .send(provider, http::Method::POST, "/chat/completions", body)
            .await?;
        json_of(response).await
    }

    /// A streamed completion: each chunk's JSON, ending at `[DONE]` (an `Err` item when the call
    /// fails, before or during the stream).
    fn chunks(
        self: Arc<Self>,
        provider: Provider,
        body: Bytes,
    ) -> impl Stream<Item = Result<Value, UpstreamError>> + Send + 'static {
        enum State {
            Start(Arc<Upstream>, Provider, Bytes),
            Reading(Incoming, Decoder),
            Done,
        }
        futures_util::stream::unfold(State::Start(self, provider, body), |state| async move {
            let (mut body, mut decoder) = match state {
                State::Done => return None,
                State::Start(upstream, provider, request) => {
                    let sent =
                        upstream.send(provider, http::Method::POST, "/chat/completions", request);
                    match sent.await {
                        Ok(response) => (response.into_body(), Decoder::default()),
                        Err(e) => return Some((Err(e), State::Done)),
                    }
                }
                State::Reading(body, decoder) => (body, decoder),
            };
            loop {
                match decoder.next_event() {
                    Some(Event::Chunk(chunk)) => {
                        return Some((Ok(chunk), State::Reading(body, decoder)));
                    }
                    Some(Event::Done) => return None,
                    Some(Event::Malformed(_)) => {
                        return Some((Err(UpstreamError::BadResponse), State::Done));
                    }
                    None => {}
                }
                match body.frame().await {
                    Some(Ok(frame)) => {
                        if let Some(data) = frame.data_ref() {
                            decoder.push(data);
                        }
                    }
                    Some(Err(_)) => return Some((Err(UpstreamError::Unreachable), State::Done)),
                    // The body ended without `[DONE]`: cut short.
                    None => return Some((Err(UpstreamError::Unreachable), State::Done)),
                }
            }
        })
    }

    /// `GET /v1/models` at `provider`: how many models it lists (the health check's probe).
    pub(crate) async fn probe(&self, provider: Provider) -> Result<usize, UpstreamError> {
        let response = self
            .send(provider, http::Method::GET, "/models", Bytes::new())
            .await?;
        let list = json_of(response).await?;
        list["data"]
            .as_array()
            .map(Vec::len)
            .ok_or(UpstreamError::BadResponse)
    }

    /// Calls `provider` for a whole completion, as an `#[llm_call]`.
    pub(crate) async fn call(
        &self,
        provider: Provider,
        call: &Call,
    ) -> Result<Value, UpstreamError> {
        let port = self.addr(provider).port();
        match provider {
            Provider::OpenAi => openai(self, call, port).await,
            Provider::Anthropic => anthropic(self, call, port).await,
            Provider::Gemini => gemini(self, call, port).await,
        }
    }

    /// Calls `provider` for a streamed completion, as an `#[llm_call]` over the stream.
    pub(crate) fn call_stream(self: &Arc<Self>, provider: Provider, call: Call) -> ChunkStream {
        let port = self.addr(provider).port();
        let upstream = Arc::clone(self);
        match provider {
            Provider::OpenAi => Box::pin(openai_stream(upstream, call, port)),
            Provider::Anthropic => Box::pin(anthropic_stream(upstream, call, port)),
            Provider::Gemini => Box::pin(gemini_stream(upstream, call, port)),
        }
    }
}

/// The JSON body of `response`.
async fn json_of(response: http::Response<Incoming>) -> Result<Value, UpstreamError> {
    let bytes = response
        .into_body()
        .collect()
        .await
        .map_err(|_| UpstreamError::Unreachable)?
        .to_bytes();
    serde_json::from_slice(&bytes).map_err(|_| UpstreamError::BadResponse)
}

// Two functions per provider, unary and streamed: `provider` is a literal of the attribute.
// `$name:tt`, not `:literal`: a `literal` fragment reaches the attribute wrapped in an invisible
// group, which it does not take for a string literal.
macro_rules! provider_calls {
    ($provider:ident, $name:tt, $unary:ident, $stream:ident) => {
        #[llm_call(provider = $name, model = call.model, usage = OpenAiJson, error_kind,
                                    temperature = call.temperature, max_tokens = call.max_tokens,
                                    server_address = "127.0.0.1", server_port = port)]
        async fn $unary(
            upstream: &Upstream,
            call: &Call,
            port: u16,
        ) -> Result<Value, UpstreamError> {
            upstream
                .complete(Provider::$provider, call.body.clone())
                .await
        }

        #[llm_call(provider = $name, model = call.model, usage = OpenAiJson, error_kind, stream,
                                    temperature = call.temperature, max_tokens = call.max_tokens,
                                    server_address = "127.0.0.1", server_port = port)]
        fn $stream(
            upstream: Arc<Upstream>,
            call: Call,
            port: u16,
        ) -> impl Stream<Item = Result<Value, UpstreamError>> + Send + 'static {
            upstream.chunks(Provider::$provider, call.body)
        }
    };
}

provider_calls!(OpenAi, "openai", openai, openai_stream);
provider_calls!(Anthropic, "anthropic", anthropic, anthropic_stream);
provider_calls!(Gemini, "gcp.gemini", gemini, gemini_stream);
