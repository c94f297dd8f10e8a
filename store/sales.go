package store

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"lingqian/app"
)

// SalesPage lists the purchases matching f, newest first, with seq below
// before (0: from the newest), at most limit (1 to 1000). It reads the
// outbox's latest states, so a page costs the rows it walks, not the journal.
func (db *DB) SalesPage(ctx context.Context, f app.SaleFilter, before int64, limit int) ([]app.SaleRow, error) {
	if limit < 1 || limit > 1000 {
		return nil, fmt.Errorf("store: sales page of %d: %w", limit, ErrInvalid)
	}
	where := []string{"l.kind = 'purchase'"}
	var args []any
	if before > 0 {
		where, args = append(where, "l.seq < ?"), append(args, before)
	}
	switch f.Show {
	case app.ShowAll:
	case app.ShowPending:
		where = append(where, "l.final = 0 AND l.voided = 0")
	case app.ShowRejected:
		where = append(where, "l.state = 'rejected'")
	case app.ShowDifferences:
		where = append(where, "l.state IN ('rejected', 'duplicate')")
	default:
		return nil, fmt.Errorf("store: sales that are %q: %w", f.Show, ErrInvalid)
	}
	if f.Cashier != "" {
		where, args = append(where, "l.operator = ?"), append(args, f.Cashier)
	}
	if !f.Day.IsZero() {
		y, m, d := f.Day.Date()
		from := time.Date(y, m, d, 0, 0, 0, 0, f.Day.Location())
		where, args = append(where, "l.at >= ? AND l.at < ?"), append(args, from.UnixNano(), from.AddDate(0, 0, 1).UnixNano())
	}
	join := ""
	if q := strings.TrimSpace(f.Search); q != "" {
		cond, qargs, err := searchCondition(q)
		if err != nil {
			return nil, err
		}
		join = " JOIN journal j ON j.seq = l.seq"
		where, args = append(where, cond), append(args, qargs...)
	}
	query := "SELECT l.seq, l.state, l.voided FROM outbox_last l" + join + " WHERE " + strings.Join(where, " AND ") +
		" ORDER BY l.seq DESC LIMIT ?"
	rows, err := db.r.QueryContext(ctx, query, append(args, limit)...)
	if err != nil {
		return nil, fmt.Errorf("store: sales page: %w", err)
	}
	var page []app.SaleRow
	for rows.Next() {
		var r app.SaleRow
		var state string
		if err := rows.Scan(&r.Entry.Seq, &state, &r.Voided); err != nil {
			rows.Close()
			return nil, fmt.Errorf("store: sales page: %w", err)
		}
		r.State = app.OutboxState(state)
		page = append(page, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: sales page: %w", err)
	}
	for i := range page {
		seq := page[i].Entry.Seq
		if page[i].Entry, err = db.Entry(ctx, seq); err != nil {
			return nil, err
		}
		if page[i].State == app.StateRejected {
			err := db.r.QueryRowContext(ctx, "SELECT reason FROM outbox WHERE seq = ? ORDER BY id DESC LIMIT 1", seq).Scan(&page[i].Reason)
			if err != nil {
				return nil, fmt.Errorf("store: reason for entry %d: %w", seq, err)
			}
		}
	}
	return page, nil
}

// searchCondition reads what the owner typed: a masked PAN as receipts
// print it (623199******0019), or digits: a sequence number, or from four
// digits on also the end of a PAN.
func searchCondition(q string) (string, []any, error) {
	if first, last, masked := strings.Cut(q, "*"); masked {
		last = strings.TrimLeft(last, "*")
		if !digits(first) || !digits(last) {
			return "", nil, fmt.Errorf("store: search %q: %w: a masked PAN is digits and *", q, ErrInvalid)
		}
		return "j.pan LIKE ? AND length(j.pan) = ?", []any{first + "%" + last, len(q)}, nil
	}
	if !digits(q) || len(q) > 19 {
		return "", nil, fmt.Errorf("store: search %q: %w: give a sequence number or a PAN's digits", q, ErrInvalid)
	}
	seq, _ := strconv.ParseInt(q, 10, 64)
	if len(q) < 4 { // a few digits are a sequence number, not the end of every other PAN
		return "l.seq = ?", []any{seq}, nil
	}
	return "(l.seq = ? OR j.pan LIKE ?)", []any{seq, "%" + q}, nil
}

func digits(s string) bool {
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}
