package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"lingqian/app"
)

// The teller's notes of loads in flight (app.TellerNotes), one per wallet.
// They are not settings: a note carries the phone's whole PAN and ARQC, and
// a setting's every change is audited with its value. The teller audits a
// masked line of what it does with a note instead.

// maxNote bounds a note: a load request and what became of it.
const maxNote = 16 << 10

// validWallet: "<PAN>-<PSN>", digits and '-', at most 64 characters.
func validWallet(wallet string) error {
	if len(wallet) == 0 || len(wallet) > 64 {
		return fmt.Errorf("%w: a teller note's wallet must be 1 to 64 characters", ErrInvalid)
	}
	for _, c := range []byte(wallet) {
		if !(c >= '0' && c <= '9' || c == '-') {
			return fmt.Errorf("%w: a teller note's wallet %q: digits and '-' only", ErrInvalid, wallet)
		}
	}
	return nil
}

// TellerNote is the note of the wallet's load in flight; app.ErrNotFound
// when there is none.
func (db *DB) TellerNote(ctx context.Context, wallet string) (string, error) {
	var body string
	err := db.r.QueryRowContext(ctx, "SELECT body FROM teller_notes WHERE wallet = ?", wallet).Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("store: teller note of %s: %w", maskWallet(wallet), app.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store: teller note of %s: %w", maskWallet(wallet), err)
	}
	return body, nil
}

// KeepTellerNote writes the wallet's note, replacing the one before; it is
// on disk when this returns nil, so a load noted before the bank is asked
// is known after a crash.
func (db *DB) KeepTellerNote(ctx context.Context, wallet, body string) error {
	if err := validWallet(wallet); err != nil {
		return fmt.Errorf("store: keep teller note: %w", err)
	}
	if body == "" || len(body) > maxNote {
		return fmt.Errorf("store: keep teller note of %s: %w: %d bytes, 1 to %d", maskWallet(wallet), ErrInvalid, len(body), maxNote)
	}
	now := time.Now().UTC().Format(time.RFC3339Nano)
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO teller_notes (wallet, body, updated) VALUES (?, ?, ?)
			ON CONFLICT (wallet) DO UPDATE SET body = excluded.body, updated = excluded.updated`, wallet, body, now)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: keep teller note of %s: %w", maskWallet(wallet), err)
	}
	return nil
}

// DropTellerNote forgets the wallet's note; no note is no error.
func (db *DB) DropTellerNote(ctx context.Context, wallet string) error {
	err := db.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM teller_notes WHERE wallet = ?", wallet)
		return err
	})
	if err != nil {
		return fmt.Errorf("store: drop teller note of %s: %w", maskWallet(wallet), err)
	}
	return nil
}

// maskWallet is "<PAN>-<PSN>" with the PAN masked, for errors.
func maskWallet(wallet string) string {
	pan, psn, _ := strings.Cut(wallet, "-")
	return app.MaskPAN(pan) + "-" + psn
}
