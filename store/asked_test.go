package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"lingqian/app"
)

func TestATapAskedAndNeverAnsweredIsATornTapAfterARestart(t *testing.T) {
	ctx := context.Background()
	// Given a desk that wrote a tap down before asking the card, and
	// stopped before recording the answer
	path := filepath.Join(t.TempDir(), "desk.db")
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	appendPurchases(t, db, 2)
	tap := torn("asked-1", t0.Add(time.Hour))
	if err := db.Ask(ctx, tap); err != nil {
		t.Fatalf("ask: %v", err)
	}
	db.Close()

	// When the desk opens again and looks for torn taps before a sale
	db, err = Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	open, err := db.OpenTorn(ctx)

	// Then the tap is a torn entry of the journal, next in line, chained
	if err != nil || len(open) != 1 || open[0].IdempotencyKey != "asked-1" || open[0].Seq != 3 || open[0].PAN != tap.PAN {
		t.Fatalf("open torn taps: %+v, %v", open, err)
	}
	if brk, err := db.Verify(ctx); err != nil || brk != nil {
		t.Errorf("verify: %+v, %v", brk, err)
	}
	// And it is not turned into a torn tap twice
	if again, _ := db.OpenTorn(ctx); len(again) != 1 {
		t.Errorf("open torn taps the second time: %+v", again)
	}
}

func TestAnAnsweredTapLeavesOnlyWhatHappenedInTheJournal(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name   string
		answer *app.Entry
		want   []app.EntryKind
	}{
		{"the card paid", ptr(purchase("p-1", 500, "li.na", t0)), []app.EntryKind{app.KindPurchase}},
		{"the card did not pay", nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a tap written down before the card was asked
			db := openTemp(t)
			if err := db.Ask(ctx, torn("asked-1", t0)); err != nil {
				t.Fatal(err)
			}

			// When its answer is recorded
			if _, err := db.Answer(ctx, "asked-1", tc.answer); err != nil {
				t.Fatalf("answer: %v", err)
			}

			// Then the journal holds the answer alone and no torn tap is open
			list, err := db.Entries(ctx, 1, 10)
			if err != nil || len(list) != len(tc.want) {
				t.Fatalf("journal %+v, %v", list, err)
			}
			for i := range list {
				if list[i].Kind != tc.want[i] {
					t.Errorf("entry %d is a %s, want %s", i+1, list[i].Kind, tc.want[i])
				}
			}
			if open, _ := db.OpenTorn(ctx); len(open) != 0 {
				t.Errorf("open torn taps: %+v", open)
			}
		})
	}
}

func TestAskTakesOnlyATornTap(t *testing.T) {
	if err := openTemp(t).Ask(context.Background(), purchase("p-1", 500, "li.na", t0)); err == nil {
		t.Error("a purchase was written down as a tap asked")
	}
}

func ptr[T any](v T) *T { return &v }

func TestAnAnswerAfterAnotherProcessTookTheTapSettlesItsTornEntry(t *testing.T) {
	ctx := context.Background()
	// Given a tap written down, and another process at the desk that took
	// it for a stopped desk's before its answer came (a torn entry now)
	db := openTemp(t)
	tap := torn("asked-1", t0)
	if err := db.Ask(ctx, tap); err != nil {
		t.Fatal(err)
	}
	open, err := db.OpenTorn(ctx)
	if err != nil || len(open) != 1 {
		t.Fatalf("open torn taps: %+v, %v", open, err)
	}

	// When the card's approval is recorded
	p, err := db.Answer(ctx, "asked-1", ptr(purchase("p-1", 500, "li.na", t0)))

	// Then the purchase resolves that torn entry, so no later tap
	// recovers the same payment again
	if err != nil || p.Kind != app.KindPurchase || p.Ref != open[0].Seq {
		t.Fatalf("answer: %+v, %v", p, err)
	}
	if again, _ := db.OpenTorn(ctx); len(again) != 0 {
		t.Errorf("open torn taps: %+v", again)
	}
	// And a torn answer under the taken key is that entry, not a second one
	db2 := openTemp(t)
	if err := db2.Ask(ctx, tap); err != nil {
		t.Fatal(err)
	}
	if _, err := db2.OpenTorn(ctx); err != nil {
		t.Fatal(err)
	}
	e, err := db2.Answer(ctx, "asked-1", ptr(tap))
	if last, _ := db2.LastSeq(ctx); err != nil || e.Seq != 1 || last != 1 {
		t.Errorf("torn answer: %+v, %v; journal holds %d", e, err, last)
	}
}

func TestATapAskedThatCannotBeReadDoesNotStopTheSales(t *testing.T) {
	// Given a row of tap_asked damaged on disk
	ctx := context.Background()
	db := openTemp(t)
	if _, err := db.w.Exec("INSERT INTO tap_asked (idem_key, entry) VALUES ('x', 'not json')"); err != nil {
		t.Fatal(err)
	}

	// When the desk looks for torn taps before a sale
	open, err := db.OpenTorn(ctx)

	// Then it goes on, and the row stays for a person to see
	if err != nil || len(open) != 0 {
		t.Fatalf("open torn taps: %+v, %v", open, err)
	}
	var n int
	if err := db.r.QueryRow("SELECT count(*) FROM tap_asked").Scan(&n); err != nil || n != 1 {
		t.Errorf("tap_asked holds %d rows (%v)", n, err)
	}
}
