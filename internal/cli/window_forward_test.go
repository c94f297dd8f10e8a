package cli

import (
	"fmt"
	"testing"
	"time"

	"lingqian/app"
	desksync "lingqian/sync"
)

func TestForwardEvent_SaysWhereTheDesksOwnChainsStoppedVerifying(t *testing.T) {
	// Given a pass that ended because the desk's journal does not verify
	// at entry 7, and one that went through
	fault := app.ChainFault{Chain: app.ChainJournal, Seq: 7, Reason: "the row was changed"}
	stopped := desksync.Event{Kind: desksync.EventPass, At: time.Now(),
		ForwardErr: fmt.Errorf("forwarding: %w", &desksync.UnverifiedError{Fault: fault})}
	through := desksync.Event{Kind: desksync.EventPass, At: time.Now(), Delivered: true}

	// When the window words them, then the first carries the fault for the
	// banner, and the second none
	if got := forwardEvent(stopped); got.Unverified == nil || *got.Unverified != fault || !got.Done || got.Err == nil {
		t.Errorf("stopped pass: %+v", got)
	}
	if got := forwardEvent(through); got.Unverified != nil || got.Err != nil {
		t.Errorf("pass that went through: %+v", got)
	}
}
