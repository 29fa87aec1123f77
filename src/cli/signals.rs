//! The signals that stop a long-running command (`serve`, `simulator`).

/// SIGTERM, Ctrl-C (SIGINT), SIGHUP (the terminal or the session went away) and SIGQUIT,
/// listened for from the moment this is called: a signal that arrives before the first
/// `recv` is kept, not handled by the default action — which would end the process at once,
/// with a write in flight and no `outcome_unknown` line for it. Each ends the server the
/// same way, after the shutdown grace.
pub struct Signals {
    #[cfg(unix)]
    term: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    int: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    hup: Option<tokio::signal::unix::Signal>,
    #[cfg(unix)]
    quit: Option<tokio::signal::unix::Signal>,
}

impl Signals {
    /// Starts listening.
    pub fn listen() -> Self {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{SignalKind, signal};
            Self {
                term: signal(SignalKind::terminate()).ok(),
                int: signal(SignalKind::interrupt()).ok(),
                hup: signal(SignalKind::hangup()).ok(),
                quit: signal(SignalKind::quit()).ok(),
            }
        }
        #[cfg(not(unix))]
        {
            Self {}
        }
    }

    /// Waits for the first of them.
    pub async fn recv(mut self) {
        #[cfg(unix)]
        {
            async fn next(s: &mut Option<tokio::signal::unix::Signal>) {
                match s {
                    Some(s) => {
                        s.recv().await;
                    }
                    None => std::future::pending().await,
                }
            }
            tokio::select! {
                () = next(&mut self.term) => {}
                () = next(&mut self.int) => {}
                () = next(&mut self.hup) => {}
                () = next(&mut self.quit) => {}
            }
        }
        #[cfg(not(unix))]
        {
            let _ = tokio::signal::ctrl_c().await;
        }
    }
}
