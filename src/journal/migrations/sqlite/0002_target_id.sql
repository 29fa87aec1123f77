-- What a write acted on inside its order (a capture's or a refund's id), so two writes of
-- one kind to two captures are two intents. Empty for writes on the order itself and for
-- every record written before this column existed (their hashes do not cover it).
ALTER TABLE journal ADD COLUMN target_id TEXT;
