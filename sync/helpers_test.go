package sync_test

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/store"
	desksync "lingqian/sync"
	"lingqian/sync/synctest"
)

const (
	terminal = "T0000001"
	merchant = "M001"
)

// openJournal opens a fresh desk database, closed when the test ends.
func openJournal(t testing.TB) *store.DB {
	t.Helper()
	db, err := store.Open(filepath.Join(t.TempDir(), "desk.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = db.Close() })
	return db
}

// seed records n purchases as the checkout would, amounts 100, 200, …
func seed(t testing.TB, db *store.DB, n int) []app.Entry {
	t.Helper()
	ctx := context.Background()
	last, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]app.Entry, 0, n)
	for i := 1; i <= n; i++ {
		k := int(last) + i
		e, err := db.Append(ctx, app.Entry{Kind: app.KindPurchase, At: time.Now(), IdempotencyKey: fmt.Sprintf("%s-%032d", terminal, k),
			Operator: "li.na", TerminalID: terminal, MerchantID: merchant, Amount: app.Money(100 * k), Currency: "156",
			TxnDate: time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC), AID: []byte{0xA0, 0, 0, 3, 0x33, 1, 1, 1},
			PAN: "6231990000000019", PSN: "00", ATC: uint16(k), CID: 0x40, AC: bytes.Repeat([]byte{byte(k)}, 8),
			IAD: bytes.Repeat([]byte{0x1A}, 32), TVR: make([]byte, 5), UN: []byte{1, 2, 3, 4},
			PDOLData: bytes.Repeat([]byte{0x0D}, 33), CDOL1Data: bytes.Repeat([]byte{0xC1}, 58),
			GenACResponse: bytes.Repeat([]byte{0x77}, 180)})
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// fast is a client configuration for tests: short waits, fixed jitter.
func fast(bank *synctest.Bank, t testing.TB) desksync.Config {
	return desksync.Config{
		BaseURL: bank.URL, TLS: bank.DeskTLS(t, terminal, merchant),
		AttemptTimeout: 2 * time.Second, Retries: 4,
		Backoff: desksync.Backoff{Min: 5 * time.Millisecond, Max: 40 * time.Millisecond, RetryAfterMax: 5 * time.Second},
		Jitter:  func(n int64) int64 { return n / 2 },
	}
}

func newClient(t testing.TB, cfg desksync.Config) *desksync.Client {
	t.Helper()
	c, err := desksync.NewClient(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// states is an entry's timeline as states only.
func states(t *testing.T, db *store.DB, seq int64) []app.OutboxState {
	t.Helper()
	tl, err := db.Timeline(context.Background(), seq)
	if err != nil {
		t.Fatal(err)
	}
	out := make([]app.OutboxState, len(tl))
	for i, c := range tl {
		out[i] = c.State
	}
	return out
}

// checkPostedOnce checks that every entry is final at the desk and that
// the bank handled each key exactly once.
func checkPostedOnce(t *testing.T, db *store.DB, bank *synctest.Bank, entries []app.Entry) {
	t.Helper()
	ctx := context.Background()
	handled := bank.Handled()
	for _, e := range entries {
		s, err := db.State(ctx, e.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if !s.Final() {
			t.Errorf("entry %d is %s, not final", e.Seq, s)
		}
		if n := handled[e.IdempotencyKey]; n != 1 {
			t.Errorf("entry %d: the bank handled its key %d times", e.Seq, n)
		}
	}
	if len(handled) != len(entries) {
		t.Errorf("the bank handled %d keys, the desk has %d entries", len(handled), len(entries))
	}
	left, err := db.Unsent(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(left) != 0 {
		t.Errorf("%d entries left unsent", len(left))
	}
}

// checkSameBodies checks that every request sent under one Idempotency-Key
// carried the same body.
func checkSameBodies(t *testing.T, bank *synctest.Bank, path string) (perKey map[string]int) {
	t.Helper()
	first := map[string][]byte{}
	perKey = map[string]int{}
	for _, r := range bank.Requests() {
		if r.Path != path {
			continue
		}
		perKey[r.Key]++
		if b, ok := first[r.Key]; ok && !bytes.Equal(b, r.Body) {
			t.Errorf("key %s was sent with two different bodies", r.Key)
		}
		first[r.Key] = r.Body
	}
	return perKey
}

func equalStates(a []app.OutboxState, b ...app.OutboxState) bool { return slices.Equal(a, b) }
