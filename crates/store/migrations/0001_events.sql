-- The event index: one row per log entry, keyed by its leaf index.
CREATE TABLE events (
    leaf    INTEGER PRIMARY KEY,
    id      TEXT    NOT NULL,
    type    TEXT    NOT NULL,
    session TEXT,
    at      TEXT    NOT NULL  -- RFC 3339, as the event gave it
);
CREATE UNIQUE INDEX events_by_id ON events (id);
CREATE INDEX events_by_session ON events (session, leaf) WHERE session IS NOT NULL;

-- How much of the log the projection covers.
CREATE TABLE projection_state (
    name  TEXT PRIMARY KEY,
    value INTEGER NOT NULL
);
INSERT INTO projection_state (name, value) VALUES ('log_size', 0);
