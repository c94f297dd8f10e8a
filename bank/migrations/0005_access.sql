-- The bank's database, version 5: sessions ended by customer (logout
-- everywhere, lock-out), and the admin log.

CREATE INDEX sessions_customer ON sessions (customer_id);

-- Who ran which administrative command that changed the bank, on what,
-- and when. Rows are only ever added.
CREATE TABLE admin_log (
	id      INTEGER PRIMARY KEY,
	at      INTEGER NOT NULL,
	by_whom TEXT NOT NULL,
	command TEXT NOT NULL,
	target  TEXT NOT NULL,
	detail  TEXT NOT NULL DEFAULT ''
) STRICT;

CREATE TRIGGER admin_log_no_update BEFORE UPDATE ON admin_log
BEGIN
	SELECT RAISE(ABORT, 'the admin log is append-only');
END;

CREATE TRIGGER admin_log_no_delete BEFORE DELETE ON admin_log
BEGIN
	SELECT RAISE(ABORT, 'the admin log is append-only');
END;
