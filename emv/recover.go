package emv

import (
	"bytes"
	"context"
	"fmt"
)

// tornMatch finds a torn tap of this very card that is still recent
// enough to ask the card about.
func (s *session) tornMatch() *TornTap {
	for i := range s.p.Recover {
		t := &s.p.Recover[i]
		if t.PAN == s.out.PAN && t.PSN == s.out.PSN && bytes.Equal(t.AID, s.out.AID) &&
			(s.t.RecoveryWindow <= 0 || s.p.At.Sub(t.At) <= s.t.RecoveryWindow) {
			return t
		}
	}
	return nil
}

// recover asks the card how a torn tap ended (RECOVER AC with that tap's
// unpredictable number, as EMV contactless kernel C-2 does). A card that
// completed it answers the same GENERATE AC response, which is verified
// against the torn tap's own data; a card that did not says 6A88, and
// this tap goes on as a new purchase.
func (s *session) recover(ctx context.Context, torn *TornTap) Outcome {
	s.checkCDAReadiness()
	if s.odaErr != nil || !s.cdaPossible() {
		// Without the card's key the answer could not be trusted: leave
		// the torn tap open for clearing and charge nothing now.
		return s.end(Declined, s.odaReason())
	}
	cmd := append([]byte{0x80, 0xD0, 0x00, 0x00, byte(len(torn.UN))}, torn.UN...)
	resp, sw, err := s.x.send(ctx, append(cmd, 0x00))
	if err != nil {
		return s.fail(ctx, err)
	}
	switch sw {
	case swOK:
	case swNoData:
		s.out.Uncharged = torn
		return s.continuePurchase(ctx)
	default:
		return s.fail(ctx, fmt.Errorf("RECOVER AC: status %04X", uint16(sw)))
	}
	fresh := s.out
	s.out.Recovered = torn
	s.out.UN, s.out.Amount, s.out.Currency, s.out.Date, s.out.Type = torn.UN, torn.Amount, torn.Currency, torn.Date, torn.Type
	s.out.PDOLData, s.out.CDOL1Data, s.out.GenACResponse = torn.PDOLData, torn.CDOL1Data, resp
	out := s.judge(resp, torn.PDOLData, torn.CDOL1Data, torn.UN)
	switch {
	case out.Result == Approved:
		out.Reason = ReasonRecovered
		s.out.Reason = ReasonRecovered
	case out.CardRefused:
		// The card refused that tap itself: nothing was paid then, and
		// this tap goes on as a new purchase.
		s.out = fresh
		s.out.Uncharged = torn
		return s.continuePurchase(ctx)
	}
	return out
}

// continuePurchase runs the rest of a fresh purchase after a recovery
// check found nothing to recover.
func (s *session) continuePurchase(ctx context.Context) Outcome {
	if why, ok := s.restrictions(); !ok {
		return s.decline(ctx, why)
	}
	if why, ok := s.riskManagement(); !ok {
		return s.decline(ctx, why)
	}
	if why, ok := s.actionAnalysis(); !ok {
		return s.decline(ctx, why)
	}
	return s.generateAC(ctx)
}
