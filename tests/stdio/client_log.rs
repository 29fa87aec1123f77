//! The `logging` capability over real stdio: a client that sets a level receives the
//! server's notices — configuration warnings and journal trouble from start-up, then new
//! ones — at that level and above, once per episode, and nothing of any one call.
#![allow(deprecated)]

use std::{process::Stdio, time::Duration};

use klarna_mcp::simulator::{SeedOrder, Simulator, SimulatorConfig};
use rmcp::{
    ClientHandler, RoleClient, ServiceExt,
    model::{
        CallToolRequestParams, ClientInfo, LoggingLevel, LoggingMessageNotificationParam,
        SetLevelRequestParams,
    },
    service::NotificationContext,
};
use serde_json::{Value, json};
use tokio::{process::Command, sync::mpsc};

const BIN: &str = env!("CARGO_BIN_EXE_klarna-mcp");

/// A client that hands every log message it gets to the test.
#[derive(Clone)]
struct Listening(mpsc::UnboundedSender<LoggingMessageNotificationParam>);

impl ClientHandler for Listening {
    async fn on_logging_message(
        &self,
        params: LoggingMessageNotificationParam,
        _: NotificationContext<RoleClient>,
    ) {
        let _ = self.0.send(params);
    }

    fn get_info(&self) -> ClientInfo {
        ClientInfo::default()
    }
}

fn call(name: &str, args: Value) -> CallToolRequestParams {
    CallToolRequestParams::new(name.to_string()).with_arguments(rmcp::model::object(args))
}

/// The next message, or a failure if none comes within a minute (a liveness guard only).
async fn next(
    rx: &mut mpsc::UnboundedReceiver<LoggingMessageNotificationParam>,
) -> (LoggingLevel, String) {
    let m = tokio::time::timeout(Duration::from_secs(60), rx.recv())
        .await
        .expect("no log message came")
        .expect("the client went away");
    assert_eq!(m.logger.as_deref(), Some("klarna-mcp"));
    (m.level, m.data.as_str().unwrap_or_default().to_string())
}

#[tokio::test]
async fn a_client_that_sets_a_level_gets_the_servers_notices() {
    let sim = Simulator::start(SimulatorConfig::single("merchant", "s3cret"))
        .await
        .unwrap();
    let order = sim.seed(SeedOrder::new(10_000, "EUR"));
    // A journal whose directory is a file: it cannot be opened until that file goes.
    let dir = std::env::temp_dir().join(format!("klarna-mcp-test-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let blocker = dir.join("not-a-directory");
    std::fs::write(&blocker, "").unwrap();
    let mut child = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_JOURNAL", blocker.join("journal.sqlite3"))
        .env("KLARNA_BASE_URL", sim.base_url())
        .env("KLARNA_API_USERNAME", "merchant")
        .env("KLARNA_API_PASSWORD", "s3cret")
        .env("KLARNA_US_API_KEY", "klarna_live_api_secret-value")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let client = Listening(tx)
        .serve((child.stdout.take().unwrap(), child.stdin.take().unwrap()))
        .await
        .unwrap();
    let capabilities = &client.peer_info().unwrap().capabilities;
    assert!(capabilities.logging.is_some(), "{capabilities:?}");

    // Nothing is sent before the client asks.
    let read = client
        .call_tool(call("get_order", json!({ "orderId": order })))
        .await
        .unwrap();
    assert_eq!(read.is_error, Some(false));
    assert!(rx.try_recv().is_err());

    client
        .peer()
        .set_level(SetLevelRequestParams::new(LoggingLevel::Warning))
        .await
        .unwrap();
    let mut startup = [next(&mut rx).await, next(&mut rx).await];
    startup.sort_by_key(|(_, text)| text.clone());
    let (level, text) = &startup[0];
    assert_eq!(*level, LoggingLevel::Warning);
    assert!(
        text.contains("KLARNA_US_API_KEY") && text.contains("did you mean KLARNA_NA_API_KEY?"),
        "{text}"
    );
    assert!(!text.contains("secret-value"), "{text}");
    let (level, text) = &startup[1];
    assert_eq!(*level, LoggingLevel::Error);
    assert!(
        text.contains("operation journal cannot be used") && text.contains("writes are refused"),
        "{text}"
    );

    // A write while the journal is still down is refused; the episode is not told again.
    let refused = client
        .call_tool(call(
            "capture_order",
            json!({ "orderId": order, "amount": 100 }),
        ))
        .await
        .unwrap();
    assert_eq!(refused.is_error, Some(true));

    // The journal can be opened again: at level info, the client hears it works again, and
    // that is the next message — the second failure above said nothing.
    std::fs::remove_file(&blocker).unwrap();
    client
        .peer()
        .set_level(SetLevelRequestParams::new(LoggingLevel::Info))
        .await
        .unwrap();
    let capture = client
        .call_tool(call(
            "capture_order",
            json!({ "orderId": order, "amount": 100 }),
        ))
        .await
        .unwrap();
    assert_eq!(capture.is_error, Some(false), "{:?}", capture.content);
    let (level, text) = next(&mut rx).await;
    assert_eq!(level, LoggingLevel::Info);
    assert!(text.contains("works again"), "{text}");
    // No message names the order or the call.
    assert!(rx.try_recv().is_err());
    assert!(!text.contains(&order));

    client.cancel().await.unwrap();
    child.wait().await.unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn a_configuration_error_reaches_a_client_as_an_error_message() {
    let mut child = Command::new(BIN)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("KLARNA_JOURNAL", crate::fresh_journal())
        .env("KLARNA_MAX_RETRIES", "eleven")
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (tx, mut rx) = mpsc::unbounded_channel();
    let client = Listening(tx)
        .serve((child.stdout.take().unwrap(), child.stdin.take().unwrap()))
        .await
        .unwrap();
    client
        .peer()
        .set_level(SetLevelRequestParams::new(LoggingLevel::Error))
        .await
        .unwrap();
    let (level, text) = next(&mut rx).await;
    assert_eq!(level, LoggingLevel::Error);
    assert!(
        text.contains("KLARNA_MAX_RETRIES") && text.contains("0 to 10"),
        "{text}"
    );
    client.cancel().await.unwrap();
    assert_eq!(child.wait().await.unwrap().code(), Some(2));
}
