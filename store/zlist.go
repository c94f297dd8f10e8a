package store

import (
	"context"
	"fmt"

	"lingqian/app"
)

// ZReports lists the Z reports closed so far, newest first, at most
// limit: what a list to reprint from shows. Reprint one with ZReport,
// which checks its seal.
func (db *DB) ZReports(ctx context.Context, limit int) ([]app.ZSummary, error) {
	rows, err := db.r.QueryContext(ctx, "SELECT number, made, first_seq, last_seq, operator FROM z_report ORDER BY number DESC LIMIT ?", limit)
	if err != nil {
		return nil, fmt.Errorf("store: Z reports: %w", err)
	}
	defer rows.Close()
	var list []app.ZSummary
	for rows.Next() {
		var z app.ZSummary
		var made int64
		if err := rows.Scan(&z.Number, &made, &z.FirstSeq, &z.LastSeq, &z.Operator); err != nil {
			return nil, fmt.Errorf("store: Z reports: %w", err)
		}
		z.Made = fromNanos(made)
		list = append(list, z)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("store: Z reports: %w", err)
	}
	return list, nil
}
