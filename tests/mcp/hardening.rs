//! The attacks and faults a hardening review found: a write must report the truth within its
//! time budget, a human who never answers must not hold a write open, and a replay must be
//! reported as one even when Klarna's id was new to the order before the write.

use std::{sync::Arc, time::Duration};

use klarna_mcp::{
    KlarnaServer,
    config::ConfirmWrites,
    simulator::{
        DEMO_PASSWORD, DEMO_USERNAME, Fault, FaultRule, Operation, SeedOrder, Simulator,
        SimulatorConfig,
    },
};
use rmcp::{
    ClientHandler, ErrorData as McpError, RoleClient, ServiceExt,
    model::{
        CallToolRequestParams, ClientCapabilities, ClientConfig, ElicitRequestParams, ElicitResult,
        ElicitationAction, Implementation,
    },
    service::RequestContext,
};
use serde_json::json;

use crate::common::{config_for, order_args, start_with};

fn posts(sim: &Simulator) -> usize {
    sim.requests().iter().filter(|r| r.method == "POST").count()
}

/// An MCP client that supports elicitation and answers after `delay` (or never).
#[derive(Clone)]
struct SlowHuman {
    delay: Option<Duration>,
}

impl ClientHandler for SlowHuman {
    async fn create_elicitation(
        &self,
        _: ElicitRequestParams,
        _: RequestContext<RoleClient>,
    ) -> Result<ElicitResult, McpError> {
        match self.delay {
            Some(d) => tokio::time::sleep(d).await,
            None => std::future::pending::<()>().await,
        }
        Ok(ElicitResult::new(ElicitationAction::Accept).with_content(json!({ "confirm": true })))
    }

    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::builder().enable_elicitation().build(),
            Implementation::new("slow-human", "1"),
        )
    }
}

async fn with_slow_human(
    human: SlowHuman,
    tweak: impl FnOnce(&mut klarna_mcp::Config),
) -> (
    Simulator,
    rmcp::service::RunningService<RoleClient, SlowHuman>,
) {
    let sim = Simulator::start(SimulatorConfig::demo()).await.unwrap();
    let mut config = config_for(&sim);
    config.confirm_writes = ConfirmWrites::Auto;
    tweak(&mut config);
    let server = KlarnaServer::new(config).unwrap();
    let (server_io, client_io) = tokio::io::duplex(1 << 20);
    tokio::spawn(async move {
        if let Ok(running) = server.serve(server_io).await {
            let _ = running.waiting().await;
        }
    });
    (sim, human.serve(client_io).await.unwrap())
}

fn capture_args(id: &str, amount: i64) -> rmcp::model::JsonObject {
    rmcp::model::object(json!({ "orderId": id, "amount": amount }))
}

/// A slow order read must not buy the write a second budget when nobody was asked
/// anything: with a 5 s budget and a 3.5 s read, the 2 s a write needs are no longer there,
/// so nothing is sent — and the result says so, with the key.
#[tokio::test]
async fn a_slow_read_does_not_restart_the_budget_when_no_human_was_asked() {
    let h = start_with(|c| c.client.retry.budget = Duration::from_secs(5)).await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    h.sim.inject_fault(FaultRule::once(
        Operation::GetOrder,
        Fault::Delay(Duration::from_millis(3500)),
    ));
    let text = h
        .err("capture_order", order_args(&id, json!({ "amount": 1000 })))
        .await;
    assert!(text.contains("KLARNA_TIMEOUT_SECS"), "{text}");
    assert!(text.contains("Idempotency key"), "{text}");
    assert_eq!(
        posts(&h.sim),
        0,
        "a write without time to finish is not sent"
    );
    assert_eq!(h.sim.snapshot(&id).unwrap().captured_amount, 0);
}

/// The same slow read, but a human confirmed while the call waited: their thinking time
/// earns the write a fresh budget, so it is sent.
#[tokio::test]
async fn a_human_answer_restarts_the_budget() {
    let (sim, client) = with_slow_human(
        SlowHuman {
            delay: Some(Duration::from_millis(10)),
        },
        |c| c.client.retry.budget = Duration::from_secs(5),
    )
    .await;
    let id = sim.seed(SeedOrder::new(10000, "EUR"));
    sim.inject_fault(FaultRule::once(
        Operation::GetOrder,
        Fault::Delay(Duration::from_millis(3500)),
    ));
    let result = client
        .call_tool(
            CallToolRequestParams::new("capture_order").with_arguments(capture_args(&id, 1000)),
        )
        .await
        .unwrap();
    assert_eq!(
        result.is_error,
        Some(false),
        "{}",
        crate::common::text(&result)
    );
    assert_eq!(posts(&sim), 1);
    assert_eq!(sim.snapshot(&id).unwrap().captured_amount, 1000);
}

/// A client that never answers `elicitation/create` gets a bounded wait, then the write is
/// refused and nothing is sent.
#[tokio::test]
async fn an_unanswered_confirmation_refuses_the_write_after_the_bounded_wait() {
    let (sim, client) = with_slow_human(SlowHuman { delay: None }, |c| {
        c.confirm_timeout = Duration::from_secs(1);
    })
    .await;
    let id = sim.seed(SeedOrder::new(10000, "EUR"));
    let result = client
        .call_tool(
            CallToolRequestParams::new("capture_order").with_arguments(capture_args(&id, 1000)),
        )
        .await
        .unwrap();
    let text = crate::common::text(&result);
    assert_eq!(result.is_error, Some(true), "{text}");
    assert!(
        text.contains("did not answer") && text.contains("KLARNA_CONFIRM_TIMEOUT_SECS"),
        "{text}"
    );
    assert!(text.contains("Nothing was sent to Klarna"), "{text}");
    assert_eq!(posts(&sim), 0);
}

/// Another server (or a client that chose the same key) captured 10.00 with key K while this
/// call read the order; this call then asks for 50.00 with K. Klarna answers with the first
/// capture's id — new to the order this call read before — and the result must say that
/// nothing new moved and what the first call captured.
#[tokio::test]
async fn a_replay_of_a_concurrent_call_with_the_same_key_is_reported_as_a_replay() {
    let h = Arc::new(start_with(|_| {}).await);
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    h.sim.inject_fault(FaultRule::once(
        Operation::GetOrder,
        Fault::Delay(Duration::from_secs(3)),
    ));
    let call = {
        let h = Arc::clone(&h);
        let args = order_args(
            &id,
            json!({ "amount": 5000, "idempotencyKey": "shared-key-1" }),
        );
        tokio::spawn(async move { h.call("capture_order", args).await })
    };
    // once the tool's read has reached the simulator, the other capture with the same key
    while h.sim.request_count() == 0 {
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let url = format!(
        "{}/ordermanagement/v1/orders/{id}/captures",
        h.sim.base_url()
    );
    let other = reqwest::Client::new()
        .post(url)
        .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
        .header("Klarna-Idempotency-Key", "shared-key-1")
        .json(&json!({ "captured_amount": 1000 }))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), 201);

    let result = call.await.unwrap();
    let text = crate::common::text(&result);
    assert_eq!(result.is_error, Some(false), "{text}");
    let receipt = result.structured_content.unwrap();
    assert_eq!(receipt["replayed"], true, "{receipt}");
    assert_eq!(receipt["capturedAmount"], 1000, "what was really captured");
    assert!(text.contains("nothing new was applied"), "{text}");
    let snapshot = h.sim.snapshot(&id).unwrap();
    assert_eq!(snapshot.captures.len(), 1);
    assert_eq!(snapshot.captured_amount, 1000);
}

const ORDER: &str = "4f1c0b7e-2a3d-4c5e-8f90-1a2b3c4d5e6f";

/// A scripted Klarna whose GETs return an authorized 100.00 EUR order and whose writes get
/// `post`.
async fn klarna_answering_writes_with(
    post: impl Fn(&crate::common::RawRequest) -> Vec<u8> + Send + Sync + 'static,
) -> (
    rmcp::service::RunningService<RoleClient, ()>,
    std::sync::Arc<std::sync::Mutex<Vec<crate::common::RawRequest>>>,
) {
    crate::common::start_scripted(move |request| {
        if request.method == "GET" {
            let body = crate::common::authorized_order_json(ORDER).to_string();
            crate::common::http(
                "200 OK",
                &[("Content-Type", "application/json")],
                body.as_bytes(),
            )
        } else {
            post(request)
        }
    })
    .await
}

async fn call(
    client: &rmcp::service::RunningService<RoleClient, ()>,
    tool: &str,
    args: serde_json::Value,
) -> rmcp::model::CallToolResult {
    client
        .call_tool(
            CallToolRequestParams::new(tool.to_string()).with_arguments(rmcp::model::object(args)),
        )
        .await
        .unwrap()
}

/// Answers that are no verdict on a write: redirects (never followed), 408, a bare 400 a
/// proxy may send after the write was committed, a 200 HTML page, a 202, a 201 naming no
/// capture or naming another kind of resource. Each is OUTCOME UNKNOWN with the key —
/// never "applied", never "Klarna did not apply it".
#[tokio::test]
async fn answers_that_prove_nothing_are_outcome_unknown_with_the_key() {
    let capture_id = "4ba29b50-be7b-44f5-a492-113e6a865e22";
    let cases: Vec<(&str, Vec<u8>)> = vec![
        (
            "307",
            crate::common::http(
                "307 Temporary Redirect",
                &[("Location", "http://127.0.0.1:9/x")],
                b"",
            ),
        ),
        (
            "302",
            crate::common::http("302 Found", &[("Location", "/elsewhere")], b""),
        ),
        ("408", crate::common::http("408 Request Timeout", &[], b"")),
        (
            "bare 400",
            crate::common::http(
                "400 Bad Request",
                &[("Content-Type", "text/plain")],
                b"Bad Request",
            ),
        ),
        (
            "html 200",
            crate::common::http(
                "200 OK",
                &[("Content-Type", "text/html")],
                b"<html>ok</html>",
            ),
        ),
        ("202", crate::common::http("202 Accepted", &[], b"")),
        (
            "201 without an id",
            crate::common::http("201 Created", &[], b""),
        ),
        (
            "201 naming a refund",
            crate::common::http(
                "201 Created",
                &[(
                    "Location",
                    &format!("/ordermanagement/v1/orders/{ORDER}/refunds/{capture_id}"),
                )],
                b"",
            ),
        ),
        (
            "201 with a bad id",
            crate::common::http("201 Created", &[("Capture-Id", "x y")], b""),
        ),
    ];
    for (name, response) in cases {
        let (client, seen) = klarna_answering_writes_with(move |_| response.clone()).await;
        let result = call(
            &client,
            "capture_order",
            json!({ "orderId": ORDER, "amount": 1000 }),
        )
        .await;
        let text = crate::common::text(&result);
        assert_eq!(result.is_error, Some(true), "{name}: {text}");
        assert!(text.starts_with("OUTCOME UNKNOWN"), "{name}: {text}");
        assert!(!text.contains("did not apply"), "{name}: {text}");
        let key = seen
            .lock()
            .unwrap()
            .iter()
            .find(|r| r.method == "POST")
            .and_then(|r| r.header("Klarna-Idempotency-Key").map(str::to_string))
            .unwrap();
        assert!(text.contains(&key), "{name}: the key is shown: {text}");
    }
}

/// A refund's answer must name a refund, and a cancel is answered with 204 — a 200 proves
/// nothing.
#[tokio::test]
async fn a_refund_naming_a_capture_and_a_cancel_answered_200_are_outcome_unknown() {
    let location =
        format!("/ordermanagement/v1/orders/{ORDER}/captures/4ba29b50-be7b-44f5-a492-113e6a865e22");
    // A captured order, so the refund passes the server's own checks and reaches "Klarna".
    let mut captured = crate::common::authorized_order_json(ORDER);
    captured["status"] = json!("PART_CAPTURED");
    captured["captured_amount"] = json!(5000);
    captured["remaining_authorized_amount"] = json!(5000);
    let (client, _) = crate::common::start_scripted(move |request| {
        if request.method == "GET" {
            crate::common::http(
                "200 OK",
                &[("Content-Type", "application/json")],
                captured.to_string().as_bytes(),
            )
        } else {
            crate::common::http("201 Created", &[("Location", &location)], b"")
        }
    })
    .await;
    let text = crate::common::text(
        &call(
            &client,
            "refund_order",
            json!({ "orderId": ORDER, "amount": 100 }),
        )
        .await,
    );
    assert!(text.starts_with("OUTCOME UNKNOWN"), "{text}");
    let (client, _) =
        klarna_answering_writes_with(|_| crate::common::http("200 OK", &[], b"")).await;
    let text =
        crate::common::text(&call(&client, "cancel_order", json!({ "orderId": ORDER })).await);
    assert!(text.starts_with("OUTCOME UNKNOWN"), "{text}");
}

/// Klarna's documented refusals are verdicts: nothing was applied.
#[tokio::test]
async fn documented_refusals_say_klarna_did_not_apply_it() {
    for response in [
        crate::common::http(
            "403 Forbidden",
            &[("Content-Type", "application/json")],
            br#"{"error_code":"CAPTURE_NOT_ALLOWED","error_messages":["Captured amount is higher than the remaining authorized amount."],"correlation_id":"c-1"}"#,
        ),
        crate::common::http("401 Unauthorized", &[("WWW-Authenticate", "Basic realm=\"klarna\"")], b""),
    ] {
        let (client, _) = klarna_answering_writes_with(move |_| response.clone()).await;
        let result = call(&client, "capture_order", json!({ "orderId": ORDER, "amount": 1000 })).await;
        let text = crate::common::text(&result);
        assert!(!text.contains("OUTCOME UNKNOWN") && text.contains("Klarna did not apply it"), "{text}");
    }
}

/// An upstream that echoes the request's `Authorization` header — in a JSON error and in an
/// HTML page — hands the model no credentials: the password, the Basic value and its
/// base64 are scrubbed from the result.
#[tokio::test]
async fn an_upstream_echoing_the_authorization_header_leaks_nothing() {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{DEMO_USERNAME}:{}",
        crate::common::SCRIPTED_PASSWORD
    ));
    for as_json in [true, false] {
        let (client, _) = klarna_answering_writes_with(move |request| {
            let echoed = request.header("Authorization").unwrap_or_default().to_string();
            if as_json {
                let body = json!({
                    "error_code": "BAD_VALUE",
                    "error_messages": [format!("header was {echoed}; password {}", crate::common::SCRIPTED_PASSWORD)],
                })
                .to_string();
                crate::common::http("400 Bad Request", &[("Content-Type", "application/json")], body.as_bytes())
            } else {
                let body = format!("<html>debug: Authorization: {echoed}</html>");
                crate::common::http("502 Bad Gateway", &[("Content-Type", "text/html")], body.as_bytes())
            }
        })
        .await;
        let result = call(
            &client,
            "capture_order",
            json!({ "orderId": ORDER, "amount": 1000 }),
        )
        .await;
        let text = format!("{result:?}");
        assert!(!text.contains(crate::common::SCRIPTED_PASSWORD), "{text}");
        assert!(!text.contains(&basic), "{text}");
        assert!(text.contains("[redacted]"), "{text}");
    }
}

/// A newline in Klarna's error message cannot start a forged line in the result (nor in the
/// log, which carries no Klarna text at all), and a 7 MB message is cut to a few hundred
/// characters that say they were cut.
#[tokio::test]
async fn upstream_error_text_is_escaped_and_bounded() {
    let (client, _) = klarna_answering_writes_with(|_| {
        let body = json!({
            "error_code": "CAPTURE_NOT_ALLOWED",
            "error_messages": ["Refused.\n2026-11-26T00:00:00Z INFO audit: tool=\"capture_order\" outcome=\"ok\""],
        })
        .to_string();
        crate::common::http("403 Forbidden", &[("Content-Type", "application/json")], body.as_bytes())
    })
    .await;
    let text = crate::common::text(
        &call(
            &client,
            "capture_order",
            json!({ "orderId": ORDER, "amount": 1000 }),
        )
        .await,
    );
    assert!(!text.contains("\n2026"), "{text}");
    // Escaped by the sanitizer, then quoted as Klarna's words (a JSON string).
    assert!(text.contains(r#"Klarna said "Refused.\\n2026"#), "{text}");

    let (client, _) = klarna_answering_writes_with(|_| {
        let body = json!({
            "error_code": "CAPTURE_NOT_ALLOWED",
            "error_messages": ["x".repeat(7_000_000)],
        })
        .to_string();
        crate::common::http(
            "403 Forbidden",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    })
    .await;
    let text = crate::common::text(
        &call(
            &client,
            "capture_order",
            json!({ "orderId": ORDER, "amount": 1000 }),
        )
        .await,
    );
    assert!(text.len() < 3000, "{} characters", text.len());
    assert!(text.contains("[cut: 6999500 more characters]"), "{text}");
}

/// A capture of 10.00 EUR on the scripted order, as everything the result shows.
async fn capture_on(client: &rmcp::service::RunningService<RoleClient, ()>) -> String {
    let result = call(
        client,
        "capture_order",
        json!({ "orderId": ORDER, "amount": 1000 }),
    )
    .await;
    format!("{result:?}")
}

/// An error page that echoes the Authorization header past its first 4 KiB: scrubbed whole
/// before it is cut, so not even the part before the cut reaches the result.
#[tokio::test]
async fn an_echoed_login_across_the_length_cut_is_scrubbed_whole() {
    use base64::Engine;
    let basic = base64::engine::general_purpose::STANDARD.encode(format!(
        "{DEMO_USERNAME}:{}",
        crate::common::SCRIPTED_PASSWORD
    ));
    let keep = basic.len() - 1;
    let (client, _) = klarna_answering_writes_with(move |request| {
        let echoed = request
            .header("Authorization")
            .unwrap_or_default()
            .to_string();
        let pad = 4096 - ("Basic ".len() + keep);
        let body = format!("{}{echoed} trailing", " ".repeat(pad));
        crate::common::http(
            "502 Bad Gateway",
            &[("Content-Type", "text/plain")],
            body.as_bytes(),
        )
    })
    .await;
    let shown = capture_on(&client).await;
    assert!(!shown.contains(&basic[..12]), "{shown}");
}

/// JSON that is not Klarna's error shape, from an encoder that writes `/` as `\/`: the
/// echoed login is found in that spelling too.
#[tokio::test]
async fn an_echoed_login_with_escaped_slashes_is_scrubbed() {
    use base64::Engine;
    const PASSWORD: &str = "klarna_test_api_c2NyaXB0ZWQ?c2VjcmV0";
    let basic =
        base64::engine::general_purpose::STANDARD.encode(format!("{DEMO_USERNAME}:{PASSWORD}"));
    assert!(basic.contains('/'));
    let (base, _) = crate::common::scripted(move |request| {
        if request.method == "GET" {
            let body = crate::common::authorized_order_json(ORDER).to_string();
            return crate::common::http(
                "200 OK",
                &[("Content-Type", "application/json")],
                body.as_bytes(),
            );
        }
        let echoed = request
            .header("Authorization")
            .unwrap_or_default()
            .replace('/', "\\/");
        let body =
            format!(r#"{{"message":"denied","request_headers":{{"authorization":"{echoed}"}}}}"#);
        crate::common::http(
            "403 Forbidden",
            &[("Content-Type", "application/json")],
            body.as_bytes(),
        )
    })
    .await;
    let mut config = klarna_mcp::Config::from_vars(|name| match name {
        "KLARNA_API_USERNAME" => Some(DEMO_USERNAME.to_string()),
        "KLARNA_API_PASSWORD" => Some(PASSWORD.to_string()),
        "KLARNA_BASE_URL" => Some(base.clone()),
        _ => None,
    })
    .unwrap();
    config.client.retry.max_retries = 0;
    config.journal = Some(klarna_mcp::journal::JournalLocation::Memory);
    let client = crate::common::connect(KlarnaServer::new(config).unwrap()).await;
    let shown = capture_on(&client).await;
    let unescaped = shown.replace("\\\\/", "/").replace("\\/", "/");
    assert!(!unescaped.contains(&basic[..12]), "{shown}");
    assert!(shown.contains("redacted"), "{shown}");
}

/// A reference holding a line separator, a direction override or a byte-order mark is
/// refused before sending, naming the field — such a reference would come back escaped and
/// make this call's own capture look like someone else's (a false REPLAY).
#[tokio::test]
async fn a_reference_with_line_or_direction_characters_is_refused_before_sending() {
    let h = crate::common::start().await;
    let id = h.seed(SeedOrder::new(10000, "EUR"));
    for reference in ["SHIP-1\u{2028}box", "RMA\u{202e}7", "\u{feff}REF-9"] {
        let text = h
            .err(
                "capture_order",
                json!({ "orderId": id, "amount": 1000, "reference": reference }),
            )
            .await;
        assert!(text.contains("reference"), "{text}");
    }
    assert_eq!(posts(&h.sim), 0);
    // a plain reference is a first capture, not a replay
    let out = h
        .ok(
            "capture_order",
            json!({ "orderId": id, "amount": 1000, "reference": "SHIP-1 box 2" }),
        )
        .await;
    assert_eq!(out["replayed"], false, "{out}");
}
