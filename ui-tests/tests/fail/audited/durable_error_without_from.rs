use obs_runtime::audited;

#[derive(Debug)]
enum ConfigError {
    NotFound,
}

// The error type has no `From<AuditError>`.
#[audited(action = "config.update")]
fn update(key: &str) -> Result<(), ConfigError> {
    if key.is_empty() {
        return Err(ConfigError::NotFound);
    }
    Ok(())
}

fn main() {}
