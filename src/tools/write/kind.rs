//! Write kinds as data: one [`KindSpec`] per write — its name and noun, how it is sent and
//! what proves Klarna applied it, its amount rule and cap, its replay rule, the target it
//! acts on, when Klarna allows it (which is also the next-step hint every order view shows),
//! when an order view names it at all, whether its body is personal data, and what to do
//! when Klarna refuses it. The pipeline (`mod.rs`) and the order views ask the spec; nothing
//! else branches on the kind, so a new write is a new spec here, its tool file and its body.
//!
//! The money writes (capture, refund, cancel, release) are in the default `orders` toolset;
//! the `fulfilment` writes (tracking, a send-out, more authorization time, references, an
//! acknowledgement) change the order without moving money; the `amendments` writes change
//! what the customer pays or owes (a new order total, a due date for a fee, the shipping
//! address).

use time::{Duration, OffsetDateTime, format_description::well_known::Rfc3339};

use crate::{
    klarna::{CreatedKind, Proof, types::Order},
    money::format_money,
};

/// How a write is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HttpMethod {
    /// `POST`.
    Post,
    /// `PATCH`.
    Patch,
}

impl HttpMethod {
    pub fn to_reqwest(self) -> reqwest::Method {
        match self {
            Self::Post => reqwest::Method::POST,
            Self::Patch => reqwest::Method::PATCH,
        }
    }
}

/// One segment of a write's path below `…/orders/{order_id}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Segment {
    /// A fixed segment, e.g. `captures`.
    Fixed(&'static str),
    /// The id of the capture or refund the write acts on.
    Target,
}

/// What the amount of a write means, and what bounds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AmountRule {
    /// The write moves no amount (references, tracking, a send-out): 0 is recorded.
    Unmoved,
    /// It sets a new order total (an authorization update): the amount given is the new
    /// total; an increase over the current total is what its cap bounds.
    NewTotal,
    /// It ends what remains authorized (cancel, release): the amount recorded is what was
    /// still authorized; none is sent.
    EndsRemaining,
    /// It moves an amount up to what remains authorized; omitted, all of it (capture).
    UpToRemaining,
    /// It moves an amount up to what was captured and not refunded (refund).
    UpToRefundable,
}

/// Which configured cap bounds a write's amount.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cap {
    /// `KLARNA_MAX_CAPTURE_AMOUNT`.
    Capture,
    /// `KLARNA_MAX_REFUND_AMOUNT`.
    Refund,
    /// `KLARNA_MAX_ORDER_INCREASE_AMOUNT`: how much a new order total may exceed the current
    /// one (a decrease is never capped).
    Increase,
}

impl Cap {
    /// The variable that sets it.
    pub fn variable(self) -> &'static str {
        match self {
            Self::Capture => "KLARNA_MAX_CAPTURE_AMOUNT",
            Self::Refund => "KLARNA_MAX_REFUND_AMOUNT",
            Self::Increase => "KLARNA_MAX_ORDER_INCREASE_AMOUNT",
        }
    }
}

/// How a success is told from Klarna's replay of an earlier call with the same key.
#[derive(Debug, Clone, Copy)]
pub enum ReplayRule {
    /// The answer names what it created: a replay names a capture or refund the order
    /// already had before this call, or one the journal holds for another operation.
    CreatedId,
    /// The state the write leads to was already reached before this call was sent (Klarna
    /// refuses a second cancel or release, so a success there is a replay).
    StateReached(fn(&OrderState) -> bool),
    /// Nothing in Klarna's answer or the order tells a replay from a first success (a
    /// repeated tracking number, say): the result says that a repeated key is never applied
    /// twice, instead of claiming either.
    Undetectable,
}

/// What a write acts on: the order, or one of its captures or refunds (whose id the tool
/// takes as an argument and the path carries).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The order itself.
    Order,
    /// One capture of the order.
    Capture,
    /// One refund of the order.
    Refund,
}

/// When an order view's next steps name a kind: the money writes always (allowed, or blocked
/// and why); the others only when the order calls for them, so a view does not list every
/// tool that would merely be accepted.
#[derive(Debug, Clone, Copy)]
pub enum Listed {
    /// Always.
    Always,
    /// When this says the order calls for it now (an authorization about to lapse, a capture
    /// without tracking), judged at the given time.
    WhenDue(fn(&OrderState, OffsetDateTime) -> bool),
    /// Never: a change the user asks for (references, an address, a new total).
    OnRequest,
}

/// An order's state, as the rules of every kind need it (amounts in minor units).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderState {
    /// AUTHORIZED, PART_CAPTURED, CAPTURED, CANCELLED, EXPIRED, CLOSED (or UNKNOWN).
    pub status: String,
    /// ACCEPTED, PENDING, REJECTED, or absent.
    pub fraud_status: Option<String>,
    /// ISO 4217, upper case.
    pub currency: String,
    /// Sum of captures.
    pub captured: i64,
    /// Captured minus refunded.
    pub refundable: i64,
    /// Still authorized.
    pub remaining: i64,
    /// Current authorized total.
    pub order_amount: i64,
    /// Capture deadline (RFC 3339), when Klarna gave it.
    pub expires_at: Option<String>,
    /// The captures, as the rules of writes on a capture need them.
    pub captures: Vec<CaptureState>,
}

/// A capture, as the rules of writes that act on one need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureState {
    /// Capture id.
    pub id: String,
    /// Whether it carries tracking.
    pub has_tracking: bool,
}

impl OrderState {
    /// From Klarna's order (missing numbers read as 0).
    pub fn of(order: &Order) -> Self {
        let captured = order.captured_amount.unwrap_or(0);
        let refunded = order.refunded_amount.unwrap_or(0);
        Self {
            status: order.status.clone().unwrap_or_else(|| "UNKNOWN".into()),
            fraud_status: order.fraud_status.clone(),
            currency: order
                .purchase_currency
                .clone()
                .unwrap_or_default()
                .to_ascii_uppercase(),
            captured,
            refundable: captured.saturating_sub(refunded).max(0),
            remaining: order.remaining_authorized_amount.unwrap_or(0),
            order_amount: order.order_amount.unwrap_or(0),
            expires_at: order.expires_at.clone(),
            captures: order
                .captures
                .iter()
                .filter_map(|c| {
                    Some(CaptureState {
                        id: c.capture_id.clone()?,
                        has_tracking: !c.shipping_info.is_empty(),
                    })
                })
                .collect(),
        }
    }

    /// The capture `id` (ids compare without regard to case).
    pub fn capture(&self, id: &str) -> Option<&CaptureState> {
        self.captures.iter().find(|c| c.id.eq_ignore_ascii_case(id))
    }

    /// The capture deadline, when Klarna gave a readable one.
    pub fn expires(&self) -> Option<OffsetDateTime> {
        OffsetDateTime::parse(self.expires_at.as_deref()?, &Rfc3339).ok()
    }

    /// The captures that carry no tracking yet.
    pub fn untracked_captures(&self) -> Vec<&str> {
        self.captures
            .iter()
            .filter(|c| !c.has_tracking)
            .map(|c| c.id.as_str())
            .collect()
    }

    /// Why nothing more can be done with the authorization, when the order has ended.
    pub fn ended(&self) -> Option<&'static str> {
        match self.status.as_str() {
            "CANCELLED" => Some("the order is cancelled"),
            "EXPIRED" => Some("the authorization has expired"),
            "CLOSED" => Some("the order is closed"),
            _ => None,
        }
    }

    fn money(&self, amount: i64) -> String {
        format_money(amount, &self.currency)
    }
}

/// Another way on, named in a blocked action's reason: `tools[0]` must be allowed now and
/// every tool of it served, or the way is not shown (a hint never points at another blocked
/// action, nor at a tool this server does not offer).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WayOn {
    /// The tools it uses, in order.
    pub tools: &'static [&'static str],
    /// One phrase, e.g. "to drop the authorization: cancel_order".
    pub text: &'static str,
}

/// Whether Klarna would accept a write now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Availability {
    /// It would: with the largest amount it takes (if it takes one) and what it does here.
    Allowed {
        /// Largest amount, minor units.
        max_amount: Option<i64>,
        /// One phrase.
        note: String,
    },
    /// It would not: why, and the ways on.
    Blocked {
        /// Why.
        why: String,
        /// What to do instead.
        instead: Vec<WayOn>,
    },
}

fn allowed(max_amount: Option<i64>, note: String) -> Availability {
    Availability::Allowed { max_amount, note }
}

fn blocked(why: impl Into<String>, instead: &[WayOn]) -> Availability {
    Availability::Blocked {
        why: why.into(),
        instead: instead.to_vec(),
    }
}

/// One write kind.
pub struct KindSpec {
    /// The tool's name (also the kind's name in the journal).
    pub tool: &'static str,
    /// The write as a phrase opening a sentence ("Capture", "Release the remaining
    /// authorization of").
    pub noun: &'static str,
    /// The write as a noun phrase in running text ("a capture").
    pub article: &'static str,
    /// How it is sent.
    pub method: HttpMethod,
    /// Its path below `…/orders/{order_id}`.
    pub path: &'static [Segment],
    /// What proves Klarna applied it.
    pub proof: Proof,
    /// What its amount means.
    pub amount: AmountRule,
    /// The cap that bounds it.
    pub cap: Option<Cap>,
    /// How a replay is recognised.
    pub replay: ReplayRule,
    /// What it acts on.
    pub target: Target,
    /// Whether Klarna would accept it now — on the order, or on the capture or refund
    /// `target` names (`None`: on any of them, as the next steps list it).
    pub availability: fn(&OrderState, Option<&str>) -> Availability,
    /// What to do after Klarna refused it with `error_code`, given the order read before.
    pub refusal_hint: fn(&str, &RefusalContext<'_>) -> Option<String>,
    /// When an order view's next steps name it.
    pub listed: Listed,
    /// Its body is the customer's personal data: the journal keeps no digest of it, and a
    /// result shows it only with `KLARNA_INCLUDE_PERSONAL_DATA`.
    pub personal_data: bool,
}

impl std::fmt::Debug for KindSpec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.tool)
    }
}

impl PartialEq for KindSpec {
    fn eq(&self, other: &Self) -> bool {
        self.tool == other.tool
    }
}

impl KindSpec {
    /// Whether the caller names the amount it moves (capture, refund), rather than the write
    /// ending what remains or moving nothing.
    pub fn moves_money(&self) -> bool {
        matches!(
            self.amount,
            AmountRule::UpToRemaining | AmountRule::UpToRefundable
        )
    }

    /// What it is, without the article: "capture", "release of the remaining authorization".
    pub fn label(&self) -> &'static str {
        self.article
            .split_once(' ')
            .map_or(self.article, |(_, rest)| rest)
    }

    /// Whether it changes the order (tracking, references, a new total, …) rather than
    /// capturing, refunding or ending the authorization.
    pub fn changes_the_order(&self) -> bool {
        matches!(self.amount, AmountRule::Unmoved | AmountRule::NewTotal)
    }

    /// The path below the order, with the target's id in its place.
    pub fn path_with(&self, target_id: Option<&str>) -> Vec<String> {
        self.path
            .iter()
            .map(|s| match s {
                Segment::Fixed(s) => (*s).to_string(),
                Segment::Target => target_id.unwrap_or_default().to_string(),
            })
            .collect()
    }
}

/// What a refusal hint may use: the order before the write (when it was read).
pub struct RefusalContext<'a> {
    /// The order as read before the write.
    pub before: Option<&'a Order>,
}

impl RefusalContext<'_> {
    fn state(&self) -> Option<OrderState> {
        self.before.map(OrderState::of)
    }
}

/// `capture_order`.
pub static CAPTURE: KindSpec = KindSpec {
    tool: "capture_order",
    noun: "Capture",
    article: "a capture",
    method: HttpMethod::Post,
    path: &[Segment::Fixed("captures")],
    proof: Proof::Created(CreatedKind::Capture),
    amount: AmountRule::UpToRemaining,
    cap: Some(Cap::Capture),
    replay: ReplayRule::CreatedId,
    target: Target::Order,
    availability: capture_availability,
    refusal_hint: capture_refusal,
    listed: Listed::Always,
    personal_data: false,
};

/// `refund_order`.
pub static REFUND: KindSpec = KindSpec {
    tool: "refund_order",
    noun: "Refund",
    article: "a refund",
    method: HttpMethod::Post,
    path: &[Segment::Fixed("refunds")],
    proof: Proof::Created(CreatedKind::Refund),
    amount: AmountRule::UpToRefundable,
    cap: Some(Cap::Refund),
    replay: ReplayRule::CreatedId,
    target: Target::Order,
    availability: refund_availability,
    refusal_hint: refund_refusal,
    listed: Listed::Always,
    personal_data: false,
};

/// `cancel_order`.
pub static CANCEL: KindSpec = KindSpec {
    tool: "cancel_order",
    noun: "Cancel",
    article: "a cancel",
    method: HttpMethod::Post,
    path: &[Segment::Fixed("cancel")],
    proof: Proof::NoContent,
    amount: AmountRule::EndsRemaining,
    cap: None,
    replay: ReplayRule::StateReached(|s| s.status == "CANCELLED"),
    target: Target::Order,
    availability: cancel_availability,
    refusal_hint: cancel_refusal,
    listed: Listed::Always,
    personal_data: false,
};

/// `release_remaining_authorization`.
pub static RELEASE: KindSpec = KindSpec {
    tool: "release_remaining_authorization",
    noun: "Release the remaining authorization of",
    article: "a release of the remaining authorization",
    method: HttpMethod::Post,
    path: &[Segment::Fixed("release-remaining-authorization")],
    proof: Proof::NoContent,
    amount: AmountRule::EndsRemaining,
    cap: None,
    replay: ReplayRule::StateReached(|s| s.remaining == 0),
    target: Target::Order,
    availability: release_availability,
    refusal_hint: release_refusal,
    listed: Listed::Always,
    personal_data: false,
};

/// `add_shipping_info`: tracking appended to one capture.
pub static ADD_SHIPPING_INFO: KindSpec = KindSpec {
    tool: "add_shipping_info",
    noun: "Add shipping info to",
    article: "a shipping info update",
    method: HttpMethod::Post,
    path: &[
        Segment::Fixed("captures"),
        Segment::Target,
        Segment::Fixed("shipping-info"),
    ],
    proof: Proof::NoContent,
    amount: AmountRule::Unmoved,
    cap: None,
    replay: ReplayRule::Undetectable,
    target: Target::Capture,
    availability: capture_shipping_availability,
    refusal_hint: capture_shipping_refusal,
    listed: Listed::WhenDue(|s, _| !s.untracked_captures().is_empty()),
    personal_data: false,
};

/// `add_order_shipping_info`: tracking appended to the order itself.
pub static ADD_ORDER_SHIPPING_INFO: KindSpec = KindSpec {
    tool: "add_order_shipping_info",
    noun: "Add shipping info to",
    article: "an order shipping info update",
    method: HttpMethod::Post,
    path: &[Segment::Fixed("shipping-info")],
    proof: Proof::NoContent,
    amount: AmountRule::Unmoved,
    cap: None,
    replay: ReplayRule::Undetectable,
    target: Target::Order,
    availability: |_, _| {
        allowed(
            None,
            "append tracking to the order itself, not to one capture".into(),
        )
    },
    refusal_hint: |_, _| None,
    listed: Listed::OnRequest,
    personal_data: false,
};

/// `resend_customer_communication`: Klarna sends a capture's customer communication again.
pub static RESEND_COMMUNICATION: KindSpec = KindSpec {
    tool: "resend_customer_communication",
    noun: "Resend the customer communication for",
    article: "a resend of the customer communication",
    method: HttpMethod::Post,
    path: &[
        Segment::Fixed("captures"),
        Segment::Target,
        Segment::Fixed("trigger-send-out"),
    ],
    proof: Proof::NoContent,
    amount: AmountRule::Unmoved,
    cap: None,
    replay: ReplayRule::Undetectable,
    target: Target::Capture,
    availability: send_out_availability,
    refusal_hint: send_out_refusal,
    listed: Listed::OnRequest,
    personal_data: false,
};

/// `extend_authorization_time`: the capture deadline moves to today plus the merchant's
/// authorization period.
pub static EXTEND_AUTHORIZATION: KindSpec = KindSpec {
    tool: "extend_authorization_time",
    noun: "Extend the authorization time of",
    article: "an extension of the authorization time",
    method: HttpMethod::Post,
    path: &[Segment::Fixed("extend-authorization-time")],
    proof: Proof::NoContent,
    amount: AmountRule::Unmoved,
    cap: None,
    // A second extension on the same day gives the same date, so the order cannot tell.
    replay: ReplayRule::Undetectable,
    target: Target::Order,
    availability: extend_authorization_availability,
    refusal_hint: extend_authorization_refusal,
    listed: Listed::WhenDue(expires_soon),
    personal_data: false,
};

/// `update_merchant_references`.
pub static UPDATE_REFERENCES: KindSpec = KindSpec {
    tool: "update_merchant_references",
    noun: "Update the merchant references of",
    article: "an update of the merchant references",
    method: HttpMethod::Patch,
    path: &[Segment::Fixed("merchant-references")],
    proof: Proof::NoContent,
    amount: AmountRule::Unmoved,
    cap: None,
    replay: ReplayRule::Undetectable,
    target: Target::Order,
    availability: references_availability,
    refusal_hint: references_refusal,
    listed: Listed::OnRequest,
    personal_data: false,
};

/// `acknowledge_order` (Klarna Checkout orders).
pub static ACKNOWLEDGE: KindSpec = KindSpec {
    tool: "acknowledge_order",
    noun: "Acknowledge",
    article: "an acknowledgement",
    method: HttpMethod::Post,
    path: &[Segment::Fixed("acknowledge")],
    proof: Proof::NoContent,
    amount: AmountRule::Unmoved,
    cap: None,
    // Klarna answers an acknowledged order's acknowledgement with 204 as well.
    replay: ReplayRule::Undetectable,
    target: Target::Order,
    // Whether an order came through Klarna Checkout, and whether it was acknowledged, is not
    // in the order Klarna shows: Klarna decides.
    availability: |_, _| {
        allowed(
            None,
            "confirm to Klarna that a Klarna Checkout order reached your system".into(),
        )
    },
    refusal_hint: acknowledge_refusal,
    listed: Listed::OnRequest,
    personal_data: false,
};

/// `update_order_amount`: a new order total (and lines); an increase is a new risk decision.
pub static UPDATE_AMOUNT: KindSpec = KindSpec {
    tool: "update_order_amount",
    noun: "Change the total of",
    article: "an order amount update",
    method: HttpMethod::Patch,
    path: &[Segment::Fixed("authorization")],
    proof: Proof::NoContent,
    amount: AmountRule::NewTotal,
    cap: Some(Cap::Increase),
    // The same total with other lines is another change, so the order cannot tell.
    replay: ReplayRule::Undetectable,
    target: Target::Order,
    availability: update_amount_availability,
    refusal_hint: update_amount_refusal,
    listed: Listed::OnRequest,
    personal_data: false,
};

/// `extend_due_date`: a capture's payment due date moves, for a fee the merchant pays.
pub static EXTEND_DUE_DATE: KindSpec = KindSpec {
    tool: "extend_due_date",
    noun: "Extend the payment due date of",
    article: "a due date extension",
    method: HttpMethod::Patch,
    path: &[
        Segment::Fixed("captures"),
        Segment::Target,
        Segment::Fixed("extend-due-date"),
    ],
    proof: Proof::NoContent,
    amount: AmountRule::Unmoved,
    cap: None,
    replay: ReplayRule::Undetectable,
    target: Target::Capture,
    availability: due_date_availability,
    refusal_hint: due_date_refusal,
    listed: Listed::OnRequest,
    personal_data: false,
};

/// `update_customer_details`: the customer's shipping address.
pub static UPDATE_CUSTOMER: KindSpec = KindSpec {
    tool: "update_customer_details",
    noun: "Update the shipping address of",
    article: "an update of the customer's shipping address",
    method: HttpMethod::Patch,
    path: &[Segment::Fixed("customer-details")],
    proof: Proof::NoContent,
    amount: AmountRule::Unmoved,
    cap: None,
    replay: ReplayRule::Undetectable,
    target: Target::Order,
    availability: customer_availability,
    refusal_hint: customer_refusal,
    listed: Listed::OnRequest,
    personal_data: true,
};

/// Every write kind, in the order their next steps are listed.
pub static ALL: &[&KindSpec] = &[
    &CAPTURE,
    &REFUND,
    &CANCEL,
    &RELEASE,
    &EXTEND_AUTHORIZATION,
    &ADD_SHIPPING_INFO,
    &ADD_ORDER_SHIPPING_INFO,
    &RESEND_COMMUNICATION,
    &UPDATE_REFERENCES,
    &ACKNOWLEDGE,
    &UPDATE_AMOUNT,
    &EXTEND_DUE_DATE,
    &UPDATE_CUSTOMER,
];

/// How far ahead an order view warns that the authorization lapses.
pub const EXPIRY_WARNING: Duration = Duration::days(7);

/// Whether the authorization lapses within [`EXPIRY_WARNING`] of `now` while something is
/// still authorized to capture.
fn expires_soon(s: &OrderState, now: OffsetDateTime) -> bool {
    s.ended().is_none()
        && s.remaining > 0
        && s.expires()
            .is_some_and(|at| at > now && at - now <= EXPIRY_WARNING)
}

/// The kind whose tool is `tool`.
pub fn by_tool(tool: &str) -> Option<&'static KindSpec> {
    ALL.iter().copied().find(|k| k.tool == tool)
}

const CANCEL_INSTEAD: WayOn = WayOn {
    tools: &["cancel_order"],
    text: "to drop the authorization: cancel_order",
};

fn capture_availability(s: &OrderState, _target: Option<&str>) -> Availability {
    if let Some(why) = s.ended() {
        return blocked(format!("{why}: nothing can be captured"), &[]);
    }
    match s.fraud_status.as_deref().unwrap_or("ACCEPTED") {
        "PENDING" => blocked(
            "fraud status PENDING: Klarna allows a capture only once it is ACCEPTED — do not ship yet; check again later with get_order",
            &[],
        ),
        "REJECTED" => blocked(
            "fraud status REJECTED: do not ship",
            &[WayOn {
                tools: &["cancel_order"],
                text: "cancel the order: cancel_order",
            }],
        ),
        "ACCEPTED" if s.remaining > 0 => allowed(
            Some(s.remaining),
            format!(
                "capture up to {} (omit amount for all of it); ship what you capture",
                s.money(s.remaining)
            ),
        ),
        "ACCEPTED" => blocked(
            "nothing remains authorized: the order is fully captured or the rest was released",
            &[],
        ),
        other => blocked(
            format!(
                "fraud status {other}: Klarna allows a capture only once it is ACCEPTED — do not ship yet; check with get_order"
            ),
            &[],
        ),
    }
}

fn refund_availability(s: &OrderState, _target: Option<&str>) -> Availability {
    // What was captured and not refunded stays refundable, whatever happened to the rest.
    if s.status == "CLOSED" {
        blocked("the order is closed", &[])
    } else if s.captured <= 0 {
        blocked(
            "nothing has been captured, so nothing can be refunded",
            &[
                WayOn {
                    tools: &["capture_order", "release_remaining_authorization"],
                    text: "if the customer returned part of it: capture_order for what they kept, then release_remaining_authorization for the rest",
                },
                WayOn {
                    tools: &["cancel_order"],
                    text: "if nothing is kept or the order should not be charged at all: cancel_order",
                },
            ],
        )
    } else if s.refundable <= 0 {
        blocked("everything captured has already been refunded", &[])
    } else {
        allowed(
            Some(s.refundable),
            format!("refund up to {}", s.money(s.refundable)),
        )
    }
}

fn cancel_availability(s: &OrderState, _target: Option<&str>) -> Availability {
    if let Some(why) = s.ended() {
        blocked(format!("{why}: nothing to cancel"), &[])
    } else if s.captured > 0 {
        blocked(
            "the order has captures",
            &[
                WayOn {
                    tools: &["refund_order"],
                    text: "to give money back: refund_order",
                },
                WayOn {
                    tools: &["release_remaining_authorization"],
                    text: "to drop the uncaptured rest: release_remaining_authorization",
                },
            ],
        )
    } else {
        allowed(
            None,
            format!(
                "cancel the whole order, releasing {} authorized",
                s.money(s.remaining)
            ),
        )
    }
}

fn release_availability(s: &OrderState, _target: Option<&str>) -> Availability {
    if let Some(why) = s.ended() {
        blocked(format!("{why}: nothing to release"), &[])
    } else if s.captured <= 0 {
        blocked("nothing has been captured", &[CANCEL_INSTEAD])
    } else if s.remaining <= 0 {
        blocked("nothing remains authorized", &[])
    } else {
        allowed(
            None,
            format!(
                "give up the {} not captured (after the final partial capture)",
                s.money(s.remaining)
            ),
        )
    }
}

fn capture_refusal(code: &str, c: &RefusalContext<'_>) -> Option<String> {
    if code != "CAPTURE_NOT_ALLOWED" {
        return None;
    }
    let Some(s) = c.state() else {
        return Some(
            "A capture cannot exceed the remaining authorized amount; check with get_order.".into(),
        );
    };
    let fraud = s.fraud_status.as_deref().unwrap_or("");
    Some(if fraud == "PENDING" || fraud == "REJECTED" {
        format!(
            "The order's fraud status is {fraud}: Klarna allows a capture only once it is ACCEPTED. Check again later \
             with get_order; do not ship before then."
        )
    } else if s.ended().is_some() {
        format!("The order is {} and can no longer be captured.", s.status)
    } else {
        format!(
            "At most {} remains authorized on this order: capture that amount or less (omit amount to capture all of it).",
            s.money(s.remaining)
        )
    })
}

fn refund_refusal(code: &str, c: &RefusalContext<'_>) -> Option<String> {
    if code != "REFUND_NOT_ALLOWED" {
        return None;
    }
    let Some(s) = c.state() else {
        return Some(
            "Refunds need a capture first, and cannot exceed captured minus already refunded; check with get_order."
                .into(),
        );
    };
    Some(if s.captured == 0 {
        "Nothing has been captured on this order, so there is nothing to refund: capture it first with capture_order \
         (or, if it should not be charged at all, cancel_order)."
            .into()
    } else {
        format!(
            "At most {} can be refunded (captured {}, already refunded {}): refund that amount or less.",
            s.money(s.refundable),
            s.money(s.captured),
            s.money(s.captured - s.refundable)
        )
    })
}

fn cancel_refusal(code: &str, _: &RefusalContext<'_>) -> Option<String> {
    (code == "CANCEL_NOT_ALLOWED").then(|| {
        "An order with captures (or a closed one) cannot be cancelled. To give money back use refund_order; to stop \
         further captures and free the rest of the authorization use release_remaining_authorization."
            .into()
    })
}

fn release_refusal(_code: &str, c: &RefusalContext<'_>) -> Option<String> {
    let Some(s) = c.state() else {
        return Some(
            "Release is allowed only on a partly captured order with an authorization left; check with get_order."
                .into(),
        );
    };
    Some(if s.status == "CANCELLED" {
        "The order is cancelled: nothing remains to release.".into()
    } else if s.captured == 0 {
        "Release applies after a partial capture. With nothing captured, use cancel_order to drop the whole authorization.".into()
    } else if s.remaining == 0 {
        "Nothing remains to release: the order is fully captured.".into()
    } else {
        "Release is allowed only on a partly captured order with an authorization left; check with get_order.".into()
    })
}

/// Where a write on a capture stands: `Err` when the order has no captures, or not `id`.
fn on_capture<'a>(
    s: &'a OrderState,
    id: Option<&str>,
    what: &str,
) -> Result<Option<&'a CaptureState>, Availability> {
    if s.captures.is_empty() {
        return Err(blocked(
            format!("the order has no captures yet: {what} acts on a capture"),
            &[],
        ));
    }
    match id {
        None => Ok(None),
        Some(id) => s.capture(id).map(Some).ok_or_else(|| {
            blocked(
                format!(
                    "the order has no capture {id} (its captures: {}; list_captures or get_order shows them)",
                    s.captures
                        .iter()
                        .map(|c| c.id.as_str())
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                &[],
            )
        }),
    }
}

fn capture_shipping_availability(s: &OrderState, target: Option<&str>) -> Availability {
    if s.captures.is_empty() {
        return blocked(
            "the order has no captures yet: this tracking goes on a capture",
            &[WayOn {
                tools: &["add_order_shipping_info"],
                text: "to track a shipment before capturing: add_order_shipping_info",
            }],
        );
    }
    match on_capture(s, target, "tracking") {
        Err(blocked) => blocked,
        Ok(Some(c)) => allowed(None, format!("append tracking to capture {}", c.id)),
        Ok(None) => {
            let untracked = s.untracked_captures();
            if untracked.is_empty() {
                allowed(
                    None,
                    "every capture has tracking; more can be appended".into(),
                )
            } else {
                allowed(
                    None,
                    format!(
                        "capture {} has no tracking yet: add the carrier and tracking number with its captureId",
                        untracked.join(", capture ")
                    ),
                )
            }
        }
    }
}

fn send_out_availability(s: &OrderState, target: Option<&str>) -> Availability {
    match on_capture(s, target, "a send-out") {
        Err(blocked) => blocked,
        Ok(Some(c)) => allowed(
            None,
            format!(
                "Klarna sends the customer capture {}'s payment details again",
                c.id
            ),
        ),
        Ok(None) => allowed(
            None,
            "Klarna sends the customer a capture's payment details again".into(),
        ),
    }
}

fn extend_authorization_availability(s: &OrderState, _target: Option<&str>) -> Availability {
    if let Some(why) = s.ended() {
        return blocked(format!("{why}: its authorization cannot be extended"), &[]);
    }
    if s.remaining <= 0 {
        return blocked(
            "nothing remains authorized to capture, so there is no authorization to extend",
            &[],
        );
    }
    let until = s
        .expires_at
        .as_deref()
        .map(|e| format!(" (now {e})"))
        .unwrap_or_default();
    allowed(
        None,
        format!(
            "move the capture deadline{until} to today plus your authorization period, at most 180 days after the purchase; {} can still be captured",
            s.money(s.remaining)
        ),
    )
}

fn references_availability(s: &OrderState, _target: Option<&str>) -> Availability {
    if s.status == "CANCELLED" {
        blocked("the order is cancelled: Klarna keeps its references", &[])
    } else {
        allowed(None, "set or clear merchant_reference1 and 2".into())
    }
}

fn update_amount_availability(s: &OrderState, _target: Option<&str>) -> Availability {
    if let Some(why) = s.ended() {
        return blocked(format!("{why}: its total cannot change"), &[]);
    }
    if s.captured > 0 && s.remaining <= 0 {
        return blocked(
            "nothing remains authorized: the order is fully captured (or the rest was released)",
            &[WayOn {
                tools: &["refund_order"],
                text: "to charge the customer less: refund_order",
            }],
        );
    }
    allowed(
        None,
        format!(
            "set a new order total of at least {} (what was captured); a decrease frees authorization, an increase is a new risk decision by Klarna",
            s.money(s.captured.max(1))
        ),
    )
}

fn due_date_availability(s: &OrderState, target: Option<&str>) -> Availability {
    match on_capture(s, target, "a due date extension") {
        Err(blocked) => blocked,
        Ok(_) => allowed(
            None,
            "extend a pay-later capture's payment due date for a fee the merchant pays (get_due_date_extension_options shows it)".into(),
        ),
    }
}

fn customer_availability(s: &OrderState, _target: Option<&str>) -> Availability {
    match s.ended() {
        Some(why) => blocked(format!("{why}: the customer's address cannot change"), &[]),
        None => allowed(
            None,
            "change the customer's shipping address (a new risk decision by Klarna)".into(),
        ),
    }
}

fn capture_shipping_refusal(_code: &str, _: &RefusalContext<'_>) -> Option<String> {
    Some(
        "Klarna adds tracking only to an existing capture of this order, and holds at most 500 entries per capture: \
         check the captureId with list_captures; to track a shipment that is not tied to a capture, use add_order_shipping_info."
            .into(),
    )
}

fn send_out_refusal(_code: &str, _: &RefusalContext<'_>) -> Option<String> {
    Some("Klarna resends the communication only for an existing capture of this order: check the captureId with list_captures.".into())
}

fn extend_authorization_refusal(_code: &str, c: &RefusalContext<'_>) -> Option<String> {
    let s = c.state();
    Some(match s.as_ref().and_then(OrderState::ended) {
        Some(why) => format!("{why}: its authorization cannot be extended."),
        None => format!(
            "Klarna extends an authorization only up to 180 days after the purchase, and not for every payment method \
             (cards paid now, US financing): capture what you can before the authorization ends{}, or ask the customer \
             to place a new order.",
            s.and_then(|s| s.expires_at)
                .map(|e| format!(" ({e})"))
                .unwrap_or_default()
        ),
    })
}

fn references_refusal(_code: &str, _: &RefusalContext<'_>) -> Option<String> {
    Some("Klarna does not change the references of a cancelled order; check its status with get_order.".into())
}

fn acknowledge_refusal(_code: &str, _: &RefusalContext<'_>) -> Option<String> {
    Some(
        "Only orders placed through Klarna Checkout are acknowledged, and not once they were cancelled or expired \
         unacknowledged. An order from Klarna Payments needs no acknowledgement (a capture counts as one)."
            .into(),
    )
}

fn update_amount_refusal(_code: &str, c: &RefusalContext<'_>) -> Option<String> {
    let captured = c
        .state()
        .map(|s| format!(" ({})", s.money(s.captured)))
        .unwrap_or_default();
    Some(format!(
        "Klarna refused the new total. An increase is a new risk decision, and only some payment methods allow one \
         (invoice, account, direct debit; not cards): the customer can place a new order for what was added. A new \
         total cannot be below what was captured{captured}, and a fully captured, cancelled or expired order cannot \
         change."
    ))
}

fn due_date_refusal(_code: &str, _: &RefusalContext<'_>) -> Option<String> {
    Some(
        "Klarna extends the due date only of a pay-later capture that was not extended before and is not fully \
         refunded, by one of the offered numbers of days: get_due_date_extension_options shows what is offered now."
            .into(),
    )
}

fn customer_refusal(_code: &str, _: &RefusalContext<'_>) -> Option<String> {
    Some(
        "Klarna declined the address change: every change is a new risk decision (an address in another country than \
         the purchase country is refused), the billing address cannot change, and a cancelled, expired or closed order \
         cannot change. Ask the customer to place a new order if the goods must go elsewhere."
            .into(),
    )
}
