package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"lingqian/app"
)

// A report covers the period after the last Z report: entries
// (previous Z's LastSeq, LastSeq]. FirstSeq is always the previous Z's
// LastSeq + 1, so Z reports tile the journal; a period with no entries
// has LastSeq = FirstSeq - 1.
//
// Purchases count by their latest outbox state: Posted (posted or
// duplicate; duplicates also in Duplicate), Pending (captured, queued,
// sent, acknowledged), Rejected. A voided purchase counts in Voided only.
// A void in this period of a purchase reported in an earlier period
// counts in Voided here, since that earlier Z report cannot change.
// ByCashier and ByHour cover the purchases not voided; the hour is read
// on the clock of the time zone of the report's time (at), the desk's.
//
// The totals are one pass over the covering index outbox_last_report in
// group order (see 0001_init.sql), so a report costs one index scan of
// the open period's purchases and no sort.

// slotSeconds is the width of outbox_last.slot.
const slotSeconds = 15 * 60

// XReport is a look at the period so far; nothing is stored.
func (db *DB) XReport(ctx context.Context, terminal, merchant string, at time.Time) (app.Report, error) {
	var r app.Report
	err := db.read(ctx, func(tx *sql.Tx) error {
		var err error
		r, _, err = makeReport(ctx, tx, "X", terminal, merchant, at)
		return err
	})
	if err != nil {
		return app.Report{}, fmt.Errorf("store: X report: %w", err)
	}
	return r, nil
}

// CloseDay makes the next Z report in one transaction: totals over the
// open period, the canonical JSON (encoding/json of the report without
// Hash) and its SHA-256 stored, and an audit row z_report. The returned
// report carries the Hash.
func (db *DB) CloseDay(ctx context.Context, operator, terminal, merchant string, at time.Time) (app.Report, error) {
	if operator == "" {
		return app.Report{}, fmt.Errorf("store: close the day: %w: no operator", ErrInvalid)
	}
	if _, err := nanos(at); err != nil || at.IsZero() {
		return app.Report{}, fmt.Errorf("store: close the day: %w: time %v", ErrInvalid, at)
	}
	var r app.Report
	err := db.write(ctx, func(tx *sql.Tx) error {
		var err error
		r, err = closeDay(ctx, tx, operator, terminal, merchant, at)
		return err
	})
	if err != nil {
		return app.Report{}, fmt.Errorf("store: close the day: %w", err)
	}
	return r, nil
}

func closeDay(ctx context.Context, tx *sql.Tx, operator, terminal, merchant string, at time.Time) (app.Report, error) {
	r, p, err := makeReport(ctx, tx, "Z", terminal, merchant, at)
	if err != nil {
		return app.Report{}, err
	}
	r.Number = p.number
	body, err := json.Marshal(r)
	if err != nil {
		return app.Report{}, fmt.Errorf("Z report %d: %w", r.Number, err)
	}
	sum := sha256.Sum256(body)
	_, err = tx.ExecContext(ctx, `INSERT INTO z_report (number, made, first_seq, last_seq, last_hash, operator, body, hash)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.Number, at.UnixNano(), r.FirstSeq, r.LastSeq, blob(p.lastHash), operator, string(body), sum[:])
	if err != nil {
		return app.Report{}, fmt.Errorf("Z report %d: %w", r.Number, err)
	}
	detail := fmt.Sprintf("Z report %d, entries %d to %d: posted %d (%d), pending %d (%d), rejected %d (%d), voided %d (%d); seal %x",
		r.Number, r.FirstSeq, r.LastSeq, r.Posted.Count, r.Posted.Amount, r.Pending.Count, r.Pending.Amount,
		r.Rejected.Count, r.Rejected.Amount, r.Voided.Count, r.Voided.Amount, sum[:8])
	err = recordAudit(ctx, tx, app.AuditEvent{At: at, Operator: operator, Action: app.AuditZReport, Ref: r.LastSeq, Detail: detail})
	if err != nil {
		return app.Report{}, fmt.Errorf("Z report %d: audit: %w", r.Number, err)
	}
	r.Hash = sum[:]
	return r, nil
}

// ZReport is Z report number as it was stored. Its seal is checked:
// ErrTampered when the stored JSON is not what was sealed.
func (db *DB) ZReport(ctx context.Context, number int64) (app.Report, error) {
	var body, sum []byte
	var first, last int64
	err := db.r.QueryRowContext(ctx, "SELECT body, hash, first_seq, last_seq FROM z_report WHERE number = ?", number).
		Scan(&body, &sum, &first, &last)
	if errors.Is(err, sql.ErrNoRows) {
		return app.Report{}, fmt.Errorf("store: Z report %d: %w", number, app.ErrNotFound)
	}
	if err != nil {
		return app.Report{}, fmt.Errorf("store: Z report %d: %w", number, err)
	}
	if got := sha256.Sum256(body); !bytes.Equal(got[:], sum) {
		return app.Report{}, fmt.Errorf("store: Z report %d: %w: its contents were changed after it was sealed", number, ErrTampered)
	}
	var r app.Report
	if err := json.Unmarshal(body, &r); err != nil {
		return app.Report{}, fmt.Errorf("store: Z report %d: %w: %w", number, ErrTampered, err)
	}
	if r.Kind != "Z" || r.Number != number || r.FirstSeq != first || r.LastSeq != last {
		return app.Report{}, fmt.Errorf("store: Z report %d: %w: the sealed report is Z %d over %d to %d, the row says %d to %d",
			number, ErrTampered, r.Number, r.FirstSeq, r.LastSeq, first, last)
	}
	r.Hash = sum
	return r, nil
}

// period is the part of the journal the next Z report will cover.
type period struct {
	number   int64 // the next Z report's number
	firstSeq int64
	lastSeq  int64
	lastHash []byte // the journal's hash at lastSeq
}

func openPeriod(ctx context.Context, q querier) (period, error) {
	var p period
	var zNumber, zLast int64
	err := q.QueryRowContext(ctx, "SELECT number, last_seq FROM z_report ORDER BY number DESC LIMIT 1").Scan(&zNumber, &zLast)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("last Z report: %w", err)
	}
	var last int64
	var hash []byte
	err = q.QueryRowContext(ctx, "SELECT seq, hash FROM journal ORDER BY seq DESC LIMIT 1").Scan(&last, &hash)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return p, fmt.Errorf("last entry: %w", err)
	}
	p.number, p.firstSeq, p.lastSeq = zNumber+1, zLast+1, max(last, zLast)
	if last == p.lastSeq {
		p.lastHash = hash
	}
	return p, nil
}

func plus(t *app.Totals, n int, amount app.Money) {
	t.Count += n
	t.Amount += amount
}

// makeReport computes the open period's report in the caller's transaction.
func makeReport(ctx context.Context, q querier, kind, terminal, merchant string, at time.Time) (app.Report, period, error) {
	p, err := openPeriod(ctx, q)
	if err != nil {
		return app.Report{}, p, err
	}
	at = at.Round(0) // no monotonic reading in a stored report
	r := app.Report{Kind: kind, Terminal: terminal, Merchant: merchant, Made: at,
		FirstSeq: p.firstSeq, LastSeq: p.lastSeq, ByCashier: map[string]app.Totals{}}
	loc := at.Location()

	rows, err := q.QueryContext(ctx, `SELECT voided, state, operator, slot, count(*), sum(amount) FROM outbox_last
		WHERE period = ? AND kind = 'purchase' GROUP BY voided, state, operator, slot`, p.number)
	if err != nil {
		return app.Report{}, p, fmt.Errorf("totals: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var voided bool
		var state, operator string
		var slot, amount int64
		var n int
		if err := rows.Scan(&voided, &state, &operator, &slot, &n, &amount); err != nil {
			return app.Report{}, p, fmt.Errorf("totals: %w", err)
		}
		m := app.Money(amount)
		if voided {
			plus(&r.Voided, n, m)
			continue
		}
		switch app.OutboxState(state) {
		case app.StatePosted:
			plus(&r.Posted, n, m)
		case app.StateDuplicate:
			plus(&r.Posted, n, m)
			plus(&r.Duplicate, n, m)
		case app.StateRejected:
			plus(&r.Rejected, n, m)
		case app.StateCaptured, app.StateQueued, app.StateSent, app.StateAcknowledged:
			plus(&r.Pending, n, m)
		default:
			return app.Report{}, p, fmt.Errorf("totals: unknown outbox state %q", state)
		}
		c := r.ByCashier[operator]
		plus(&c, n, m)
		r.ByCashier[operator] = c
		plus(&r.ByHour[time.Unix(slot*slotSeconds, 0).In(loc).Hour()], n, m)
	}
	if err := rows.Err(); err != nil {
		return app.Report{}, p, fmt.Errorf("totals: %w", err)
	}

	var n int
	var amount int64
	err = q.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(p.amount), 0)
		FROM outbox_last v JOIN outbox_last p ON p.seq = v.ref
		WHERE v.period = ? AND v.kind = 'void' AND p.period < ?`, p.number, p.number).Scan(&n, &amount)
	if err != nil {
		return app.Report{}, p, fmt.Errorf("voids of earlier purchases: %w", err)
	}
	plus(&r.Voided, n, app.Money(amount))
	return r, p, nil
}
