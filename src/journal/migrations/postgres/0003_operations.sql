-- One row per operation, kept in step with the chain in the same transaction as every
-- append: where it starts and where it stands, so listings, start-up and the guards cost
-- what they return instead of folding every record. It is an index, not a record: the
-- chain stays the truth, `journal verify` checks that this table agrees with it, and it
-- can be rebuilt from the chain at any time (as here, from the records already written).
CREATE TABLE operations (
    op_id TEXT PRIMARY KEY,
    first_seq BIGINT NOT NULL UNIQUE,
    latest_seq BIGINT NOT NULL,
    order_id TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    tool TEXT NOT NULL,
    principal TEXT,
    started_at TEXT NOT NULL,
    verdict TEXT NOT NULL
);

INSERT INTO operations (op_id, first_seq, latest_seq, order_id, idempotency_key, tool, principal, started_at, verdict)
SELECT f.op_id, f.seq, l.seq, f.order_id, f.idempotency_key, f.tool, f.principal, f.recorded_at, l.verdict
FROM (SELECT op_id, MIN(seq) AS first, MAX(seq) AS latest FROM journal GROUP BY op_id) AS o
JOIN journal AS f ON f.seq = o.first
JOIN journal AS l ON l.seq = o.latest;

CREATE INDEX operations_order ON operations (order_id, first_seq);
CREATE INDEX operations_key ON operations (idempotency_key, first_seq);
CREATE INDEX operations_verdict ON operations (verdict, first_seq);
CREATE INDEX operations_started ON operations (started_at);
CREATE INDEX operations_tool ON operations (tool, first_seq);
CREATE INDEX operations_principal ON operations (principal, first_seq);
