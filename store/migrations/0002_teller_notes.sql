-- The desk's database, version 2: the teller's notes of loads in flight.
--
-- A teller desk notes each online load before it asks the bank, and keeps
-- the note until the phone shows the load (or the bank says it never did
-- it, or the load is given back or filed with the bank). A note holds the
-- phone's ARQC and its whole PAN, so it has a table of its own: settings
-- changes are audited with their values, and the audit log is no place for
-- either.
CREATE TABLE teller_notes (
    wallet  TEXT PRIMARY KEY, -- "<PAN>-<PSN>"
    body    TEXT NOT NULL,    -- the note, JSON (app.UnfinishedLoad)
    updated TEXT NOT NULL     -- RFC 3339, UTC
);

-- Notes the first release kept as settings move here.
INSERT INTO teller_notes (wallet, body, updated)
    SELECT substr(key, 19), value, strftime('%Y-%m-%dT%H:%M:%SZ', changed / 1000000000, 'unixepoch')
    FROM setting WHERE key LIKE 'teller.unfinished.%' AND value != '';
DELETE FROM setting WHERE key LIKE 'teller.unfinished.%';
