//! The Settlements API: captures and refunds become transactions, payout runs
//! settle them, pagination, filters, reports, refusals, hosts and the demo
//! history, all over HTTP.

use std::collections::HashSet;

use klarna_mcp::simulator::{
    DEMO_PASSWORD, DEMO_USERNAME, DetailedType, Fault, FaultRule, Operation, SeedOrder,
    SeedTransaction, Simulator, TransactionType, demo_credential, demo_payouts,
};
use reqwest::{Client, Response, StatusCode};
use serde_json::{Value, json};
use time::format_description::well_known::Rfc3339;
use time::{Duration, OffsetDateTime};

use crate::common::{Api, EU, NA, NA_PASS, NA_USER, PASS, USER, header, klarna_error, login};

const SETTLEMENTS: &str = "/settlements/v1";

/// Property names of Klarna's `Transaction` (it allows no others), and the required ones.
const TRANSACTION_FIELDS: [&str; 27] = [
    "amount",
    "capture_id",
    "merchant_reference1",
    "sale_date",
    "type",
    "capture_date",
    "payment_reference",
    "order_id",
    "payout",
    "refund_id",
    "short_order_id",
    "merchant_reference2",
    "currency_code",
    "purchase_country",
    "vat_rate",
    "vat_amount",
    "shipping_country",
    "initial_payment_method_type",
    "initial_number_of_installments",
    "initial_payment_method_monthly_downpayments",
    "merchant_capture_reference",
    "merchant_refund_reference",
    "detailed_type",
    "tax_in_currency_of_registration_country",
    "currency_code_of_registration_country",
    "klarna_comment",
    "reversal_reference",
];
const TRANSACTION_REQUIRED: [&str; 7] = [
    "amount",
    "sale_date",
    "type",
    "capture_date",
    "order_id",
    "currency_code",
    "purchase_country",
];
const PAYOUT_FIELDS: [&str; 8] = [
    "totals",
    "payment_reference",
    "payout_date",
    "currency_code",
    "currency_code_of_registration_country",
    "merchant_settlement_type",
    "merchant_id",
    "transactions",
];
const PAYOUT_REQUIRED: [&str; 6] = [
    "totals",
    "payment_reference",
    "payout_date",
    "currency_code",
    "merchant_settlement_type",
    "merchant_id",
];
const TOTALS_FIELDS: [&str; 18] = [
    "commission_amount",
    "repay_amount",
    "sale_amount",
    "holdback_amount",
    "tax_amount",
    "settlement_amount",
    "fee_correction_amount",
    "reversal_amount",
    "release_amount",
    "return_amount",
    "fee_amount",
    "charge_amount",
    "credit_amount",
    "fee_refund_amount",
    "tax_refund_amount",
    "deposit_amount",
    "opening_debt_balance_amount",
    "closing_debt_balance_amount",
];
const SUMMARY_FIELDS: [&str; 14] = [
    "summary_total_fee_correction_amount",
    "summary_payout_date_start",
    "summary_total_release_amount",
    "summary_settlement_currency",
    "summary_payout_date_end",
    "summary_total_tax_amount",
    "summary_total_settlement_amount",
    "summary_total_holdback_amount",
    "summary_total_reversal_amount",
    "summary_total_return_amount",
    "summary_total_fee_amount",
    "summary_total_commission_amount",
    "summary_total_sale_amount",
    "summary_total_repay_amount",
];
const PAGINATION_FIELDS: [&str; 5] = ["count", "total", "next", "prev", "offset"];

/// Klarna's documented settlement report columns: summary fields, then transaction fields.
const CSV_COLUMNS: &str = "merchant_id,submerchant_id,payment_reference,payout_date,settlement_currency,\
merchant_settlement_type,total_sale_amount,total_fee_amount,total_fee_correction_amount,total_tax_amount,\
total_return_amount,total_reversal_amount,total_commission_amount,total_credit_amount,total_charge_amount,\
total_holdback_amount,total_release_amount,opening_debt_balance,total_deposit_amount,total_repay_amount,\
closing_debt_balance,total_fee_refund_amount,total_settlement_amount,type,detailed_type,capture_date,\
sale_date,order_id,short_order_id,capture_id,refund_id,merchant_reference1,merchant_reference2,\
merchant_capture_reference,merchant_refund_reference,amount,posting_currency,purchase_country,\
shipping_country,tax_rate,tax_amount,initial_payment_method_type,initial_number_of_installments,\
initial_payment_method_monthly_downpayments,tax_rate_1,tax_amount_1,tax_rate_2,tax_amount_2,tax_rate_3,\
tax_amount_3,tax_rate_4,tax_amount_4,reversal_reference";

/// Only `allowed` properties, every `required` one, date-times in RFC 3339.
fn assert_shape(value: &Value, allowed: &[&str], required: &[&str]) {
    let object = value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"));
    for key in object.keys() {
        assert!(
            allowed.contains(&key.as_str()),
            "unexpected property {key} in {value}"
        );
    }
    for key in required {
        assert!(object.contains_key(*key), "missing {key} in {value}");
    }
    for (key, v) in object {
        if key.ends_with("_date") || key.ends_with("_date_start") || key.ends_with("_date_end") {
            OffsetDateTime::parse(v.as_str().unwrap(), &Rfc3339)
                .unwrap_or_else(|e| panic!("{key} = {v}: {e}"));
        }
    }
}

fn assert_transaction(tx: &Value) {
    assert_shape(tx, &TRANSACTION_FIELDS, &TRANSACTION_REQUIRED);
    let kind = tx["type"].as_str().unwrap();
    assert!(
        TransactionType::ALL.iter().any(|t| t.as_str() == kind),
        "type {kind}"
    );
    if let Some(d) = tx.get("detailed_type") {
        assert!(DetailedType::parse(d.as_str().unwrap()).is_some(), "{d}");
    }
    assert!(tx["amount"].is_i64());
}

fn assert_payout(p: &Value) {
    assert_shape(p, &PAYOUT_FIELDS, &PAYOUT_REQUIRED);
    assert_shape(&p["totals"], &TOTALS_FIELDS, &TOTALS_FIELDS);
    assert!(p["totals"].as_object().unwrap().values().all(Value::is_i64));
    assert_eq!(p["merchant_settlement_type"], "NET");
}

fn assert_pagination(p: &Value, count: u64, total: u64, offset: u64) {
    assert_shape(p, &PAGINATION_FIELDS, &["count"]);
    assert_eq!(
        (
            p["count"].as_u64(),
            p["total"].as_u64(),
            p["offset"].as_u64()
        ),
        (Some(count), Some(total), Some(offset)),
        "{p}"
    );
}

/// Whether `shown` (an RFC 3339 answer) is `t` to the millisecond.
fn same_instant(shown: &Value, t: OffsetDateTime) -> bool {
    let shown = OffsetDateTime::parse(shown.as_str().unwrap(), &Rfc3339).unwrap();
    (shown - t).abs() < Duration::milliseconds(1)
}

fn date(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

impl Api {
    /// The settlements URL of `path` (with its query) on `host`.
    fn settlements_url(&self, host: &str, path: &str) -> String {
        let base = self.sim.host_base_url().replace("{apiHost}", host);
        format!("{base}{SETTLEMENTS}{path}")
    }

    /// GET a settlements path on `host` with that host's login and these query pairs.
    async fn settlements(&self, host: &str, path: &str, query: &[(&str, &str)]) -> Response {
        let req = self
            .client
            .get(self.settlements_url(host, path))
            .query(query);
        login(req, host).send().await.unwrap()
    }

    /// GET on `api.klarna.com`, expecting 200 JSON.
    async fn settlements_json(&self, path: &str, query: &[(&str, &str)]) -> Value {
        let resp = self.settlements(EU, path, query).await;
        assert_eq!(resp.status(), StatusCode::OK, "{path} {query:?}");
        assert_eq!(header(&resp, "content-type").unwrap(), "application/json");
        resp.json().await.unwrap()
    }

    /// GET an absolute link (a `next`, `payout`, … URL) with the EU login.
    async fn follow(&self, link: &Value) -> Value {
        let resp = self
            .client
            .get(link.as_str().unwrap())
            .basic_auth(USER, Some(PASS))
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), StatusCode::OK, "{link}");
        resp.json().await.unwrap()
    }
}

#[tokio::test]
async fn a_capture_and_a_refund_become_transactions_and_then_a_payout() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .merchant_reference("SHOP-42")
            .merchant_reference2("BASKET-7")
            .klarna_reference("SHORT42"),
    );
    let capture = api
        .post(
            &id,
            "/captures",
            Some(json!({"captured_amount": 6_000, "reference": "CAP-1"})),
            None,
        )
        .await;
    assert_eq!(capture.status(), 201);
    let capture_id = header(&capture, "capture-id").unwrap();
    let refund = api
        .post(
            &id,
            "/refunds",
            Some(json!({"refunded_amount": 1_000, "reference": "RET-1"})),
            None,
        )
        .await;
    let refund_id = header(&refund, "refund-id").unwrap();

    // Registered at once, not yet paid out.
    let body = api
        .settlements_json("/transactions", &[("order_id", &id)])
        .await;
    assert_pagination(&body["pagination"], 2, 2, 0);
    let txs = body["transactions"].as_array().unwrap();
    for tx in txs {
        assert_transaction(tx);
        assert!(tx.get("payment_reference").is_none() && tx.get("payout").is_none());
    }
    let sale = &txs[0];
    assert_eq!(
        (&sale["type"], &sale["detailed_type"], &sale["amount"]),
        (&json!("SALE"), &json!("PURCHASE"), &json!(6_000))
    );
    assert_eq!(sale["capture_id"], capture_id.as_str());
    assert_eq!(sale["order_id"], id.as_str());
    assert_eq!(sale["currency_code"], "EUR");
    assert_eq!(sale["purchase_country"], "DE");
    assert_eq!(sale["merchant_reference1"], "SHOP-42");
    assert_eq!(sale["merchant_reference2"], "BASKET-7");
    assert_eq!(sale["short_order_id"], "SHORT42");
    assert_eq!(sale["merchant_capture_reference"], "CAP-1");
    let ret = &txs[1];
    assert_eq!(
        (&ret["type"], &ret["detailed_type"], &ret["amount"]),
        (&json!("RETURN"), &json!("PURCHASE_RETURN"), &json!(1_000))
    );
    assert_eq!(ret["refund_id"], refund_id.as_str());
    assert_eq!(
        ret["capture_id"], "",
        "Klarna sends an empty capture_id on returns"
    );
    assert_eq!(ret["merchant_refund_reference"], "RET-1");
    assert!(api.sim.payouts().is_empty());

    // The payout run settles both into one EUR payout.
    let made = api.sim.run_payouts();
    assert_eq!(made.len(), 1);
    let run = &made[0];
    assert_eq!((run.host.as_str(), run.currency.as_str()), (EU, "EUR"));
    assert_eq!(run.transactions, 2);
    assert_eq!(
        (
            run.totals.sale_amount,
            run.totals.return_amount,
            run.totals.settlement_amount
        ),
        (6_000, 1_000, 5_000)
    );
    let reference = run.payment_reference.clone();
    assert_eq!(reference.len(), 8);

    let body = api
        .settlements_json("/transactions", &[("order_id", &id)])
        .await;
    for tx in body["transactions"].as_array().unwrap() {
        assert_eq!(tx["payment_reference"], reference.as_str());
        let payout = api.follow(&tx["payout"]).await;
        assert_eq!(payout["payment_reference"], reference.as_str());
    }
    let payout = api
        .settlements_json(&format!("/payouts/{reference}"), &[])
        .await;
    assert_payout(&payout);
    assert_eq!(payout["currency_code"], "EUR");
    assert_eq!(payout["totals"]["sale_amount"], 6_000);
    assert_eq!(payout["totals"]["return_amount"], 1_000);
    assert_eq!(payout["totals"]["settlement_amount"], 5_000);
    assert!(same_instant(&payout["payout_date"], run.payout_date));
    let listed = api.follow(&payout["transactions"]).await;
    assert_pagination(&listed["pagination"], 2, 2, 0);
    // Nothing left to settle.
    assert!(api.sim.run_payouts().is_empty());
    let snapshot = api.sim.settlement_transactions();
    assert!(
        snapshot
            .iter()
            .all(|t| t.payment_reference.as_deref() == Some(&reference))
    );
}

#[tokio::test]
async fn pages_follow_size_offset_next_and_prev() {
    let api = Api::new().await;
    for _ in 0..5 {
        let id = api.sim.seed(SeedOrder::new(1_000, "EUR"));
        assert_eq!(api.capture(&id, 1_000).await.status(), 201);
    }
    let first = api
        .settlements_json("/transactions", &[("size", "2")])
        .await;
    assert_pagination(&first["pagination"], 2, 5, 0);
    assert!(first["pagination"].get("prev").is_none());
    let next = &first["pagination"]["next"];
    assert!(
        next.as_str()
            .unwrap()
            .ends_with("/settlements/v1/transactions?offset=2&size=2"),
        "{next}"
    );
    let second = api.follow(next).await;
    assert_pagination(&second["pagination"], 2, 5, 2);
    assert!(
        second["pagination"]["prev"]
            .as_str()
            .unwrap()
            .ends_with("?offset=0&size=2")
    );
    let third = api.follow(&second["pagination"]["next"]).await;
    assert_pagination(&third["pagination"], 1, 5, 4);
    assert!(third["pagination"].get("next").is_none());
    // The pages cover every transaction once.
    let ids: HashSet<String> = [&first, &second, &third]
        .iter()
        .flat_map(|p| p["transactions"].as_array().unwrap().clone())
        .map(|t| t["capture_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 5);
    // Default size 20; an offset past the end is an empty page.
    let all = api.settlements_json("/transactions", &[]).await;
    assert_pagination(&all["pagination"], 5, 5, 0);
    let past = api
        .settlements_json("/transactions", &[("offset", "9"), ("size", "500")])
        .await;
    assert_pagination(&past["pagination"], 0, 5, 9);
    assert!(
        past["pagination"]["prev"]
            .as_str()
            .unwrap()
            .ends_with("?offset=0&size=500")
    );

    // Payouts page the same way, filters kept in the links, newest first.
    for (currency, days) in [("SEK", 3), ("USD", 2), ("GBP", 1)] {
        api.sim.seed_transaction(
            SeedTransaction::new(TransactionType::Sale, 500)
                .currency(currency)
                .at(api.sim.now() - Duration::days(days)),
        );
        api.sim
            .run_payouts_at(api.sim.now() - Duration::days(days) + Duration::hours(1));
    }
    api.sim.run_payouts();
    let page = api.settlements_json("/payouts", &[("size", "3")]).await;
    assert_pagination(&page["pagination"], 3, 4, 0);
    let payouts = page["payouts"].as_array().unwrap();
    payouts.iter().for_each(assert_payout);
    let currencies: Vec<&str> = payouts
        .iter()
        .map(|p| p["currency_code"].as_str().unwrap())
        .collect();
    assert_eq!(currencies, ["EUR", "GBP", "USD"]);
    let rest = api.follow(&page["pagination"]["next"]).await;
    assert_pagination(&rest["pagination"], 1, 4, 3);
    assert_eq!(rest["payouts"][0]["currency_code"], "SEK");
}

#[tokio::test]
async fn filters_by_date_currency_order_and_payment_reference() {
    let api = Api::new().await;
    let now = api.sim.now();
    let old_order = api.sim.seed(SeedOrder::new(2_000, "EUR").captured(2_000));
    // Ten days ago: an EUR sale, paid out nine days ago.
    api.sim
        .seed_transaction(SeedTransaction::capture(&old_order, 700).at(now - Duration::days(10)));
    let old = api.sim.run_payouts_at(now - Duration::days(9));
    assert_eq!(old.len(), 1);
    let old_ref = old[0].payment_reference.clone();
    // The order's own capture (an hour ago) and a SEK sale are paid out now.
    api.sim
        .seed_transaction(SeedTransaction::new(TransactionType::Sale, 30_000).currency("SEK"));
    let recent = api.sim.run_payouts();
    assert_eq!(recent.len(), 2);
    let eur_ref = recent
        .iter()
        .find(|p| p.currency == "EUR")
        .unwrap()
        .payment_reference
        .clone();

    let refs = |body: &Value| -> Vec<String> {
        body["payouts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["payment_reference"].as_str().unwrap().to_owned())
            .collect()
    };
    let week = date(now - Duration::days(7));
    let body = api
        .settlements_json("/payouts", &[("start_date", &week)])
        .await;
    assert_eq!(body["pagination"]["total"], 2);
    assert!(!refs(&body).contains(&old_ref));
    let body = api
        .settlements_json(
            "/payouts",
            &[("start_date", &week), ("currency_code", "eur")],
        )
        .await;
    assert_eq!(refs(&body), std::slice::from_ref(&eur_ref));
    let body = api
        .settlements_json("/payouts", &[("end_date", &date(now - Duration::days(8)))])
        .await;
    assert_eq!(refs(&body), std::slice::from_ref(&old_ref));
    // A date alone is midnight UTC.
    let day = (now - Duration::days(9)).date().to_string();
    let body = api
        .settlements_json("/payouts", &[("start_date", &day)])
        .await;
    assert_eq!(body["pagination"]["total"], 3);
    let body = api
        .settlements_json("/payouts", &[("currency_code", "USD")])
        .await;
    assert_eq!(refs(&body), Vec::<String>::new());

    // Transactions by payment reference, by order id, and both.
    let body = api
        .settlements_json("/transactions", &[("payment_reference", &old_ref)])
        .await;
    let txs = body["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 1);
    assert_eq!(txs[0]["amount"], 700);
    let body = api
        .settlements_json("/transactions", &[("order_id", &old_order)])
        .await;
    assert_eq!(body["pagination"]["total"], 2);
    let upper = old_order.to_uppercase();
    let body = api
        .settlements_json(
            "/transactions",
            &[("order_id", &upper), ("payment_reference", &eur_ref)],
        )
        .await;
    let txs = body["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 1);
    assert_eq!(txs[0]["amount"], 2_000);

    // The summary sums per currency over the period.
    let month = date(now - Duration::days(30));
    let summary = api
        .settlements_json(
            "/payouts/summary",
            &[("start_date", &month), ("end_date", &date(api.sim.now()))],
        )
        .await;
    let summary = summary.as_array().unwrap();
    assert_eq!(summary.len(), 2);
    for s in summary {
        assert_shape(s, &SUMMARY_FIELDS, &SUMMARY_FIELDS);
    }
    let eur = &summary[0];
    assert_eq!(eur["summary_settlement_currency"], "EUR");
    assert_eq!(eur["summary_total_sale_amount"], 2_700);
    assert_eq!(eur["summary_total_settlement_amount"], 2_700);
    assert!(same_instant(
        &eur["summary_payout_date_start"],
        old[0].payout_date
    ));
    assert_eq!(summary[1]["summary_total_sale_amount"], 30_000);
    let only_sek = api
        .settlements_json(
            "/payouts/summary",
            &[
                ("start_date", &month),
                ("end_date", &date(api.sim.now())),
                ("currency_code", "SEK"),
            ],
        )
        .await;
    assert_eq!(only_sek.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn empty_results_are_empty_pages_not_errors() {
    let api = Api::new().await;
    let body = api.settlements_json("/payouts", &[]).await;
    assert_eq!(body["payouts"], json!([]));
    assert_pagination(&body["pagination"], 0, 0, 0);
    assert!(body["pagination"].get("next").is_none() && body["pagination"].get("prev").is_none());
    let unknown = uuid::Uuid::new_v4().to_string();
    for query in [
        [("order_id", unknown.as_str())],
        [("payment_reference", "NOSUCHREF")],
    ] {
        let body = api.settlements_json("/transactions", &query).await;
        assert_eq!(body["transactions"], json!([]));
        assert_pagination(&body["pagination"], 0, 0, 0);
    }
    let summary = api
        .settlements_json(
            "/payouts/summary",
            &[
                ("start_date", "2020-01-01"),
                ("end_date", "2030-01-01T00:00:00Z"),
            ],
        )
        .await;
    assert_eq!(summary, json!([]));
    // A capture on another host is not this host's business.
    let na = api
        .sim
        .seed(SeedOrder::new(5_000, "USD").on_host(NA).captured(5_000));
    let body = api
        .settlements_json("/transactions", &[("order_id", &na)])
        .await;
    assert_eq!(body["transactions"], json!([]));
}

#[tokio::test]
async fn wrong_or_foreign_credentials_get_401() {
    let api = Api::new().await;
    let url = api.settlements_url(EU, "/payouts");
    let wrong = api
        .client
        .get(&url)
        .basic_auth(USER, Some("nope"))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), 401);
    assert!(
        header(&wrong, "content-type")
            .unwrap()
            .starts_with("text/plain")
    );
    let none = api.client.get(&url).send().await.unwrap();
    assert_eq!(none.status(), 401);
    let na_login = api
        .client
        .get(&url)
        .basic_auth(NA_USER, Some(NA_PASS))
        .send()
        .await
        .unwrap();
    assert_eq!(na_login.status(), 401);
    let on_na = api.settlements(NA, "/payouts", &[]).await;
    assert_eq!(on_na.status(), 200);
}

#[tokio::test]
async fn an_unknown_payment_reference_gets_404() {
    let api = Api::new().await;
    api.sim
        .seed(SeedOrder::new(5_000, "USD").on_host(NA).captured(5_000));
    let na_ref = api.sim.run_payouts()[0].payment_reference.clone();
    assert_eq!(
        api.settlements(NA, &format!("/payouts/{na_ref}"), &[])
            .await
            .status(),
        200
    );
    // Each host knows only its own payouts.
    for resp in [
        api.settlements(EU, &format!("/payouts/{na_ref}"), &[])
            .await,
        api.settlements(EU, "/payouts/NOSUCHREF", &[]).await,
        api.settlements(EU, "/reports/payout", &[("payment_reference", &na_ref)])
            .await,
        api.settlements(
            EU,
            "/reports/payout-with-transactions",
            &[("payment_reference", "X")],
        )
        .await,
    ] {
        let (status, code, messages) = klarna_error(resp).await;
        assert_eq!((status, code.as_str()), (404, "NOT_FOUND"));
        assert_eq!(messages.len(), 1);
    }
}

/// A path, its query, and how each expected message starts.
type BadCase = (
    &'static str,
    &'static [(&'static str, &'static str)],
    &'static [&'static str],
);

#[tokio::test]
async fn bad_parameters_get_400_naming_each_problem() {
    let api = Api::new().await;
    let cases: [BadCase; 9] = [
        (
            "/payouts",
            &[("start_date", "yesterday")],
            &["start_date is not"],
        ),
        (
            "/payouts",
            &[("size", "501")],
            &["size must be a whole number from 1 to 500"],
        ),
        (
            "/payouts",
            &[("size", "0"), ("offset", "-1")],
            &["size must", "offset must"],
        ),
        (
            "/payouts",
            &[("currency_code", "EURO")],
            &["currency_code is not"],
        ),
        (
            "/payouts",
            &[("start_date", "2024-02-01"), ("end_date", "2024-01-01")],
            &["start_date is after end_date"],
        ),
        (
            "/payouts/summary",
            &[],
            &["start_date is required", "end_date is required"],
        ),
        (
            "/transactions",
            &[("order_id", "12345"), ("size", "x")],
            &["order_id is not", "size must"],
        ),
        ("/reports/payout", &[], &["payment_reference is required"]),
        (
            "/reports/payouts-summary-with-transactions",
            &[("start_date", "2024-01-01")],
            &["end_date is required"],
        ),
    ];
    for (path, query, expected) in cases {
        let (status, code, messages) = klarna_error(api.settlements(EU, path, query).await).await;
        assert_eq!(
            (status, code.as_str()),
            (400, "BAD_REQUEST"),
            "{path} {query:?}"
        );
        assert_eq!(
            messages.len(),
            expected.len(),
            "{path} {query:?}: {messages:?}"
        );
        for (message, start) in messages.iter().zip(expected) {
            assert!(message.starts_with(start), "{message} vs {start}");
        }
    }
    // The largest page is fine.
    assert_eq!(
        api.settlements(EU, "/payouts", &[("size", "500")])
            .await
            .status(),
        200
    );
    // Only GET exists.
    let post = login(api.client.post(api.settlements_url(EU, "/payouts")), EU)
        .send()
        .await
        .unwrap();
    assert_eq!(post.status(), 405);
}

#[tokio::test]
async fn csv_reports_have_klarnas_columns() {
    let api = Api::new().await;
    // The seeded capture carries the order's line, so its consumer VAT is known.
    let id = api.sim.seed(
        SeedOrder::new(12_000, "SEK")
            .merchant_reference("Order, \"42\"")
            .line("Kaffe", "K-1", 1, 12_000)
            .captured(12_000),
    );
    let capture_id = api.sim.snapshot(&id).unwrap().captures[0]
        .capture_id
        .clone();
    api.sim.seed_transaction(
        SeedTransaction::fee(&id, DetailedType::PURCHASE_FEE_FIXED, 300)
            .capture_id(&capture_id)
            .vat(2_500, 75),
    );
    let reference = api.sim.run_payouts()[0].payment_reference.clone();

    let resp = api
        .settlements(
            EU,
            "/reports/payout-with-transactions",
            &[("payment_reference", &reference)],
        )
        .await;
    assert_eq!(resp.status(), 200);
    assert_eq!(
        header(&resp, "content-type").unwrap(),
        "text/csv; charset=utf-8"
    );
    let csv = resp.text().await.unwrap();
    let lines: Vec<&str> = csv.split_terminator("\r\n").collect();
    assert_eq!(lines[0], CSV_COLUMNS);
    assert_eq!(lines.len(), 3, "{csv}");
    let columns: Vec<&str> = CSV_COLUMNS.split(',').collect();
    let cell = |row: &str, name: &str| -> String {
        // The rows' only quoted field is merchant_reference1; split around it.
        let (before, rest) = row.split_once(",\"").unwrap_or((row, ""));
        let (quoted, after) = rest.split_once("\",").unwrap_or(("", ""));
        let mut cells: Vec<String> = before.split(',').map(str::to_owned).collect();
        if !rest.is_empty() {
            cells.push(quoted.replace("\"\"", "\""));
            cells.extend(after.split(',').map(str::to_owned));
        }
        assert_eq!(cells.len(), columns.len(), "{row}");
        cells[columns.iter().position(|c| *c == name).unwrap()].clone()
    };
    let sale = lines[1];
    assert_eq!(cell(sale, "payment_reference"), reference);
    assert_eq!(cell(sale, "settlement_currency"), "SEK");
    assert_eq!(cell(sale, "type"), "SALE");
    assert_eq!(cell(sale, "amount"), "120.00");
    assert_eq!(cell(sale, "capture_id"), capture_id);
    assert_eq!(cell(sale, "merchant_reference1"), "Order, \"42\"");
    assert_eq!(cell(sale, "tax_rate_1"), "25.00");
    assert_eq!(cell(sale, "tax_amount_1"), "24.00");
    assert_eq!(cell(sale, "total_fee_amount"), "3.00");
    assert_eq!(cell(sale, "total_tax_amount"), "0.75");
    assert_eq!(cell(sale, "total_settlement_amount"), "116.25");
    let fee = lines[2];
    assert_eq!(cell(fee, "type"), "FEE");
    assert_eq!(cell(fee, "detailed_type"), "PURCHASE_FEE_FIXED");
    assert_eq!(
        (cell(fee, "tax_rate"), cell(fee, "tax_amount")),
        ("25.00".into(), "0.75".into())
    );

    let now = api.sim.now();
    let period = [
        ("start_date", date(now - Duration::days(1))),
        ("end_date", date(now + Duration::days(1))),
    ];
    let period: Vec<(&str, &str)> = period.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let resp = api
        .settlements(EU, "/reports/payouts-summary-with-transactions", &period)
        .await;
    assert_eq!(resp.status(), 200);
    assert!(
        header(&resp, "content-type")
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = resp.text().await.unwrap();
    assert_eq!(csv.split_terminator("\r\n").count(), 3);
    assert!(csv.starts_with(CSV_COLUMNS));
}

#[tokio::test]
async fn pdf_reports_are_pdf_documents() {
    let api = Api::new().await;
    api.sim.seed(SeedOrder::new(4_500, "EUR").captured(4_500));
    let reference = api.sim.run_payouts()[0].payment_reference.clone();
    let now = api.sim.now();
    let (start, end) = (date(now - Duration::days(1)), date(now + Duration::days(1)));
    for (path, query) in [
        (
            "/reports/payout",
            vec![("payment_reference", reference.as_str())],
        ),
        (
            "/reports/payouts-summary",
            vec![("start_date", start.as_str()), ("end_date", end.as_str())],
        ),
    ] {
        let resp = api.settlements(EU, path, &query).await;
        assert_eq!(resp.status(), 200, "{path}");
        assert_eq!(header(&resp, "content-type").unwrap(), "application/pdf");
        assert!(
            header(&resp, "content-disposition")
                .unwrap()
                .starts_with("attachment;")
        );
        let pdf = resp.bytes().await.unwrap();
        assert!(pdf.starts_with(b"%PDF-1.4\n"), "{path}");
        assert!(pdf.ends_with(b"%%EOF\n"), "{path}");
        let text = String::from_utf8_lossy(&pdf);
        assert!(text.contains(&reference), "{path}");
        assert!(text.contains("45.00 EUR"), "{path}");
    }
}

#[tokio::test]
async fn foreign_movements_fees_and_holdbacks_count_in_the_payout() {
    let api = Api::new().await;
    let id = api.sim.seed(
        SeedOrder::new(10_000, "EUR")
            .captured(10_000)
            .merchant_reference("SHOP-1"),
    );
    // A capture made in the Merchant Portal: the ledger has it, the order does not.
    let portal = api
        .sim
        .seed_transaction(SeedTransaction::capture(&id, 2_000));
    assert_eq!(portal.transaction_type, TransactionType::Sale);
    assert_eq!(portal.order_id, id);
    assert_eq!(api.sim.snapshot(&id).unwrap().captured_amount, 10_000);
    let fee = api.sim.seed_transaction(
        SeedTransaction::fee(&id, DetailedType::EXTEND_DUE_DATE_FEE, 500).vat(1_900, 95),
    );
    assert_eq!(fee.currency, "EUR");
    api.sim.seed_transaction(
        SeedTransaction::new(TransactionType::Holdback, 1_000)
            .detailed_type(DetailedType::ROLLING_RESERVE)
            .comment("Rolling reserve, released in 90 days"),
    );
    let body = api
        .settlements_json("/transactions", &[("order_id", &id)])
        .await;
    let txs = body["transactions"].as_array().unwrap();
    assert_eq!(txs.len(), 3);
    txs.iter().for_each(assert_transaction);
    let portal_tx = &txs[1];
    assert_eq!(
        portal_tx["capture_id"],
        portal.capture_id.clone().unwrap().as_str()
    );
    assert_eq!(
        portal_tx["merchant_reference1"], "SHOP-1",
        "the order's facts fill in"
    );
    let fee_tx = &txs[2];
    assert_eq!(fee_tx["detailed_type"], "EXTEND_DUE_DATE_FEE");
    assert_eq!(
        (&fee_tx["vat_rate"], &fee_tx["vat_amount"]),
        (&json!(1_900), &json!(95))
    );

    let payout = &api.sim.run_payouts()[0];
    let t = payout.totals;
    assert_eq!(payout.transactions, 4);
    assert_eq!(
        (t.sale_amount, t.fee_amount, t.tax_amount, t.holdback_amount),
        (12_000, 500, 95, 1_000)
    );
    assert_eq!(t.settlement_amount, 12_000 - 500 - 95 - 1_000);

    // Returns and fees beyond the sales are debt, repaid from the next payout.
    api.sim
        .seed_transaction(SeedTransaction::refund(&id, 3_000));
    let short = &api.sim.run_payouts()[0];
    assert_eq!(
        (
            short.totals.settlement_amount,
            short.totals.deposit_amount,
            short.totals.closing_debt_balance_amount
        ),
        (0, 3_000, 3_000)
    );
    api.sim
        .seed_transaction(SeedTransaction::capture(&id, 5_000));
    let next = &api.sim.run_payouts()[0];
    assert_eq!(
        (
            next.totals.opening_debt_balance_amount,
            next.totals.repay_amount,
            next.totals.settlement_amount
        ),
        (3_000, 3_000, 2_000)
    );
    let shown = api
        .settlements_json(&format!("/payouts/{}", next.payment_reference), &[])
        .await;
    assert_eq!(shown["totals"]["repay_amount"], 3_000);
}

#[tokio::test]
async fn reseeding_an_order_takes_back_only_its_unsettled_transactions() {
    let api = Api::new().await;
    let id = uuid::Uuid::new_v4().to_string();
    api.sim
        .seed(SeedOrder::new(10_000, "EUR").id(&id).captured(10_000));
    api.sim.run_payouts();
    api.sim
        .seed(SeedOrder::new(10_000, "EUR").id(&id).captured(4_000));
    api.sim
        .seed(SeedOrder::new(10_000, "EUR").id(&id).captured(3_000));
    let amounts: Vec<(i64, bool)> = api
        .sim
        .settlement_transactions()
        .iter()
        .map(|t| (t.amount, t.payment_reference.is_some()))
        .collect();
    assert_eq!(amounts, [(10_000, true), (3_000, false)]);
}

#[tokio::test]
async fn hosts_keep_their_own_ledgers_and_links_lead_back() {
    let api = Api::new().await;
    let na = api
        .sim
        .seed(SeedOrder::new(5_000, "USD").on_host(NA).captured(5_000));
    api.sim.seed(SeedOrder::new(7_000, "EUR").captured(7_000));
    let made = api.sim.run_payouts();
    assert_eq!(made.len(), 2);
    let resp = api.settlements(NA, "/payouts", &[]).await;
    let body: Value = resp.json().await.unwrap();
    assert_eq!(body["pagination"]["total"], 1);
    let payout = &body["payouts"][0];
    assert_payout(payout);
    assert_eq!(payout["currency_code_of_registration_country"], "USD");
    let link = payout["transactions"].as_str().unwrap();
    assert!(
        link.contains(&format!(
            "/{NA}/settlements/v1/transactions?payment_reference="
        )),
        "{link}"
    );
    let txs: Value = login(api.client.get(link), NA)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(txs["transactions"][0]["order_id"], na.as_str());
    assert_eq!(txs["transactions"][0]["purchase_country"], "US");
    // Without a host segment the path is api.klarna.com's.
    let plain = api
        .client
        .get(format!("{}{SETTLEMENTS}/payouts", api.sim.base_url()))
        .basic_auth(USER, Some(PASS))
        .send()
        .await
        .unwrap();
    let body: Value = plain.json().await.unwrap();
    assert_eq!(body["payouts"][0]["currency_code"], "EUR");
    assert!(
        !body["payouts"][0]["transactions"]
            .as_str()
            .unwrap()
            .contains(EU)
    );
}

#[tokio::test]
async fn settlement_reads_take_any_faults() {
    let api = Api::new().await;
    api.sim
        .inject_fault(FaultRule::once(Operation::Capture, Fault::Status(500)));
    api.sim
        .inject_fault(FaultRule::once(Operation::Any, Fault::Status(503)));
    let (status, code, _) = klarna_error(api.settlements(EU, "/payouts", &[]).await).await;
    assert_eq!((status, code.as_str()), (503, "TEMPORARILY_UNAVAILABLE"));
    assert_eq!(api.settlements(EU, "/payouts", &[]).await.status(), 200);
}

#[tokio::test]
async fn the_demo_has_past_payouts_and_pending_captures() {
    let sim = Simulator::start_demo().await.unwrap();
    let client = Client::new();
    for demo in demo_payouts() {
        let login = demo_credential(demo.host).unwrap();
        let url = format!(
            "{}/{}{SETTLEMENTS}/payouts/{}",
            sim.base_url(),
            demo.host,
            demo.payment_reference
        );
        let payout: Value = client
            .get(url)
            .basic_auth(login.username.unwrap(), Some(login.secret))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_payout(&payout);
        assert_eq!(payout["currency_code"], demo.currency);
        assert_eq!(
            payout["totals"]["settlement_amount"],
            demo.settlement_amount
        );
        let paid =
            OffsetDateTime::parse(payout["payout_date"].as_str().unwrap(), &Rfc3339).unwrap();
        let age = sim.now() - paid;
        assert!(age > Duration::days(6) && age < Duration::days(8), "{age}");
    }
    let eu = |path: String| {
        client
            .get(format!("{}{SETTLEMENTS}{path}", sim.base_url()))
            .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
    };
    let txs: Value = eu("/transactions?payment_reference=DEMOEU01".into())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let kinds: Vec<&str> = txs["transactions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["type"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "SALE").count(), 2);
    assert_eq!(kinds.iter().filter(|k| **k == "RETURN").count(), 1);
    assert_eq!(kinds.iter().filter(|k| **k == "FEE").count(), 2);
    // The settled orders exist in Order Management too.
    let order: Value = client
        .get(format!(
            "{}/ordermanagement/v1/orders/0d3f1a2e-0000-4000-8000-000000000101",
            sim.base_url()
        ))
        .basic_auth(DEMO_USERNAME, Some(DEMO_PASSWORD))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(order["status"], "CAPTURED");
    // Demo order 5's capture waits for the next payout run.
    let pending: Value = eu("/transactions?order_id=0d3f1a2e-0000-4000-8000-000000000005".into())
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(pending["transactions"][0]["amount"], 7_500);
    assert!(
        pending["transactions"][0]
            .get("payment_reference")
            .is_none()
    );
    // Seeding again neither doubles the history nor the demo orders' transactions.
    let before = sim.settlement_transactions().len();
    sim.seed_demo_orders();
    assert_eq!(sim.settlement_transactions().len(), before);
    assert_eq!(sim.payouts().len(), demo_payouts().len());
}

#[test]
fn every_demo_payout_is_listed_in_the_readme() {
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).unwrap();
    for demo in demo_payouts() {
        let row = readme
            .lines()
            .find(|l| l.starts_with(&format!("| `{}` ", demo.payment_reference)))
            .unwrap_or_else(|| panic!("README lacks demo payout {}", demo.payment_reference));
        let amount = format!(
            "{}.{:02} {}",
            demo.settlement_amount / 100,
            demo.settlement_amount % 100,
            demo.currency
        );
        assert!(row.contains(&amount), "{row} lacks {amount}");
        assert!(row.contains(&format!("`{}`", demo.host)), "{row}");
    }
}
