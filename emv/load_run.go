package emv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	"lingqian/emv/tlv"
)

// ReadWallet selects the wallet and reads its PAN, PSN, balance and ATC,
// moving no money: for a lookup by tap and for the lost-log re-entry. Its
// GET PROCESSING OPTIONS counts as a transaction of the phone, so the ATC
// read is the one this tap used.
func (k *Kernel) ReadWallet(ctx context.Context, card Card) (WalletReading, error) {
	s := &loader{session: k.newSession(card, Purchase{Type: TxnLoad, At: time.Now()})}
	r, err := s.readWallet(ctx)
	r.Commands = s.x.sent
	return r, err
}

// StartLoad reads the wallet and asks it for an ARQC for the load: the
// first GENERATE AC with CDOL1 filled from the desk's data. What it
// returns is what the bank needs and what FinishLoad needs after it.
func (k *Kernel) StartLoad(ctx context.Context, card Card, l Load) (LoadStart, error) {
	if l.Amount <= 0 {
		return LoadStart{}, fmt.Errorf("emv: a load of %d: the amount must be positive", l.Amount)
	}
	if l.Type == 0 {
		l.Type = TxnLoad
	}
	if l.At.IsZero() {
		l.At = time.Now()
	}
	s := &loader{session: k.newSession(card, Purchase{Amount: l.Amount, Type: l.Type, At: l.At}), progress: l.Progress}
	// No offline data authentication: the bank checks the cryptogram.
	s.tvr.Set(TVRODANotPerformed)
	st, err := s.startLoad(ctx)
	st.Commands, st.Progress = s.x.sent, l.Progress
	return st, err
}

func (s *loader) startLoad(ctx context.Context) (LoadStart, error) {
	w, err := s.readWallet(ctx)
	st := LoadStart{Wallet: w, Amount: s.p.Amount, Currency: s.t.Currency, Date: s.p.At, Type: s.p.Type,
		UN: s.un, PDOLData: s.out.PDOLData, CDOL2: s.data[0x8D], TVR: s.tvr}
	if err != nil {
		return st, err
	}
	cdol1, err := ParseDOL(s.data[0x8C])
	if err != nil || len(s.data[0x8C]) == 0 {
		return st, &LoadError{Step: StepRead, Err: ErrCardAnswer, Detail: fmt.Sprintf("CDOL1 (8C) missing or bad: %v", err)}
	}
	st.CDOL1Data = BuildDOL(cdol1, s.dolData)
	// P1 80: an ARQC, without a CDA signature, which would hide the AC
	// inside it from the bank.
	s.announce(StepARQC)
	resp, err := s.command(ctx, StepARQC, append(append([]byte{0x80, 0xAE, 0x80, 0x00, byte(len(st.CDOL1Data))}, st.CDOL1Data...), 0x00))
	if err != nil {
		return st, err
	}
	st.GenACResponse = resp
	ac, err := parseGenAC(resp)
	if err != nil {
		return st, &LoadError{Step: StepARQC, Err: ErrCardAnswer, Detail: err.Error()}
	}
	st.ATC, st.CID, st.ARQC, st.IAD = ac.ATC, ac.CID, ac.AC, ac.IAD
	switch ac.CID & 0xC0 {
	case 0x80:
	case 0x00:
		return st, &LoadError{Step: StepARQC, Err: ErrCardRefused, Detail: "the phone answered an AAC: it declines the load"}
	default:
		// A card may not answer more than it was asked for.
		return st, &LoadError{Step: StepARQC, Err: ErrCardAnswer, Detail: fmt.Sprintf("asked for an ARQC, the phone answered CID %02X", ac.CID)}
	}
	if len(ac.AC) != 8 {
		return st, &LoadError{Step: StepARQC, Err: ErrCardAnswer, Detail: fmt.Sprintf("an ARQC of %d bytes", len(ac.AC))}
	}
	return st, nil
}

// FinishLoad gives the phone the bank's answer: EXTERNAL AUTHENTICATE with
// the ARPC and the response code, the issuer script that sets the new
// balance, the second GENERATE AC (a TC when the bank approved), and GET
// DATA 9F79 for the balance after. The LoadFinish it returns, error or
// not, says how far the phone got: once ScriptApplied is true the money is
// on the phone whatever fails after.
func (k *Kernel) FinishLoad(ctx context.Context, card Card, start LoadStart, ans IssuerAnswer) (LoadFinish, error) {
	s := &loader{session: k.newSession(card, Purchase{Amount: start.Amount, Type: start.Type, At: start.Date}), progress: start.Progress}
	s.un, s.tvr = start.UN, start.TVR
	f, err := s.finishLoad(ctx, start, ans)
	f.Commands = s.x.sent
	return f, err
}

func (s *loader) finishLoad(ctx context.Context, start LoadStart, ans IssuerAnswer) (LoadFinish, error) {
	var f LoadFinish
	if len(ans.ARPC) != 8 {
		return f, fmt.Errorf("emv: the bank's ARPC has %d bytes, not 8", len(ans.ARPC))
	}
	if ans.Script != nil {
		if err := checkScript(ans.Script); err != nil {
			return f, fmt.Errorf("emv: the bank's script: %w", err)
		}
	}
	s.announce(StepIssuerAuth)
	cmd := append(append([]byte{0x00, 0x82, 0x00, 0x00, 10}, ans.ARPC...), ans.ARC[:]...)
	if _, err := s.command(ctx, StepIssuerAuth, cmd); err != nil {
		return f, err
	}
	f.IssuerAuthenticated = true
	if ans.Script != nil {
		s.announce(StepScript)
		if _, err := s.command(ctx, StepScript, ans.Script); err != nil {
			return f, err
		}
		f.ScriptApplied = true
	}
	cdol2, err := ParseDOL(start.CDOL2)
	if err != nil {
		return f, &LoadError{Step: StepClose, Err: ErrCardAnswer, Detail: fmt.Sprintf("CDOL2 (8D): %v", err)}
	}
	data := BuildDOL(cdol2, func(tag tlv.Tag) ([]byte, bool) {
		if tag == 0x8A {
			return ans.ARC[:], true
		}
		return s.terminalData(tag)
	})
	p1 := byte(0x00) // AAC: the bank declined
	if ans.ARC == [2]byte{'0', '0'} {
		p1 = 0x40 // TC
	}
	s.announce(StepClose)
	resp, err := s.command(ctx, StepClose, append(append([]byte{0x80, 0xAE, p1, 0x00, byte(len(data))}, data...), 0x00))
	if err != nil {
		return f, err
	}
	ac, err := parseGenAC(resp)
	if err != nil {
		return f, &LoadError{Step: StepClose, Err: ErrCardAnswer, Detail: err.Error()}
	}
	f.CID, f.AC = ac.CID, ac.AC
	s.announce(StepBalanceNext)
	bal, err := s.getData(ctx, StepBalanceNext, 0x9F79, 6, true)
	if err != nil {
		return f, err
	}
	if f.Balance, err = amountValue(StepBalanceNext, bal); err != nil {
		return f, err
	}
	f.BalanceRead = true
	return f, nil
}

// readWallet selects the application, reads its records and asks for the
// balance, the ATC and the last online ATC.
func (s *loader) readWallet(ctx context.Context) (WalletReading, error) {
	var r WalletReading
	s.announce(StepSelect)
	if err := s.chooseApplication(ctx); err != nil {
		if errors.Is(err, errNoApplication) {
			return r, &LoadError{Step: StepSelect, Err: ErrNoWallet, Detail: err.Error()}
		}
		return r, s.loadErr(ctx, StepSelect, err)
	}
	r.AID = s.out.AID
	s.announce(StepRead)
	if err := s.readRecords(ctx); err != nil {
		return r, s.loadErr(ctx, StepRead, err)
	}
	r.PAN, r.PSN = panDigits(s.data[0x5A]), psnDigits(s.data[0x5F34])
	if !wholePAN(s.data[0x5A], r.PAN) {
		return r, &LoadError{Step: StepRead, Err: ErrCardAnswer, Detail: fmt.Sprintf("PAN (5A) %X is not a wallet's", s.data[0x5A])}
	}
	if cur, ok := s.data[0x9F51]; ok && len(cur) == 2 {
		if v, ok := bcdValue(cur); ok {
			r.Currency = fmt.Sprintf("%03d", v)
		}
	}
	s.announce(StepBalance)
	bal, err := s.getData(ctx, StepBalance, 0x9F79, 6, true)
	if err != nil {
		return r, err
	}
	if r.Balance, err = amountValue(StepBalance, bal); err != nil {
		return r, err
	}
	atc, err := s.getData(ctx, StepBalance, 0x9F36, 2, true)
	if err != nil {
		return r, err
	}
	r.ATC = uint16(atc[0])<<8 | uint16(atc[1])
	last, err := s.getData(ctx, StepBalance, 0x9F13, 2, false)
	if err != nil {
		return r, err
	}
	if last != nil {
		r.LastOnlineATC, r.HasLastOnline = uint16(last[0])<<8|uint16(last[1]), true
	}
	return r, nil
}

// loader is a tap's session running a load or a reading.
type loader struct {
	*session
	progress func(LoadStep)
}

func (s *loader) announce(step LoadStep) {
	if s.progress != nil {
		s.progress(step)
	}
}

// command sends one command that must answer 9000 (or a warning, 62xx
// and 63xx, which EMV counts as done for scripts only: here the wallet's
// commands answer 9000 when they did what was asked).
func (s *loader) command(ctx context.Context, step LoadStep, cmd []byte) ([]byte, error) {
	resp, sw, err := s.x.send(ctx, cmd)
	if err != nil {
		return nil, s.loadErr(ctx, step, err)
	}
	if sw != swOK {
		return nil, &LoadError{Step: step, SW: sw, Err: ErrCardRefused}
	}
	return resp, nil
}

// getData asks for one data object of length n. A card that does not
// have it (any status but 9000) is an error when required, else nil.
func (s *loader) getData(ctx context.Context, step LoadStep, tag tlv.Tag, n int, required bool) ([]byte, error) {
	resp, sw, err := s.x.send(ctx, []byte{0x80, 0xCA, byte(tag >> 8), byte(tag), 0x00})
	if err != nil {
		return nil, s.loadErr(ctx, step, err)
	}
	if sw != swOK {
		if !required {
			return nil, nil
		}
		return nil, &LoadError{Step: step, SW: sw, Err: ErrCardRefused, Detail: "GET DATA " + tag.String()}
	}
	v, err := dataObject(resp, tag, n)
	if err != nil {
		return nil, &LoadError{Step: step, Err: ErrCardAnswer, Detail: err.Error()}
	}
	return v, nil
}

// dataObject reads the answer to GET DATA: exactly the object asked for,
// of length n.
func dataObject(resp []byte, tag tlv.Tag, n int) ([]byte, error) {
	objs, err := tlv.Parse(resp)
	if err != nil {
		return nil, fmt.Errorf("GET DATA %s: %w", tag, err)
	}
	if len(objs) != 1 || objs[0].Tag != tag || len(objs[0].Value) != n {
		return nil, fmt.Errorf("GET DATA %s answered % X", tag, resp)
	}
	return objs[0].Value, nil
}

// wholePAN says whether cn is a PAN of 12 to 19 digits, padded with F.
func wholePAN(cn []byte, digits string) bool {
	if n := len(digits); n < 12 || n > 19 {
		return false
	}
	for i := len(digits); i < 2*len(cn); i++ {
		nib := cn[i/2] >> 4
		if i%2 == 1 {
			nib = cn[i/2] & 0x0F
		}
		if nib != 0x0F {
			return false
		}
	}
	return true
}

func amountValue(step LoadStep, b []byte) (int64, error) {
	v, ok := bcdValue(b)
	if !ok {
		return 0, &LoadError{Step: step, Err: ErrCardAnswer, Detail: fmt.Sprintf("balance %X is not BCD", b)}
	}
	return v, nil
}

// loadErr names what went wrong in an exchange: the wait was cancelled,
// the phone left, or it answered something unusable.
func (s *loader) loadErr(ctx context.Context, step LoadStep, err error) error {
	switch {
	case ctx.Err() != nil:
		return &LoadError{Step: step, Err: ctx.Err(), Detail: err.Error()}
	case isTransport(err):
		return &LoadError{Step: step, Err: ErrCardLeft, Detail: err.Error()}
	}
	return &LoadError{Step: step, Err: ErrCardAnswer, Detail: err.Error()}
}

// genACAnswer is a GENERATE AC answer without CDA.
type genACAnswer struct {
	CID byte
	ATC uint16
	AC  []byte
	IAD []byte
}

// parseGenAC reads a GENERATE AC answer in format 1 (80: CID, ATC, AC,
// IAD) or format 2 (template 77).
func parseGenAC(resp []byte) (genACAnswer, error) {
	var a genACAnswer
	objs, err := tlv.Parse(resp)
	if err != nil || len(objs) != 1 {
		return a, fmt.Errorf("GENERATE AC answer: %v", orNotOne(err, len(objs)))
	}
	switch o := objs[0]; o.Tag {
	case 0x80:
		if len(o.Value) < 11 || len(o.Value) > 11+32 {
			return a, fmt.Errorf("GENERATE AC format 1 of %d bytes", len(o.Value))
		}
		v := o.Value
		a = genACAnswer{CID: v[0], ATC: uint16(v[1])<<8 | uint16(v[2]), AC: bytes.Clone(v[3:11]), IAD: bytes.Clone(v[11:])}
	case 0x77:
		cid, atc := tlv.Value(o.Children, 0x9F27), tlv.Value(o.Children, 0x9F36)
		if len(cid) != 1 || len(atc) != 2 {
			return a, errors.New("GENERATE AC answer lacks 9F27 or 9F36")
		}
		a = genACAnswer{CID: cid[0], ATC: uint16(atc[0])<<8 | uint16(atc[1]),
			AC: tlv.Value(o.Children, 0x9F26), IAD: tlv.Value(o.Children, 0x9F10)}
		if len(a.IAD) > 32 {
			return a, fmt.Errorf("IAD of %d bytes", len(a.IAD))
		}
	default:
		return a, fmt.Errorf("GENERATE AC answered with template %s", o.Tag)
	}
	return a, nil
}

// checkScript makes sure the bank's script is one short command (a case 3
// APDU, or case 4 with Le) before the desk hands it to the phone.
func checkScript(b []byte) error {
	if len(b) < 5 {
		return fmt.Errorf("%d bytes are not a command", len(b))
	}
	if b[0] == 0xFF {
		return fmt.Errorf("class byte FF is not a command's")
	}
	lc := int(b[4])
	if lc == 0 || (len(b) != 5+lc && len(b) != 6+lc) {
		return fmt.Errorf("a command of %d bytes says it carries %d", len(b), lc)
	}
	return nil
}
