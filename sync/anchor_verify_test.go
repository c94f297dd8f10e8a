package sync_test

import (
	"context"
	"database/sql"
	"errors"
	"slices"
	"strings"
	gosync "sync"
	"testing"

	"lingqian/app"
	"lingqian/store"
	desksync "lingqian/sync"
	"lingqian/sync/synctest"
)

// forwardChecked is a pass of the desk's forwarding with what it verified
// of its chains so far: the same check while the program runs, a new one
// after it starts again.
func (s *anchoredShop) forwardChecked(check *desksync.ChainCheck, asked bool) (desksync.Progress, error) {
	return s.client.ForwardWith(s.ctx, s.db, desksync.ForwardOptions{Dir: s.dir, Asked: asked, Check: check})
}

// edit runs a statement on the desk's database file as someone with the
// sqlite3 tool would, the journal's update trigger dropped first.
func (s *anchoredShop) edit(stmt string, args ...any) {
	s.t.Helper()
	raw, err := sql.Open("sqlite3", s.db.Path())
	if err != nil {
		s.t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("DROP TRIGGER IF EXISTS journal_no_update"); err != nil {
		s.t.Fatal(err)
	}
	if _, err := raw.Exec(stmt, args...); err != nil {
		s.t.Fatalf("%s: %v", stmt, err)
	}
}

func TestAnchoring_ARewriteKeepingTheAnchoredHashIsRefusedByTheDeskBeforeAnythingIsSent(t *testing.T) {
	for _, tc := range []struct {
		name    string
		restart bool
	}{{"while the desk runs", false}, {"after the desk starts again", true}} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a desk whose three purchases were forwarded and posted,
			// its chains verified and anchored at the bank at entry 3
			s := newAnchoredShop(t)
			check := &desksync.ChainCheck{}
			sold := []app.Entry{s.sell(1200), s.sell(3400), s.sell(560)}
			if p, err := s.forwardChecked(check, true); err != nil || p.Accepted != 3 {
				t.Fatalf("first pass: %+v %v", p, err)
			}
			anchored, err := s.db.ChainHash(s.ctx, app.ChainJournal, 3)
			if err != nil {
				t.Fatal(err)
			}

			// When entry 2 is rewritten on disk with every hash after it
			// recomputed, the anchored hash put back at entry 3, and the
			// desk sells again
			s.rewrite(sold[1].Seq, 340)
			s.edit("UPDATE journal SET hash = ? WHERE seq = 3", anchored)
			next := s.sell(700)
			if tc.restart {
				check = &desksync.ChainCheck{}
			}
			sent := len(s.seen())
			p, err := s.forwardChecked(check, true)

			// Then the desk refuses to forward: its journal does not
			// verify at entry 3
			fault, ok := desksync.Unverified(err)
			if !ok || fault.Chain != app.ChainJournal || fault.Seq != 3 || !errors.Is(err, desksync.ErrUnverified) {
				t.Fatalf("forward after the rewrite: %+v %v, want the journal unverified at entry 3", p, err)
			}
			t.Log(err)
			// And the bank sees no batch: the new sale is not there, and
			// stays on the desk as taken, not even marked sent
			if n := len(s.seen()); n != sent || p.Sent != 0 {
				t.Errorf("%d batches and %d messages reached the bank", n-sent, p.Sent)
			}
			if s.bankHas(next) {
				t.Error("the new sale reached the bank")
			}
			if st, err := s.db.State(s.ctx, next.Seq); err != nil || st != app.StateCaptured {
				t.Errorf("the new sale is %s (%v), want captured", st, err)
			}
		})
	}
}

func TestAnchoring_ARewriteWhileTheDeskRunsIsCaughtAtItsNextPass(t *testing.T) {
	// Given a desk whose forwarder verified and forwarded three purchases
	s := newAnchoredShop(t)
	check := &desksync.ChainCheck{}
	sold := []app.Entry{s.sell(1200), s.sell(3400), s.sell(560)}
	if p, err := s.forwardChecked(check, true); err != nil || p.Accepted != 3 {
		t.Fatalf("first pass: %+v %v", p, err)
	}

	// When, while it runs, entry 2 is rewritten with every hash after it
	// recomputed (the chain holds again from its start), and it sells again
	s.rewrite(sold[1].Seq, 340)
	next := s.sell(700)
	sent := len(s.seen())
	_, err := s.forwardChecked(check, false)

	// Then the next pass, which checks the journal from entry 3 on, finds
	// that entry 3 no longer holds the hash it verified, and sends nothing:
	// the desk says so itself, before the bank would have refused it
	fault, ok := desksync.Unverified(err)
	if !ok || fault.Chain != app.ChainJournal || fault.Seq != 3 || !strings.Contains(fault.Reason, "verified") {
		t.Fatalf("forward after the rewrite: %v, want the journal unverified at entry 3", err)
	}
	if n := len(s.seen()); n != sent || s.bankHas(next) {
		t.Errorf("%d batches reached the bank", n-sent)
	}
}

func TestAnchoring_ADeskWhoseJournalDoesNotVerifyWaitsForAPersonToAsk(t *testing.T) {
	// Given a desk that forwarded two purchases, whose entry 2 is then
	// edited on disk, and which is started again and sells once more
	s := newAnchoredShop(t)
	s.sell(1200)
	s.sell(3400)
	if p, err := s.forwardChecked(&desksync.ChainCheck{}, true); err != nil || p.Accepted != 2 {
		t.Fatalf("first pass: %+v %v", p, err)
	}
	s.edit("UPDATE journal SET amount = 1 WHERE seq = 2")
	next := s.sell(700)
	check := &desksync.ChainCheck{}
	if _, err := s.forwardChecked(check, true); !errors.Is(err, desksync.ErrUnverified) {
		t.Fatalf("first pass after the start: %v", err)
	}

	// When the entry is put back as it was, and a pass nobody asked for
	// comes
	s.edit("UPDATE journal SET amount = 3400 WHERE seq = 2")
	sent := len(s.seen())
	_, err := s.forwardChecked(check, false)

	// Then it still sends nothing: a journal found broken is for a person
	// to look at
	if fault, ok := desksync.Unverified(err); !ok || fault.Seq != 2 || len(s.seen()) != sent {
		t.Fatalf("a pass nobody asked for: %v, %d batches", err, len(s.seen())-sent)
	}

	// When someone presses Forward now, then the journal is checked again
	// from its start, holds, and the held sale is posted
	if p, err := s.forwardChecked(check, true); err != nil || p.Accepted != 1 || !s.bankHas(next) {
		t.Fatalf("a pass asked for: %+v %v", p, err)
	}
}

func TestAnchoring_AnEditBelowTheVerifiedEntryThatLeavesItIsSeenAtTheNextFullCheck(t *testing.T) {
	// Given a desk whose forwarder verified and forwarded three purchases
	s := newAnchoredShop(t)
	check := &desksync.ChainCheck{}
	for _, amount := range []int64{1200, 3400, 560} {
		s.sell(amount)
	}
	if p, err := s.forwardChecked(check, true); err != nil || p.Accepted != 3 {
		t.Fatalf("first pass: %+v %v", p, err)
	}

	// When, while it runs, entry 2's amount is edited and nothing else:
	// entry 3, the last it verified, is as it was; and it sells again
	s.edit("UPDATE journal SET amount = 1 WHERE seq = 2")
	next := s.sell(700)

	// Then its next pass, which checks from entry 3 on, does not see it,
	// and neither does the bank, whose anchor at entry 3 still matches:
	// the limit of the check in memory (docs/decisions.md). What the bank
	// posted for entry 2 is what was first sent.
	if p, err := s.forwardChecked(check, false); err != nil || p.Accepted != 1 || !s.bankHas(next) {
		t.Fatalf("the running desk's next pass: %+v %v", p, err)
	}
	// And the desk's next full check, as at its next start, finds it
	_, err := s.forwardChecked(&desksync.ChainCheck{}, true)
	if fault, ok := desksync.Unverified(err); !ok || fault.Seq != 2 {
		t.Errorf("a full check: %v, want the journal unverified at entry 2", err)
	}
}

// checkedJournal is the desk's store, noting where each check of its
// chains started: the journal's highest link already verified (0: from
// the start).
type checkedJournal struct {
	*store.DB
	mu   gosync.Mutex
	from []int64
}

func (j *checkedJournal) VerifyChains(ctx context.Context, known []app.ChainHead) ([]app.ChainHead, *app.ChainFault, error) {
	from := int64(0)
	for _, k := range known {
		if k.Name == app.ChainJournal {
			from = max(from, k.Seq)
		}
	}
	j.mu.Lock()
	j.from = append(j.from, from)
	j.mu.Unlock()
	return j.DB.VerifyChains(ctx, known)
}

func (j *checkedJournal) starts() []int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return slices.Clone(j.from)
}

func TestForwarder_ChecksTheChainsFromTheStartOnceThenFromWhereItLeftOff(t *testing.T) {
	// Given a desk with three sales and its forwarder
	bank := synctest.Start(t, synctest.Options{})
	j := &checkedJournal{DB: openJournal(t)}
	seed(t, j.DB, 3)
	f := desksync.NewForwarder(newClient(t, fast(bank, t)), j, desksync.Options{})
	ctx := context.Background()

	// When it forwards, the desk sells twice more, and it forwards again
	first := f.Pass(ctx, false, false)
	seed(t, j.DB, 2)
	second := f.Pass(ctx, false, false)

	// Then the first pass checked the chains from the start, the second
	// from the last entry the first verified, and both went through
	if first.Err() != nil || second.Err() != nil || second.Progress.Sent != 2 {
		t.Fatalf("passes: %v; %v, %+v", first.Err(), second.Err(), second.Progress)
	}
	if got := j.starts(); !slices.Equal(got, []int64{0, 3}) {
		t.Errorf("the checks started after entries %v, want [0 3]", got)
	}

	// When entry 5, the last it verified, is edited on disk, and it sells
	// again
	raw, err := sql.Open("sqlite3", j.Path())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	if _, err := raw.Exec("DROP TRIGGER journal_no_update; UPDATE journal SET amount = 1 WHERE seq = 5"); err != nil {
		t.Fatal(err)
	}
	seed(t, j.DB, 1)
	batches := countPath(bank, "/v1/desk/batches")
	ev := f.Pass(ctx, true, false)

	// Then the pass ends unverified at entry 5 without a batch sent; the
	// reconciliation still runs, as it sends no head
	fault, ok := desksync.Unverified(ev.ForwardErr)
	if !ok || fault.Chain != app.ChainJournal || fault.Seq != 5 || ev.Delivered {
		t.Fatalf("pass after the edit: %+v", ev)
	}
	if n := countPath(bank, "/v1/desk/batches"); n != batches {
		t.Errorf("%d batches sent", n-batches)
	}
	if ev.Report == nil || ev.ReconcileErr != nil {
		t.Errorf("reconciliation: %+v %v", ev.Report, ev.ReconcileErr)
	}
}
