package bank

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"lingqian/emv/oda"
)

// A bank whose wallets and desks are made straight in its store, and
// messages that stand for ones whose cryptograms were verified: what the
// single writer sees of a batch, without the phones and terminals that
// would make real ones.

var writerNow = time.Date(2026, 3, 1, 9, 30, 0, 0, time.UTC)

const writerLoad = 1_000_000_000

// writerBank makes, in dir, a bank with a customer, n wallets of load fen
// each and the desk T0000001 of M001.
func writerBank(tb testing.TB, dir string, n int, load int64) *Bank {
	tb.Helper()
	st, err := OpenSQLite(filepath.Join(dir, DBFile))
	if err != nil {
		tb.Fatal(err)
	}
	b, err := New(st, Options{Now: func() time.Time { return writerNow }})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	if err := b.AddCustomer(ctx, "alice", "s3cret-alice", int64(n)*load); err != nil {
		tb.Fatal(err)
	}
	err = b.store.Write(ctx, func(tx Tx) error {
		c, err := tx.Customer("alice")
		if err != nil {
			return err
		}
		for i := range n {
			w := Wallet{PAN: writerPAN(i), PSN: "00", CustomerID: c.ID, ICCKey: oda.PublicKey{Modulus: []byte{0xC1}, Exponent: []byte{3}},
				AIP: []byte{0x39, 0x00}, CDOL1: []byte{0x9F, 0x02, 0x06}, Currency: "156", Status: WalletActive, KnownBalance: load, Created: writerNow}
			if err := tx.CreateWallet(w); err != nil {
				return err
			}
			if err := tx.EnsureAccount(ecashAccount(w.PAN, w.PSN), Liability); err != nil {
				return err
			}
			id, err := transfer(tx, writerNow, "voucher", "voucher", depositAccount("alice"), ecashAccount(w.PAN, w.PSN), load)
			if err != nil {
				return err
			}
			if err := tx.AddLoad(&Load{PAN: w.PAN, PSN: w.PSN, Kind: LoadVoucher, Amount: load, BalanceAfter: load, PostingID: id, At: writerNow}); err != nil {
				return err
			}
		}
		return tx.CreateDesk(Desk{TerminalID: "T0000001", MerchantID: "M001", CertSerial: "01", NotAfter: writerNow.AddDate(1, 0, 0), Enrolled: writerNow})
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { b.Close() })
	return b
}

// writerPAN is the PAN of wallet i, with its Luhn check digit.
func writerPAN(i int) string {
	body := fmt.Sprintf("623199%09d", i)
	sum := 0
	for j := range len(body) {
		d := int(body[len(body)-1-j] - '0')
		if j%2 == 0 {
			if d *= 2; d > 9 {
				d -= 9
			}
		}
		sum += d
	}
	return body + fmt.Sprint((10-sum%10)%10)
}

// copyBank closes b and opens a second bank on a copy of its database.
func copyBank(tb testing.TB, b *Bank, dir string) (*Bank, *Bank) {
	tb.Helper()
	from := b.store.(*SQLite).Path()
	if err := b.Close(); err != nil {
		tb.Fatal(err)
	}
	src, err := os.Open(from)
	if err != nil {
		tb.Fatal(err)
	}
	defer src.Close()
	dst, err := os.Create(filepath.Join(dir, DBFile))
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := io.Copy(dst, src); err != nil {
		tb.Fatal(err)
	}
	if err := dst.Close(); err != nil {
		tb.Fatal(err)
	}
	reopen := func(path string) *Bank {
		st, err := OpenSQLite(path)
		if err != nil {
			tb.Fatal(err)
		}
		nb, err := New(st, Options{Now: func() time.Time { return writerNow }})
		if err != nil {
			tb.Fatal(err)
		}
		tb.Cleanup(func() { nb.Close() })
		return nb
	}
	return reopen(from), reopen(filepath.Join(dir, DBFile))
}

// desk is the bank's desk T0000001.
func (b *Bank) testDesk(tb testing.TB) *Desk {
	tb.Helper()
	var d Desk
	err := b.store.Read(context.Background(), func(tx Tx) error {
		var err error
		d, err = tx.Desk("T0000001")
		return err
	})
	if err != nil {
		tb.Fatal(err)
	}
	return &d
}

// verified is a message of the desk that parsed and whose cryptograms
// verified (or failed with reason).
func verified(kind string, seq, ref int64, key string, wallet int, atc uint16, amount int64, ac byte) *prepared {
	m := Message{TerminalID: "T0000001", MerchantID: "M001", Key: key, Seq: seq, Kind: kind, Ref: ref,
		At: writerNow.Add(-time.Hour), Received: writerNow, PAN: writerPAN(wallet), PSN: "00", ATC: atc, Amount: amount,
		Currency: "156", Date: "2026-03-01", TxnType: 0, CID: 0x40, AID: []byte{0xA0, 0, 0, 3, 0x33, 1, 1},
		AC: []byte{ac, 1, 2, 3, 4, 5, 6, 7}, IAD: filled(18, ac), TVR: make([]byte, 5), UN: []byte{9, 9, 9, 9},
		PDOLData: filled(20, 1), CDOL1Data: filled(50, 2), GenACResponse: filled(170, ac), State: StatePending}
	return &prepared{wire: &WireMessage{Key: key, Seq: seq, Kind: kind, Ref: ref}, keyed: true, msg: m}
}

// filled is n bytes of the size real messages carry.
func filled(n int, b byte) []byte {
	out := make([]byte, n)
	for i := range out {
		out[i] = b + byte(i)
	}
	return out
}

// clearPlain clears preps as one batch, one statement per question.
func (b *Bank) clearPlain(tb testing.TB, preps []*prepared) ([]Result, error) {
	tb.Helper()
	return b.clearPlainAt(tb, preps, 0)
}

// clearPlainAt is clearPlain from a desk holding the hotlist's version v.
func (b *Bank) clearPlainAt(tb testing.TB, preps []*prepared, v int64) ([]Result, error) {
	tb.Helper()
	bs := newBatchState(b.testDesk(tb), preps)
	bs.hotlistVersion = v
	var resp BatchResponse
	err := b.store.Write(context.Background(), func(tx Tx) error {
		var err error
		resp, err = b.clearBatch(tx, bs, preps)
		return err
	})
	return resp.Results, err
}

// clearSetBased clears preps as one batch the way handleBatch does.
func (b *Bank) clearSetBased(tb testing.TB, preps []*prepared) ([]Result, error) {
	tb.Helper()
	return b.clearSetBasedAt(tb, preps, 0)
}

// clearSetBasedAt is clearSetBased from a desk holding the hotlist's
// version v.
func (b *Bank) clearSetBasedAt(tb testing.TB, preps []*prepared, v int64) ([]Result, error) {
	tb.Helper()
	bs := newBatchState(b.testDesk(tb), preps)
	bs.hotlistVersion = v
	var resp BatchResponse
	err := b.store.Write(context.Background(), func(tx Tx) error {
		btx, err := newBatchTx(tx, bs.desk.TerminalID, preps)
		if err != nil {
			return err
		}
		if resp, err = b.clearBatch(btx, bs, preps); err != nil {
			return err
		}
		return btx.flush()
	})
	return resp.Results, err
}

// dump is every row of the bank's tables but the idempotency records, in
// a form two databases can be compared by.
func (b *Bank) dump(tb testing.TB) map[string][]string {
	tb.Helper()
	return dumpTables(tb, b.store.(*SQLite).r)
}

func dumpTables(tb testing.TB, db *sql.DB) map[string][]string {
	tb.Helper()
	tables := []string{"meta", "customers", "sessions", "wallets", "loads", "enrolment_codes", "desks", "accounts",
		"postings", "posting_lines", "messages", "phone_records", "hotlist", "exceptions", "held_unloads"}
	out := map[string][]string{}
	for _, t := range tables {
		rows, err := db.Query(`SELECT * FROM ` + t + ` ORDER BY rowid`)
		if err != nil {
			tb.Fatal(err)
		}
		out[t] = scanAll(tb, rows)
	}
	return out
}

func scanAll(tb testing.TB, rows *sql.Rows) []string {
	tb.Helper()
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		tb.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			tb.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%#v", vals))
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	return out
}

func reflectEqual(a, b any) bool { return fmt.Sprintf("%#v", a) == fmt.Sprintf("%#v", b) }
