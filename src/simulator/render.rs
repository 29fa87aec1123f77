//! Renders orders, captures and refunds as Klarna's snake_case JSON.
//!
//! Optional fields that were never set (merchant references, capture
//! description/reference, customer, order-level shipping info) are omitted
//! rather than sent as `null`,
//! which is how Klarna's samples look. Clients must treat every field as
//! optional anyway: Klarna's schema marks none of them required. (Tests that
//! need nulls or other odd values serve them with `Fault::Respond`.)

use serde::Serialize;
use serde_json::Value;
use time::OffsetDateTime;

use super::order::{Capture, Order, Refund};

/// RFC 3339 in UTC with exactly three fraction digits, like Klarna's samples
/// (`2022-07-08T09:48:16.680Z`, `2022-08-05T00:00:00.000Z`).
pub(crate) fn timestamp(t: OffsetDateTime) -> String {
    let t = t.to_offset(time::UtcOffset::UTC);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second(),
        t.millisecond()
    )
}

#[derive(Serialize)]
struct OrderView<'a> {
    order_id: &'a str,
    status: &'static str,
    fraud_status: &'a str,
    order_amount: i64,
    original_order_amount: i64,
    captured_amount: i64,
    refunded_amount: i64,
    remaining_authorized_amount: i64,
    purchase_country: &'a str,
    purchase_currency: &'a str,
    locale: &'a str,
    order_lines: &'a [Value],
    #[serde(skip_serializing_if = "Option::is_none")]
    merchant_reference1: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    merchant_reference2: Option<&'a str>,
    klarna_reference: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    customer: Option<&'a Value>,
    billing_address: &'a Value,
    shipping_address: &'a Value,
    created_at: String,
    expires_at: String,
    captures: Vec<CaptureView<'a>>,
    refunds: Vec<RefundView<'a>>,
    initial_payment_method: &'a Value,
    // Klarna does not document whether an order without order-level shipping
    // info carries `shipping_info: []`; we choose to omit it, because the
    // field is newer than the rest of the order (clients written against the
    // older schema never saw it) and it is optional like every field.
    #[serde(skip_serializing_if = "<[Value]>::is_empty")]
    shipping_info: &'a [Value],
}

#[derive(Serialize)]
struct CaptureView<'a> {
    capture_id: &'a str,
    klarna_reference: &'a str,
    captured_amount: i64,
    captured_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    order_lines: &'a [Value],
    refunded_amount: i64,
    billing_address: &'a Value,
    shipping_address: &'a Value,
    shipping_info: &'a [Value],
}

#[derive(Serialize)]
struct RefundView<'a> {
    refund_id: &'a str,
    refunded_amount: i64,
    refunded_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    reference: Option<&'a str>,
    order_lines: &'a [Value],
}

fn capture_view<'a>(order: &'a Order, c: &'a Capture) -> CaptureView<'a> {
    CaptureView {
        capture_id: &c.capture_id,
        klarna_reference: &c.klarna_reference,
        captured_amount: c.captured_amount,
        captured_at: timestamp(c.captured_at),
        description: c.description.as_deref(),
        reference: c.reference.as_deref(),
        order_lines: &c.order_lines,
        refunded_amount: c.refunded_amount,
        billing_address: &order.billing_address,
        shipping_address: &c.shipping_address,
        shipping_info: &c.shipping_info,
    }
}

fn refund_view(r: &Refund) -> RefundView<'_> {
    RefundView {
        refund_id: &r.refund_id,
        refunded_amount: r.refunded_amount,
        refunded_at: timestamp(r.refunded_at),
        description: r.description.as_deref(),
        reference: r.reference.as_deref(),
        order_lines: &r.order_lines,
    }
}

/// The order as `GET /orders/{id}` returns it at simulated time `now`.
pub(crate) fn order_value(order: &Order, now: OffsetDateTime) -> Value {
    let view = OrderView {
        order_id: &order.order_id,
        status: order.effective_status(now).as_str(),
        fraud_status: &order.fraud_status,
        order_amount: order.order_amount,
        original_order_amount: order.original_order_amount,
        captured_amount: order.captured_amount,
        refunded_amount: order.refunded_amount,
        remaining_authorized_amount: order.effective_remaining(now),
        purchase_country: &order.purchase_country,
        purchase_currency: &order.purchase_currency,
        locale: &order.locale,
        order_lines: &order.order_lines,
        merchant_reference1: order.merchant_reference1.as_deref(),
        merchant_reference2: order.merchant_reference2.as_deref(),
        klarna_reference: &order.klarna_reference,
        customer: order.customer.as_ref(),
        billing_address: &order.billing_address,
        shipping_address: &order.shipping_address,
        created_at: timestamp(order.created_at),
        expires_at: timestamp(order.expires_at),
        captures: order
            .captures
            .iter()
            .map(|c| capture_view(order, c))
            .collect(),
        refunds: order.refunds.iter().map(refund_view).collect(),
        initial_payment_method: &order.initial_payment_method,
        shipping_info: &order.shipping_info,
    };
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// One capture as `GET /captures/{capture_id}` returns it.
pub(crate) fn capture_value(order: &Order, c: &Capture) -> Value {
    serde_json::to_value(capture_view(order, c)).unwrap_or(Value::Null)
}

/// Every capture, as `GET /captures` returns them.
pub(crate) fn captures_value(order: &Order) -> Value {
    let views: Vec<CaptureView<'_>> = order
        .captures
        .iter()
        .map(|c| capture_view(order, c))
        .collect();
    serde_json::to_value(views).unwrap_or(Value::Null)
}

#[derive(Serialize)]
struct DueDateOption {
    number_of_days: i64,
    amount: i64,
}

#[derive(Serialize)]
struct DueDateOptions {
    currency: String,
    options: Vec<DueDateOption>,
}

/// `ExtendDueDateOptions`: the options `(number_of_days, fee)` in `currency`.
pub(crate) fn due_date_options_value(currency: &str, options: &[(i64, i64)]) -> Value {
    let view = DueDateOptions {
        currency: currency.to_owned(),
        options: options
            .iter()
            .map(|&(number_of_days, amount)| DueDateOption {
                number_of_days,
                amount,
            })
            .collect(),
    };
    serde_json::to_value(view).unwrap_or(Value::Null)
}

/// One refund as `GET /refunds/{refund_id}` returns it.
pub(crate) fn refund_value(r: &Refund) -> Value {
    serde_json::to_value(refund_view(r)).unwrap_or(Value::Null)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use time::format_description::well_known::Rfc3339;

    #[test]
    fn timestamps_always_have_three_fraction_digits_in_utc() {
        for (input, shown) in [
            ("2022-07-08T09:48:16.680Z", "2022-07-08T09:48:16.680Z"),
            ("2022-08-05T00:00:00Z", "2022-08-05T00:00:00.000Z"),
            (
                "2022-08-05T02:00:00.123456+02:00",
                "2022-08-05T00:00:00.123Z",
            ),
        ] {
            let t = OffsetDateTime::parse(input, &Rfc3339).unwrap();
            assert_eq!(timestamp(t), shown);
        }
    }
}
