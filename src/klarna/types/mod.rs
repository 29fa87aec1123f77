//! Klarna's wire types (snake_case JSON), one module per API group, as the client is split.
//!
//! - `orders` — Order Management: orders, captures, refunds, lines, shipping info, and the
//!   request bodies of its writes.

mod orders;

pub use orders::*;
