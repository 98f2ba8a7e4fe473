use obs_runtime::audited;

#[derive(Debug)]
struct LoginError;

impl From<obs_runtime::audit::AuditError> for LoginError {
    fn from(_: obs_runtime::audit::AuditError) -> Self {
        LoginError
    }
}

struct Login {
    user: String,
    api_key: String,
}

// A parameter whose name looks like a secret.
#[audited(action = "auth.login", fields(user, password))]
fn by_password(user: &str, password: &str) -> Result<(), LoginError> {
    let _ = (user, password);
    Ok(())
}

// A value whose expression names a secret, under another name.
#[audited(action = "auth.login", fields(user = req.user, key = req.api_key))]
fn by_key(req: &Login) -> Result<(), LoginError> {
    let _ = req;
    Ok(())
}

// A field whose name looks like a secret.
#[audited(action = "auth.login", fields(auth_token = header))]
fn by_header(header: &str) -> Result<(), LoginError> {
    let _ = header;
    Ok(())
}

fn main() {}
