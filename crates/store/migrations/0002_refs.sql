-- Which entities (order, product, merchant, anchor) each event is about:
-- what evidence packages per order or product collect.
CREATE TABLE event_refs (
    leaf  INTEGER NOT NULL,
    kind  TEXT    NOT NULL,
    value TEXT    NOT NULL
);
CREATE INDEX event_refs_by_value ON event_refs (kind, value, leaf);
