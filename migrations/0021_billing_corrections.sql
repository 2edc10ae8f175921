-- A correction of a closed month's line: entered by a coordinator, it becomes a new
-- line of the next month closed, on the same recipient's document, referring to the
-- line it corrects (decision 0024).
CREATE TABLE billing.corrections (
    id           uuid        PRIMARY KEY,
    pool_id      uuid        NOT NULL,
    corrects     uuid        NOT NULL REFERENCES billing.lines (id),
    amount_cents bigint      NOT NULL CHECK (amount_cents <> 0),
    reason       text        NOT NULL,
    created_by   uuid        NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- The line it became at a close; null while it waits.
    line_id      uuid        REFERENCES billing.lines (id)
);
CREATE INDEX corrections_waiting ON billing.corrections (pool_id) WHERE line_id IS NULL;
