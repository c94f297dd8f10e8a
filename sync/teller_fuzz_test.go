package sync

import (
	"lingqian/app"
	"testing"
)

// FuzzTellerAnswers feeds the teller calls' decoders whatever a hostile
// or broken bank might send: each answer is read or refused, never a
// panic, and a load answer that passes is one the phone can be given.
func FuzzTellerAnswers(f *testing.F) {
	f.Add([]byte(`{"arpc":"1122334455667788","arc":"3030","script":"04DA9F790A00000007000011223344","balance":70000}`))
	f.Add([]byte(`{"pan":"6231990000000019","psn":"00","status":"active","balance":1,"last_atc":3,"customer":"a","phone_balance":1,"phone_uploaded":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"pan":"6231990000000019","entries":[{"at":"2026-01-02","kind":"load","amount":5,"balance_after":5}],"awaiting_desk":[{}]}`))
	f.Add([]byte(`{"id":1,"at":"x","resolved_at":"2026-01-02T03:04:05Z"}`))
	f.Add([]byte(`{"balance":50000,"state":"held","amount":3000,"pays_at":"2026-12-11T09:30:00Z"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		var a loadAnswerWire
		if decodeStrict(b, &a) == nil {
			if ans, err := a.app(); err == nil {
				if len(ans.ARPC) != 8 || len(ans.Script) < 5 || int(ans.Script[4]) != len(ans.Script)-5 || ans.Balance < 0 {
					t.Fatalf("a load answer passed that the phone cannot be given: %+v", ans)
				}
			}
		}
		var w walletWire
		if decodeStrict(b, &w) == nil {
			_, _ = w.app()
		}
		var s statementWire
		if decodeStrict(b, &s) == nil {
			_, _ = s.app()
		}
		var u unloadAnswerWire
		if decodeStrict(b, &u) == nil {
			if ans, err := u.app(3000); err == nil &&
				(ans.Balance < 0 || ans.Amount < 1 || ans.Amount > 3000 || (ans.State != app.UnloadHeld && ans.State != app.UnloadPaid)) {
				t.Fatalf("an unload answer passed that the contract does not allow: %+v", ans)
			}
		}
		var e exceptionWire
		if decodeStrict(b, &e) == nil {
			_, _ = e.app()
		}
	})
}
