package pgstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"lingqian/bank"
)

// Wallets, their loads, the phones' records and the hotlist; the
// exception queue is in tx_exceptions.go.

func (t *pgTx) CreateWallet(w bank.Wallet) error {
	tag, err := t.exec(`INSERT INTO wallets (pan, psn, customer_id, icc_modulus, icc_exponent, aip, cdol1, currency,
		status, known_balance, last_atc, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
		ON CONFLICT DO NOTHING`,
		w.PAN, w.PSN, w.CustomerID, w.ICCKey.Modulus, w.ICCKey.Exponent, w.AIP, w.CDOL1, w.Currency,
		string(w.Status), w.KnownBalance, int32(w.LastATC), nanos(w.Created))
	return inserted(tag, err, 1, "wallet "+bank.MaskPAN(w.PAN))
}

const walletCols = `pan, psn, customer_id, icc_modulus, icc_exponent, aip, cdol1, currency, status, known_balance,
	last_atc, phone_balance, phone_atc, phone_at, created_at`

func scanWallet(r pgx.Row) (bank.Wallet, error) {
	var w bank.Wallet
	var status string
	var lastATC, phoneATC int32
	var phoneAt, created int64
	err := r.Scan(&w.PAN, &w.PSN, &w.CustomerID, &w.ICCKey.Modulus, &w.ICCKey.Exponent, &w.AIP, &w.CDOL1, &w.Currency,
		&status, &w.KnownBalance, &lastATC, &w.PhoneBalance, &phoneATC, &phoneAt, &created)
	w.Status, w.LastATC, w.PhoneATC = bank.WalletStatus(status), uint16(lastATC), uint16(phoneATC)
	w.PhoneAt, w.Created = fromNanos(phoneAt), fromNanos(created)
	return w, err
}

func (t *pgTx) Wallet(pan, psn string) (bank.Wallet, error) {
	w, err := scanWallet(t.row(`SELECT `+walletCols+` FROM wallets WHERE pan = $1 AND psn = $2`, pan, psn))
	return w, one(err, "wallet "+bank.MaskPAN(pan))
}

func (t *pgTx) WalletsByPAN(pan string) ([]bank.Wallet, error) {
	return list(t, "wallets", scanWallet, `SELECT `+walletCols+` FROM wallets WHERE pan = $1 ORDER BY created_at DESC, psn DESC`, pan)
}

// Wallets joins the wanted keys, sent as two arrays, to the primary key.
func (t *pgTx) Wallets(keys []bank.WalletKey) ([]bank.Wallet, error) {
	if len(keys) == 0 {
		return nil, nil
	}
	pans, psns := make([]string, len(keys)), make([]string, len(keys))
	for i, k := range keys {
		pans[i], psns[i] = k.PAN, k.PSN
	}
	return list(t, "wallets", scanWallet, `SELECT `+walletCols+`
		FROM unnest($1::text[], $2::text[]) AS want (want_pan, want_psn)
		JOIN wallets ON pan = want_pan AND psn = want_psn`, pans, psns)
}

func (t *pgTx) UpdateWallet(w bank.Wallet) error {
	return t.UpdateWallets([]bank.Wallet{w})
}

// UpdateWallets changes what UpdateWallet changes, for many wallets (each
// once) in one statement.
func (t *pgTx) UpdateWallets(ws []bank.Wallet) error {
	if len(ws) == 0 {
		return nil
	}
	n := len(ws)
	pans, psns, statuses := make([]string, n), make([]string, n), make([]string, n)
	known, phoneBal, phoneAt := make([]int64, n), make([]int64, n), make([]int64, n)
	lastATC, phoneATC := make([]int32, n), make([]int32, n)
	for i, w := range ws {
		pans[i], psns[i], statuses[i] = w.PAN, w.PSN, string(w.Status)
		known[i], phoneBal[i], phoneAt[i] = w.KnownBalance, w.PhoneBalance, nanos(w.PhoneAt)
		lastATC[i], phoneATC[i] = int32(w.LastATC), int32(w.PhoneATC)
	}
	tag, err := t.exec(`UPDATE wallets SET status = v.status, known_balance = v.known_balance, last_atc = v.last_atc,
			phone_balance = v.phone_balance, phone_atc = v.phone_atc, phone_at = v.phone_at
		FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::int[], $6::bigint[], $7::int[], $8::bigint[])
			AS v (pan, psn, status, known_balance, last_atc, phone_balance, phone_atc, phone_at)
		WHERE wallets.pan = v.pan AND wallets.psn = v.psn`,
		pans, psns, statuses, known, lastATC, phoneBal, phoneATC, phoneAt)
	what := fmt.Sprintf("%d wallets", n)
	if n == 1 {
		what = "wallet " + bank.MaskPAN(ws[0].PAN)
	}
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	switch found := tag.RowsAffected(); {
	case found == int64(n):
		return nil
	case n == 1:
		return fmt.Errorf("%s: %w", what, bank.ErrNotFound)
	default:
		return fmt.Errorf("%s, %d found: %w", what, found, bank.ErrNotFound)
	}
}

func (t *pgTx) AddLoad(l *bank.Load) error {
	err := t.row(`INSERT INTO loads (pan, psn, kind, atc, amount, balance_after, terminal_id, operator, posting_id, at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT DO NOTHING RETURNING id`,
		l.PAN, l.PSN, string(l.Kind), int32(l.ATC), l.Amount, l.BalanceAfter, l.TerminalID, l.Operator,
		nullID(l.PostingID), nanos(l.At)).Scan(&l.ID)
	if errors.Is(err, pgx.ErrNoRows) {
		return fmt.Errorf("load at ATC %d: %w", l.ATC, bank.ErrExists)
	}
	return one(err, fmt.Sprintf("load at ATC %d", l.ATC))
}

func (t *pgTx) Loads(pan, psn string) ([]bank.Load, error) {
	return list(t, "loads", func(r pgx.Row) (bank.Load, error) {
		l := bank.Load{PAN: pan, PSN: psn}
		var kind string
		var atc int32
		var at int64
		err := r.Scan(&l.ID, &kind, &atc, &l.Amount, &l.BalanceAfter, &l.TerminalID, &l.Operator, &l.PostingID, &at)
		l.Kind, l.ATC, l.At = bank.LoadKind(kind), uint16(atc), fromNanos(at)
		return l, err
	}, `SELECT id, kind, atc, amount, balance_after, terminal_id, operator, coalesce(posting_id, 0), at
		FROM loads WHERE pan = $1 AND psn = $2 ORDER BY id`, pan, psn)
}

func (t *pgTx) InsertPhoneRecord(r bank.PhoneRecord) error {
	tag, err := t.exec(`INSERT INTO phone_records (pan, psn, atc, amount, currency, txn_date, merchant, ac, balance_after,
		entry, uploaded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT DO NOTHING`,
		r.PAN, r.PSN, int32(r.ATC), r.Amount, r.Currency, r.Date, r.Merchant, r.AC, r.BalanceAfter, r.Entry, nanos(r.Uploaded))
	return inserted(tag, err, 1, fmt.Sprintf("phone record at ATC %d", r.ATC))
}

const phoneCols = `pan, psn, atc, amount, currency, txn_date, merchant, ac, balance_after, entry, uploaded_at`

func scanPhone(r pgx.Row) (bank.PhoneRecord, error) {
	var p bank.PhoneRecord
	var atc int32
	var up int64
	err := r.Scan(&p.PAN, &p.PSN, &atc, &p.Amount, &p.Currency, &p.Date, &p.Merchant, &p.AC, &p.BalanceAfter, &p.Entry, &up)
	p.ATC, p.Uploaded = uint16(atc), fromNanos(up)
	return p, err
}

func (t *pgTx) PhoneRecord(pan, psn string, atc uint16) (bank.PhoneRecord, error) {
	p, err := scanPhone(t.row(`SELECT `+phoneCols+` FROM phone_records WHERE pan = $1 AND psn = $2 AND atc = $3`,
		pan, psn, int32(atc)))
	return p, one(err, fmt.Sprintf("phone record at ATC %d", atc))
}

func (t *pgTx) PhoneRecords(pan, psn string) ([]bank.PhoneRecord, error) {
	return list(t, "phone records", scanPhone, `SELECT `+phoneCols+` FROM phone_records WHERE pan = $1 AND psn = $2 ORDER BY atc`, pan, psn)
}

func (t *pgTx) PhoneRecordsFor(slots []bank.ATCSlot) ([]bank.PhoneRecord, error) {
	if len(slots) == 0 {
		return nil, nil
	}
	pans, psns, atcs := slotArrays(slots)
	return list(t, "phone records", scanPhone, `SELECT `+phoneCols+`
		FROM unnest($1::text[], $2::text[], $3::int[]) AS want (want_pan, want_psn, want_atc)
		JOIN phone_records ON pan = want_pan AND psn = want_psn AND atc = want_atc`, pans, psns, atcs)
}

// slotArrays is slots as one array a column, for unnest.
func slotArrays(slots []bank.ATCSlot) (pans, psns []string, atcs []int32) {
	pans, psns, atcs = make([]string, len(slots)), make([]string, len(slots)), make([]int32, len(slots))
	for i, s := range slots {
		pans[i], psns[i], atcs[i] = s.PAN, s.PSN, int32(s.ATC)
	}
	return pans, psns, atcs
}

// AwaitingDesk lists the phones' records that no desk message holds the
// ATC of yet: purchases the phone made whose desk has not forwarded them.
func (t *pgTx) AwaitingDesk(f bank.ReportFilter) ([]bank.PhoneRecord, error) {
	q := `SELECT ` + phoneCols + ` FROM phone_records p WHERE NOT EXISTS (
		SELECT 1 FROM messages m WHERE m.pan = p.pan AND m.psn = p.psn AND m.atc = p.atc AND m.slot)`
	var args []any
	if f.Date != "" {
		q += ` AND p.txn_date = $1`
		args = append(args, f.Date)
	}
	return list(t, "phone records", scanPhone, q+` ORDER BY p.pan, p.psn, p.atc`, args...)
}

// AddHotlist moves the hotlist's version on and puts pan in it at that
// version, in one statement.
func (t *pgTx) AddHotlist(pan, reason string, at time.Time) (int64, error) {
	var v int64
	err := t.row(`WITH v AS (UPDATE meta SET value = value + 1 WHERE name = 'hotlist_version' RETURNING value)
		INSERT INTO hotlist (pan, reason, version, at) SELECT $1::text, $2::text, v.value, $3::bigint FROM v
		ON CONFLICT (pan) DO UPDATE SET reason = excluded.reason, version = excluded.version, at = excluded.at
		RETURNING version`, pan, reason, nanos(at)).Scan(&v)
	if err != nil {
		return 0, fmt.Errorf("hotlist: %w", err)
	}
	return v, nil
}

func (t *pgTx) Hotlist() (int64, []bank.HotlistEntry, error) {
	var v int64
	if err := t.row(`SELECT value FROM meta WHERE name = 'hotlist_version'`).Scan(&v); err != nil {
		return 0, nil, fmt.Errorf("hotlist: %w", err)
	}
	entries, err := list(t, "hotlist", func(r pgx.Row) (bank.HotlistEntry, error) {
		var e bank.HotlistEntry
		var at int64
		err := r.Scan(&e.PAN, &e.Reason, &e.Version, &at)
		e.At = fromNanos(at)
		return e, err
	}, `SELECT pan, reason, version, at FROM hotlist ORDER BY pan`)
	return v, entries, err
}
