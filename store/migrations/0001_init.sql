-- 0001: the desk's first schema.
--
-- Times are INTEGER nanoseconds since 1970-01-01 UTC. The journal, the
-- outbox timelines, the audit log and the Z reports are append-only: the
-- triggers below abort any UPDATE or DELETE made through SQLite. Someone
-- with the file and the sqlite3 tool can drop the triggers; the journal's
-- hash chain (see chain.go) and the hashes sealed in the Z reports show it.

PRAGMA application_id = 1280394315; -- "LQDK": a Lingqian desk database

-- The journal: one row per thing the desk did with a card. seq is given
-- by Append (max+1 inside an immediate transaction). AUTOINCREMENT keeps
-- the highest seq ever used in sqlite_sequence, so Verify notices rows cut
-- off the end of the chain.
CREATE TABLE journal (
    seq            INTEGER PRIMARY KEY AUTOINCREMENT CHECK (seq > 0),
    kind           TEXT    NOT NULL CHECK (kind IN ('purchase', 'void', 'torn', 'torn_cleared')),
    at             INTEGER NOT NULL,
    idem_key       TEXT    NOT NULL UNIQUE CHECK (idem_key <> ''),
    operator       TEXT    NOT NULL,
    terminal_id    TEXT    NOT NULL,
    merchant_id    TEXT    NOT NULL,
    ref            INTEGER REFERENCES journal (seq), -- NULL: refers to nothing
    note           TEXT    NOT NULL,
    amount         INTEGER NOT NULL,
    currency       TEXT    NOT NULL,
    txn_date       INTEGER,                          -- NULL: no date
    txn_type       INTEGER NOT NULL,
    aid            BLOB    NOT NULL,
    pan            TEXT    NOT NULL,
    psn            TEXT    NOT NULL,
    atc            INTEGER NOT NULL,
    cid            INTEGER NOT NULL,
    ac             BLOB    NOT NULL,
    iad            BLOB    NOT NULL,
    tvr            BLOB    NOT NULL,
    un             BLOB    NOT NULL,
    pdol_data      BLOB    NOT NULL,
    cdol1_data     BLOB    NOT NULL,
    genac_response BLOB    NOT NULL,
    prev_hash      BLOB    NOT NULL,
    hash           BLOB    NOT NULL
);

-- Entries naming others: voids, torn resolutions (OpenTorn, Voided).
CREATE INDEX journal_ref ON journal (ref, kind) WHERE ref IS NOT NULL;
-- A purchase is voided at most once.
CREATE UNIQUE INDEX journal_void_once ON journal (ref) WHERE kind = 'void';
-- Torn taps are few among many purchases: OpenTorn reads only these.
CREATE INDEX journal_torn ON journal (seq) WHERE kind = 'torn';

-- The outbox: every state a forwarded entry (purchase or void) went
-- through on its way to the bank, appended, never changed.
CREATE TABLE outbox (
    id     INTEGER PRIMARY KEY,
    seq    INTEGER NOT NULL REFERENCES journal (seq),
    state  TEXT    NOT NULL CHECK (state IN ('captured', 'queued', 'sent', 'acknowledged', 'posted', 'rejected', 'duplicate')),
    reason TEXT    NOT NULL,
    at     INTEGER NOT NULL
);
CREATE INDEX outbox_seq ON outbox (seq, id);

-- outbox_last is derived, kept only by the triggers below: one row per
-- forwarded entry with its latest state and what the reports group by.
-- The latest state of an entry is then one primary-key lookup instead of a
-- max(id) subquery per entry, and an X or Z report is one scan of the
-- covering index outbox_last_report, in group order (no sort), over just
-- the entries of the open period.
--
-- period is the number the next Z report will have when the entry is
-- appended: CloseDay takes the last seq inside the same write transaction
-- that makes the report, so a period holds exactly the entries
-- (previous Z's last seq, this Z's last seq]. slot is the quarter hour
-- (UTC) of the entry's time: every time zone's offset is a whole number of
-- quarter hours, so a slot falls in one hour of the desk's local clock.
CREATE TABLE outbox_last (
    seq      INTEGER PRIMARY KEY REFERENCES journal (seq),
    kind     TEXT    NOT NULL,
    period   INTEGER NOT NULL,
    voided   INTEGER NOT NULL DEFAULT 0, -- purchases: a void names it
    ref      INTEGER,                    -- voids: the purchase
    amount   INTEGER NOT NULL,
    operator TEXT    NOT NULL,
    at       INTEGER NOT NULL,
    slot     INTEGER NOT NULL,
    state    TEXT    NOT NULL,
    state_at INTEGER NOT NULL,
    final    INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX outbox_last_open ON outbox_last (seq) WHERE final = 0;
CREATE INDEX outbox_last_report ON outbox_last (period, kind, voided, state, operator, slot, amount);

-- Z reports: numbered, the canonical JSON as printed and its SHA-256.
-- last_hash is the journal's hash at last_seq: it anchors the chain, so a
-- journal rewritten from some row onwards no longer matches a sealed day.
CREATE TABLE z_report (
    number    INTEGER PRIMARY KEY CHECK (number > 0),
    made      INTEGER NOT NULL,
    first_seq INTEGER NOT NULL,
    last_seq  INTEGER NOT NULL,
    last_hash BLOB    NOT NULL,
    operator  TEXT    NOT NULL,
    body      TEXT    NOT NULL,
    hash      BLOB    NOT NULL
);

CREATE TABLE operator (
    id          TEXT    PRIMARY KEY,
    name        TEXT    NOT NULL,
    role        TEXT    NOT NULL CHECK (role IN ('cashier', 'supervisor', 'teller', 'admin')),
    pin_kdf     TEXT    NOT NULL,  -- 'argon2id'
    pin_salt    BLOB    NOT NULL,
    pin_hash    BLOB    NOT NULL,
    kdf_time    INTEGER NOT NULL,
    kdf_memory  INTEGER NOT NULL,  -- KiB
    kdf_threads INTEGER NOT NULL,
    failures    INTEGER NOT NULL DEFAULT 0,
    locked      INTEGER NOT NULL DEFAULT 0,
    created     INTEGER NOT NULL,
    last_seen   INTEGER            -- NULL: never signed in
);

CREATE TABLE audit (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    at       INTEGER NOT NULL,
    operator TEXT    NOT NULL,
    action   TEXT    NOT NULL,
    ref      INTEGER NOT NULL DEFAULT 0,
    detail   TEXT    NOT NULL
);
CREATE INDEX audit_at ON audit (at);

CREATE TABLE setting (
    key        TEXT    PRIMARY KEY,
    value      TEXT    NOT NULL,
    changed    INTEGER NOT NULL,
    changed_by TEXT    NOT NULL
);

-- Append-only tables.
CREATE TRIGGER journal_no_update BEFORE UPDATE ON journal
BEGIN SELECT RAISE(ABORT, 'journal is append-only: an entry cannot be changed'); END;
CREATE TRIGGER journal_no_delete BEFORE DELETE ON journal
BEGIN SELECT RAISE(ABORT, 'journal is append-only: an entry cannot be deleted'); END;
CREATE TRIGGER outbox_no_update BEFORE UPDATE ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox is append-only: a state cannot be changed'); END;
CREATE TRIGGER outbox_no_delete BEFORE DELETE ON outbox
BEGIN SELECT RAISE(ABORT, 'outbox is append-only: a state cannot be deleted'); END;
CREATE TRIGGER outbox_last_no_delete BEFORE DELETE ON outbox_last
BEGIN SELECT RAISE(ABORT, 'outbox_last is kept by triggers: a row cannot be deleted'); END;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: a row cannot be changed'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: a row cannot be deleted'); END;
CREATE TRIGGER z_report_no_update BEFORE UPDATE ON z_report
BEGIN SELECT RAISE(ABORT, 'Z reports are immutable: a report cannot be changed'); END;
CREATE TRIGGER z_report_no_delete BEFORE DELETE ON z_report
BEGIN SELECT RAISE(ABORT, 'Z reports are immutable: a report cannot be deleted'); END;

-- A forwarded entry gets its latest-state row and starts captured, in the
-- transaction that appends it.
CREATE TRIGGER journal_forwarded AFTER INSERT ON journal
WHEN NEW.kind IN ('purchase', 'void')
BEGIN
    INSERT INTO outbox_last (seq, kind, period, ref, amount, operator, at, slot, state, state_at)
    VALUES (NEW.seq, NEW.kind, (SELECT coalesce(max(number), 0) + 1 FROM z_report), NEW.ref,
            NEW.amount, NEW.operator, NEW.at,
            CASE WHEN NEW.at >= 0 THEN NEW.at / 900000000000 ELSE (NEW.at + 1) / 900000000000 - 1 END,
            'captured', NEW.at);
    INSERT INTO outbox (seq, state, reason, at) VALUES (NEW.seq, 'captured', '', NEW.at);
END;

CREATE TRIGGER journal_void AFTER INSERT ON journal
WHEN NEW.kind = 'void'
BEGIN
    UPDATE outbox_last SET voided = 1 WHERE seq = NEW.ref;
END;

-- The store checks these rules first and says why in Go; the triggers keep
-- them when something else writes to the file.
CREATE TRIGGER outbox_rules BEFORE INSERT ON outbox
BEGIN
    SELECT RAISE(ABORT, 'outbox: not a forwarded journal entry')
    WHERE NOT EXISTS (SELECT 1 FROM outbox_last WHERE seq = NEW.seq);
    SELECT RAISE(ABORT, 'outbox: the entry is already in a final state')
    WHERE EXISTS (SELECT 1 FROM outbox_last WHERE seq = NEW.seq AND final = 1);
END;

CREATE TRIGGER outbox_latest AFTER INSERT ON outbox
BEGIN
    UPDATE outbox_last
    SET state = NEW.state, state_at = NEW.at, final = NEW.state IN ('posted', 'rejected', 'duplicate')
    WHERE seq = NEW.seq;
END;
