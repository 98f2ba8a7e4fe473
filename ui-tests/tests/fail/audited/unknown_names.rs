use obs_runtime::audited;

#[derive(Debug)]
struct ConfigError;

impl From<obs_runtime::audit::AuditError> for ConfigError {
    fn from(_: obs_runtime::audit::AuditError) -> Self {
        ConfigError
    }
}

struct Ctx {
    user: String,
}

#[audited(action = "config.update", actor = cx.user)]
fn actor(ctx: &Ctx) -> Result<(), ConfigError> {
    let _ = &ctx.user;
    Ok(())
}

#[audited(action = "config.update", resource(type = "config_key", id = name))]
fn resource(key: &str) -> Result<(), ConfigError> {
    let _ = key;
    Ok(())
}

#[audited(action = "config.update", fields(kye, model))]
fn fields(key: &str, model: &str) -> Result<(), ConfigError> {
    let _ = (key, model);
    Ok(())
}

#[audited(action = "config.update", redact(valeu))]
fn redact(value: &str) -> Result<(), ConfigError> {
    let _ = value;
    Ok(())
}

#[audited(action = "config.update", hash(apikey))]
fn hash(api_key: &str) -> Result<(), ConfigError> {
    let _ = api_key;
    Ok(())
}

fn main() {}
