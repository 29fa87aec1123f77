//! The `amendments` toolset (opt-in): changes to what the customer pays or owes and where
//! the goods go — a new order total (an increase is a new risk decision by Klarna, capped
//! by `KLARNA_MAX_ORDER_INCREASE_AMOUNT`), a later payment due date for a fee the merchant
//! pays, the customer's shipping address (personal data: in a result only with
//! `KLARNA_INCLUDE_PERSONAL_DATA`, never in logs or the journal). The writes run through the
//! one pipeline (`tools::write`).
//!
//! | file | tools |
//! |---|---|
//! | `order_amount.rs` | `update_order_amount` |
//! | `due_date.rs` | `get_due_date_extension_options`, `extend_due_date` |
//! | `customer.rs` | `update_customer_details` |
//!
//! Reference: <https://docs.klarna.com/api/ordermanagement/>

mod customer;
mod due_date;
mod order_amount;
