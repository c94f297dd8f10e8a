-- The bank's database on PostgreSQL, version 6 (bank/migrations/0006_good_faith.sql):
-- what judges a desk's good faith without taking its word, and a
-- cryptogram paid once.

-- The highest hotlist version the bank sent each desk (GET
-- /v1/desk/hotlist), and when it first sent it: a batch claiming an
-- older hotlist is judged with this one.
CREATE TABLE hotlist_served (
	terminal_id TEXT COLLATE "C" PRIMARY KEY REFERENCES desks (terminal_id),
	version     BIGINT NOT NULL CHECK (version >= 0),
	at          BIGINT NOT NULL
);

-- A desk's journal heads anchored since a moment: what a purchase of a
-- blocked wallet is placed against in time.
CREATE INDEX chain_anchors_since ON chain_anchors (terminal_id, chain, epoch, at);

-- A cryptogram is paid once: clearing answers a second message carrying
-- it "replayed", and this refuses any write that would post it twice.
CREATE UNIQUE INDEX messages_paid_once ON messages (pan, psn, atc, ac) WHERE kind = 'purchase' AND state = 'posted';
