package emv

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"lingqian/emv/tlv"
)

// restrictions checks versions, usage control and dates (EMV Book 3 10.4).
func (s *session) restrictions() (Reason, bool) {
	if v, ok := s.data[0x9F08]; ok && !bytes.Equal(v, s.t.AppVersion[:]) {
		s.tvr.Set(TVRVersionsDiffer) // noted, not a reason to decline
	}
	if auc, ok := s.data[0x9F07]; ok && len(auc) == 2 {
		allowed := auc[0]&0x01 != 0 // valid at terminals other than ATMs
		if cc, ok := s.data[0x5F28]; ok {
			if bytes.Equal(cc, bcdCode(s.t.Country)) {
				allowed = allowed && auc[0]&0x28 != 0 // domestic goods or services
			} else {
				allowed = allowed && auc[0]&0x14 != 0 // international goods or services
			}
		}
		if !allowed {
			s.tvr.Set(TVRServiceNotAllowed)
		}
	}
	// Card dates are calendar days where the desk stands.
	today, loc := s.p.At, s.p.At.Location()
	if eff, ok := s.data[0x5F25]; ok {
		d, err := yymmdd(eff, loc)
		if err != nil || today.Before(d) {
			s.tvr.Set(TVRNotYetEffective)
		}
	}
	exp, err := yymmdd(s.data[0x5F24], loc)
	if err != nil || today.After(exp.Add(24*time.Hour-time.Nanosecond)) {
		s.tvr.Set(TVRExpiredApplication)
	}
	return Reason{}, true // the action analysis decides on these bits
}

// riskManagement is the desk's e-cash risk management (PBOC 3.0 part 13):
// the purchase must fit the wallet's balance and both limits.
func (s *session) riskManagement() (Reason, bool) {
	s.tsi.Set(TSITerminalRiskMgmtPerformed)
	if s.t.Hotlist != nil && s.t.Hotlist(s.out.PAN) {
		s.tvr.Set(TVRExceptionFile)
	}
	amount := s.p.Amount
	if amount >= s.t.ECLimit || amount > s.t.FloorLimit {
		s.tvr.Set(TVRExceedsFloorLimit)
		return ReasonOverTerminalLimit.with(fmt.Sprintf("amount %d, EC terminal limit %d, floor limit %d",
			amount, s.t.ECLimit, s.t.FloorLimit)), false
	}
	if lim, ok := s.data[0x9F78]; ok {
		if v, ok := bcdValue(lim); !ok || amount > v {
			s.tvr.Set(TVRExceedsFloorLimit)
			return ReasonOverCardLimit.with(fmt.Sprintf("amount %d, card single limit %X", amount, lim)), false
		}
	}
	bal, ok := s.data[0x9F79]
	if !ok {
		return ReasonNotSupported.with("the card has no e-cash balance (9F79)"), false
	}
	if v, ok := bcdValue(bal); !ok || amount > v {
		return ReasonInsufficient.with(fmt.Sprintf("amount %d, balance %X", amount, bal)), false
	}
	return Reason{}, true
}

// reasonFor explains the first TVR bit that makes the desk decline.
var reasonFor = []struct {
	bit    TVRBit
	reason Reason
}{
	{TVRExceptionFile, ReasonHotlisted},
	{TVRICCDataMissing, ReasonICCDataMissing},
	{TVRCDAFailed, ReasonCDAFailed},
	{TVRODANotPerformed, ReasonNoCDA},
	{TVRExpiredApplication, ReasonExpired},
	{TVRNotYetEffective, ReasonNotEffective},
	{TVRServiceNotAllowed, ReasonServiceNotAllowed},
	{TVRExceedsFloorLimit, ReasonOverTerminalLimit},
}

// actionAnalysis is terminal action analysis for a desk that cannot go
// online: any bit in a denial or default action code declines (Book 3 10.7).
func (s *session) actionAnalysis() (Reason, bool) {
	s.checkCDAReadiness()
	var deny TVR
	for i := range deny {
		deny[i] = s.t.TACDenial[i] | s.t.TACDefault[i]
	}
	for _, tag := range []tlv.Tag{0x9F0E, 0x9F0D} { // IAC denial, IAC default
		if iac := s.data[tag]; len(iac) == 5 {
			for i := range deny {
				deny[i] |= iac[i]
			}
		}
	}
	for _, r := range reasonFor {
		if s.tvr.Has(r.bit) && deny.Has(r.bit) {
			why := r.reason
			if r.bit == TVRCDAFailed && s.odaErr != nil {
				why = s.odaReason()
			}
			return why, false
		}
	}
	return Reason{}, true
}

// decline ends the purchase before a TC was asked for. The card is asked
// for an AAC so it, too, records the purchase as declined; whether that
// works changes nothing for the customer.
func (s *session) decline(ctx context.Context, why Reason) Outcome {
	if cdol, err := ParseDOL(s.data[0x8C]); err == nil && len(s.data[0x8C]) > 0 {
		data := BuildDOL(cdol, s.dolData)
		cmd := append([]byte{0x80, 0xAE, 0x00, 0x00, byte(len(data))}, data...)
		_, _, _ = s.x.send(ctx, append(cmd, 0x00))
	}
	return s.end(Declined, why)
}

func yymmdd(b []byte, loc *time.Location) (time.Time, error) {
	if len(b) != 3 {
		return time.Time{}, fmt.Errorf("date of %d bytes", len(b))
	}
	if _, ok := bcdValue(b); !ok {
		return time.Time{}, fmt.Errorf("date %X is not BCD", b)
	}
	return time.ParseInLocation("060102", fmt.Sprintf("%X", b), loc)
}
