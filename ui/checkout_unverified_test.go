package ui

import (
	"os"
	"path/filepath"
	"testing"

	"lingqian/app"
	"lingqian/device"
)

// garbledAnswer is a phone whose answer to GENERATE AC reaches the desk
// with a bit of its last object flipped: the wallet has paid.
type garbledAnswer struct{ device.Application }

func (g garbledAnswer) Process(cmd []byte) []byte {
	resp := g.Application.Process(cmd)
	if len(cmd) > 1 && cmd[1] == 0xAE && len(resp) > 10 {
		resp = append([]byte(nil), resp...)
		resp[len(resp)-3] ^= 0x01
	}
	return resp
}

func TestCheckout_AnAnswerTheDeskCannotCheckAsksForTheSamePhoneAgain(t *testing.T) {
	for _, tc := range []struct {
		lang, headline, reason, approved string
	}{
		{app.English, "NOT PAID", "The wallet's answer could not be checked; it may have paid. Ask the customer to tap the same phone again.", "APPROVED  12.50"},
		{app.SimplifiedChinese, "未付款", "无法核验钱包的应答，可能已扣款。请顾客用同一部手机再次碰卡。", "交易成功  12.50"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			// Given a phone whose answer is garbled on its way to the reader
			s := newShop(t, tc.lang, app.Limits{})
			w := s.wallet(50000)
			s.signedIn(cashier)

			// When the cashier charges 12.50
			headline, reason := s.sale("12.50", garbledAnswer{w}, device.Leave{})

			// Then the window says not paid and to tap the same phone again, in its language
			if headline != tc.headline || reason != tc.reason {
				t.Fatalf("result %q / %q", headline, reason)
			}
			if dir := os.Getenv("LINGQIAN_UI_SHOTS"); dir != "" {
				saveShot(t, s, filepath.Join(dir, "checkout-unverified-"+tc.lang+".png"))
			}

			// When the same phone is tapped again, then its payment is found, once
			do(func() { s.desk.checkout.amount.SetText("") })
			if h, _ := s.sale("12.50", w, device.Leave{}); h != tc.approved {
				t.Fatalf("next tap: %q", h)
			}
			if w.Balance() != 50000-1250 {
				t.Errorf("balance %d", w.Balance())
			}
		})
	}
}
