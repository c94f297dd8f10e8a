-- The bank's database, version 4: the heads of each desk's hash chains
-- (its journal, its audit log) as the desk sent them with its batches.
--
-- Every anchor accepted is kept. A desk whose chain no longer runs
-- through them is refused and an exception of kind chain_forked opened;
-- once a person resolves it, the desk's next head starts a new epoch and
-- the anchors of the earlier epochs stay as the record of what was sent.

CREATE TABLE chain_anchors (
	terminal_id TEXT    NOT NULL,
	chain       TEXT    NOT NULL,
	epoch       INTEGER NOT NULL CHECK (epoch >= 1),
	seq         INTEGER NOT NULL CHECK (seq >= 0),
	hash        BLOB    NOT NULL, -- empty only for seq 0: an empty chain
	at          INTEGER NOT NULL,
	PRIMARY KEY (terminal_id, chain, epoch, seq)
) STRICT;

-- A chain_forked exception is found by its desk and chain (message_key).
CREATE INDEX exceptions_desk ON exceptions (terminal_id, kind, message_key, id);
