-- The desk's database, version 4: taps written down before the card is
-- asked to pay. A row here is the torn entry its tap becomes if the desk
-- never records the card's answer (it stopped in between); recording the
-- answer removes the row in the same transaction. It is a note kept ahead
-- of the journal, not part of it: the journal's numbers stay those of
-- what happened.

CREATE TABLE tap_asked (
    id       INTEGER PRIMARY KEY,
    idem_key TEXT NOT NULL UNIQUE, -- the torn entry's idempotency key
    entry    TEXT NOT NULL         -- the torn entry, as JSON
);
