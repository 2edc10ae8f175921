-- A counter that moves with every change to the mediators' rows (profiles and
-- calendars), so that each availability replica may keep the profiles in memory for
-- matching and read them again only when the counter has moved.
CREATE TABLE availability.profiles_version (
    only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),
    version  bigint  NOT NULL
);
INSERT INTO availability.profiles_version (only_row, version) VALUES (true, 1);

CREATE FUNCTION availability.bump_profiles_version() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    UPDATE availability.profiles_version SET version = version + 1;
    RETURN NULL;
END $$;

CREATE TRIGGER profiles_version
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON availability.mediators
    FOR EACH STATEMENT EXECUTE FUNCTION availability.bump_profiles_version();
