// `error_kind` needs an error type implementing `ErrorKind` (derivable for enums).
use obs_runtime::observed;

#[derive(Debug)]
enum AppError {
    NotFound,
}

#[observed(error_kind)]
fn find(key: &str) -> Result<u32, AppError> {
    if key.is_empty() {
        return Err(AppError::NotFound);
    }
    Ok(1)
}

fn main() {
    let _ = find("k");
}
