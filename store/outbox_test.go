package store

import (
	"context"
	"errors"
	"reflect"
	"testing"
	"time"

	"lingqian/app"
)

func TestOutboxStateRules(t *testing.T) {
	tests := []struct {
		name  string
		steps []app.OutboxState
		next  app.OutboxState
		want  error // nil: appended, or a no-op for the same final state
		last  app.OutboxState
	}{
		{"captured to queued", nil, app.StateQueued, nil, app.StateQueued},
		{"a retry: sent back to queued", []app.OutboxState{app.StateQueued, app.StateSent}, app.StateQueued, nil, app.StateQueued},
		{"acknowledged to posted", []app.OutboxState{app.StateSent, app.StateAcknowledged}, app.StatePosted, nil, app.StatePosted},
		{"posted again is a no-op", []app.OutboxState{app.StatePosted}, app.StatePosted, nil, app.StatePosted},
		{"out of posted", []app.OutboxState{app.StatePosted}, app.StateSent, ErrFinalState, app.StatePosted},
		{"rejected to posted", []app.OutboxState{app.StateRejected}, app.StatePosted, ErrFinalState, app.StateRejected},
		{"duplicate to rejected", []app.OutboxState{app.StateDuplicate}, app.StateRejected, ErrFinalState, app.StateDuplicate},
		{"an unknown state", nil, "lost", ErrInvalid, app.StateCaptured},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Given a purchase that went through some states
			db := openTemp(t)
			ctx := context.Background()
			p := mustAppend(t, db, purchase("p", 100, "li.na", t0))
			for i, s := range tt.steps {
				if err := db.SetState(ctx, p.Seq, s, "", t0.Add(time.Duration(i+1)*time.Second)); err != nil {
					t.Fatal(err)
				}
			}
			before, _ := db.Timeline(ctx, p.Seq)

			// When the next state is set
			err := db.SetState(ctx, p.Seq, tt.next, "why", t0.Add(time.Hour))

			// Then it is appended, or refused, as the rules say
			if !errors.Is(err, tt.want) {
				t.Fatalf("set %s: %v, want %v", tt.next, err, tt.want)
			}
			if st, _ := db.State(ctx, p.Seq); st != tt.last {
				t.Errorf("state %s, want %s", st, tt.last)
			}
			after, _ := db.Timeline(ctx, p.Seq)
			grew := len(after) - len(before)
			if appended := tt.want == nil && !(tt.next.Final() && len(tt.steps) > 0 && tt.steps[len(tt.steps)-1] == tt.next); grew != map[bool]int{true: 1, false: 0}[appended] {
				t.Errorf("timeline grew by %d", grew)
			}
		})
	}
}

func TestTimelineRecordsEveryStep(t *testing.T) {
	// Given a purchase forwarded, acknowledged and posted
	db := openTemp(t)
	ctx := context.Background()
	p := mustAppend(t, db, purchase("p", 100, "li.na", t0))
	steps := []app.StateChange{
		{Seq: p.Seq, State: app.StateQueued, At: t0.Add(1 * time.Second)},
		{Seq: p.Seq, State: app.StateSent, At: t0.Add(2 * time.Second)},
		{Seq: p.Seq, State: app.StateAcknowledged, At: t0.Add(3 * time.Second)},
		{Seq: p.Seq, State: app.StatePosted, Reason: "ledger 4711", At: t0.Add(4 * time.Second)},
	}
	if err := db.SetStates(ctx, steps); err != nil {
		t.Fatal(err)
	}

	// When its timeline is read
	got, err := db.Timeline(ctx, p.Seq)
	if err != nil {
		t.Fatal(err)
	}

	// Then it starts captured at the entry's time and lists every step in order
	want := append([]app.StateChange{{Seq: p.Seq, State: app.StateCaptured, At: p.At}}, steps...)
	for i := range want {
		want[i].At = want[i].At.UTC()
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("timeline\n%+v\nwant\n%+v", got, want)
	}
	// And entries that are not forwarded have none
	tn := mustAppend(t, db, torn("t", t0))
	if _, err := db.Timeline(ctx, tn.Seq); !errors.Is(err, ErrInvalid) {
		t.Errorf("timeline of a torn tap: %v", err)
	}
	if err := db.SetState(ctx, tn.Seq, app.StateQueued, "", t0); !errors.Is(err, ErrInvalid) {
		t.Errorf("state for a torn tap: %v, want ErrInvalid", err)
	}
	if err := db.SetState(ctx, 99, app.StateQueued, "", t0); !errors.Is(err, app.ErrNotFound) {
		t.Errorf("state for no entry: %v, want ErrNotFound", err)
	}
}

func TestSetStatesIsAllOrNothing(t *testing.T) {
	// Given two purchases, one posted
	db := openTemp(t)
	ctx := context.Background()
	ps := appendPurchases(t, db, 2)
	if err := db.SetState(ctx, ps[1].Seq, app.StatePosted, "", t0); err != nil {
		t.Fatal(err)
	}

	// When a batch would queue the first and un-post the second
	err := db.SetStates(ctx, []app.StateChange{{Seq: ps[0].Seq, State: app.StateQueued}, {Seq: ps[1].Seq, State: app.StateQueued}})

	// Then the batch is refused, naming the entry, and the first is not queued either
	if !errors.Is(err, ErrFinalState) {
		t.Fatalf("batch: %v, want ErrFinalState", err)
	}
	if st, _ := db.State(ctx, ps[0].Seq); st != app.StateCaptured {
		t.Errorf("first purchase %s after a refused batch", st)
	}
}

func TestUnsentIsOldestFirstUntilTheBankHasIt(t *testing.T) {
	// Given purchases in every state, a void, and a torn tap
	db := openTemp(t)
	ctx := context.Background()
	ps := appendPurchases(t, db, 6)
	mustAppend(t, db, torn("t", t0))
	v := mustAppend(t, db, void("v", ps[5], "wang.wei", t0))
	for i, s := range []app.OutboxState{app.StateQueued, app.StateSent, app.StateAcknowledged, app.StatePosted, app.StateRejected} {
		if err := db.SetState(ctx, ps[i+1].Seq, s, "", t0); err != nil {
			t.Fatal(err)
		}
	}

	// When the forwarder asks what to send
	got, err := db.Unsent(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}

	// Then it gets captured, queued and sent entries (voids too), oldest first
	var seqs []int64
	for _, e := range got {
		seqs = append(seqs, e.Seq)
	}
	if want := []int64{ps[0].Seq, ps[1].Seq, ps[2].Seq, v.Seq}; !reflect.DeepEqual(seqs, want) {
		t.Errorf("unsent %v, want %v", seqs, want)
	}
	if got[0].GenACResponse == nil || got[0].IdempotencyKey != "k0" {
		t.Error("unsent entries lack their detail message")
	}
	// And a limit caps the batch
	if got, err := db.Unsent(ctx, 2); err != nil || len(got) != 2 || got[1].Seq != ps[1].Seq {
		t.Errorf("unsent, limit 2: %d entries, %v", len(got), err)
	}
}

func TestPendingLeavesOutFinalAndVoided(t *testing.T) {
	// Given purchases of 100, 200, 400, 800 and 1600 fen at increasing times
	db := openTemp(t)
	ctx := context.Background()
	if p, err := db.Pending(ctx); err != nil || p != (app.Pending{}) {
		t.Fatalf("pending on an empty journal: %+v %v", p, err)
	}
	var ps []app.Entry
	for i, amount := range []app.Money{100, 200, 400, 800, 1600} {
		ps = append(ps, mustAppend(t, db, purchase(string(rune('a'+i)), amount, "li.na", t0.Add(time.Duration(i)*time.Hour))))
	}
	// When the first is posted, the second voided, the third rejected and
	// the fourth acknowledged
	mustAppend(t, db, void("v", ps[1], "wang.wei", t0))
	for seq, s := range map[int64]app.OutboxState{ps[0].Seq: app.StatePosted, ps[2].Seq: app.StateRejected, ps[3].Seq: app.StateAcknowledged} {
		if err := db.SetState(ctx, seq, s, "", t0); err != nil {
			t.Fatal(err)
		}
	}

	// Then pending is the acknowledged and the captured one: 2 for 2400,
	// the oldest being the fourth's time
	p, err := db.Pending(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if p.Count != 2 || p.Amount != 2400 || !p.Oldest.Equal(ps[3].At) {
		t.Errorf("pending %+v, want 2 for 2400 since %v", p, ps[3].At)
	}
}
