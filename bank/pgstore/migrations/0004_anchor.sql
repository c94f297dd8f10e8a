-- The bank's database on PostgreSQL, version 4 (bank/migrations/0004_anchor.sql):
-- the heads of each desk's hash chains (its journal, its audit log) as the
-- desk sent them with its batches.
--
-- Every anchor accepted is kept. A desk whose chain no longer runs through
-- them is refused and an exception of kind chain_forked opened; once a person
-- resolves it, the desk's next head starts a new epoch and the anchors of the
-- earlier epochs stay as the record of what was sent.

CREATE TABLE chain_anchors (
	terminal_id TEXT COLLATE "C" NOT NULL,
	chain       TEXT COLLATE "C" NOT NULL,
	epoch       BIGINT NOT NULL CHECK (epoch >= 1),
	seq         BIGINT NOT NULL CHECK (seq >= 0),
	hash        BYTEA  NOT NULL, -- empty only for seq 0: an empty chain
	at          BIGINT NOT NULL,
	PRIMARY KEY (terminal_id, chain, epoch, seq)
);

-- A chain_forked exception is found by its desk and chain (message_key).
CREATE INDEX exceptions_desk ON exceptions (terminal_id, kind, message_key, id);
