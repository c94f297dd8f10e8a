package ui

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2"

	"lingqian/app"
	"lingqian/device"
	desksync "lingqian/sync"
)

func TestBanner_ForwardingStoppedByTheBankSaysWhyAndWhatToDo(t *testing.T) {
	for _, tc := range []struct{ lang, why, todo string }{
		{app.English, "Forwarding stopped: the bank says this desk's records differ", "Call the bank"},
		{app.SimplifiedChinese, "已停止上送", "请联系银行"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given a desk with a sale not yet at the bank
			s := newShop(t, tc.lang, app.Limits{})
			w := s.wallet(50000)
			s.signedIn(cashier)
			s.sale("12.50", w, device.Leave{})

			// When a pass ends with the bank refusing the desk's chains
			s.desk.svc.Forwarding.Apply(app.ForwardEvent{At: time.Now(), Done: true, Reached: true, Forked: true, Err: desksync.ErrChainForked})
			do(s.desk.RefreshBanner)

			// Then the banner says forwarding stopped, why, and what to do,
			// and still shows the sale pending
			bannerEventually(t, s, "stopped", func(txt string) bool {
				return strings.Contains(txt, tc.why) && strings.Contains(txt, tc.todo) && strings.Contains(txt, "12.50")
			})
			if dir := os.Getenv("LINGQIAN_UI_SHOTS"); dir != "" {
				saveShot(t, s, filepath.Join(dir, "banner-forked-"+tc.lang+".png"))
			}

			// When a later pass gets through, then the warning goes
			s.desk.svc.Forwarding.Apply(app.ForwardEvent{At: time.Now(), Done: true, Reached: true})
			do(s.desk.RefreshBanner)
			bannerEventually(t, s, "cleared", func(txt string) bool { return !strings.Contains(txt, tc.why) })
		})
	}
}

// bannerEventually waits until the banner's text is as ok says, asking
// for a fresh read each time: a read begun before an event may be shown
// after the one begun after it, and the desk's next refresh mends that.
func bannerEventually(t *testing.T, s *shop, what string, ok func(string) bool) {
	t.Helper()
	eventually(t, what, func() bool { // under do already
		if ok(s.desk.banner.Text()) {
			return true
		}
		s.desk.RefreshBanner()
		return false
	})
}

// saveShot writes the window as the test driver draws it, for a person to
// look at.
func saveShot(t *testing.T, s *shop, path string) {
	t.Helper()
	saveWindow(t, s.desk, path)
}

func saveWindow(t *testing.T, d *Desk, path string) {
	t.Helper()
	var err error
	do(func() {
		d.Window.Resize(fyne.NewSize(1024, 600))
		f, ferr := os.Create(path)
		if ferr != nil {
			err = ferr
			return
		}
		defer f.Close()
		err = png.Encode(f, d.Window.Canvas().Capture())
	})
	if err != nil {
		t.Fatal(err)
	}
}
