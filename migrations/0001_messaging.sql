-- The messaging tables every service schema has: the transactional outbox and the
-- record of handled events. One function creates them, so each schema gets the
-- same shape; later migrations call it for new schemas.

CREATE FUNCTION public.mittler_messaging_tables(s text) RETURNS void
LANGUAGE plpgsql AS $fn$
BEGIN
    EXECUTE format('CREATE SCHEMA IF NOT EXISTS %I', s);

    -- Events written in the same transaction as the state change they describe.
    -- The relay publishes unsent rows with Nats-Msg-Id = id and then sets sent_at.
    EXECUTE format($sql$
        CREATE TABLE %I.outbox (
            id          uuid        PRIMARY KEY,
            subject     text        NOT NULL,
            payload     json        NOT NULL,
            headers     jsonb       NOT NULL DEFAULT '{}'::jsonb,
            created_at  timestamptz NOT NULL DEFAULT now(),
            sent_at     timestamptz,
            attempts    integer     NOT NULL DEFAULT 0,
            last_error  text
        )$sql$, s);
    EXECUTE format('CREATE INDEX outbox_unsent ON %I.outbox (created_at, id) WHERE sent_at IS NULL', s);
    EXECUTE format('CREATE INDEX outbox_sent ON %I.outbox (sent_at) WHERE sent_at IS NOT NULL', s);

    -- Wake the relay at once: one notification per inserting statement.
    EXECUTE format($sql$
        CREATE FUNCTION %I.outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $t$
        BEGIN
            PERFORM pg_notify(%L, '');
            RETURN NULL;
        END $t$$sql$, s, s || '_outbox');
    EXECUTE format(
        'CREATE TRIGGER outbox_notify AFTER INSERT ON %I.outbox FOR EACH STATEMENT EXECUTE FUNCTION %I.outbox_notify()',
        s, s);

    -- Events a consumer has handled, written in the transaction of the effect, so a
    -- redelivered event finds its id here and has no second effect.
    EXECUTE format($sql$
        CREATE TABLE %I.processed_events (
            consumer     text        NOT NULL,
            event_id     uuid        NOT NULL,
            processed_at timestamptz NOT NULL DEFAULT now(),
            PRIMARY KEY (consumer, event_id)
        )$sql$, s);
END
$fn$;

SELECT public.mittler_messaging_tables(s)
FROM unnest(ARRAY['directory', 'booking', 'availability', 'sessions', 'notifications']) AS s;
