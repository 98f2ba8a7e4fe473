//! Every span and event option of `#[observed]`: `name`, `level`, `target`, `fields(...)`,
//! `record(...)`, `ret` / `err` with their formats, `span = false`, `metrics = false`, and
//! `crate = "..."` with the ordinary path. A minimal subscriber shows what each produced.

#![deny(warnings)]

use std::fmt::{self, Debug};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use obs_runtime::observed;
use obs_runtime::observed::CallSite;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::{Event, Metadata, Subscriber};

/// `[ok, error, panic, cancelled]` of the observed function `function` of this crate, or `None`
/// if it has no call site.
fn outcomes(function: &str) -> Option<[u64; 4]> {
    CallSite::find(module_path!(), function)
        .map(|s| s.snapshot().outcomes)
}

/// One line per new span (`span <level> <target> <name> {fields}`), recorded field
/// (`record {fields}`) and event (`event <level> {fields}`).
#[derive(Clone, Default)]
struct Lines(Arc<Mutex<Vec<String>>>);

#[derive(Default)]
struct Fields(Vec<String>);

impl Visit for Fields {
    fn record_debug(&mut self, field: &Field, value: &dyn Debug) {
        self.0.push(format!("{}={value:?}", field.name()));
    }
}

struct Collect {
    lines: Lines,
    next_id: AtomicU64,
}

impl Subscriber for Collect {
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut fields = Fields::default();
        span.record(&mut fields);
        let meta = span.metadata();
        self.lines.0.lock().unwrap().push(format!(
            "span {} {} {} {{{}}}",
            meta.level(),
            meta.target(),
            meta.name(),
            fields.0.join(" ")
        ));
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut fields = Fields::default();
        values.record(&mut fields);
        let line = format!("record {{{}}}", fields.0.join(" "));
        self.lines.0.lock().unwrap().push(line);
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut fields = Fields::default();
        event.record(&mut fields);
        let line = format!(
            "event {} {{{}}}",
            event.metadata().level(),
            fields.0.join(" ")
        );
        self.lines.0.lock().unwrap().push(line);
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// What the spans and events of `f` looked like.
fn lines_of(f: impl FnOnce()) -> Vec<String> {
    let lines = Lines::default();
    let subscriber = Collect {
        lines: lines.clone(),
        next_id: AtomicU64::new(0),
    };
    tracing::subscriber::with_default(subscriber, f);
    let seen = lines.0.lock().unwrap().clone();
    seen
}

/// A request with fields to record.
#[derive(Debug)]
pub struct Request {
    model: String,
    prompt: String,
}

/// An error, `Display` and `Debug` differently.
#[derive(Debug)]
pub struct Failed(u8);

impl fmt::Display for Failed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "failed with {}", self.0)
    }
}

#[observed(name = "custom_name", level = "debug", target = "my_target")]
fn named() -> u8 {
    1
}

#[observed(level = "TRACE")]
fn upper_case_level() {}

#[observed(fields(model = %req.model, prompt_len = req.prompt.len(), first = ?req.prompt.chars().next()))]
fn with_fields(req: &Request, api_key: &str) -> usize {
    req.model.len() + api_key.len()
}

#[observed(record(model, n))]
fn recorded(model: &str, n: u32, secret: &str) -> usize {
    model.len() + n as usize + secret.len()
}

#[observed(ret, err)]
fn ret_and_err(fail: bool) -> Result<u8, Failed> {
    if fail { Err(Failed(2)) } else { Ok(7) }
}

#[observed(ret, err(Debug))]
fn ret_err_debug(fail: bool) -> Result<String, Failed> {
    if fail {
        Err(Failed(3))
    } else {
        Ok("fine".into())
    }
}

#[observed(ret(Display), level = "warn")]
fn ret_display(x: u8) -> u8 {
    x + 1
}

#[observed(span = false)]
fn no_span() -> u8 {
    2
}

#[observed(metrics = false, name = "only_a_span")]
fn no_metrics() -> u8 {
    3
}

#[observed(crate = "obs_runtime", error_kind, span = false)]
fn explicit_crate() -> std::io::Result<()> {
    Ok(())
}

fn main() {
    let request = Request {
        model: "gpt-4o".into(),
        prompt: "hello".into(),
    };
    let lines = lines_of(|| {
        assert_eq!(named(), 1);
        upper_case_level();
        assert_eq!(with_fields(&request, "sk-secret"), 15);
        assert_eq!(recorded("m", 2, "sk-other"), 11);
        assert_eq!(ret_and_err(false).unwrap(), 7);
        assert_eq!(ret_and_err(true).unwrap_err().0, 2);
        assert_eq!(ret_err_debug(false).unwrap(), "fine");
        assert_eq!(ret_err_debug(true).unwrap_err().0, 3);
        assert_eq!(ret_display(1), 2);
        assert_eq!(no_span(), 2);
        assert_eq!(no_metrics(), 3);
        explicit_crate().unwrap();
    });
    let text = lines.join("\n");
    let has = |line: &str| {
        assert!(lines.iter().any(|l| l == line), "no `{line}` in:\n{text}");
    };

    let module = module_path!();
    has("span DEBUG my_target custom_name {}");
    has(&format!(
        "span TRACE {module} {module}::upper_case_level {{}}"
    ));
    has(&format!(
        "span INFO {module} {module}::with_fields {{model=gpt-4o prompt_len=5 first=Some('h')}}"
    ));
    has(&format!(
        "span INFO {module} {module}::recorded {{model=\"m\" n=2}}"
    ));
    // Arguments are recorded only when named.
    assert!(!text.contains("sk-"), "{text}");
    assert!(!text.contains("hello"), "{text}");

    // With `err` too, `ret` records the `Ok` value only.
    has("event INFO {return=7}");
    assert!(!text.contains("return=Err"), "{text}");
    has("event ERROR {error=failed with 2}");
    has("record {error=failed with 2}");
    has("record {otel.status_code=\"ERROR\"}");
    has("event INFO {return=\"fine\"}");
    has("event ERROR {error=Failed(3)}");
    has("event WARN {return=2}");
    assert!(!text.contains("no_span"), "{text}");
    has(&format!("span INFO {module} only_a_span {{}}"));

    assert_eq!(outcomes("named"), Some([1, 0, 0, 0]));
    assert_eq!(outcomes("ret_and_err"), Some([1, 1, 0, 0]));
    assert_eq!(outcomes("no_span"), Some([1, 0, 0, 0]));
    assert_eq!(outcomes("no_metrics"), None);
    assert_eq!(outcomes("explicit_crate"), Some([1, 0, 0, 0]));
}
