-- The bank's database, version 2: the teller operator behind each teller
-- action, the exception queue's resolutions, and the teller's re-entry of
-- a phone's balance and ATC after its log was lost.

-- SQLite cannot change a CHECK constraint in place: loads is made again
-- with the new kind and the operator, and its rows copied. No table refers
-- to loads, so dropping it leaves no foreign key dangling.
CREATE TABLE loads_v2 (
	id            INTEGER PRIMARY KEY,
	pan           TEXT NOT NULL,
	psn           TEXT NOT NULL,
	kind          TEXT NOT NULL CHECK (kind IN ('voucher', 'load', 'unload', 'reentry')),
	atc           INTEGER NOT NULL,
	amount        INTEGER NOT NULL CHECK (amount >= 0),
	balance_after INTEGER NOT NULL,
	terminal_id   TEXT NOT NULL DEFAULT '',
	-- The teller operator who did it; empty for a voucher's initial load.
	operator      TEXT NOT NULL DEFAULT '',
	posting_id    INTEGER REFERENCES postings (id),
	at            INTEGER NOT NULL,
	FOREIGN KEY (pan, psn) REFERENCES wallets (pan, psn)
) STRICT;
INSERT INTO loads_v2 (id, pan, psn, kind, atc, amount, balance_after, terminal_id, posting_id, at)
	SELECT id, pan, psn, kind, atc, amount, balance_after, terminal_id, posting_id, at FROM loads;
DROP TABLE loads;
ALTER TABLE loads_v2 RENAME TO loads;
-- An ARQC answers once: a second load under the same ATC is a replay.
CREATE UNIQUE INDEX loads_atc ON loads (pan, psn, atc) WHERE kind = 'load';
CREATE INDEX loads_wallet ON loads (pan, psn, id);

-- An exception is open while resolved_at is 0.
ALTER TABLE exceptions ADD COLUMN resolved_at INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exceptions ADD COLUMN resolved_by TEXT NOT NULL DEFAULT '';
ALTER TABLE exceptions ADD COLUMN resolution TEXT NOT NULL DEFAULT '';
-- A re-entry resolves its wallet's open exceptions.
CREATE INDEX exceptions_open ON exceptions (pan, psn) WHERE resolved_at = 0;
