-- The bank's database, version 3: unloads held for the settlement window.
--
-- An unload no longer moves money at once: the phone may have spent
-- offline before it was blocked, and those purchases reach the bank only
-- when their desks forward them. The unload is held until pays_at; then
-- the sweeper pays what e-cash is left, at most amount, and records it.

CREATE TABLE held_unloads (
	id          INTEGER PRIMARY KEY,
	pan         TEXT NOT NULL,
	psn         TEXT NOT NULL,
	-- The customer whose deposit the unload goes to.
	customer    TEXT NOT NULL,
	amount      INTEGER NOT NULL CHECK (amount > 0),
	terminal_id TEXT NOT NULL,
	operator    TEXT NOT NULL,
	-- The second teller's operator id, or 'customer' when the customer
	-- signed with their own password.
	approver    TEXT NOT NULL,
	at          INTEGER NOT NULL,
	pays_at     INTEGER NOT NULL,
	-- 0 while held; then when it was paid, how much (0 when the window's
	-- purchases left nothing), and the loads row of the payout (0 for none).
	paid_at     INTEGER NOT NULL DEFAULT 0,
	paid        INTEGER NOT NULL DEFAULT 0 CHECK (paid >= 0 AND paid <= amount),
	-- No foreign key: loads is made again when its kinds change (0002).
	load_id     INTEGER NOT NULL DEFAULT 0,
	FOREIGN KEY (pan, psn) REFERENCES wallets (pan, psn)
) STRICT;
CREATE INDEX held_unloads_wallet ON held_unloads (pan, psn, id);
CREATE INDEX held_unloads_due ON held_unloads (pays_at, id) WHERE paid_at = 0;
