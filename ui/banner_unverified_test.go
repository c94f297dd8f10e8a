package ui

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/device"
	desksync "lingqian/sync"
)

func TestBanner_ForwardingStoppedByTheDesksOwnCheckSaysWhereAndWhatToDo(t *testing.T) {
	for _, tc := range []struct{ lang, why, todo string }{
		{app.English, "Forwarding stopped: this desk's journal does not verify (entry 2)", "Call support"},
		{app.SimplifiedChinese, "本机流水账校验未通过（流水号 2）", "请联系技术支持"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given a desk with a sale not yet at the bank
			s := newShop(t, tc.lang, app.Limits{})
			w := s.wallet(50000)
			s.signedIn(cashier)
			s.sale("12.50", w, device.Leave{})

			// When a pass ends with the desk's journal not verifying at entry 2
			err := &desksync.UnverifiedError{Fault: app.ChainFault{Chain: app.ChainJournal, Seq: 2, Reason: "the row was changed"}}
			s.desk.svc.Forwarding.Apply(app.ForwardEvent{At: time.Now(), Done: true, Reached: true, Unverified: &err.Fault, Err: err})
			do(s.desk.RefreshBanner)

			// Then the banner says forwarding stopped, where, and what to
			// do, and still shows the sale pending
			bannerEventually(t, s, "stopped", func(txt string) bool {
				return strings.Contains(txt, tc.why) && strings.Contains(txt, tc.todo) && strings.Contains(txt, "12.50")
			})
			if dir := os.Getenv("LINGQIAN_UI_SHOTS"); dir != "" {
				saveShot(t, s, filepath.Join(dir, "banner-unverified-"+tc.lang+".png"))
			}

			// And the checkout still takes a sale offline
			s.sale("3.00", w, device.Leave{})
			bannerEventually(t, s, "second sale pending", func(txt string) bool { return strings.Contains(txt, "15.50") })
		})
	}
}
