-- Money (DESIGN.md "Money", decision 0024): rate cards, the billing data of
-- mediators and organisations, closed months and the documents they issued. The
-- booking service keeps this schema; its events go through booking's outbox.

CREATE SCHEMA IF NOT EXISTS billing;

-- Who was assigned when a booking was cancelled: a late cancellation pays them.
ALTER TABLE booking.bookings ADD COLUMN cancelled_mediator_id uuid;

-- A pool's card (owner_id = pool_id) or an organisation's own (owner_id = the organisation).
CREATE TABLE billing.rate_cards (
    owner_id   uuid        PRIMARY KEY,
    pool_id    uuid        NOT NULL,
    card       jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid
);

-- Names, addresses, tax numbers and bank accounts as documents print them.
CREATE TABLE billing.parties (
    party_id   uuid        PRIMARY KEY,
    kind       text        NOT NULL CHECK (kind IN ('mediator', 'organisation')),
    details    jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now(),
    updated_by uuid
);

-- A closed month of a pool (month = its first day).
CREATE TABLE billing.months (
    pool_id   uuid        NOT NULL,
    month     date        NOT NULL CHECK (extract(day FROM month) = 1),
    closed_at timestamptz NOT NULL DEFAULT now(),
    closed_by uuid        NOT NULL,
    PRIMARY KEY (pool_id, month)
);

-- Gapless numbers per pool, kind and year: taken under the row's lock in the
-- close's transaction, so a rolled-back close leaves no gap.
CREATE TABLE billing.numbers (
    pool_id uuid    NOT NULL,
    kind    text    NOT NULL CHECK (kind IN ('statement', 'invoice')),
    year    integer NOT NULL,
    last    integer NOT NULL,
    PRIMARY KEY (pool_id, kind, year)
);

-- An issued document, as issued (body: the whole document with its parties).
CREATE TABLE billing.documents (
    id              uuid        PRIMARY KEY,
    pool_id         uuid        NOT NULL,
    kind            text        NOT NULL CHECK (kind IN ('statement', 'invoice')),
    number          text        NOT NULL,
    month           date        NOT NULL,
    mediator_id     uuid,
    organisation_id uuid,
    issued_at       timestamptz NOT NULL,
    net_cents       bigint      NOT NULL,
    vat_cents       bigint      NOT NULL,
    total_cents     bigint      NOT NULL,
    body            jsonb       NOT NULL,
    UNIQUE (pool_id, number),
    FOREIGN KEY (pool_id, month) REFERENCES billing.months (pool_id, month),
    CHECK ((kind = 'statement') = (mediator_id IS NOT NULL)),
    CHECK ((kind = 'invoice') = (organisation_id IS NOT NULL))
);
CREATE INDEX documents_by_mediator ON billing.documents (mediator_id, month) WHERE mediator_id IS NOT NULL;
CREATE INDEX documents_by_organisation ON billing.documents (organisation_id, month) WHERE organisation_id IS NOT NULL;

-- Every billed job once per kind (a correction refers to the line it corrects).
CREATE TABLE billing.lines (
    id           uuid   PRIMARY KEY,
    document_id  uuid   NOT NULL REFERENCES billing.documents (id),
    kind         text   NOT NULL CHECK (kind IN ('statement', 'invoice')),
    booking_id   uuid   NOT NULL,
    amount_cents bigint NOT NULL,
    corrects     uuid   REFERENCES billing.lines (id)
);
CREATE UNIQUE INDEX lines_once ON billing.lines (booking_id, kind) WHERE corrects IS NULL;

-- What a close wrote stays as it was: no update, no delete.
CREATE FUNCTION billing.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'billing.% is closed: % refused (a correction is a new line in the next month)',
        TG_TABLE_NAME, TG_OP USING ERRCODE = 'integrity_constraint_violation';
END $$;
CREATE TRIGGER months_closed BEFORE UPDATE OR DELETE ON billing.months
    FOR EACH ROW EXECUTE FUNCTION billing.refuse_change();
CREATE TRIGGER documents_closed BEFORE UPDATE OR DELETE ON billing.documents
    FOR EACH ROW EXECUTE FUNCTION billing.refuse_change();
CREATE TRIGGER lines_closed BEFORE UPDATE OR DELETE ON billing.lines
    FOR EACH ROW EXECUTE FUNCTION billing.refuse_change();
