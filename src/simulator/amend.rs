//! Klarna's rules for changing an order after the purchase: extending the
//! authorization time, a new order amount and lines (updateAuthorization),
//! merchant references, the customer's shipping address, and acknowledging a
//! Klarna Checkout order. Each refusal is 403 `NOT_ALLOWED` with Klarna's
//! message where Klarna documents one. Pure, like `rules`: no HTTP, no locks,
//! time is passed in.

use serde_json::{Map, Value};
use time::OffsetDateTime;

use super::order::{Order, Status, authorization_expiry, latest_authorization_expiry};
use super::rules::{NOT_ALLOWED, Refusal, refuse};

/// A validated `PATCH …/authorization` body.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct AuthorizationUpdate {
    pub(crate) order_amount: i64,
    pub(crate) order_lines: Vec<Value>,
}

/// A validated `PATCH …/merchant-references` body: `Some` overwrites (an empty
/// string clears, as Klarna documents), `None` keeps.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct MerchantReferences {
    pub(crate) merchant_reference1: Option<String>,
    pub(crate) merchant_reference2: Option<String>,
}

/// A validated `PATCH …/customer-details` body.
#[derive(Debug, Clone, Default, PartialEq)]
pub(crate) struct CustomerDetails {
    /// Shipping-address fields to set; an empty string clears the field.
    pub(crate) shipping_address: Vec<(String, String)>,
    /// The body also carried a `billing_address` (Klarna's older schema has
    /// one; Klarna no longer lets it be changed).
    pub(crate) billing_address: bool,
}

/// Refuses in the statuses where nothing about the order can change any more,
/// naming the operation in Klarna's "… cannot be …" style.
fn refuse_if_final(order: &Order, now: OffsetDateTime, what: &str) -> Result<(), Refusal> {
    let state = match order.effective_status(now) {
        Status::Cancelled => "Order is cancelled.",
        // Klarna's own sample message for extend-authorization-time reads
        // "Order is expired."; we use it for every operation.
        Status::Expired => "Order is expired.",
        Status::Closed => "Order is closed.",
        Status::Authorized | Status::PartCaptured | Status::Captured => return Ok(()),
    };
    Err(refuse(NOT_ALLOWED, format!("{state} {what}")))
}

// Klarna documents the new expiry as "the current date plus the configured
// expiration days", repeated extensions on one day giving the same date, and
// a ceiling of 180 days after the purchase. Its worked example (order on 1
// January, extension on 15 January, 28 days) says 13 February, one day later
// than its own order sample's expiry rule gives; we choose the rule an order
// gets at purchase (`authorization_expiry`: midnight UTC starting the 28th day
// after the date), so an extension on the purchase day changes nothing.
//
// Klarna does not document what an extension past the 180-day ceiling does;
// we choose to stop at the ceiling (204), and once the expiry sits there, to
// refuse with 403, because a 204 would tell the merchant it gained time it
// did not.
//
// Klarna documents that expired and cancelled orders cannot be extended;
// fully captured and closed orders have nothing left to capture, so we choose
// to refuse them too (Klarna's merchant tooling only extends authorized or
// partly captured orders).
/// `POST …/extend-authorization-time`.
pub(crate) fn extend_authorization_time(
    order: &mut Order,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    const WHAT: &str = "Authorization time cannot be extended.";
    refuse_if_final(order, now, WHAT)?;
    if order.effective_status(now) == Status::Captured {
        return Err(refuse(
            NOT_ALLOWED,
            format!("Order is fully captured. {WHAT}"),
        ));
    }
    if order.purchase_country.eq_ignore_ascii_case("US")
        && order.payment_method() == "FIXED_SUM_CREDIT"
    {
        return Err(refuse(
            NOT_ALLOWED,
            format!("US orders paid with Slice it (Fixed-Sum Credit) cannot be extended. {WHAT}"),
        ));
    }
    let ceiling = latest_authorization_expiry(order.created_at);
    let wanted = authorization_expiry(now).min(ceiling);
    if wanted <= order.expires_at {
        if order.expires_at >= ceiling {
            return Err(refuse(
                NOT_ALLOWED,
                format!(
                    "Order authorization cannot be extended beyond 180 days after the purchase. {WHAT}"
                ),
            ));
        }
        return Ok(());
    }
    order.expires_at = wanted;
    Ok(())
}

/// Payment methods whose authorization Klarna can raise (its table), and in
/// which purchase countries; `None` means every market but CH.
const INCREASABLE: &[(&str, Option<&[&str]>)] = &[
    ("INVOICE", None),
    ("INVOICE_BUSINESS", None),
    ("B2B_INVOICE", None),
    ("ACCOUNT", None),
    ("BASE_ACCOUNT", None),
    ("DIRECT_DEBIT", None),
    (
        "FIXED_AMOUNT",
        Some(&["AT", "DE", "DK", "FI", "FR", "NL", "NO", "SE"]),
    ),
    ("DEFERRED_INTEREST", Some(&["US"])),
];

fn increase_supported(method: &str, country: &str) -> bool {
    let country = country.to_ascii_uppercase();
    INCREASABLE.iter().any(|(m, markets)| {
        *m == method
            && match markets {
                None => country != "CH",
                Some(list) => list.contains(&country.as_str()),
            }
    })
}

/// An increase above this multiple of the original order amount is refused by
/// the simulated risk assessment.
const MAX_INCREASE_FACTOR: i64 = 2;

// Klarna documents that every increase is a new risk assessment which may say
// no, without a rule a test could aim at. The simulator's risk assessment is
// deterministic: it refuses an increase (1) on an order seeded with
// `SeedOrder::refuses_increase`, (2) to more than twice the original order
// amount, or (3) while the fraud status is not ACCEPTED. Decreases never go
// through it.
fn risk_refuses_increase(order: &Order, new_amount: i64) -> bool {
    order.increase_refused
        || new_amount
            > order
                .original_order_amount
                .saturating_mul(MAX_INCREASE_FACTOR)
        || order.fraud_status != "ACCEPTED"
}

// Klarna does not document an order amount of 0 on an order without captures
// (schema minimum 0); we choose to refuse it and point at cancel, because an
// order with nothing authorized and nothing captured is a cancelled order by
// another name.
//
// Klarna does not document the status after a decrease down to the captured
// amount; we choose CAPTURED, as after a release, because nothing is left to
// capture.
/// `PATCH …/authorization`: a new order amount; the lines are replaced (Klarna:
/// "If no order lines are provided in the call, the original order lines will
/// be deleted").
pub(crate) fn update_authorization(
    order: &mut Order,
    req: AuthorizationUpdate,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    const WHAT: &str = "Order authorization cannot be updated";
    refuse_if_final(order, now, &format!("{WHAT}."))?;
    if order.effective_status(now) == Status::Captured {
        return Err(refuse(
            NOT_ALLOWED,
            format!("Order is fully captured. {WHAT}."),
        ));
    }
    if req.order_amount < order.captured_amount {
        // Klarna's documented message, word for word (no final full stop).
        return Err(refuse(
            NOT_ALLOWED,
            format!(
                "Resulting authorization amount {} cannot be less than the captured amount {} for order. {WHAT}",
                req.order_amount, order.captured_amount
            ),
        ));
    }
    if req.order_amount == 0 {
        return Err(refuse(
            NOT_ALLOWED,
            format!("Order amount cannot be updated to 0; cancel the order instead. {WHAT}."),
        ));
    }
    if req.order_amount > order.order_amount {
        let method = order.payment_method();
        if !increase_supported(method, &order.purchase_country) {
            return Err(refuse(
                NOT_ALLOWED,
                format!(
                    "Increasing the order amount is not supported for payment method {method} in {}. {WHAT}.",
                    order.purchase_country
                ),
            ));
        }
        if risk_refuses_increase(order, req.order_amount) {
            return Err(refuse(
                NOT_ALLOWED,
                format!(
                    "The increase was declined by Klarna's risk assessment; the customer can place a new order for the added items. {WHAT}."
                ),
            ));
        }
    }
    order.order_amount = req.order_amount;
    order.order_lines = req.order_lines;
    order.remaining_authorized_amount = req.order_amount.saturating_sub(order.captured_amount);
    if order.captured_amount > 0 && order.remaining_authorized_amount == 0 {
        order.status = Status::Captured;
    }
    Ok(())
}

// Klarna documents only the refusal for cancelled orders; we choose to allow
// the update in every other status (expired and closed orders included),
// because references are the merchant's bookkeeping and Klarna keeps orders
// readable for years.
/// `PATCH …/merchant-references`.
pub(crate) fn update_merchant_references(
    order: &mut Order,
    req: MerchantReferences,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    if order.effective_status(now) == Status::Cancelled {
        return Err(refuse(
            NOT_ALLOWED,
            "Order is cancelled. Merchant references cannot be updated.",
        ));
    }
    let apply = |slot: &mut Option<String>, value: Option<String>| {
        if let Some(v) = value {
            *slot = (!v.is_empty()).then_some(v);
        }
    };
    apply(&mut order.merchant_reference1, req.merchant_reference1);
    apply(&mut order.merchant_reference2, req.merchant_reference2);
    Ok(())
}

// Klarna documents that an address change is a new risk decision, without a
// rule. The simulator's is deterministic: a shipping address in another
// country than the purchase country is refused, because the credit decision
// was made for that market.
//
// Klarna documents that the billing address can no longer be changed; we
// choose to refuse a body that carries one (403) rather than ignore it,
// because a silent 204 would tell the merchant the billing address changed.
/// `PATCH …/customer-details`: fields are updated independently; an empty
/// string clears an optional field.
pub(crate) fn update_customer_details(
    order: &mut Order,
    req: CustomerDetails,
    now: OffsetDateTime,
) -> Result<(), Refusal> {
    const WHAT: &str = "Customer details cannot be updated.";
    refuse_if_final(order, now, WHAT)?;
    if req.billing_address {
        return Err(refuse(
            NOT_ALLOWED,
            format!("Billing address cannot be updated. {WHAT}"),
        ));
    }
    if let Some((_, country)) = req.shipping_address.iter().find(|(f, _)| f == "country")
        && !country.eq_ignore_ascii_case(&order.purchase_country)
    {
        return Err(refuse(
            NOT_ALLOWED,
            format!(
                "Shipping address country {} differs from the purchase country {}; the change was declined by Klarna's risk assessment. {WHAT}",
                country.to_ascii_uppercase(),
                order.purchase_country
            ),
        ));
    }
    let mut address = match order.shipping_address.as_object() {
        Some(map) => map.clone(),
        None => Map::new(),
    };
    for (field, value) in req.shipping_address {
        if value.is_empty() {
            address.remove(&field);
        } else if field == "country" {
            address.insert(field, Value::String(value.to_ascii_uppercase()));
        } else {
            address.insert(field, Value::String(value));
        }
    }
    order.shipping_address = Value::Object(address);
    Ok(())
}

// Klarna documents acknowledgement for Klarna Checkout orders only, with a
// 403 "Update not allowed" and no further rule. We choose: any other order is
// refused (NOT_ALLOWED); an order already acknowledged (or captured, which
// Klarna counts as acknowledged) answers 204 and changes nothing, so a retry
// without a key stays harmless; a cancelled, expired or closed order that was
// never acknowledged is refused, as there is nothing left to act on.
/// `POST …/acknowledge`.
pub(crate) fn acknowledge(order: &mut Order, now: OffsetDateTime) -> Result<(), Refusal> {
    const WHAT: &str = "Acknowledgement not possible.";
    if !order.klarna_checkout {
        return Err(refuse(
            NOT_ALLOWED,
            format!("Order was not placed through Klarna Checkout. {WHAT}"),
        ));
    }
    if order.is_acknowledged() {
        return Ok(());
    }
    refuse_if_final(order, now, WHAT)?;
    order.acknowledged = true;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn increases_follow_klarnas_payment_method_table() {
        assert!(increase_supported("INVOICE", "de"));
        assert!(!increase_supported("INVOICE", "CH"));
        assert!(increase_supported("FIXED_AMOUNT", "SE"));
        assert!(!increase_supported("FIXED_AMOUNT", "GB"));
        assert!(increase_supported("DEFERRED_INTEREST", "US"));
        assert!(!increase_supported("DEFERRED_INTEREST", "DE"));
        assert!(!increase_supported("CARD", "DE"));
    }
}
