package bank

import (
	"fmt"
	"time"
)

// Wallets, their loads, the phones' records and the hotlist; the
// exception queue is in store_sqlite_exceptions.go.

func (t *sqlTx) CreateWallet(w Wallet) error {
	_, err := t.exec(`INSERT INTO wallets (pan, psn, customer_id, icc_modulus, icc_exponent, aip, cdol1, currency,
		status, known_balance, last_atc, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		w.PAN, w.PSN, w.CustomerID, w.ICCKey.Modulus, w.ICCKey.Exponent, w.AIP, w.CDOL1, w.Currency,
		string(w.Status), w.KnownBalance, int(w.LastATC), nanos(w.Created))
	return unique(err, "wallet "+MaskPAN(w.PAN))
}

const walletCols = `pan, psn, customer_id, icc_modulus, icc_exponent, aip, cdol1, currency, status, known_balance,
	last_atc, phone_balance, phone_atc, phone_at, created_at`

type scanner interface{ Scan(dest ...any) error }

func scanWallet(r scanner) (Wallet, error) {
	var w Wallet
	var status string
	var lastATC, phoneATC int
	var phoneAt, created int64
	err := r.Scan(&w.PAN, &w.PSN, &w.CustomerID, &w.ICCKey.Modulus, &w.ICCKey.Exponent, &w.AIP, &w.CDOL1, &w.Currency,
		&status, &w.KnownBalance, &lastATC, &w.PhoneBalance, &phoneATC, &phoneAt, &created)
	w.Status, w.LastATC, w.PhoneATC = WalletStatus(status), uint16(lastATC), uint16(phoneATC)
	w.PhoneAt, w.Created = fromNanos(phoneAt), fromNanos(created)
	return w, err
}

func (t *sqlTx) Wallet(pan, psn string) (Wallet, error) {
	w, err := scanWallet(t.row(`SELECT `+walletCols+` FROM wallets WHERE pan = ? AND psn = ?`, pan, psn))
	return w, one(err, "wallet "+MaskPAN(pan))
}

func (t *sqlTx) WalletsByPAN(pan string) ([]Wallet, error) {
	return t.wallets(`SELECT `+walletCols+` FROM wallets WHERE pan = ? ORDER BY created_at DESC, psn DESC`, pan)
}

func (t *sqlTx) Wallets(keys []WalletKey) ([]Wallet, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	pairs := make([][2]string, len(keys))
	for i, k := range keys {
		pairs[i] = [2]string{k.PAN, k.PSN}
	}
	list, err := jsonList(pairs)
	if err != nil {
		return nil, fmt.Errorf("wallets: %w", err)
	}
	// The CROSS JOIN keeps the wanted keys outside, each probing the
	// primary key.
	return t.wallets(`WITH want (want_pan, want_psn) AS (SELECT value ->> 0, value ->> 1 FROM json_each(?))
		SELECT `+walletCols+` FROM want CROSS JOIN wallets WHERE pan = want_pan AND psn = want_psn`, list)
}

func (t *sqlTx) wallets(q string, args ...any) ([]Wallet, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("wallets: %w", err)
	}
	defer rows.Close()
	var out []Wallet
	for rows.Next() {
		w, err := scanWallet(rows)
		if err != nil {
			return nil, fmt.Errorf("wallets: %w", err)
		}
		out = append(out, w)
	}
	return out, rows.Err()
}

func (t *sqlTx) UpdateWallet(w Wallet) error {
	res, err := t.exec(`UPDATE wallets SET status = ?, known_balance = ?, last_atc = ?, phone_balance = ?, phone_atc = ?,
		phone_at = ? WHERE pan = ? AND psn = ?`,
		string(w.Status), w.KnownBalance, int(w.LastATC), w.PhoneBalance, int(w.PhoneATC), nanos(w.PhoneAt), w.PAN, w.PSN)
	if err != nil {
		return fmt.Errorf("wallet %s: %w", MaskPAN(w.PAN), err)
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return fmt.Errorf("wallet %s: %w", MaskPAN(w.PAN), ErrNotFound)
	}
	return nil
}

// UpdateWallets changes what UpdateWallet changes, for many wallets (each
// once) in a few statements.
func (t *sqlTx) UpdateWallets(ws []Wallet) error {
	if len(ws) == 0 {
		return nil
	}
	args := make([]any, 0, len(ws)*8)
	for _, w := range ws {
		args = append(args, w.PAN, w.PSN, string(w.Status), w.KnownBalance, int64(w.LastATC), w.PhoneBalance,
			int64(w.PhoneATC), nanos(w.PhoneAt))
	}
	n, err := t.execRows(`WITH v (pan, psn, status, known_balance, last_atc, phone_balance, phone_atc, phone_at) AS (VALUES `,
		`) UPDATE wallets SET status = v.status, known_balance = v.known_balance, last_atc = v.last_atc,
			phone_balance = v.phone_balance, phone_atc = v.phone_atc, phone_at = v.phone_at
		FROM v WHERE wallets.pan = v.pan AND wallets.psn = v.psn`, 8, args)
	if err != nil {
		return fmt.Errorf("%d wallets: %w", len(ws), err)
	}
	if n != int64(len(ws)) {
		return fmt.Errorf("%d wallets, %d found: %w", len(ws), n, ErrNotFound)
	}
	return nil
}

func (t *sqlTx) AddLoad(l *Load) error {
	var posting any
	if l.PostingID != 0 {
		posting = l.PostingID
	}
	res, err := t.exec(`INSERT INTO loads (pan, psn, kind, atc, amount, balance_after, terminal_id, operator, posting_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		l.PAN, l.PSN, string(l.Kind), int(l.ATC), l.Amount, l.BalanceAfter, l.TerminalID, l.Operator, posting, nanos(l.At))
	if err := unique(err, fmt.Sprintf("load at ATC %d", l.ATC)); err != nil {
		return err
	}
	l.ID, err = res.LastInsertId()
	return err
}

func (t *sqlTx) Loads(pan, psn string) ([]Load, error) {
	rows, err := t.query(`SELECT id, kind, atc, amount, balance_after, terminal_id, operator, coalesce(posting_id, 0), at
		FROM loads WHERE pan = ? AND psn = ? ORDER BY id`, pan, psn)
	if err != nil {
		return nil, fmt.Errorf("loads: %w", err)
	}
	defer rows.Close()
	var out []Load
	for rows.Next() {
		l := Load{PAN: pan, PSN: psn}
		var kind string
		var atc int
		var at int64
		if err := rows.Scan(&l.ID, &kind, &atc, &l.Amount, &l.BalanceAfter, &l.TerminalID, &l.Operator, &l.PostingID, &at); err != nil {
			return nil, fmt.Errorf("loads: %w", err)
		}
		l.Kind, l.ATC, l.At = LoadKind(kind), uint16(atc), fromNanos(at)
		out = append(out, l)
	}
	return out, rows.Err()
}

func (t *sqlTx) InsertPhoneRecord(r PhoneRecord) error {
	_, err := t.exec(`INSERT INTO phone_records (pan, psn, atc, amount, currency, txn_date, merchant, ac, balance_after,
		entry, uploaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.PAN, r.PSN, int(r.ATC), r.Amount, r.Currency, r.Date, r.Merchant, r.AC, r.BalanceAfter, r.Entry, nanos(r.Uploaded))
	return unique(err, fmt.Sprintf("phone record at ATC %d", r.ATC))
}

const phoneCols = `pan, psn, atc, amount, currency, txn_date, merchant, ac, balance_after, entry, uploaded_at`

func scanPhone(r scanner) (PhoneRecord, error) {
	var p PhoneRecord
	var atc int
	var up int64
	err := r.Scan(&p.PAN, &p.PSN, &atc, &p.Amount, &p.Currency, &p.Date, &p.Merchant, &p.AC, &p.BalanceAfter, &p.Entry, &up)
	p.ATC, p.Uploaded = uint16(atc), fromNanos(up)
	return p, err
}

func (t *sqlTx) PhoneRecord(pan, psn string, atc uint16) (PhoneRecord, error) {
	p, err := scanPhone(t.row(`SELECT `+phoneCols+` FROM phone_records WHERE pan = ? AND psn = ? AND atc = ?`, pan, psn, int(atc)))
	return p, one(err, fmt.Sprintf("phone record at ATC %d", atc))
}

func (t *sqlTx) PhoneRecords(pan, psn string) ([]PhoneRecord, error) {
	return t.phoneRecords(`SELECT `+phoneCols+` FROM phone_records WHERE pan = ? AND psn = ? ORDER BY atc`, pan, psn)
}

func (t *sqlTx) PhoneRecordsFor(slots []ATCSlot) ([]PhoneRecord, error) {
	if len(slots) == 0 {
		return nil, nil
	}
	list, err := slotList(slots)
	if err != nil {
		return nil, fmt.Errorf("phone records: %w", err)
	}
	return t.phoneRecords(`WITH want (want_pan, want_psn, want_atc) AS (
			SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?))
		SELECT `+phoneCols+` FROM want CROSS JOIN phone_records
		WHERE pan = want_pan AND psn = want_psn AND atc = want_atc`, list)
}

func (t *sqlTx) phoneRecords(q string, args ...any) ([]PhoneRecord, error) {
	rows, err := t.query(q, args...)
	if err != nil {
		return nil, fmt.Errorf("phone records: %w", err)
	}
	defer rows.Close()
	var out []PhoneRecord
	for rows.Next() {
		p, err := scanPhone(rows)
		if err != nil {
			return nil, fmt.Errorf("phone records: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

// AwaitingDesk lists the phones' records that no desk message holds the
// ATC of yet: purchases the phone made whose desk has not forwarded them.
func (t *sqlTx) AwaitingDesk(f ReportFilter) ([]PhoneRecord, error) {
	q := `SELECT ` + phoneCols + ` FROM phone_records p WHERE NOT EXISTS (
		SELECT 1 FROM messages m WHERE m.pan = p.pan AND m.psn = p.psn AND m.atc = p.atc AND m.slot = 1)`
	var args []any
	if f.Date != "" {
		q += ` AND p.txn_date = ?`
		args = append(args, f.Date)
	}
	return t.phoneRecords(q+` ORDER BY p.pan, p.psn, p.atc`, args...)
}

func (t *sqlTx) AddHotlist(pan, reason string, at time.Time) (int64, error) {
	var v int64
	if err := t.row(`UPDATE meta SET value = value + 1 WHERE name = 'hotlist_version' RETURNING value`).Scan(&v); err != nil {
		return 0, fmt.Errorf("hotlist: %w", err)
	}
	_, err := t.exec(`INSERT INTO hotlist (pan, reason, version, at) VALUES (?, ?, ?, ?)
		ON CONFLICT (pan) DO UPDATE SET reason = excluded.reason, version = excluded.version, at = excluded.at`,
		pan, reason, v, nanos(at))
	if err != nil {
		return 0, fmt.Errorf("hotlist: %w", err)
	}
	return v, nil
}

func (t *sqlTx) Hotlist() (int64, []HotlistEntry, error) {
	var v int64
	if err := t.row(`SELECT value FROM meta WHERE name = 'hotlist_version'`).Scan(&v); err != nil {
		return 0, nil, fmt.Errorf("hotlist: %w", err)
	}
	rows, err := t.query(`SELECT pan, reason, version, at FROM hotlist ORDER BY pan`)
	if err != nil {
		return 0, nil, fmt.Errorf("hotlist: %w", err)
	}
	defer rows.Close()
	var out []HotlistEntry
	for rows.Next() {
		var e HotlistEntry
		var at int64
		if err := rows.Scan(&e.PAN, &e.Reason, &e.Version, &at); err != nil {
			return 0, nil, fmt.Errorf("hotlist: %w", err)
		}
		e.At = fromNanos(at)
		out = append(out, e)
	}
	return v, out, rows.Err()
}
