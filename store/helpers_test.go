package store

import (
	"bytes"
	"context"
	"fmt"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

// openTemp opens a new database in a temporary folder, closed when the test ends.
func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(filepath.Join(t.TempDir(), "desk.db"))
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

// t0 is a fixed moment for the entries tests make: 2026-03-02 09:30 in Shanghai.
var t0 = time.Date(2026, 3, 2, 1, 30, 0, 123456789, time.UTC)

// purchase is a purchase entry as the checkout would make it.
func purchase(key string, amount app.Money, cashier string, at time.Time) app.Entry {
	return app.Entry{
		Kind: app.KindPurchase, At: at, IdempotencyKey: key, Operator: cashier,
		TerminalID: "T0000001", MerchantID: "M00000000000001",
		Amount: amount, Currency: "156", TxnDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), TxnType: 0x00,
		AID: []byte{0xA0, 0, 0, 0x03, 0x33, 0x01, 0x01, 0x01}, PAN: "6231990000000019", PSN: "01",
		ATC: 7, CID: 0x40, AC: bytes.Repeat([]byte{0xAC}, 8), IAD: bytes.Repeat([]byte{0x1A}, 32),
		TVR: make([]byte, 5), UN: []byte{1, 2, 3, 4},
		PDOLData:      bytes.Repeat([]byte{0x0D}, 33),
		CDOL1Data:     bytes.Repeat([]byte{0xC1}, 58),
		GenACResponse: bytes.Repeat([]byte{0x77}, 120),
	}
}

// void is a void of the purchase p, as the checkout makes it.
func void(key string, p app.Entry, supervisor string, at time.Time) app.Entry {
	v := p
	v.Seq, v.Kind, v.At, v.IdempotencyKey, v.Operator, v.Ref, v.Note = 0, app.KindVoid, at, key, supervisor, p.Seq, "customer changed their mind"
	v.PrevHash, v.Hash = nil, nil
	return v
}

// torn is a torn tap.
func torn(key string, at time.Time) app.Entry {
	e := purchase(key, 500, "li.na", at)
	e.Kind, e.Note, e.ATC, e.CID, e.AC, e.IAD, e.GenACResponse = app.KindTorn, "card left during GENERATE AC", 0, 0, nil, nil, nil
	return e
}

func mustAppend(t testing.TB, db *DB, e app.Entry) app.Entry {
	t.Helper()
	got, err := db.Append(context.Background(), e)
	if err != nil {
		t.Fatalf("append %s %s: %v", e.Kind, e.IdempotencyKey, err)
	}
	return got
}

// appendPurchases appends n purchases of 100 fen each, a minute apart.
func appendPurchases(t testing.TB, db *DB, n int) []app.Entry {
	t.Helper()
	out := make([]app.Entry, 0, n)
	for i := range n {
		out = append(out, mustAppend(t, db, purchase(fmt.Sprintf("k%d", i), 100, "li.na", t0.Add(time.Duration(i)*time.Minute))))
	}
	return out
}

// cli runs SQL through the real sqlite3 command-line tool, as someone
// with the file would.
func cli(t testing.TB, path, sql string) string {
	t.Helper()
	cmd := exec.Command("/usr/bin/sqlite3", path)
	cmd.Stdin = strings.NewReader(sql)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("sqlite3 %q: %v\n%s", sql, err, out)
	}
	return strings.TrimSpace(string(out))
}
