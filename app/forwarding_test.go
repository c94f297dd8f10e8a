package app_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"lingqian/app"
)

func TestForwarding_TheBannerSaysForwardingStoppedForAForkedChainUntilAPassGetsThrough(t *testing.T) {
	// Given a desk whose forwarder was refused by the bank for a forked chain
	ctx := context.Background()
	now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
	m := newMemory()
	f := &app.Forwarding{Journal: m, Settings: app.Settings{Store: m}, Now: func() time.Time { return now }}
	f.Apply(app.ForwardEvent{At: now, Done: true, Reached: true, Forked: true, Err: errors.New("chain_forked")})

	// When the banner is read
	b, err := f.Banner(ctx)
	if err != nil {
		t.Fatal(err)
	}

	// Then it says forwarding stopped, in both languages, with the bank reached
	if !b.Forked || !b.Failed || !b.Online || b.Stopped() != app.MsgForwardingForked {
		t.Fatalf("banner %+v", b)
	}
	for _, lang := range []string{app.English, app.SimplifiedChinese} {
		if text := b.Stopped().Text(lang); text == string(app.MsgForwardingForked) || app.MsgForwardingForkedHelp.Text(lang) == string(app.MsgForwardingForkedHelp) {
			t.Errorf("%s: no text for %q", lang, text)
		}
	}
	// And a batch on the way does not clear it, but a pass that gets through does
	f.Apply(app.ForwardEvent{At: now, Reached: true, Sent: 1})
	if b, _ = f.Banner(ctx); !b.Forked {
		t.Error("a batch cleared the stop before its pass ended")
	}
	f.Apply(app.ForwardEvent{At: now, Done: true, Reached: true, Sent: 1, Posted: 1})
	if b, _ = f.Banner(ctx); b.Forked || b.Stopped() != "" || b.Failed {
		t.Errorf("after a pass that got through %+v", b)
	}
}
