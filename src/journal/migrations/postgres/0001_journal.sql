-- The operation journal: one append-only table of hash-chained records, shared by every
-- server replica that points at this database.
CREATE TABLE journal (
    seq BIGINT PRIMARY KEY,
    op_id TEXT NOT NULL,
    recorded_at TEXT NOT NULL,
    tool TEXT NOT NULL,
    api_host TEXT NOT NULL,
    order_id TEXT NOT NULL,
    amount BIGINT NOT NULL,
    amount_was_everything BOOLEAN NOT NULL,
    currency TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    key_from_caller BOOLEAN NOT NULL,
    body_digest TEXT NOT NULL,
    client_name TEXT,
    client_version TEXT,
    principal TEXT,
    confirmed BOOLEAN NOT NULL,
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
CREATE FUNCTION journal_refuse_change() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'the journal is append-only';
END
$$ LANGUAGE plpgsql;

CREATE TRIGGER journal_no_update_or_delete BEFORE UPDATE OR DELETE ON journal
    FOR EACH ROW EXECUTE FUNCTION journal_refuse_change();
CREATE TRIGGER journal_no_truncate BEFORE TRUNCATE ON journal
    FOR EACH STATEMENT EXECUTE FUNCTION journal_refuse_change();
