-- The desk's database, version 3: the audit log is hash-chained like the
-- journal, and every audited change of a setting or an operator names the
-- row it changed (subject) and the SHA-256 of the row as it left it
-- (digest). store.Verify then finds an audit row altered, removed or
-- inserted, and a setting or operator row edited behind the desk's back.
--
-- SQLite has no SHA-256 of its own, so the rows already in the log are
-- chained once by the desk right after this migration (store's
-- finishChainUpgrade), in one transaction that also records each existing
-- setting and operator as found and then empties chain_upgrade. Until
-- then, and only then, an audit row's prev_hash and hash may be filled in.

ALTER TABLE audit ADD COLUMN subject   TEXT NOT NULL DEFAULT ''; -- 'setting:KEY', 'operator:ID' or ''
ALTER TABLE audit ADD COLUMN digest    BLOB;                      -- the subject row's digest after the change
ALTER TABLE audit ADD COLUMN prev_hash BLOB;                      -- NULL only until the upgrade chains the row
ALTER TABLE audit ADD COLUMN hash      BLOB;

-- Verify looks up the last audited change of each subject.
CREATE INDEX audit_subject ON audit (subject, id) WHERE subject <> '';

-- One row while the rows above still wait to be chained.
CREATE TABLE chain_upgrade (pending INTEGER PRIMARY KEY CHECK (pending = 1));
INSERT INTO chain_upgrade (pending) VALUES (1);
CREATE TRIGGER chain_upgrade_once BEFORE INSERT ON chain_upgrade
BEGIN SELECT RAISE(ABORT, 'the audit log was chained once already'); END;

-- Append-only still, except for chaining an unchained row during the
-- upgrade, which changes nothing but its two hashes.
DROP TRIGGER audit_no_update;
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
WHEN OLD.hash IS NOT NULL
  OR NOT EXISTS (SELECT 1 FROM chain_upgrade)
  OR NEW.id IS NOT OLD.id OR NEW.at IS NOT OLD.at OR NEW.operator IS NOT OLD.operator
  OR NEW.action IS NOT OLD.action OR NEW.ref IS NOT OLD.ref OR NEW.detail IS NOT OLD.detail
  OR NEW.subject IS NOT OLD.subject OR NEW.digest IS NOT OLD.digest
BEGIN SELECT RAISE(ABORT, 'audit log is append-only: a row cannot be changed'); END;

-- A new row comes chained.
CREATE TRIGGER audit_chained BEFORE INSERT ON audit
WHEN NEW.prev_hash IS NULL OR NEW.hash IS NULL
BEGIN SELECT RAISE(ABORT, 'audit log: a row is appended with its hashes'); END;
