//! Configuration for `obs_runtime::init`: TOML and YAML files, the standard OpenTelemetry
//! environment variables overriding them, typed errors that name the field and keep their cause,
//! and no setting accepted that would then do nothing.

use std::collections::HashMap;
use std::error::Error as _;

use obs_runtime::export::{Endpoint, EndpointError};
use obs_runtime::health::HealthStatus;
use obs_runtime::init::{Config, ConfigError, collector_reachable};

const TOML: &str = r#"
[service]
name = "llm-gateway"
version = "1.4.0"
environment = "staging"

[metrics]
listen = "127.0.0.1:9464"
push_interval_secs = 5

[otlp]
endpoint = "http://collector:4317"
protocol = "grpc"
sample_ratio = 0.25

[logs]
level = "warn,llm_gateway=debug"
redact = ["ssn"]
"#;

const YAML: &str = r#"
service:
  name: llm-gateway
  version: "1.4.0"
  environment: staging
metrics:
  listen: "127.0.0.1:9464"
  push_interval_secs: 5
otlp:
  endpoint: "http://collector:4317"
  protocol: grpc
  sample_ratio: 0.25
logs:
  level: "warn,llm_gateway=debug"
  redact: [ssn]
"#;

fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

fn invalid_field(result: Result<Config, ConfigError>) -> String {
    match result.and_then(|c| c.validate().map(|()| c)) {
        Err(e) => e
            .field()
            .unwrap_or_else(|| panic!("expected an invalid field, got {e:?}"))
            .to_owned(),
        Ok(config) => panic!("expected an invalid field, got {config:?}"),
    }
}

fn with_endpoint(endpoint: &str) -> Result<Config, ConfigError> {
    Config::from_toml(&TOML.replace("http://collector:4317", endpoint))
}

#[test]
fn toml_and_yaml_read_the_same_configuration() {
    let toml = Config::from_toml(TOML).unwrap();
    let yaml = Config::from_yaml(YAML).unwrap();
    assert_eq!(toml, yaml);
    assert_eq!(toml.service.name, "llm-gateway");
    assert_eq!(toml.otlp.as_ref().unwrap().sample_ratio, 0.25);
    assert_eq!(toml.logs.redact, ["ssn"]);
    toml.validate().unwrap();
}

#[test]
fn files_are_read_by_extension() {
    let dir = std::env::temp_dir().join(format!("obs-config-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("obs.toml"), TOML).unwrap();
    std::fs::write(dir.join("obs.yaml"), YAML).unwrap();
    assert_eq!(
        Config::from_file(dir.join("obs.toml")).unwrap(),
        Config::from_file(dir.join("obs.yaml")).unwrap()
    );
    match Config::from_file(dir.join("missing.toml")) {
        Err(error @ ConfigError::Io { .. }) => {
            let ConfigError::Io { path, .. } = &error else {
                unreachable!()
            };
            assert!(path.ends_with("missing.toml"));
            let io = error.source().expect("the OS error");
            let io = io.downcast_ref::<std::io::Error>().unwrap();
            assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
            assert!(!error.to_string().contains(&io.to_string()), "{error}");
        }
        other => panic!("{other:?}"),
    }
    std::fs::write(dir.join("bad.toml"), "[metrics]\nlisten_on = \"x\"\n").unwrap();
    match Config::from_file(dir.join("bad.toml")) {
        Err(ConfigError::Parse { origin, source }) => {
            assert!(origin.ends_with("bad.toml"));
            assert!(source.to_string().contains("listen_on"), "{source}");
        }
        other => panic!("{other:?}"),
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn unknown_keys_are_refused_by_name() {
    for (text, key) in [
        ("[service]\nnmae = \"x\"\n", "nmae"),
        ("[otlpp]\nendpoint = \"x\"\n", "otlpp"),
    ] {
        match Config::from_toml(text) {
            Err(ConfigError::Parse { source, .. }) => {
                assert!(source.to_string().contains(key), "{source}")
            }
            other => panic!("{other:?}"),
        }
    }
    match Config::from_yaml("logs:\n  levle: info\n") {
        Err(ConfigError::Parse { source, .. }) => {
            assert!(source.to_string().contains("levle"), "{source}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_environment_overrides_the_file() {
    let config = Config::from_toml(TOML)
        .unwrap()
        .with_env_from(env(&[
            ("OTEL_SERVICE_NAME", "gateway-eu"),
            (
                "OTEL_RESOURCE_ATTRIBUTES",
                "service.version=2.0.0, deployment.environment=prod,cloud.region=eu-west-1",
            ),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4318"),
            ("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf"),
            ("OTEL_TRACES_SAMPLER", "parentbased_traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "0.1"),
            ("RUST_LOG", "debug"),
        ]))
        .unwrap();
    config.validate().unwrap();
    assert_eq!(config.service.name, "gateway-eu");
    assert_eq!(config.service.version.as_deref(), Some("2.0.0"));
    assert_eq!(config.service.environment.as_deref(), Some("prod"));
    assert_eq!(
        config.service.resource_attributes["cloud.region"],
        "eu-west-1"
    );
    let otlp = config.otlp.unwrap();
    assert_eq!(otlp.endpoint, "http://otel:4318");
    assert_eq!(otlp.protocol, "http/protobuf");
    assert_eq!(otlp.sample_ratio, 0.1);
    assert_eq!(config.logs.level, "debug");

    // An endpoint from the environment alone turns export on, with the spec's default port.
    let only_protocol = Config::default()
        .with_env_from(env(&[("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc")]))
        .unwrap();
    assert_eq!(
        only_protocol.otlp.unwrap().endpoint,
        "http://localhost:4317"
    );
}

#[test]
fn bad_values_name_their_field() {
    let with = |patch: &str| Config::from_toml(&format!("{TOML}\n{patch}"));
    assert_eq!(
        invalid_field(Config::from_toml(
            &TOML.replace("http://collector:4317", "collector:4317")
        )),
        "otlp.endpoint"
    );
    assert_eq!(
        invalid_field(Config::from_toml(&TOML.replace("0.25", "1.5"))),
        "otlp.sample_ratio"
    );
    assert_eq!(
        invalid_field(Config::from_toml(&TOML.replace("\"grpc\"", "\"udp\""))),
        "otlp.protocol"
    );
    assert_eq!(
        invalid_field(Config::from_toml(
            &TOML.replace("127.0.0.1:9464", "localhost")
        )),
        "metrics.listen"
    );
    assert_eq!(
        invalid_field(Config::from_toml(
            &TOML.replace("push_interval_secs = 5", "push_interval_secs = 0")
        )),
        "metrics.push_interval_secs"
    );
    assert!(with("").is_ok());
    assert_eq!(
        invalid_field(Config::from_toml(TOML).unwrap().with_env_from(env(&[
            ("OTEL_TRACES_SAMPLER", "traceidratio"),
            ("OTEL_TRACES_SAMPLER_ARG", "lots"),
        ]))),
        "OTEL_TRACES_SAMPLER_ARG"
    );
    assert_eq!(
        invalid_field(
            Config::from_toml(TOML)
                .unwrap()
                .with_env_from(env(&[("OTEL_TRACES_SAMPLER", "jaeger_remote")]))
        ),
        "OTEL_TRACES_SAMPLER"
    );
    assert_eq!(
        invalid_field(
            Config::from_toml(TOML)
                .unwrap()
                .with_env_from(env(&[("OTEL_RESOURCE_ATTRIBUTES", "novalue")]))
        ),
        "OTEL_RESOURCE_ATTRIBUTES"
    );
    let error = Config::from_toml(&TOML.replace("0.25", "-1"))
        .unwrap()
        .validate()
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "invalid `otlp.sample_ratio` = \"-1\": must be between 0.0 and 1.0"
    );
}

#[test]
fn an_endpoint_without_a_port_gets_its_schemes_default() {
    let config = with_endpoint("http://collector").unwrap();
    config.validate().unwrap();
    let endpoint: Endpoint = "http://collector".parse().unwrap();
    assert_eq!((endpoint.host(), endpoint.port()), ("collector", 80));
    assert_eq!(endpoint.origin(), "http://collector:80");
    // The scheme's default, not OTLP's 4317: the endpoint is a URL like any other.
    assert_eq!("https://collector".parse::<Endpoint>().unwrap().port(), 443);
    assert_eq!(
        "http://collector:4317".parse::<Endpoint>().unwrap().port(),
        4317
    );
}

#[test]
fn https_endpoints_are_refused_saying_why() {
    for protocol in ["grpc", "http/protobuf"] {
        let config = Config::from_toml(
            &TOML
                .replace("http://collector:4317", "https://collector:4317")
                .replace("\"grpc\"", &format!("\"{protocol}\"")),
        )
        .unwrap();
        let error = config.validate().unwrap_err();
        assert_eq!(error.field(), Some("otlp.endpoint"));
        let cause = error.source().expect("the endpoint error");
        assert!(
            matches!(
                cause.downcast_ref::<EndpointError>(),
                Some(EndpointError::TlsUnsupported)
            ),
            "{cause:?}"
        );
        assert!(cause.to_string().contains("TLS"), "{cause}");
    }
    // From the environment too.
    let error = Config::default()
        .with_env_from(env(&[("OTEL_EXPORTER_OTLP_ENDPOINT", "https://otel:4317")]))
        .unwrap()
        .validate()
        .unwrap_err();
    assert_eq!(error.field(), Some("otlp.endpoint"));
}

#[test]
fn endpoints_that_would_be_misread_are_refused() {
    for endpoint in [
        "collector:4317",
        "http://collector:port",
        "http://collector:70000",
        "http://collector:4317/otlp",
        "http://user@collector:4317",
        "http://collector:4317?x=1",
    ] {
        assert_eq!(
            invalid_field(with_endpoint(endpoint)),
            "otlp.endpoint",
            "{endpoint}"
        );
    }
    // On OTLP/HTTP a path is a base, which /v1/traces and /v1/metrics extend.
    let http = Config::from_toml(
        &TOML
            .replace("http://collector:4317", "http://collector:4318/otlp")
            .replace("\"grpc\"", "\"http/protobuf\""),
    )
    .unwrap();
    http.validate().unwrap();
}

#[test]
fn endpoint_errors_keep_their_cause() {
    let error = with_endpoint("http://coll ector")
        .unwrap()
        .validate()
        .unwrap_err();
    let endpoint = error.source().expect("the endpoint error");
    assert!(endpoint.is::<EndpointError>());
    let uri = endpoint.source().expect("http's own error");
    assert!(uri.is::<http::uri::InvalidUri>());
    // Each level says its own part, not its cause's again.
    assert!(!error.to_string().contains(&endpoint.to_string()));
    assert!(!endpoint.to_string().contains(&uri.to_string()));
}

#[test]
fn settings_that_would_do_nothing_are_refused() {
    let without_otlp = |patch: &str| {
        Config::from_toml(&format!("[service]\nname = \"s\"\n{patch}")).and_then(|c| {
            c.validate()?;
            Ok(c)
        })
    };
    assert!(without_otlp("").is_ok());
    assert_eq!(
        invalid_field(without_otlp("[metrics]\npush_interval_secs = 5\n")),
        "metrics.push_interval_secs"
    );
    assert_eq!(
        invalid_field(without_otlp(
            "[logs]\nformat = \"none\"\nredact = [\"ssn\"]\n"
        )),
        "logs.redact"
    );
    assert_eq!(
        invalid_field(
            Config::default().with_env_from(env(&[("OTEL_TRACES_SAMPLER", "always_off")]))
        ),
        "OTEL_TRACES_SAMPLER"
    );
    assert_eq!(
        invalid_field(
            Config::from_toml(TOML)
                .unwrap()
                .with_env_from(env(&[("OTEL_TRACES_SAMPLER_ARG", "0.5")]))
        ),
        "OTEL_TRACES_SAMPLER_ARG"
    );
    for unsupported in [
        "OTEL_EXPORTER_OTLP_HEADERS",
        "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT",
        "OTEL_EXPORTER_OTLP_COMPRESSION",
        "OTEL_EXPORTER_OTLP_CERTIFICATE",
    ] {
        assert_eq!(
            invalid_field(
                Config::from_toml(TOML)
                    .unwrap()
                    .with_env_from(env(&[(unsupported, "x")]))
            ),
            unsupported
        );
    }
}

#[test]
fn samplers_mean_what_they_say() {
    let sampled = |sampler: &str| {
        let otlp = Config::from_toml(TOML)
            .unwrap()
            .with_env_from(env(&[("OTEL_TRACES_SAMPLER", sampler)]))
            .unwrap()
            .otlp
            .unwrap();
        (otlp.sample_ratio, otlp.parent_based)
    };
    assert_eq!(sampled("always_off"), (0.0, false));
    assert_eq!(sampled("parentbased_always_off"), (0.0, true));
    assert_eq!(sampled("traceidratio"), (1.0, false));
    assert_eq!(sampled("parentbased_always_on"), (1.0, true));

    // The specification's switch turns export off, whatever else is set.
    let off = Config::from_toml(TOML)
        .unwrap()
        .with_env_from(env(&[
            ("OTEL_SDK_DISABLED", "true"),
            ("OTEL_EXPORTER_OTLP_ENDPOINT", "http://otel:4317"),
        ]))
        .unwrap();
    assert!(off.otlp.is_none());
}

#[tokio::test]
async fn the_readiness_check_connects_to_the_parsed_host_and_port() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    for text in [
        format!("http://127.0.0.1:{port}"),
        format!("http://localhost:{port}/"),
        format!("HTTP://127.0.0.1:{port}/otlp/"),
    ] {
        let endpoint: Endpoint = text.parse().unwrap();
        let result = collector_reachable(&endpoint).await;
        assert_eq!(result.status, HealthStatus::Healthy, "{text}: {result:?}");
    }
    drop(listener);
    let closed: Endpoint = format!("http://127.0.0.1:{port}").parse().unwrap();
    let result = collector_reachable(&closed).await;
    assert_eq!(result.status, HealthStatus::Degraded);
    assert!(
        result
            .message
            .unwrap()
            .contains(&format!("127.0.0.1:{port}")),
        "names what it tried"
    );
}
