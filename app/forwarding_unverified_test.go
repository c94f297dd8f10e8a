package app_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"lingqian/app"
)

func TestForwarding_TheBannerSaysWhereTheDesksOwnChainsStoppedVerifying(t *testing.T) {
	cases := []struct {
		name  string
		fault app.ChainFault
		en    string
		zh    string
	}{
		{"the journal", app.ChainFault{Chain: app.ChainJournal, Seq: 3}, "journal does not verify (entry 3)", "流水号 3"},
		{"the audit log", app.ChainFault{Chain: app.ChainAudit, Seq: 12}, "audit log does not verify (row 12)", "第 12 条"},
		{"a setting", app.ChainFault{Chain: app.ChainAudit}, "settings or operators do not match its audit log", "设置或操作员"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given a desk whose forwarder found its own chains not holding,
			// after the bank had refused it for a fork as well
			ctx := context.Background()
			now := time.Date(2026, 12, 3, 12, 0, 0, 0, time.UTC)
			m := newMemory()
			f := &app.Forwarding{Journal: m, Settings: app.Settings{Store: m}, Now: func() time.Time { return now }}
			fault := tc.fault
			f.Apply(app.ForwardEvent{At: now, Done: true, Reached: true, Forked: true, Unverified: &fault, Err: errors.New("unverified")})

			// When the banner is read
			b, err := f.Banner(ctx)
			if err != nil {
				t.Fatal(err)
			}

			// Then it says the desk's own finding, where, and what to do, in
			// both languages
			for _, c := range []struct{ lang, why, todo string }{
				{app.English, tc.en, "Call support"},
				{app.SimplifiedChinese, tc.zh, "请联系技术支持"},
			} {
				why, todo := b.StoppedText(c.lang)
				if !strings.Contains(why, c.why) || !strings.Contains(todo, c.todo) || strings.Contains(why, "%!") {
					t.Errorf("%s: %q / %q, want %q / %q", c.lang, why, todo, c.why, c.todo)
				}
			}
			// And a pass that gets through clears it
			f.Apply(app.ForwardEvent{At: now, Done: true, Reached: true})
			if b, _ = f.Banner(ctx); b.Unverified != nil || b.Stopped() != "" {
				t.Errorf("after a pass that got through %+v", b)
			}
			if why, todo := b.StoppedText(app.English); why != "" || todo != "" {
				t.Errorf("stopped text %q %q", why, todo)
			}
		})
	}
}
