//! Configuration for `obs_runtime::init`: TOML and YAML files, the standard OpenTelemetry
//! environment variables overriding them, and typed errors that name the field.

use std::collections::HashMap;

use obs_runtime::init::{Config, ConfigError};

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
        Err(ConfigError::Invalid { field, .. }) => field,
        other => panic!("expected an invalid field, got {other:?}"),
    }
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
        Err(ConfigError::Io { path, .. }) => assert!(path.ends_with("missing.toml")),
        other => panic!("{other:?}"),
    }
    std::fs::write(dir.join("bad.toml"), "[metrics]\nlisten_on = \"x\"\n").unwrap();
    match Config::from_file(dir.join("bad.toml")) {
        Err(ConfigError::Parse { origin, message }) => {
            assert!(origin.ends_with("bad.toml"));
            assert!(message.contains("listen_on"), "{message}");
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
            Err(ConfigError::Parse { message, .. }) => assert!(message.contains(key), "{message}"),
            other => panic!("{other:?}"),
        }
    }
    match Config::from_yaml("logs:\n  levle: info\n") {
        Err(ConfigError::Parse { message, .. }) => assert!(message.contains("levle"), "{message}"),
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
