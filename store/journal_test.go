package store

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"lingqian/app"
)

func TestAppendIsGapFreeAndChained(t *testing.T) {
	// Given an empty journal
	db := openTemp(t)
	ctx := context.Background()

	// When entries of every kind are appended
	p1 := mustAppend(t, db, purchase("a", 1250, "li.na", t0))
	tn := mustAppend(t, db, torn("b", t0.Add(time.Minute)))
	tc := torn("c", t0.Add(2*time.Minute))
	tc.Kind, tc.Ref = app.KindTornCleared, tn.Seq
	tc = mustAppend(t, db, tc)
	v := mustAppend(t, db, void("d", p1, "wang.wei", t0.Add(3*time.Minute)))
	got := []app.Entry{p1, tn, tc, v}

	// Then seqs run 1, 2, 3, 4, each PrevHash is the hash before (zeros first),
	// and each entry reads back exactly as Append returned it
	prev := zeroHash
	for i, e := range got {
		if e.Seq != int64(i+1) {
			t.Errorf("entry %d has seq %d", i+1, e.Seq)
		}
		if !bytes.Equal(e.PrevHash, prev) || len(e.Hash) != 32 {
			t.Errorf("entry %d: prev %x (want %x), hash %x", e.Seq, e.PrevHash, prev, e.Hash)
		}
		if want, _ := chainHash(nil, nil, prev, &e); !bytes.Equal(want, e.Hash) {
			t.Errorf("entry %d: hash is not SHA-256(prev ‖ canonical)", e.Seq)
		}
		prev = e.Hash
		back, err := db.Entry(ctx, e.Seq)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(back, e) {
			t.Errorf("entry %d reads back as\n%+v\nwant\n%+v", e.Seq, back, e)
		}
	}
	if last, err := db.LastSeq(ctx); err != nil || last != 4 {
		t.Errorf("last seq %d %v", last, err)
	}
	if list, err := db.Entries(ctx, 2, 3); err != nil || len(list) != 2 || list[0].Seq != 2 || list[1].Seq != 3 {
		t.Errorf("entries 2..3: %d entries, %v", len(list), err)
	}
	if _, err := db.Entry(ctx, 5); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("entry 5: %v, want ErrNotFound", err)
	}
	// And forwarded kinds start captured; others have no outbox state
	for _, e := range []app.Entry{p1, v} {
		if st, err := db.State(ctx, e.Seq); err != nil || st != app.StateCaptured {
			t.Errorf("state of %d: %s %v", e.Seq, st, err)
		}
	}
	if _, err := db.State(ctx, tn.Seq); !errors.Is(err, ErrInvalid) {
		t.Errorf("state of a torn entry: %v, want ErrInvalid", err)
	}
}

func TestAppendKeepsTimeToTheNanosecondInUTC(t *testing.T) {
	// Given a purchase made at a local time with nanoseconds
	db := openTemp(t)
	at := time.Date(2026, 3, 2, 9, 30, 0, 987654321, time.FixedZone("CST", 8*3600))

	// When it is appended and read back
	e := mustAppend(t, db, purchase("a", 1, "li.na", at))
	back, err := db.Entry(context.Background(), e.Seq)
	if err != nil {
		t.Fatal(err)
	}

	// Then At is the same instant, in UTC, to the nanosecond
	if !back.At.Equal(at) || back.At.Location() != time.UTC || back.At.Nanosecond() != 987654321 {
		t.Errorf("at %v, want %v in UTC", back.At, at)
	}
}

func TestAppendRefuses(t *testing.T) {
	db := openTemp(t)
	ctx := context.Background()
	p := mustAppend(t, db, purchase("p", 1000, "li.na", t0))
	p2 := mustAppend(t, db, purchase("p2", 2000, "li.na", t0))
	tn := mustAppend(t, db, torn("t", t0))
	mustAppend(t, db, void("v", p2, "wang.wei", t0))
	sent := mustAppend(t, db, purchase("p3", 3000, "li.na", t0))
	if err := db.SetState(ctx, sent.Seq, app.StateSent, "", t0); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		e    app.Entry
		want error
	}{
		{"no idempotency key", purchase("", 100, "li.na", t0), ErrInvalid},
		{"a key already used", purchase("p", 100, "li.na", t0), ErrDuplicateKey},
		{"unknown kind", func() app.Entry { e := purchase("x1", 1, "a", t0); e.Kind = "refund"; return e }(), ErrInvalid},
		{"negative amount", purchase("x2", -1, "li.na", t0), ErrInvalid},
		{"a ref to no entry", func() app.Entry { e := torn("x3", t0); e.Ref = 99; return e }(), ErrInvalid},
		{"a void without ref", func() app.Entry { e := void("x4", p, "s", t0); e.Ref = 0; return e }(), ErrInvalid},
		{"a void of a torn tap", void("x5", tn, "s", t0), ErrInvalid},
		{"a second void", void("x6", p2, "s", t0), ErrAlreadyVoided},
		{"a void of a purchase on its way to the bank", void("x10", sent, "s", t0), ErrForwarded},
		{"a void of a void", void("x7", app.Entry{Seq: 4}, "s", t0), ErrInvalid},
		{"a torn_cleared of a purchase", func() app.Entry { e := torn("x8", t0); e.Kind, e.Ref = app.KindTornCleared, p.Seq; return e }(), ErrInvalid},
		{"a purchase resolving a purchase", func() app.Entry { e := purchase("x9", 1, "a", t0); e.Ref = p.Seq; return e }(), ErrInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// When the bad entry is appended
			_, err := db.Append(ctx, tt.e)

			// Then it is refused with a reason and leaves no trace
			if !errors.Is(err, tt.want) {
				t.Fatalf("append: %v, want %v", err, tt.want)
			}
			if last, _ := db.LastSeq(ctx); last != 5 {
				t.Errorf("last seq %d after a refused append, want 5", last)
			}
		})
	}
	// And the next good entry takes the next seq: no gap
	if e := mustAppend(t, db, purchase("after", 1, "li.na", t0)); e.Seq != 6 {
		t.Errorf("next seq %d, want 6", e.Seq)
	}
}

func TestConcurrentAppendsStayGapFree(t *testing.T) {
	// Given one journal opened twice, as the desktop app and a headless
	// command in another process would
	db := openTemp(t)
	other, err := Open(db.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	ctx := context.Background()

	// When 8 goroutines on each handle append 10 purchases each
	var wg sync.WaitGroup
	errs := make(chan error, 160)
	for g := range 16 {
		h := db
		if g%2 == 1 {
			h = other
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 10 {
				if _, err := h.Append(ctx, purchase(fmt.Sprintf("g%d-%d", g, i), 100, "li.na", t0)); err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}

	// Then there are 160 entries, 1 to 160, and the chain holds
	list, err := db.Entries(ctx, 1, 1000)
	if err != nil {
		t.Fatal(err)
	}
	for i, e := range list {
		if e.Seq != int64(i+1) {
			t.Fatalf("entry %d has seq %d", i+1, e.Seq)
		}
	}
	if len(list) != 160 {
		t.Fatalf("%d entries, want 160", len(list))
	}
	if brk, err := db.Verify(ctx); err != nil || brk != nil {
		t.Fatalf("verify: %+v %v", brk, err)
	}
}

func TestOpenTornAndVoided(t *testing.T) {
	// Given two torn taps and a purchase
	db := openTemp(t)
	ctx := context.Background()
	a := mustAppend(t, db, torn("a", t0))
	b := mustAppend(t, db, torn("b", t0.Add(time.Minute)))
	p := mustAppend(t, db, purchase("p", 100, "li.na", t0))
	open := func() []int64 {
		list, err := db.OpenTorn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var seqs []int64
		for _, e := range list {
			seqs = append(seqs, e.Seq)
		}
		return seqs
	}
	// Then both are open, newest first
	if got := open(); !reflect.DeepEqual(got, []int64{b.Seq, a.Seq}) {
		t.Errorf("open torn %v", got)
	}
	// When the card says a never completed, and b's purchase is recovered
	c := torn("c", t0)
	c.Kind, c.Ref = app.KindTornCleared, a.Seq
	mustAppend(t, db, c)
	r := purchase("r", 500, "li.na", t0)
	r.Ref = b.Seq
	mustAppend(t, db, r)
	// Then none is open
	if got := open(); len(got) != 0 {
		t.Errorf("open torn after resolution %v", got)
	}

	// And Voided follows voids
	if v, err := db.Voided(ctx, p.Seq); err != nil || v {
		t.Errorf("voided before: %v %v", v, err)
	}
	mustAppend(t, db, void("v", p, "wang.wei", t0))
	if v, err := db.Voided(ctx, p.Seq); err != nil || !v {
		t.Errorf("voided after: %v %v", v, err)
	}
	if _, err := db.Voided(ctx, 99); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("voided of no entry: %v", err)
	}
}

// TestAppendSurvivesKill runs appends in a child process, kills it with
// SIGKILL mid-stream, and checks every append the child saw return is in
// the journal and the chain holds.
func TestAppendSurvivesKill(t *testing.T) {
	if os.Getenv("LINGQIAN_STORE_CHILD") != "" {
		appendForever(os.Getenv("LINGQIAN_STORE_CHILD"))
		return
	}
	if testing.Short() {
		t.Skip("kills child processes")
	}
	path := filepath.Join(t.TempDir(), "desk.db")
	var confirmed int64
	for run := range 5 {
		// Given a child appending purchases as fast as it can
		cmd := exec.Command(os.Args[0], "-test.run=^TestAppendSurvivesKill$")
		cmd.Env = append(os.Environ(), "LINGQIAN_STORE_CHILD="+path)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// When it is killed after a number of confirmed appends
		sc := bufio.NewScanner(out)
		for n := 0; n < 20+run*7 && sc.Scan(); n++ {
			if seq, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
				confirmed = max(confirmed, seq)
			}
		}
		_ = cmd.Process.Signal(syscall.SIGKILL)
		for sc.Scan() { // lines written before the kill still count
			if seq, err := strconv.ParseInt(sc.Text(), 10, 64); err == nil {
				confirmed = max(confirmed, seq)
			}
		}
		_ = cmd.Wait()

		// Then every confirmed entry is there and the chain holds
		db, err := Open(path)
		if err != nil {
			t.Fatalf("run %d: reopen after kill: %v", run, err)
		}
		last, err := db.LastSeq(context.Background())
		if err != nil || last < confirmed {
			t.Fatalf("run %d: last seq %d, but %d was confirmed (%v)", run, last, confirmed, err)
		}
		if brk, err := db.Verify(context.Background()); err != nil || brk != nil {
			t.Fatalf("run %d: verify: %+v %v", run, brk, err)
		}
		db.Close()
	}
}

func appendForever(path string) {
	db, err := Open(path)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	for i := 0; ; i++ {
		e, err := db.Append(context.Background(), purchase(fmt.Sprintf("%d-%d", os.Getpid(), i), 100, "li.na", time.Now()))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(2)
		}
		fmt.Println(e.Seq)
	}
}
