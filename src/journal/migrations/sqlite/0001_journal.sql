-- The operation journal: one append-only table of hash-chained records.
CREATE TABLE journal (
    seq INTEGER PRIMARY KEY,
    op_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    tool TEXT NOT NULL,
    api_host TEXT NOT NULL,
    order_id TEXT NOT NULL,
    amount INTEGER NOT NULL,
    amount_was_everything INTEGER NOT NULL,
    currency TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    key_from_caller INTEGER NOT NULL,
    body_digest TEXT NOT NULL,
    client_name TEXT,
    client_version TEXT,
    principal TEXT,
    confirmed INTEGER NOT NULL,
    verdict TEXT NOT NULL,
    created_id TEXT,
    correlation_id TEXT,
    http_status INTEGER,
    error_code TEXT,
    note TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE
);

CREATE INDEX journal_op ON journal (op_id, seq);
CREATE INDEX journal_order ON journal (order_id, seq);
CREATE INDEX journal_key ON journal (idempotency_key, seq);
CREATE INDEX journal_time ON journal (recorded_at);

-- Append-only: a record, once written, is never changed or removed through SQL.
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;

CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN
    SELECT RAISE(ABORT, 'the journal is append-only');
END;
