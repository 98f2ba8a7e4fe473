//! The process-wide audit log that `#[audited]` writes to.

use std::sync::OnceLock;

use super::error::AuditError;
use super::log::AuditLog;

static GLOBAL: OnceLock<AuditLog> = OnceLock::new();

/// Makes `log` the process-wide audit log (once; a second call is
/// [`AuditError::AlreadyInstalled`]). Call [`AuditLog::shutdown`] on a clone (or
/// [`AuditLog::flush`]) before the process exits: buffered events not yet synced are otherwise
/// lost with the process.
pub fn install(log: AuditLog) -> Result<(), AuditError> {
    GLOBAL.set(log).map_err(|_| AuditError::AlreadyInstalled)
}

/// The process-wide audit log, once [`install`]ed.
pub fn global() -> Option<&'static AuditLog> {
    GLOBAL.get()
}
