//! A batching span processor that never blocks the instrumented code and never loses a span
//! silently: ended spans go into a bounded queue (`try_send`; when it is full the span is dropped
//! and counted), and a worker thread with its own small tokio runtime exports them in batches.
//! A failed or timed-out export is counted and the next batch tries again, so export recovers by
//! itself when the collector comes back.

use std::sync::Mutex;
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use opentelemetry::Context;
use opentelemetry_sdk::error::{OTelSdkError, OTelSdkResult};
use opentelemetry_sdk::trace::{Span, SpanData, SpanExporter, SpanProcessor};

use super::stats::{DropReason, Signal, count_dropped, count_sent};

/// How batches are formed and exported.
#[derive(Debug, Clone, Copy)]
pub struct BatchOptions {
    /// Spans held at most while waiting for export; more are dropped (and counted).
    pub max_queue: usize,
    /// Spans per export request at most.
    pub max_batch: usize,
    /// Longest a span waits before its batch is sent.
    pub delay: Duration,
    /// Longest one export request may take.
    pub export_timeout: Duration,
}

impl Default for BatchOptions {
    fn default() -> Self {
        Self {
            max_queue: 2048,
            max_batch: 512,
            delay: Duration::from_millis(500),
            export_timeout: Duration::from_secs(5),
        }
    }
}

impl BatchOptions {
    /// Refuses options that would drop or stall every span: an empty queue or batch, no delay
    /// (the worker would spin), no time to export.
    pub fn validate(&self) -> Result<(), super::ExportError> {
        let invalid = |option, reason| Err(super::ExportError::InvalidOption { option, reason });
        if self.max_queue == 0 {
            return invalid("max_queue", "a queue of 0 spans drops every span");
        }
        if self.max_batch == 0 {
            return invalid("max_batch", "a batch must hold at least one span");
        }
        if self.delay.is_zero() {
            return invalid("delay", "must be longer than zero");
        }
        if self.export_timeout.is_zero() {
            return invalid("export_timeout", "a request given no time always fails");
        }
        Ok(())
    }
}

enum Control {
    /// Export everything queued, then answer.
    Flush(mpsc::Sender<()>),
    /// Export what can be exported before the deadline, count the rest, stop, and answer with
    /// how many spans were not delivered.
    Shutdown(Instant, mpsc::Sender<u64>),
}

/// The processor; see the module docs.
pub struct BatchProcessor {
    queue: SyncSender<SpanData>,
    control: mpsc::Sender<Control>,
    worker: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for BatchProcessor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BatchProcessor")
    }
}

impl BatchProcessor {
    /// Starts the worker thread, which builds the exporter with `build` (inside its runtime, as
    /// gRPC channels need) before taking spans. Returns the build error, if any.
    pub fn start<E, B, Err>(build: B, options: BatchOptions) -> Result<Self, Err>
    where
        E: SpanExporter + 'static,
        B: FnOnce() -> Result<E, Err> + Send + 'static,
        Err: Send + 'static + From<std::io::Error>,
    {
        let (queue, spans) = mpsc::sync_channel(options.max_queue);
        let (control, commands) = mpsc::channel();
        let worker = super::worker::spawn("obs-otlp-traces", build, move |runtime, exporter| {
            Worker {
                runtime,
                exporter,
                spans,
                commands,
                options,
            }
            .run();
        })?;
        Ok(Self {
            queue,
            control,
            worker: Mutex::new(Some(worker)),
        })
    }

    fn ask<T>(
        &self,
        command: impl FnOnce(mpsc::Sender<T>) -> Control,
        wait: Duration,
    ) -> Option<T> {
        let (tx, rx) = mpsc::channel();
        self.control.send(command(tx)).ok()?;
        rx.recv_timeout(wait).ok()
    }
}

/// Turns the list attributes `#[llm_call]` records as JSON text back into string arrays.
#[cfg(feature = "llm")]
fn restore_lists(attributes: &mut [opentelemetry::KeyValue]) {
    use opentelemetry::{Array, StringValue, Value};
    for kv in attributes {
        if !crate::llm::LIST_ATTRIBUTES.contains(&kv.key.as_str()) {
            continue;
        }
        if let Value::String(text) = &kv.value
            && let Ok(list) = serde_json::from_str::<Vec<String>>(text.as_str())
        {
            kv.value = Value::Array(Array::String(
                list.into_iter().map(StringValue::from).collect(),
            ));
        }
    }
}

impl SpanProcessor for BatchProcessor {
    fn on_start(&self, _: &mut Span, _: &Context) {}

    fn on_end(&self, #[allow(unused_mut)] mut span: SpanData) {
        if !span.span_context.is_sampled() {
            return;
        }
        #[cfg(feature = "llm")]
        restore_lists(&mut span.attributes);
        match self.queue.try_send(span) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => count_dropped(Signal::Traces, DropReason::QueueFull, 1),
            Err(TrySendError::Disconnected(_)) => {
                count_dropped(Signal::Traces, DropReason::Shutdown, 1)
            }
        }
    }

    fn force_flush(&self) -> OTelSdkResult {
        self.ask(Control::Flush, Duration::from_secs(30))
            .ok_or_else(|| OTelSdkError::InternalFailure("flush did not finish".into()))
    }

    fn shutdown_with_timeout(&self, timeout: Duration) -> OTelSdkResult {
        let deadline = Instant::now() + timeout;
        let undelivered = self.ask(
            |tx| Control::Shutdown(deadline, tx),
            timeout + Duration::from_secs(1),
        );
        if let Some(worker) = self.worker.lock().unwrap_or_else(|p| p.into_inner()).take() {
            let _ = worker.join();
        }
        match undelivered {
            Some(0) => Ok(()),
            Some(n) => Err(OTelSdkError::InternalFailure(format!(
                "{n} spans were not delivered"
            ))),
            None => Err(OTelSdkError::AlreadyShutdown),
        }
    }
}

struct Worker<E> {
    runtime: tokio::runtime::Runtime,
    exporter: E,
    spans: Receiver<SpanData>,
    commands: mpsc::Receiver<Control>,
    options: BatchOptions,
}

impl<E: SpanExporter> Worker<E> {
    fn run(mut self) {
        let tick = Duration::from_millis(20).min(self.options.delay);
        let mut batch = Vec::with_capacity(self.options.max_batch);
        let mut oldest: Option<Instant> = None;
        loop {
            match self.spans.recv_timeout(tick) {
                Ok(span) => {
                    oldest.get_or_insert_with(Instant::now);
                    batch.push(span);
                }
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => {
                    self.export(&mut batch);
                    return;
                }
            }
            if let Ok(command) = self.commands.try_recv() {
                match command {
                    Control::Flush(done) => {
                        self.drain(&mut batch, None);
                        let _ = done.send(());
                    }
                    Control::Shutdown(deadline, done) => {
                        let undelivered = self.drain(&mut batch, Some(deadline));
                        let _ = self.exporter.shutdown();
                        let _ = done.send(undelivered);
                        return;
                    }
                }
                oldest = None;
            }
            let due = oldest.is_some_and(|t| t.elapsed() >= self.options.delay);
            if batch.len() >= self.options.max_batch || due {
                self.export(&mut batch);
                oldest = None;
            }
        }
    }

    /// Exports everything queued; with a deadline, what is left when it passes is dropped and
    /// counted. Returns how many spans were not delivered.
    fn drain(&mut self, batch: &mut Vec<SpanData>, deadline: Option<Instant>) -> u64 {
        let mut undelivered = 0;
        loop {
            while batch.len() < self.options.max_batch {
                match self.spans.try_recv() {
                    Ok(span) => batch.push(span),
                    Err(_) => break,
                }
            }
            if batch.is_empty() {
                return undelivered;
            }
            if deadline.is_some_and(|d| Instant::now() >= d) {
                let left = batch.len() as u64 + self.spans.try_iter().count() as u64;
                batch.clear();
                count_dropped(Signal::Traces, DropReason::Shutdown, left);
                return undelivered + left;
            }
            undelivered += self.export(batch);
        }
    }

    /// Exports `batch` (emptying it); returns how many spans failed.
    fn export(&mut self, batch: &mut Vec<SpanData>) -> u64 {
        if batch.is_empty() {
            return 0;
        }
        let spans = std::mem::take(batch);
        let n = spans.len() as u64;
        let timeout = self.options.export_timeout;
        let result = self
            .runtime
            .block_on(async { tokio::time::timeout(timeout, self.exporter.export(spans)).await });
        match result {
            Ok(Ok(())) => {
                count_sent(Signal::Traces, n);
                0
            }
            _ => {
                count_dropped(Signal::Traces, DropReason::ExportFailed, n);
                n
            }
        }
    }
}
