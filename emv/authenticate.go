package emv

import (
	"bytes"
	"context"
	"errors"
	"fmt"

	"lingqian/emv/oda"
	"lingqian/emv/tlv"
)

// errMissing marks a certificate input the card did not give.
var errMissing = errors.New("ICC data missing")

// cdaPossible says whether both card (AIP) and desk (9F33) do CDA.
func (s *session) cdaPossible() bool {
	return len(s.aip) == 2 && s.aip[0]&0x01 != 0 && s.t.Capabilities[2]&0x08 != 0
}

// authenticateCertificates recovers the issuer and ICC public keys before
// GENERATE AC (EMV Book 2 6.6), keeping the ICC key or the reason it
// could not be had. The TVR is set later, in checkCDAReadiness.
func (s *session) authenticateCertificates() {
	if !s.cdaPossible() {
		return
	}
	s.icc, s.odaErr = s.recoverICCKey()
}

func (s *session) recoverICCKey() (*oda.ICCCert, error) {
	d := s.data
	for _, tag := range []tlv.Tag{0x8F, 0x90, 0x9F32, 0x9F46, 0x9F47} {
		if _, ok := d[tag]; !ok {
			return nil, fmt.Errorf("%w: tag %s", errMissing, tag)
		}
	}
	if len(d[0x8F]) != 1 || len(s.out.AID) < 5 {
		return nil, fmt.Errorf("CA public key index %X for AID %X", d[0x8F], s.out.AID)
	}
	if s.staticBroken {
		return nil, errors.New("a record to be authenticated is not template 70, or 9F4A names more than the AIP")
	}
	var rid [5]byte
	copy(rid[:], s.out.AID)
	capk, err := s.t.Keys.Lookup(rid, d[0x8F][0], s.p.At)
	if err != nil {
		return nil, fmt.Errorf("CA public key %X/%02X: %w", rid, d[0x8F][0], err)
	}
	pan := d[0x5A]
	issuer, err := oda.RecoverIssuerCert(oda.PublicKey{Modulus: capk.Modulus, Exponent: capk.Exponent},
		d[0x90], d[0x92], d[0x9F32])
	if err != nil {
		return nil, fmt.Errorf("issuer certificate: %w", err)
	}
	if err := oda.CheckIssuerID(issuer.IssuerID, pan); err != nil {
		return nil, fmt.Errorf("issuer certificate: %w", err)
	}
	if err := oda.CheckExpiry(issuer.Expiry, s.p.At); err != nil {
		return nil, fmt.Errorf("issuer certificate: %w", err)
	}
	icc, err := oda.RecoverICCCert(issuer.Key, d[0x9F46], d[0x9F48], d[0x9F47], s.static)
	if err != nil {
		return nil, fmt.Errorf("ICC certificate: %w", err)
	}
	if err := oda.CheckPAN(icc.PAN, pan); err != nil {
		return nil, fmt.Errorf("ICC certificate: %w", err)
	}
	if err := oda.CheckExpiry(icc.Expiry, s.p.At); err != nil {
		return nil, fmt.Errorf("ICC certificate: %w", err)
	}
	return icc, nil
}

// checkCDAReadiness sets the TVR for what authenticateCertificates found.
func (s *session) checkCDAReadiness() {
	if !s.cdaPossible() {
		s.tvr.Set(TVRODANotPerformed)
		return
	}
	s.tsi.Set(TSIODAPerformed)
	if s.odaErr != nil {
		if errors.Is(s.odaErr, errMissing) {
			s.tvr.Set(TVRICCDataMissing)
		}
		s.tvr.Set(TVRCDAFailed)
	}
}

// odaReason explains a CDA failure to the cashier.
func (s *session) odaReason() Reason {
	switch {
	case errors.Is(s.odaErr, oda.ErrUnknownCAPK), errors.Is(s.odaErr, oda.ErrCAPKExpired):
		return ReasonCAPKMissing.with(s.odaErr.Error())
	case errors.Is(s.odaErr, errMissing):
		return ReasonICCDataMissing.with(s.odaErr.Error())
	}
	return ReasonCDAFailed.with(s.odaErr.Error())
}

// generateAC asks for a TC with a CDA signature and checks what comes back.
func (s *session) generateAC(ctx context.Context) Outcome {
	cdol1, err := ParseDOL(s.data[0x8C])
	if err != nil {
		return s.fail(ctx, fmt.Errorf("CDOL1: %w", err))
	}
	data := BuildDOL(cdol1, s.dolData)
	s.out.CDOL1Data = data
	tear := TornTap{AID: s.out.AID, PAN: s.out.PAN, PSN: s.out.PSN, UN: s.un,
		Amount: s.p.Amount, Currency: s.t.Currency, Date: s.p.At, Type: s.p.Type,
		PDOLData: s.out.PDOLData, CDOL1Data: data, At: s.p.At}
	if s.p.Remember != nil {
		if err := s.p.Remember(ctx, tear); err != nil {
			if ctx.Err() != nil {
				return s.end(Failed, ReasonCancelled.with(err.Error()))
			}
			return s.end(Failed, ReasonNotRecorded.with(err.Error()))
		}
	}
	cmd := append([]byte{0x80, 0xAE, 0x50, 0x00, byte(len(data))}, data...)
	resp, sw, err := s.x.send(ctx, append(cmd, 0x00))
	if err != nil {
		if !isTransport(err) && ctx.Err() == nil {
			return s.fail(ctx, err)
		}
		// The command may have run on the card: remember the tap.
		s.out.Tear = &tear
		return s.end(Torn, ReasonTorn.with(err.Error()))
	}
	if sw != swOK {
		if len(resp) == 0 && uint16(sw)>>8 >= 0x62 && uint16(sw)>>8 <= 0x6F {
			// A status alone, of the kind a card ends a command with
			// when it did not run it: the card refused.
			s.out.CardRefused = true
			return s.end(Declined, ReasonDeclinedByCard.with(fmt.Sprintf("GENERATE AC status %04X", uint16(sw))))
		}
		// An answer with data and a status other than 9000 is not a
		// card's refusal but one garbled on its way: its next tap asks.
		s.out.Tear = &tear
		return s.end(Torn, ReasonUnverified.with(fmt.Sprintf("GENERATE AC status %04X with %d bytes", uint16(sw), len(resp))))
	}
	s.out.GenACResponse = resp
	out := s.judge(resp, s.out.PDOLData, data, s.un)
	if out.Result != Approved && !out.CardRefused {
		// A TC that does not verify, or an answer that is not one: the
		// card may have paid, so this is a torn tap to ask it about.
		s.out.Tear = &tear
		return s.end(Torn, ReasonUnverified.with(out.Reason.Code+": "+out.Reason.Detail))
	}
	return out
}

// judge checks a GENERATE AC (or RECOVER AC) answer against the data the
// request carried (EMV Book 2 6.6.2) and gives the outcome.
func (s *session) judge(resp, pdolData, cdol1Data, un []byte) Outcome {
	s.tsi.Set(TSICardRiskMgmtPerformed)
	objs, err := tlv.Parse(resp)
	if err != nil || len(objs) != 1 || objs[0].Tag != 0x77 {
		s.tvr.Set(TVRCDAFailed)
		return s.end(Declined, ReasonCDAFailed.with(fmt.Sprintf("GENERATE AC answer is not template 77 (%v)", err)))
	}
	fields := objs[0].Children
	cid := tlv.Value(fields, 0x9F27)
	atc := tlv.Value(fields, 0x9F36)
	if len(cid) != 1 || len(atc) != 2 {
		s.tvr.Set(TVRICCDataMissing)
		return s.end(Declined, ReasonICCDataMissing.with("GENERATE AC answer lacks 9F27 or 9F36"))
	}
	s.out.CID, s.out.ATC, s.out.IAD = cid[0], uint16(atc[0])<<8|uint16(atc[1]), tlv.Value(fields, 0x9F10)
	s.out.AC = tlv.Value(fields, 0x9F26)
	switch cid[0] & 0xC0 {
	case 0x00:
		s.out.CardRefused = s.refusalIsTheCards(fields, cid[0], pdolData, cdol1Data, un)
		return s.end(Declined, ReasonDeclinedByCard)
	case 0x80:
		s.out.CardRefused = s.refusalIsTheCards(fields, cid[0], pdolData, cdol1Data, un)
		return s.end(Declined, ReasonCardWantsOnline)
	case 0xC0:
		return s.end(Declined, ReasonCardError.with("CID names a reserved cryptogram type"))
	}
	if why, ok := s.verifyCDA(fields, cid[0], pdolData, cdol1Data, un); !ok {
		s.tvr.Set(TVRCDAFailed)
		return s.end(Declined, why)
	}
	return s.end(Approved, ReasonApproved)
}

// refusalIsTheCards says whether an AAC or ARQC is the card's own: signed
// and verifying, or sent without a signature at all, as a card that does
// not sign its refusals sends them. A signed one that does not verify may
// be a TC garbled on its way (one bit turns 40 into 00).
func (s *session) refusalIsTheCards(fields []tlv.Object, cid byte, pdolData, cdol1Data, un []byte) bool {
	if tlv.Find(fields, 0x9F4B) == nil {
		return true
	}
	_, ok := s.verifyCDA(fields, cid, pdolData, cdol1Data, un)
	return ok
}

func (s *session) verifyCDA(fields []tlv.Object, cid byte, pdolData, cdol1Data, un []byte) (Reason, bool) {
	if s.icc == nil {
		return ReasonCDAFailed.with("no ICC public key"), false
	}
	var sdad []byte
	var signed []byte // every object but 9F4B, as received
	for _, f := range fields {
		if f.Tag == 0x9F4B {
			sdad = f.Value
			continue
		}
		signed = append(signed, f.Raw...)
	}
	if sdad == nil {
		return ReasonCDAFailed.with("TC without a signature (9F4B)"), false
	}
	rec, err := oda.RecoverSDAD(s.icc.Key, sdad, un)
	if err != nil {
		return ReasonCDAFailed.with("signed dynamic data: " + err.Error()), false
	}
	cda, err := oda.ParseCDADynamicData(rec.ICCDynamicData)
	if err != nil {
		return ReasonCDAFailed.with("ICC dynamic data: " + err.Error()), false
	}
	if cda.CID != cid {
		return ReasonCDAFailed.with(fmt.Sprintf("signed CID %02X, 9F27 says %02X", cda.CID, cid)), false
	}
	if want := oda.TransactionDataHash(pdolData, cdol1Data, signed); !bytes.Equal(cda.TDHC, want) {
		return ReasonCDAFailed.with("transaction data hash code does not match the data exchanged"), false
	}
	s.out.AC = cda.AC
	return Reason{}, true
}
