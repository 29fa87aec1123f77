//! Klarna's wire types (snake_case JSON), one module per API group, as the client is split.
//!
//! - `orders` — Order Management: orders, captures, refunds, lines, shipping info, and the
//!   request bodies of its writes.
//! - [`settlements`] — Settlements: payouts, payout summaries, settlement transactions and
//!   the pagination of their collections (read-only: the API has no writes).

mod orders;
pub mod settlements;

pub use orders::*;
