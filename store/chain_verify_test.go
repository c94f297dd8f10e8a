package store

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"testing"

	"lingqian/app"
)

// rehash changes the amount of entry seq as someone with the sqlite3 tool
// and the chain's rules would: the trigger dropped, and the hashes from
// seq to through recomputed so that the rows chain again (through 0: to
// the end).
func rehash(t *testing.T, db *DB, seq, through int64, amount app.Money) {
	t.Helper()
	ctx := context.Background()
	last, err := db.LastSeq(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if through == 0 {
		through = last
	}
	list, err := db.Entries(ctx, 1, last)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.w.Exec("DROP TRIGGER IF EXISTS journal_no_update"); err != nil {
		t.Fatal(err)
	}
	prev := zeroHash
	for _, e := range list {
		if e.Seq == seq {
			e.Amount = amount
		}
		e.PrevHash = prev
		e.Hash, _ = chainHash(nil, nil, prev, &e)
		if e.Seq >= seq && e.Seq <= through {
			if _, err := db.w.Exec("UPDATE journal SET amount = ?, prev_hash = ?, hash = ? WHERE seq = ?",
				int64(e.Amount), e.PrevHash, e.Hash, e.Seq); err != nil {
				t.Fatal(err)
			}
		}
		prev = e.Hash
	}
}

// verifiedDesk is busyDesk verified once, as the forwarder does at a
// desk's start, then used on: two more purchases and a setting changed.
func verifiedDesk(t *testing.T) (*DB, []app.ChainHead) {
	t.Helper()
	db := busyDesk(t)
	ctx := context.Background()
	heads, fault, err := db.VerifyChains(ctx, nil)
	if err != nil || fault != nil {
		t.Fatalf("first verification: %+v %v", fault, err)
	}
	if want, err := db.ChainHeads(ctx); err != nil || !sameHeads(heads, want) {
		t.Fatalf("verified heads %+v, want the chain heads %+v (%v)", heads, want, err)
	}
	for i := range 2 {
		mustAppend(t, db, purchase("later"+string(rune('a'+i)), 700, "li.na", t0))
	}
	if err := db.SetSetting(ctx, "limits.per_purchase", "70000", "boss"); err != nil {
		t.Fatal(err)
	}
	return db, heads
}

func sameHeads(a, b []app.ChainHead) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Name != b[i].Name || a[i].Seq != b[i].Seq || !bytes.Equal(a[i].Hash, b[i].Hash) {
			return false
		}
	}
	return true
}

func TestVerifyChainsFromAVerifiedPoint(t *testing.T) {
	// The journal verified holds entries 1 to 3; 4 and 5 come after.
	tests := []struct {
		name   string
		tamper func(t *testing.T, db *DB, verified []app.ChainHead)
		chain  string // "": nothing found
		seq    int64
		reason string
	}{
		{"nothing changed", func(*testing.T, *DB, []app.ChainHead) {}, "", 0, ""},
		{"entry 2 rewritten with fresh hashes, the verified entry's hash put back", func(t *testing.T, db *DB, _ []app.ChainHead) {
			old, err := db.ChainHash(context.Background(), app.ChainJournal, 3)
			if err != nil {
				t.Fatal(err)
			}
			rehash(t, db, 2, 3, 1)
			cli(t, db.Path(), "UPDATE journal SET hash = X'"+hex.EncodeToString(old)+"' WHERE seq = 3;")
		}, app.ChainJournal, 3, "no longer holds the hash it was verified with"},
		{"entry 2 rewritten with fresh hashes to the end", func(t *testing.T, db *DB, _ []app.ChainHead) { rehash(t, db, 2, 0, 1) },
			app.ChainJournal, 3, "no longer holds"},
		{"the verified entry's amount edited", func(t *testing.T, db *DB, _ []app.ChainHead) {
			cli(t, db.Path(), dropTriggers+"UPDATE journal SET amount = 1 WHERE seq = 3;")
		}, app.ChainJournal, 3, "no longer holds"},
		{"an entry after it edited", func(t *testing.T, db *DB, _ []app.ChainHead) {
			cli(t, db.Path(), dropTriggers+"UPDATE journal SET amount = 1 WHERE seq = 4;")
		}, app.ChainJournal, 4, "the row was changed"},
		{"the entries after it cut off", func(t *testing.T, db *DB, _ []app.ChainHead) {
			cli(t, db.Path(), "PRAGMA foreign_keys = OFF; "+dropTriggers+
				"DELETE FROM outbox WHERE seq >= 4; DELETE FROM outbox_last WHERE seq >= 4; DELETE FROM journal WHERE seq >= 4;")
		}, app.ChainJournal, 4, "missing"},
		{"the verified entry cut off too", func(t *testing.T, db *DB, _ []app.ChainHead) {
			cli(t, db.Path(), "PRAGMA foreign_keys = OFF; "+dropTriggers+
				"DELETE FROM outbox WHERE seq >= 3; DELETE FROM outbox_last WHERE seq >= 3; DELETE FROM journal WHERE seq >= 3;")
		}, app.ChainJournal, 3, "is gone"},
		{"the verified audit row edited", func(t *testing.T, db *DB, verified []app.ChainHead) {
			cli(t, db.Path(), fmt.Sprintf("DROP TRIGGER audit_no_update; UPDATE audit SET detail = 'nothing' WHERE id = %d;", verified[1].Seq))
		}, app.ChainAudit, -1, "no longer holds"},
		{"a setting edited outside the desk", func(t *testing.T, db *DB, _ []app.ChainHead) {
			cli(t, db.Path(), "UPDATE setting SET value = '99999999' WHERE key = 'limits.per_purchase';")
		}, app.ChainAudit, -2, "outside the desk"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given a desk verified once, then used on
			db, verified := verifiedDesk(t)
			ctx := context.Background()

			// When its chains are changed on disk, and verified again from
			// the heads verified before
			tt.tamper(t, db, verified)
			heads, fault, err := db.VerifyChains(ctx, verified)
			if err != nil {
				t.Fatal(err)
			}

			// Then the first place they no longer hold is named, or, when
			// nothing changed, the heads are the chains' ends
			if tt.chain == "" {
				if fault != nil {
					t.Fatalf("found %+v on an untouched desk", fault)
				}
				if want, err := db.ChainHeads(ctx); err != nil || !sameHeads(heads, want) || heads[0].Seq != 5 {
					t.Errorf("heads %+v, want %+v (%v)", heads, want, err)
				}
				return
			}
			want := tt.seq
			switch tt.seq {
			case -1: // the audit head verified
				want = verified[1].Seq
			case -2: // the audit row of the setting's last change
				want = verified[1].Seq + 1
			}
			if fault == nil || heads != nil || fault.Chain != tt.chain || fault.Seq != want || !strings.Contains(fault.Reason, tt.reason) {
				t.Errorf("found %+v (heads %+v), want %s %d: %q", fault, heads, tt.chain, want, tt.reason)
			}
		})
	}
}

func TestVerifyChainsFromAVerifiedPointLeavesTheRowsBelowItToAFullCheck(t *testing.T) {
	// Given a desk verified once
	db, verified := verifiedDesk(t)
	ctx := context.Background()

	// When entry 2, below the verified entry 3, is edited and entry 3 is
	// left as it was
	cli(t, db.Path(), dropTriggers+"UPDATE journal SET amount = 1 WHERE seq = 2;")

	// Then the check from the verified point does not see it: it looks
	// at entry 3 and what came after
	if _, fault, err := db.VerifyChains(ctx, verified); err != nil || fault != nil {
		t.Fatalf("from the verified point: %+v %v", fault, err)
	}
	// And a full check, as at the desk's next start, does
	_, fault, err := db.VerifyChains(ctx, nil)
	if err != nil || fault == nil || fault.Chain != app.ChainJournal || fault.Seq != 2 {
		t.Errorf("full check: %+v %v", fault, err)
	}
}

func TestVerifyChainsOnAnEmptyDesk(t *testing.T) {
	// Given a new desk, its first verification gives empty heads, and
	// they are a verified point to go on from
	db := openTemp(t)
	ctx := context.Background()
	heads, fault, err := db.VerifyChains(ctx, nil)
	if err != nil || fault != nil || len(heads) != 2 || heads[0].Seq != 0 || heads[0].Hash != nil || heads[1].Seq != 0 {
		t.Fatalf("empty desk: %+v %+v %v", heads, fault, err)
	}
	list := appendPurchases(t, db, 2)
	heads, fault, err = db.VerifyChains(ctx, heads)
	if err != nil || fault != nil || heads[0].Seq != 2 || !bytes.Equal(heads[0].Hash, list[1].Hash) {
		t.Fatalf("after two purchases: %+v %+v %v", heads, fault, err)
	}
	// And a chain the desk does not have is an error, not a finding
	if _, _, err := db.VerifyChains(ctx, []app.ChainHead{{Name: "ledger", Seq: 1}}); err == nil {
		t.Error("an unknown chain was verified")
	}
}

// BenchmarkVerifyChains1M is the forwarder's first check at a desk's
// start, over the 1,000,000-row journal (bigDB).
func BenchmarkVerifyChains1M(b *testing.B) {
	db := bigDB(b)
	ctx := context.Background()
	for b.Loop() {
		heads, fault, err := db.VerifyChains(ctx, nil)
		if err != nil || fault != nil || heads[0].Seq != bigRows {
			b.Fatalf("verify: %+v %+v %v", heads, fault, err)
		}
	}
	b.ReportMetric(float64(bigRows)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
}

// BenchmarkVerifyChainsFrom1M is a later pass's check: from a point
// verified 500 entries before the end of the same journal.
func BenchmarkVerifyChainsFrom1M(b *testing.B) {
	db := bigDB(b)
	ctx := context.Background()
	heads, fault, err := db.VerifyChains(ctx, nil)
	if err != nil || fault != nil {
		b.Fatalf("verify: %+v %v", fault, err)
	}
	from := int64(bigRows - 500)
	h, err := db.ChainHash(ctx, app.ChainJournal, from)
	if err != nil {
		b.Fatal(err)
	}
	known := []app.ChainHead{{Name: app.ChainJournal, Seq: from, Hash: h}, heads[1]}
	for b.Loop() {
		if got, fault, err := db.VerifyChains(ctx, known); err != nil || fault != nil || got[0].Seq != bigRows {
			b.Fatalf("verify: %+v %+v %v", got, fault, err)
		}
	}
}
