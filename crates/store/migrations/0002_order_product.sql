-- The order and product an event is about: what evidence packages per
-- order or product collect. Partial indexes cost nothing for the (many)
-- events that name neither.
ALTER TABLE events ADD COLUMN order_id TEXT;
ALTER TABLE events ADD COLUMN product TEXT;
CREATE INDEX events_by_order ON events (order_id, leaf) WHERE order_id IS NOT NULL;
CREATE INDEX events_by_product ON events (product, leaf) WHERE product IS NOT NULL;
