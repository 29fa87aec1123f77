//! Klarna's transaction types and detailed types, exactly the values its
//! Settlements API documents (`Transaction.type`, `Transaction.detailed_type`),
//! so nothing the simulator answers can fall outside the enums.

use std::fmt;

/// `Transaction.type`: what kind of money movement a settlement transaction is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TransactionType {
    /// Paid by Klarna to the merchant under a commission agreement (+).
    Commission,
    /// A capture: goods shipped, the order captured (+).
    Sale,
    /// A refund Klarna registered on a dispute, in the customer's favour (−).
    Reversal,
    /// A refund the merchant registered (−).
    Return,
    /// Tax on Klarna's fees booked as a transaction of its own (−).
    Tax,
    /// A Klarna service fee, e.g. a purchase fee or an extend-due-date fee (−).
    Fee,
    /// A fee Klarna charged by mistake, paid back (+).
    FeeRefund,
    /// A correction agreed between merchant and Klarna (signed).
    Correction,
    /// Net order value credited under Klarna's merchant protection (+).
    ReversalMerchantProtection,
    /// A miscellaneous charge, described by its detailed type (−).
    Charge,
    /// A miscellaneous credit, described by its detailed type (+).
    Credit,
    /// Money held back as a reserve (−).
    Holdback,
    /// Money released from a reserve (+).
    Release,
}

impl TransactionType {
    /// Every value, in the order Klarna lists them.
    pub const ALL: [TransactionType; 13] = [
        TransactionType::Commission,
        TransactionType::Sale,
        TransactionType::Reversal,
        TransactionType::Return,
        TransactionType::Tax,
        TransactionType::Fee,
        TransactionType::FeeRefund,
        TransactionType::Correction,
        TransactionType::ReversalMerchantProtection,
        TransactionType::Charge,
        TransactionType::Credit,
        TransactionType::Holdback,
        TransactionType::Release,
    ];

    /// The value on the wire, e.g. `"SALE"`.
    pub fn as_str(self) -> &'static str {
        match self {
            TransactionType::Commission => "COMMISSION",
            TransactionType::Sale => "SALE",
            TransactionType::Reversal => "REVERSAL",
            TransactionType::Return => "RETURN",
            TransactionType::Tax => "TAX",
            TransactionType::Fee => "FEE",
            TransactionType::FeeRefund => "FEE_REFUND",
            TransactionType::Correction => "CORRECTION",
            TransactionType::ReversalMerchantProtection => "REVERSAL_MERCHANT_PROTECTION",
            TransactionType::Charge => "CHARGE",
            TransactionType::Credit => "CREDIT",
            TransactionType::Holdback => "HOLDBACK",
            TransactionType::Release => "RELEASE",
        }
    }

    /// Whether Klarna leaves `capture_id` as an empty string for this type:
    /// returns and reversals have no capture of their own.
    pub(crate) fn has_empty_capture_id(self) -> bool {
        matches!(self, TransactionType::Return | TransactionType::Reversal)
    }
}

impl fmt::Display for TransactionType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// `Transaction.detailed_type`: what exactly a transaction is for, e.g.
/// [`DetailedType::EXTEND_DUE_DATE_FEE`]. Only Klarna's documented values can
/// be built: use the constants, or [`DetailedType::parse`].
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DetailedType(&'static str);

macro_rules! detailed_types {
    ($($name:ident),* $(,)?) => {
        #[allow(missing_docs)]
        impl DetailedType {
            $(pub const $name: DetailedType = DetailedType(stringify!($name));)*
            /// Every value Klarna documents, in its order.
            pub const ALL: &'static [DetailedType] = &[$(DetailedType::$name),*];
        }
    };
}

detailed_types!(
    COMMISSION,
    CREDITED_CORRECTION,
    PURCHASE_FEE_PERCENTAGE,
    PURCHASE_FEE_PERCENTAGE_REFUND,
    LATE_RETURN_FEE,
    PURCHASE_FEE_FIXED,
    EXPIRY_FEE_GROSS,
    EXPIRY_FEE,
    SERVICING_FEE,
    RETURN_FEE,
    EXTRA_INVOICE_FEE,
    PURCHASE_RETURN,
    COMMISSION_RETURN,
    REVERSAL,
    FRAUD_POLICY_CHARGE,
    COMMISSION_RETURN_GROSS,
    FRAUD_POLICY_CREDIT_NET,
    PURCHASE,
    MANUAL_ENTRY,
    LOAN_PAYOUT,
    LOAN_AMORTISATION,
    LOAN_FEE,
    FEE_REFUND,
    PURCHASE_COMMISSION_PERCENTAGE,
    EXTEND_DUE_DATE_FEE,
    TRANSFER_FROM_LEGACY_INTEGRATION,
    FIXED_FEE_CORRECTION_UK,
    PERCENTAGE_FEE_CORRECTION_UK,
    VAT_ON_FEE_CORRECTION_UK,
    FIXED_FEE_CORRECTION_SE,
    PERCENTAGE_FEE_CORRECTION_SE,
    PERCENTAGE_FEE_CORRECTION,
    FIXED_FEE_CORRECTION,
    ROLLING_RESERVE,
    PERCENTAGE_FEES,
    PAYMENT_REMINDER,
    CORRECTION,
    UNDER_REVIEW,
    INSUFFICIENT_BANK_ACCOUNT_DETAILS,
    DISPUTE_FEE,
    DISPUTE_FEE_REFUND,
    CORRECTION_DISPUTE,
    PAYMENT_DEFAULT,
);

impl DetailedType {
    /// The documented value spelled `value` (exactly, upper case), if any.
    pub fn parse(value: &str) -> Option<DetailedType> {
        DetailedType::ALL.iter().copied().find(|d| d.0 == value)
    }

    /// The value on the wire, e.g. `"EXTEND_DUE_DATE_FEE"`.
    pub fn as_str(self) -> &'static str {
        self.0
    }
}

impl fmt::Debug for DetailedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

impl fmt::Display for DetailedType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_documented_value_and_only_those() {
        assert_eq!(DetailedType::ALL.len(), 43);
        assert_eq!(
            DetailedType::parse("EXTEND_DUE_DATE_FEE"),
            Some(DetailedType::EXTEND_DUE_DATE_FEE)
        );
        assert_eq!(DetailedType::parse("extend_due_date_fee"), None);
        assert_eq!(DetailedType::parse("NOT_A_TYPE"), None);
        let names: Vec<&str> = TransactionType::ALL.iter().map(|t| t.as_str()).collect();
        assert_eq!(names.len(), 13);
        assert!(names.contains(&"REVERSAL_MERCHANT_PROTECTION"));
    }
}
