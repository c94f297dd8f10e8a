package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"lingqian/app"
)

var _ app.Journal = (*DB)(nil)

// maxKey bounds an idempotency key; the desk makes 41-character ones.
const maxKey = 200

// Append records e durably and returns it as stored: with its Seq (the
// last plus one, so without gaps), PrevHash, Hash, At in UTC (now when e
// had none) and empty byte fields as nil. A purchase or void starts its
// outbox timeline as captured in the same transaction. It refuses an
// entry without an idempotency key or with one already used
// (ErrDuplicateKey), a Ref to an entry that does not exist, a void that
// does not name a purchase, a second void of a purchase (ErrAlreadyVoided),
// and a torn resolution that does not name a torn tap.
//
// The write is not abandoned when ctx is cancelled after it began: the
// card has already approved the purchase the entry records.
func (db *DB) Append(ctx context.Context, e app.Entry) (app.Entry, error) {
	row, err := prepare(&e)
	if err != nil {
		return app.Entry{}, err
	}
	if err := db.write(ctx, func(tx *sql.Tx) error { return insertEntry(ctx, tx, &e, row) }); err != nil {
		return app.Entry{}, err
	}
	return e, nil
}

// entryTimes are an entry's times as the journal stores them.
type entryTimes struct {
	at      int64
	txnDate any // nil when the entry has no transaction date
}

// prepare checks e and puts it in the form the journal keeps.
func prepare(e *app.Entry) (entryTimes, error) {
	if err := checkEntry(e); err != nil {
		return entryTimes{}, fmt.Errorf("store: append %s: %w", e.Kind, err)
	}
	if e.At.IsZero() {
		e.At = time.Now()
	}
	at, err := nanos(e.At)
	if err != nil {
		return entryTimes{}, fmt.Errorf("store: append %s: at: %w", e.Kind, err)
	}
	txnDate, err := nullNanos(e.TxnDate)
	if err != nil {
		return entryTimes{}, fmt.Errorf("store: append %s: transaction date: %w", e.Kind, err)
	}
	e.At = fromNanos(at)
	if !e.TxnDate.IsZero() {
		e.TxnDate = fromNanos(txnDate.(int64))
	}
	for _, b := range []*[]byte{&e.AID, &e.AC, &e.IAD, &e.TVR, &e.UN, &e.PDOLData, &e.CDOL1Data, &e.GenACResponse} {
		if len(*b) == 0 {
			*b = nil
		}
	}
	return entryTimes{at: at, txnDate: txnDate}, nil
}

// insertEntry chains e to the last entry and inserts it, in tx.
func insertEntry(ctx context.Context, tx *sql.Tx, e *app.Entry, row entryTimes) error {
	var last int64
	var prev []byte
	err := tx.QueryRowContext(ctx, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").Scan(&last, &prev)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		prev = zeroHash
	case err != nil:
		return fmt.Errorf("store: append %s: last entry: %w", e.Kind, err)
	}
	e.Seq = last + 1
	if err := checkRefs(ctx, tx, e); err != nil {
		return fmt.Errorf("store: append entry %d (%s): %w", e.Seq, e.Kind, err)
	}
	e.PrevHash = prev
	e.Hash, _ = chainHash(nil, nil, prev, e)
	var ref any
	if e.Ref != 0 {
		ref = e.Ref
	}
	_, err = tx.ExecContext(ctx, "INSERT INTO journal ("+entryCols+") VALUES (?"+repeat(", ?", nEntryCols-1)+")",
		e.Seq, string(e.Kind), row.at, e.IdempotencyKey, e.Operator, e.TerminalID, e.MerchantID, ref, e.Note,
		int64(e.Amount), e.Currency, row.txnDate, int64(e.TxnType), blob(e.AID), e.PAN, e.PSN, int64(e.ATC), int64(e.CID),
		blob(e.AC), blob(e.IAD), blob(e.TVR), blob(e.UN), blob(e.PDOLData), blob(e.CDOL1Data), blob(e.GenACResponse),
		e.PrevHash, e.Hash)
	if err != nil {
		return fmt.Errorf("store: append entry %d (%s): %w", e.Seq, e.Kind, err)
	}
	return nil
}

// checkEntry applies the rules that need no database.
func checkEntry(e *app.Entry) error {
	switch e.Kind {
	case app.KindPurchase, app.KindVoid, app.KindTorn, app.KindTornCleared:
	default:
		return fmt.Errorf("%w: unknown kind %q", ErrInvalid, e.Kind)
	}
	switch {
	case e.IdempotencyKey == "":
		return fmt.Errorf("%w: no idempotency key", ErrInvalid)
	case len(e.IdempotencyKey) > maxKey:
		return fmt.Errorf("%w: idempotency key is %d bytes, at most %d", ErrInvalid, len(e.IdempotencyKey), maxKey)
	case e.Ref < 0:
		return fmt.Errorf("%w: ref %d", ErrInvalid, e.Ref)
	case e.Amount < 0:
		return fmt.Errorf("%w: negative amount %d", ErrInvalid, e.Amount)
	case e.Ref == 0 && (e.Kind == app.KindVoid || e.Kind == app.KindTornCleared):
		return fmt.Errorf("%w: a %s must name the entry it resolves (Ref)", ErrInvalid, e.Kind)
	}
	for name, n := range map[string]int{"operator": len(e.Operator), "terminal": len(e.TerminalID),
		"merchant": len(e.MerchantID), "note": len(e.Note), "currency": len(e.Currency), "AID": len(e.AID),
		"PAN": len(e.PAN), "PSN": len(e.PSN), "AC": len(e.AC), "IAD": len(e.IAD), "TVR": len(e.TVR), "UN": len(e.UN),
		"PDOL data": len(e.PDOLData), "CDOL1 data": len(e.CDOL1Data), "GENERATE AC response": len(e.GenACResponse)} {
		if n > maxField {
			return fmt.Errorf("%w: %s is %d bytes, at most %d", ErrInvalid, name, n, maxField)
		}
	}
	return nil
}

// checkRefs applies the rules that need the journal, inside the append's
// transaction so that nothing changes between check and insert.
func checkRefs(ctx context.Context, tx *sql.Tx, e *app.Entry) error {
	var dup int64
	err := tx.QueryRowContext(ctx, "SELECT seq FROM journal WHERE idem_key = ?", e.IdempotencyKey).Scan(&dup)
	if err == nil {
		return fmt.Errorf("%w: %q is entry %d's", ErrDuplicateKey, e.IdempotencyKey, dup)
	}
	if !errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("idempotency key: %w", err)
	}
	if e.Ref == 0 {
		return nil
	}
	var kind string
	var resolved, voided bool
	err = tx.QueryRowContext(ctx, `SELECT kind,
		EXISTS (SELECT 1 FROM journal r WHERE r.ref = j.seq AND r.kind IN ('torn_cleared', 'purchase')),
		EXISTS (SELECT 1 FROM journal v WHERE v.ref = j.seq AND v.kind = 'void')
		FROM journal j WHERE seq = ?`, e.Ref).Scan(&kind, &resolved, &voided)
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%w: ref %d: there is no such entry", ErrInvalid, e.Ref)
	}
	if err != nil {
		return fmt.Errorf("ref %d: %w", e.Ref, err)
	}
	switch e.Kind {
	case app.KindVoid:
		if app.EntryKind(kind) != app.KindPurchase {
			return fmt.Errorf("%w: entry %d is a %s: only a purchase can be voided", ErrInvalid, e.Ref, kind)
		}
		if voided {
			return fmt.Errorf("entry %d: %w", e.Ref, ErrAlreadyVoided)
		}
		// Checked here, in the transaction that appends the void, and not
		// only by the caller before: the forwarder may cut the purchase
		// into a batch in between, and a void that follows its purchase
		// to the bank in a later batch comes too late.
		var state string
		if err := tx.QueryRowContext(ctx, "SELECT state FROM outbox_last WHERE seq = ?", e.Ref).Scan(&state); err != nil {
			return fmt.Errorf("ref %d: outbox state: %w", e.Ref, err)
		}
		if app.OutboxState(state) != app.StateCaptured {
			return fmt.Errorf("entry %d is %s: %w", e.Ref, state, ErrForwarded)
		}
	case app.KindTornCleared, app.KindPurchase:
		// A second resolution of the same torn tap is let through: refusing
		// it would refuse the purchase the card has just approved.
		if app.EntryKind(kind) != app.KindTorn {
			return fmt.Errorf("%w: entry %d is a %s: a %s can only resolve a torn tap", ErrInvalid, e.Ref, kind, e.Kind)
		}
	}
	return nil
}

func repeat(s string, n int) string {
	out := make([]byte, 0, len(s)*n)
	for range n {
		out = append(out, s...)
	}
	return string(out)
}

// Entry is one journal entry; app.ErrNotFound when there is none.
func (db *DB) Entry(ctx context.Context, seq int64) (app.Entry, error) {
	list, err := queryEntries(ctx, db.r, "SELECT "+entryCols+" FROM journal WHERE seq = ?", seq)
	if err != nil {
		return app.Entry{}, fmt.Errorf("store: entry %d: %w", seq, err)
	}
	if len(list) == 0 {
		return app.Entry{}, fmt.Errorf("store: entry %d: %w", seq, app.ErrNotFound)
	}
	return list[0], nil
}

// Entries are the entries fromSeq to toSeq, both included, in order. It
// holds them all in memory: page through a long journal.
func (db *DB) Entries(ctx context.Context, fromSeq, toSeq int64) ([]app.Entry, error) {
	list, err := queryEntries(ctx, db.r, "SELECT "+entryCols+" FROM journal WHERE seq BETWEEN ? AND ? ORDER BY seq", fromSeq, toSeq)
	if err != nil {
		return nil, fmt.Errorf("store: entries %d to %d: %w", fromSeq, toSeq, err)
	}
	return list, nil
}

// queryEntries runs a query selecting entryCols.
func queryEntries(ctx context.Context, q querier, query string, args ...any) ([]app.Entry, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	raw := newRawEntry()
	var list []app.Entry
	for rows.Next() {
		if err := rows.Scan(raw.dest[:]...); err != nil {
			return nil, err
		}
		e, err := raw.decode()
		if err != nil {
			return nil, fmt.Errorf("entry %s: %w", raw.cols[0], err)
		}
		list = append(list, e)
	}
	return list, rows.Err()
}

// LastSeq is the highest seq in the journal, 0 when it is empty.
func (db *DB) LastSeq(ctx context.Context) (int64, error) {
	var n int64
	if err := db.r.QueryRowContext(ctx, "SELECT coalesce(max(seq), 0) FROM journal").Scan(&n); err != nil {
		return 0, fmt.Errorf("store: last seq: %w", err)
	}
	return n, nil
}

// Pending sums the purchases whose latest outbox state is not final,
// leaving out voided ones.
func (db *DB) Pending(ctx context.Context) (app.Pending, error) {
	var p app.Pending
	var amount int64
	var oldest sql.NullInt64
	err := db.r.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(amount), 0), min(at) FROM outbox_last
		WHERE final = 0 AND kind = 'purchase' AND voided = 0`).Scan(&p.Count, &amount, &oldest)
	if err != nil {
		return app.Pending{}, fmt.Errorf("store: pending: %w", err)
	}
	p.Amount = app.Money(amount)
	if oldest.Valid {
		p.Oldest = fromNanos(oldest.Int64)
	}
	return p, nil
}

// OpenTorn lists the torn taps no later torn_cleared or purchase entry
// names, newest first. Taps asked and never answered (the desk stopped
// in between) become torn entries first.
func (db *DB) OpenTorn(ctx context.Context) ([]app.Entry, error) {
	if err := db.tornFromAsked(ctx); err != nil {
		return nil, err
	}
	list, err := queryEntries(ctx, db.r, "SELECT "+entryColsJ+` FROM journal j WHERE j.kind = 'torn'
		AND NOT EXISTS (SELECT 1 FROM journal r WHERE r.ref = j.seq AND r.kind IN ('torn_cleared', 'purchase'))
		ORDER BY j.seq DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: open torn taps: %w", err)
	}
	return list, nil
}

// State is the latest outbox state of a purchase or void.
func (db *DB) State(ctx context.Context, seq int64) (app.OutboxState, error) {
	var state string
	err := db.r.QueryRowContext(ctx, "SELECT state FROM outbox_last WHERE seq = ?", seq).Scan(&state)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: state of entry %d: %w", seq, notForwarded(ctx, db.r, seq))
	}
	if err != nil {
		return "", fmt.Errorf("store: state of entry %d: %w", seq, err)
	}
	return app.OutboxState(state), nil
}

// States are the latest states of the forwarded entries with
// fromSeq <= seq <= toSeq, by seq: one query where State would take one
// per entry.
func (db *DB) States(ctx context.Context, fromSeq, toSeq int64) (map[int64]app.OutboxState, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT seq, state FROM outbox_last WHERE seq BETWEEN ? AND ?", fromSeq, toSeq)
	if err != nil {
		return nil, fmt.Errorf("store: states of entries %d to %d: %w", fromSeq, toSeq, err)
	}
	defer rows.Close()
	states := map[int64]app.OutboxState{}
	for rows.Next() {
		var seq int64
		var state string
		if err := rows.Scan(&seq, &state); err != nil {
			return nil, fmt.Errorf("store: states of entries %d to %d: %w", fromSeq, toSeq, err)
		}
		states[seq] = app.OutboxState(state)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: states of entries %d to %d: %w", fromSeq, toSeq, err)
	}
	return states, nil
}

// notForwarded says why an entry has no outbox timeline.
func notForwarded(ctx context.Context, q querier, seq int64) error {
	var kind string
	err := q.QueryRowContext(ctx, "SELECT kind FROM journal WHERE seq = ?", seq).Scan(&kind)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return app.ErrNotFound
	case err != nil:
		return err
	}
	return fmt.Errorf("%w: a %s entry does not go to the bank", ErrInvalid, kind)
}

// Voided says whether a void names the entry.
func (db *DB) Voided(ctx context.Context, seq int64) (bool, error) {
	var voided bool
	err := db.r.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM journal v WHERE v.ref = j.seq AND v.kind = 'void')
		FROM journal j WHERE j.seq = ?`, seq).Scan(&voided)
	if errors.Is(err, sql.ErrNoRows) {
		return false, fmt.Errorf("store: voided %d: %w", seq, app.ErrNotFound)
	}
	if err != nil {
		return false, fmt.Errorf("store: voided %d: %w", seq, err)
	}
	return voided, nil
}
