//! The one way export threads start: a named thread with a current-thread tokio runtime of its
//! own (so export never runs on, or needs, the application's runtime), set up inside that runtime
//! (gRPC channels need one), with the set-up error returned to the caller.

use std::sync::mpsc;
use std::thread::JoinHandle;

/// Spawns `name`: runs `setup` inside the thread's runtime and, if it succeeds, hands the
/// runtime and its result to `run` for the rest of the thread's life.
pub(crate) fn spawn<T, E>(
    name: &str,
    setup: impl FnOnce() -> Result<T, E> + Send + 'static,
    run: impl FnOnce(tokio::runtime::Runtime, T) + Send + 'static,
) -> Result<JoinHandle<()>, E>
where
    E: From<std::io::Error> + Send + 'static,
{
    let (ready_tx, ready_rx) = mpsc::channel::<Result<(), E>>();
    let handle = std::thread::Builder::new()
        .name(name.to_owned())
        .spawn(move || {
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(rt) => rt,
                Err(e) => {
                    let _ = ready_tx.send(Err(e.into()));
                    return;
                }
            };
            let state = {
                let _context = runtime.enter();
                match setup() {
                    Ok(state) => state,
                    Err(e) => {
                        let _ = ready_tx.send(Err(e));
                        return;
                    }
                }
            };
            let _ = ready_tx.send(Ok(()));
            run(runtime, state);
        })?;
    match ready_rx.recv() {
        Ok(Ok(())) => Ok(handle),
        Ok(Err(e)) => Err(e),
        Err(_) => Err(std::io::Error::other(format!("{name} ended while starting")).into()),
    }
}
