-- The bank's database, version 1. Times are Unix nanoseconds in UTC;
-- amounts are integers in fen; binary values are BLOBs.

CREATE TABLE meta (
	name  TEXT PRIMARY KEY,
	value INTEGER NOT NULL
) STRICT;
INSERT INTO meta (name, value) VALUES ('hotlist_version', 0), ('next_terminal', 1);

CREATE TABLE customers (
	id            INTEGER PRIMARY KEY,
	username      TEXT NOT NULL UNIQUE,
	password_hash TEXT NOT NULL,
	failures      INTEGER NOT NULL DEFAULT 0,
	locked_until  INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL
) STRICT;

-- Only the SHA-256 of a token is kept: a copy of the database does not
-- let anyone act as a customer.
CREATE TABLE sessions (
	token_hash  BLOB PRIMARY KEY,
	customer_id INTEGER NOT NULL REFERENCES customers (id),
	expires_at  INTEGER NOT NULL
) STRICT;
CREATE INDEX sessions_expiry ON sessions (expires_at);

CREATE TABLE wallets (
	pan           TEXT NOT NULL,
	psn           TEXT NOT NULL,
	customer_id   INTEGER NOT NULL REFERENCES customers (id),
	icc_modulus   BLOB NOT NULL,
	icc_exponent  BLOB NOT NULL,
	aip           BLOB NOT NULL,
	cdol1         BLOB NOT NULL,
	currency      TEXT NOT NULL,
	status        TEXT NOT NULL CHECK (status IN ('active', 'hotlisted', 'cloned')),
	known_balance INTEGER NOT NULL CHECK (known_balance >= 0),
	last_atc      INTEGER NOT NULL DEFAULT 0,
	phone_balance INTEGER NOT NULL DEFAULT 0,
	phone_atc     INTEGER NOT NULL DEFAULT 0,
	phone_at      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	PRIMARY KEY (pan, psn)
) STRICT;
CREATE INDEX wallets_customer ON wallets (customer_id);

CREATE TABLE loads (
	id            INTEGER PRIMARY KEY,
	pan           TEXT NOT NULL,
	psn           TEXT NOT NULL,
	kind          TEXT NOT NULL CHECK (kind IN ('voucher', 'load', 'unload')),
	atc           INTEGER NOT NULL,
	amount        INTEGER NOT NULL CHECK (amount >= 0),
	balance_after INTEGER NOT NULL,
	terminal_id   TEXT NOT NULL DEFAULT '',
	posting_id    INTEGER REFERENCES postings (id),
	at            INTEGER NOT NULL,
	FOREIGN KEY (pan, psn) REFERENCES wallets (pan, psn)
) STRICT;
-- An ARQC answers once: a second load under the same ATC is a replay.
CREATE UNIQUE INDEX loads_atc ON loads (pan, psn, atc) WHERE kind = 'load';
CREATE INDEX loads_wallet ON loads (pan, psn, id);

CREATE TABLE enrolment_codes (
	code_hash   BLOB PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	teller      INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL,
	used_at     INTEGER NOT NULL DEFAULT 0,
	terminal_id TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TABLE desks (
	terminal_id TEXT PRIMARY KEY,
	merchant_id TEXT NOT NULL,
	teller      INTEGER NOT NULL,
	cert_serial TEXT NOT NULL UNIQUE,
	not_after   INTEGER NOT NULL,
	enrolled_at INTEGER NOT NULL,
	revoked_at  INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE idempotency (
	client    TEXT NOT NULL,
	key       TEXT NOT NULL,
	body_hash BLOB NOT NULL,
	status    INTEGER NOT NULL,
	response  BLOB NOT NULL,
	at        INTEGER NOT NULL,
	PRIMARY KEY (client, key)
) STRICT;

CREATE TABLE accounts (
	name    TEXT PRIMARY KEY,
	type    TEXT NOT NULL CHECK (type IN ('asset', 'liability')),
	balance INTEGER NOT NULL DEFAULT 0
) STRICT;

CREATE TABLE postings (
	id   INTEGER PRIMARY KEY,
	at   INTEGER NOT NULL,
	kind TEXT NOT NULL,
	memo TEXT NOT NULL
) STRICT;

-- amount > 0 is a debit, < 0 a credit; the lines of a posting sum to zero.
CREATE TABLE posting_lines (
	posting_id INTEGER NOT NULL REFERENCES postings (id),
	line       INTEGER NOT NULL,
	account    TEXT NOT NULL REFERENCES accounts (name),
	amount     INTEGER NOT NULL CHECK (amount <> 0),
	PRIMARY KEY (posting_id, line)
) STRICT;
CREATE INDEX posting_lines_account ON posting_lines (account);

-- The ledger is history: no code path changes or removes a posting.
CREATE TRIGGER postings_no_update BEFORE UPDATE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END;
CREATE TRIGGER postings_no_delete BEFORE DELETE ON postings
BEGIN SELECT RAISE(ABORT, 'postings are append-only'); END;
CREATE TRIGGER posting_lines_no_update BEFORE UPDATE ON posting_lines
BEGIN SELECT RAISE(ABORT, 'posting lines are append-only'); END;
CREATE TRIGGER posting_lines_no_delete BEFORE DELETE ON posting_lines
BEGIN SELECT RAISE(ABORT, 'posting lines are append-only'); END;

CREATE TABLE messages (
	id             INTEGER PRIMARY KEY,
	terminal_id    TEXT NOT NULL,
	merchant_id    TEXT NOT NULL,
	key            TEXT NOT NULL,
	seq            INTEGER NOT NULL,
	kind           TEXT NOT NULL,
	ref            INTEGER NOT NULL DEFAULT 0,
	at             INTEGER NOT NULL,
	received_at    INTEGER NOT NULL,
	pan            TEXT NOT NULL,
	psn            TEXT NOT NULL,
	atc            INTEGER NOT NULL,
	amount         INTEGER NOT NULL,
	currency       TEXT NOT NULL,
	txn_date       TEXT NOT NULL,
	txn_type       INTEGER NOT NULL,
	cid            INTEGER NOT NULL,
	aid            BLOB,
	ac             BLOB,
	iad            BLOB,
	tvr            BLOB,
	un             BLOB,
	pdol_data      BLOB,
	cdol1_data     BLOB,
	genac_response BLOB,
	state          TEXT NOT NULL CHECK (state IN ('posted', 'pending', 'rejected')),
	reason         TEXT NOT NULL DEFAULT '',
	slot           INTEGER NOT NULL DEFAULT 0,
	confirmed      INTEGER NOT NULL DEFAULT 0,
	posting_id     INTEGER REFERENCES postings (id),
	UNIQUE (terminal_id, key),
	UNIQUE (terminal_id, seq)
) STRICT;
-- (PAN, PSN, ATC) is spent once: the purchase whose cryptogram verified
-- first holds it; every other message for it is a replay or a fork.
CREATE UNIQUE INDEX messages_slot ON messages (pan, psn, atc) WHERE slot = 1;
CREATE INDEX messages_wallet ON messages (pan, psn, atc);
CREATE INDEX messages_void ON messages (terminal_id, ref, seq) WHERE kind = 'void';
CREATE INDEX messages_report ON messages (merchant_id, txn_date) WHERE kind = 'purchase';

CREATE TABLE phone_records (
	pan           TEXT NOT NULL,
	psn           TEXT NOT NULL,
	atc           INTEGER NOT NULL,
	amount        INTEGER NOT NULL,
	currency      TEXT NOT NULL,
	txn_date      TEXT NOT NULL,
	merchant      TEXT NOT NULL,
	ac            BLOB NOT NULL,
	balance_after INTEGER NOT NULL,
	entry         BLOB NOT NULL,
	uploaded_at   INTEGER NOT NULL,
	PRIMARY KEY (pan, psn, atc)
) STRICT;

CREATE TABLE hotlist (
	pan     TEXT PRIMARY KEY,
	reason  TEXT NOT NULL,
	version INTEGER NOT NULL,
	at      INTEGER NOT NULL
) STRICT;

CREATE TABLE exceptions (
	id          INTEGER PRIMARY KEY,
	at          INTEGER NOT NULL,
	kind        TEXT NOT NULL,
	pan         TEXT NOT NULL,
	psn         TEXT NOT NULL,
	atc         INTEGER NOT NULL,
	terminal_id TEXT NOT NULL,
	merchant_id TEXT NOT NULL,
	message_key TEXT NOT NULL,
	detail      TEXT NOT NULL
) STRICT;
