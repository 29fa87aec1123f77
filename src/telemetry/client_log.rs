//! The server's warnings, told to MCP clients: the `logging` capability. A client that sends
//! `logging/setLevel` receives `notifications/message` at that level and above — first the
//! notices of start-up (configuration warnings, a configuration error, a journal that cannot
//! be opened), then each new one while its session lasts.
//!
//! Only notices go to clients: events logged with the target [`NOTICE_TARGET`], which say
//! something about the server as a whole and carry nothing of any one caller (no order ids,
//! keys or principals) — on a team server every session receives them. Everything else stays
//! in the server's own log on stderr, where notices are written too.
//!
//! MCP marks this capability deprecated in favour of OpenTelemetry (see [`super::traces`]);
//! clients still show these messages, so the server offers both.
#![allow(deprecated)]

use std::{
    collections::HashMap,
    sync::{Mutex, OnceLock},
    time::Duration,
};

use rmcp::{
    Peer, RoleServer,
    model::{LoggingLevel, LoggingMessageNotificationParam},
};
use tokio::sync::{broadcast, watch};

/// The `tracing` target of a notice: logged on stderr like any event, and told to clients.
pub const NOTICE_TARGET: &str = "klarna_mcp::notice";

/// The logger name clients see.
const LOGGER: &str = "klarna-mcp";

/// Start-up notices kept for sessions that ask later, at most.
const MAX_STANDING: usize = 50;

/// How often an idle forwarder checks that its session is still there.
const SESSION_CHECK: Duration = Duration::from_secs(30);

/// One notice: its level and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    /// `tracing`'s level, mapped to MCP's when sent.
    pub level: tracing::Level,
    /// The text, as logged.
    pub message: String,
}

impl Notice {
    fn rank(&self) -> u8 {
        match self.level {
            tracing::Level::ERROR => rank(LoggingLevel::Error),
            tracing::Level::WARN => rank(LoggingLevel::Warning),
            tracing::Level::INFO => rank(LoggingLevel::Info),
            _ => rank(LoggingLevel::Debug),
        }
    }

    fn param(&self) -> LoggingMessageNotificationParam {
        let level = match self.level {
            tracing::Level::ERROR => LoggingLevel::Error,
            tracing::Level::WARN => LoggingLevel::Warning,
            tracing::Level::INFO => LoggingLevel::Info,
            _ => LoggingLevel::Debug,
        };
        LoggingMessageNotificationParam::new(level, serde_json::Value::String(self.message.clone()))
            .with_logger(LOGGER)
    }
}

/// MCP's levels in order of severity (RFC 5424).
fn rank(level: LoggingLevel) -> u8 {
    match level {
        LoggingLevel::Debug => 0,
        LoggingLevel::Info => 1,
        LoggingLevel::Notice => 2,
        LoggingLevel::Warning => 3,
        LoggingLevel::Error => 4,
        LoggingLevel::Critical => 5,
        LoggingLevel::Alert => 6,
        LoggingLevel::Emergency => 7,
    }
}

/// Where notices gather: those of start-up (kept), and a channel for the ones after.
struct Hub {
    standing: Mutex<Vec<Notice>>,
    serving: std::sync::atomic::AtomicBool,
    live: broadcast::Sender<Notice>,
}

fn hub() -> &'static Hub {
    static HUB: OnceLock<Hub> = OnceLock::new();
    HUB.get_or_init(|| Hub {
        standing: Mutex::new(Vec::new()),
        serving: std::sync::atomic::AtomicBool::new(false),
        live: broadcast::channel(64).0,
    })
}

/// Takes a notice: kept for every session while the server starts, sent to the sessions
/// listening once it serves.
pub fn publish(notice: Notice) {
    let hub = hub();
    if hub.serving.load(std::sync::atomic::Ordering::Acquire) {
        // No session listening is no error.
        let _ = hub.live.send(notice);
    } else if let Ok(mut standing) = hub.standing.lock()
        && standing.len() < MAX_STANDING
    {
        standing.push(notice);
    }
}

/// Start-up is over: from now on notices go to the sessions listening, and are not kept.
pub fn mark_serving() {
    hub()
        .serving
        .store(true, std::sync::atomic::Ordering::Release);
}

/// The notices of start-up.
pub fn standing() -> Vec<Notice> {
    hub().standing.lock().map(|s| s.clone()).unwrap_or_default()
}

/// The layer that hands every [`NOTICE_TARGET`] event to [`publish`].
pub fn layer<S: tracing::Subscriber>() -> impl tracing_subscriber::Layer<S> {
    NoticeLayer
}

struct NoticeLayer;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for NoticeLayer {
    fn on_event(&self, event: &tracing::Event<'_>, _: tracing_subscriber::layer::Context<'_, S>) {
        if event.metadata().target() != NOTICE_TARGET {
            return;
        }
        let mut message = Message(String::new());
        event.record(&mut message);
        publish(Notice {
            level: *event.metadata().level(),
            message: message.0,
        });
    }
}

/// The `message` field of an event.
struct Message(String);

impl tracing::field::Visit for Message {
    fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
        if field.name() == "message" {
            self.0 = value.to_string();
        }
    }
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

/// The sessions that asked for messages, each with the level it set.
#[derive(Default)]
pub struct Sessions {
    by_session: Mutex<HashMap<String, watch::Sender<u8>>>,
}

impl Sessions {
    /// `logging/setLevel` from the session `key` (its `Mcp-Session-Id`, or one name for the
    /// stdio session): a new level for a session already listening, else a forwarder that
    /// sends it the start-up notices and every later one at `level` or above.
    pub fn set_level(&self, key: String, level: LoggingLevel, peer: Peer<RoleServer>) {
        let Ok(mut sessions) = self.by_session.lock() else {
            return;
        };
        // Sessions whose forwarder ended (the client went away) are forgotten here.
        sessions.retain(|_, sender| !sender.is_closed());
        if let Some(sender) = sessions.get(&key) {
            sender.send_replace(rank(level));
            return;
        }
        let (sender, receiver) = watch::channel(rank(level));
        sessions.insert(key, sender);
        tokio::spawn(forward(peer, receiver));
    }
}

/// Sends one session its notices until it goes away.
async fn forward(peer: Peer<RoleServer>, level: watch::Receiver<u8>) {
    // Subscribed before the start-up notices are read, so none falls between.
    let mut live = hub().live.subscribe();
    for notice in standing() {
        if notice.rank() >= *level.borrow()
            && peer.notify_logging_message(notice.param()).await.is_err()
        {
            return;
        }
    }
    loop {
        tokio::select! {
            notice = live.recv() => match notice {
                Ok(notice) => {
                    if notice.rank() >= *level.borrow()
                        && peer.notify_logging_message(notice.param()).await.is_err()
                    {
                        return;
                    }
                }
                Err(broadcast::error::RecvError::Lagged(_)) => {}
                Err(broadcast::error::RecvError::Closed) => return,
            },
            () = tokio::time::sleep(SESSION_CHECK) => {
                if peer.is_transport_closed() {
                    return;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_map_in_order_of_severity() {
        let notice = |level| Notice {
            level,
            message: String::new(),
        };
        assert!(notice(tracing::Level::ERROR).rank() > notice(tracing::Level::WARN).rank());
        assert!(notice(tracing::Level::WARN).rank() > notice(tracing::Level::INFO).rank());
        assert_eq!(
            notice(tracing::Level::WARN).rank(),
            rank(LoggingLevel::Warning)
        );
        assert!(rank(LoggingLevel::Notice) < rank(LoggingLevel::Warning));
        let param = notice(tracing::Level::ERROR).param();
        assert_eq!(param.level, LoggingLevel::Error);
        assert_eq!(param.logger.as_deref(), Some(LOGGER));
    }
}
