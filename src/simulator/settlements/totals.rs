//! A payout's totals: what each transaction type adds up to, the debt carried
//! between payouts, and the amount actually paid out.
//!
//! Klarna documents the settlement amount as
//! `sale + release + commission + credit + fee_refund + fee_correction
//!  − return − reversal − fee − tax − charge − holdback − repay`,
//! with `REVERSAL_MERCHANT_PROTECTION` reducing the reversal total, and a debt
//! balance: when a settlement would be negative nothing is paid, the shortfall
//! becomes a deposit on the merchant's debt (`closing = opening − repay +
//! deposit`), and the next positive settlements repay it first.

// Klarna documents every transaction amount as "the amount of the
// transaction" and marks the direction by type (SALE +, RETURN −, FEE −, …;
// CORRECTION ±). It does not say whether a RETURN's `amount` is negative; we
// choose non-negative amounts for every type but CORRECTION (whose sign is its
// direction) because the totals, which Klarna shows as positive numbers, are
// then plain sums of the amounts.
//
// Klarna does not name the transaction type behind `fee_correction_amount`
// (its table says N/A); we choose CORRECTION, because the detailed types of
// corrections Klarna lists are fee corrections (FIXED_FEE_CORRECTION,
// PERCENTAGE_FEE_CORRECTION, …).
//
// Klarna counts VAT on its fees into `tax_amount` (the sum of the fee
// transactions' `vat_amount`) and VAT on refunded fees into `tax_refund_amount`;
// we do that, and add the amounts of TAX transactions to `tax_amount` too.

use serde::Serialize;

use super::kinds::TransactionType;
use super::ledger::Transaction;

/// The totals of one payout, in minor units of its currency, named as Klarna's
/// `Totals` object names them (every field is always present).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// COMMISSION transactions.
    pub commission_amount: i64,
    /// Debt from earlier payouts paid back out of this one.
    pub repay_amount: i64,
    /// SALE transactions.
    pub sale_amount: i64,
    /// HOLDBACK transactions.
    pub holdback_amount: i64,
    /// TAX transactions plus the VAT on FEE transactions.
    pub tax_amount: i64,
    /// What Klarna paid out (never negative).
    pub settlement_amount: i64,
    /// CORRECTION transactions (signed).
    pub fee_correction_amount: i64,
    /// REVERSAL less REVERSAL_MERCHANT_PROTECTION transactions.
    pub reversal_amount: i64,
    /// RELEASE transactions.
    pub release_amount: i64,
    /// RETURN transactions.
    pub return_amount: i64,
    /// FEE transactions (VAT not included).
    pub fee_amount: i64,
    /// CHARGE transactions.
    pub charge_amount: i64,
    /// CREDIT transactions.
    pub credit_amount: i64,
    /// FEE_REFUND transactions.
    pub fee_refund_amount: i64,
    /// The VAT on FEE_REFUND transactions.
    pub tax_refund_amount: i64,
    /// How much this payout added to the merchant's debt (it would have been negative).
    pub deposit_amount: i64,
    /// The merchant's debt before this payout.
    pub opening_debt_balance_amount: i64,
    /// The merchant's debt after this payout.
    pub closing_debt_balance_amount: i64,
}

impl Totals {
    /// Sums `transactions` and settles them against `opening_debt`.
    pub(crate) fn settle<'a>(
        transactions: impl IntoIterator<Item = &'a Transaction>,
        opening_debt: i64,
    ) -> Totals {
        let mut t = Totals {
            opening_debt_balance_amount: opening_debt,
            ..Totals::default()
        };
        for tx in transactions {
            let amount = tx.amount;
            let vat = tx.vat.map_or(0, |v| v.amount);
            let field = match tx.kind {
                TransactionType::Commission => &mut t.commission_amount,
                TransactionType::Sale => &mut t.sale_amount,
                TransactionType::Reversal => &mut t.reversal_amount,
                TransactionType::ReversalMerchantProtection => {
                    t.reversal_amount = t.reversal_amount.saturating_sub(amount);
                    continue;
                }
                TransactionType::Return => &mut t.return_amount,
                TransactionType::Tax => &mut t.tax_amount,
                TransactionType::Fee => {
                    t.tax_amount = t.tax_amount.saturating_add(vat);
                    &mut t.fee_amount
                }
                TransactionType::FeeRefund => {
                    t.tax_refund_amount = t.tax_refund_amount.saturating_add(vat);
                    &mut t.fee_refund_amount
                }
                TransactionType::Correction => &mut t.fee_correction_amount,
                TransactionType::Charge => &mut t.charge_amount,
                TransactionType::Credit => &mut t.credit_amount,
                TransactionType::Holdback => &mut t.holdback_amount,
                TransactionType::Release => &mut t.release_amount,
            };
            *field = field.saturating_add(amount);
        }
        let net = [
            t.sale_amount,
            t.release_amount,
            t.commission_amount,
            t.credit_amount,
            t.fee_refund_amount,
            t.tax_refund_amount,
            t.fee_correction_amount,
        ]
        .into_iter()
        .fold(0i64, i64::saturating_add);
        let net = [
            t.return_amount,
            t.reversal_amount,
            t.fee_amount,
            t.tax_amount,
            t.charge_amount,
            t.holdback_amount,
        ]
        .into_iter()
        .fold(net, i64::saturating_sub);
        let opening = opening_debt.max(0);
        if net >= 0 {
            t.repay_amount = opening.min(net);
            t.settlement_amount = net.saturating_sub(t.repay_amount);
        } else {
            t.deposit_amount = net.saturating_neg();
        }
        t.closing_debt_balance_amount = opening
            .saturating_sub(t.repay_amount)
            .saturating_add(t.deposit_amount);
        t
    }

    /// Adds `other`'s amounts field by field, for a summary over several
    /// payouts. The debt balances are left alone: a balance is a state at one
    /// moment, not an amount that adds up.
    pub(crate) fn add(&mut self, other: &Totals) {
        let pairs: [(&mut i64, i64); 16] = [
            (&mut self.commission_amount, other.commission_amount),
            (&mut self.repay_amount, other.repay_amount),
            (&mut self.sale_amount, other.sale_amount),
            (&mut self.holdback_amount, other.holdback_amount),
            (&mut self.tax_amount, other.tax_amount),
            (&mut self.settlement_amount, other.settlement_amount),
            (&mut self.fee_correction_amount, other.fee_correction_amount),
            (&mut self.reversal_amount, other.reversal_amount),
            (&mut self.release_amount, other.release_amount),
            (&mut self.return_amount, other.return_amount),
            (&mut self.fee_amount, other.fee_amount),
            (&mut self.charge_amount, other.charge_amount),
            (&mut self.credit_amount, other.credit_amount),
            (&mut self.fee_refund_amount, other.fee_refund_amount),
            (&mut self.tax_refund_amount, other.tax_refund_amount),
            (&mut self.deposit_amount, other.deposit_amount),
        ];
        for (field, value) in pairs {
            *field = field.saturating_add(value);
        }
    }
}
