package emv

import (
	"context"
	"encoding/binary"
	"fmt"
	"time"

	"lingqian/emv/tlv"
)

// terminalData answers DOL requests for what the desk knows.
func (s *session) terminalData(tag tlv.Tag) ([]byte, bool) {
	t := s.t
	switch tag {
	case 0x9F02:
		return bcdAmount(s.p.Amount), true
	case 0x9F03:
		return make([]byte, 6), true
	case 0x9F1A:
		return bcdCode(t.Country), true
	case 0x5F2A:
		return bcdCode(t.Currency), true
	case 0x9A:
		return bcdDate(s.p.At), true
	case 0x9F21:
		return bcdTime(s.p.At), true
	case 0x9C:
		return []byte{s.p.Type}, true
	case 0x95:
		return s.tvr[:], true
	case 0x9F37:
		return s.un, s.un != nil
	case 0x9F35:
		return []byte{t.TerminalType}, true
	case 0x9F33:
		return t.Capabilities[:], true
	case 0x9F40:
		return t.AdditionalCaps[:], true
	case 0x9F66:
		return t.TTQ[:], true
	case 0x9F09:
		return t.AppVersion[:], true
	case 0x9F1C:
		return []byte(t.TerminalID), t.TerminalID != ""
	case 0x9F16:
		return []byte(t.MerchantID), t.MerchantID != ""
	case 0x9F4E:
		return []byte(t.MerchantName), t.MerchantName != ""
	case 0x9F1E:
		return []byte(t.IFDSerial), t.IFDSerial != ""
	case 0x9F7A:
		// EC terminal support indicator: this purchase may be e-cash.
		if s.p.Amount < t.ECLimit {
			return []byte{0x01}, true
		}
		return []byte{0x00}, true
	case 0x9F7B:
		return bcdAmount(t.ECLimit), true
	case 0x9F1B:
		return binary.BigEndian.AppendUint32(nil, uint32(min(t.FloorLimit, 1<<32-1))), true
	case 0x9F34:
		return []byte{0x3F, 0x00, 0x00}, true // no CVM performed
	case 0x8A:
		return []byte("Y1"), true // offline approved, for CDOLs that ask
	}
	return nil, false
}

// dolData looks up the desk's data first, then the card's.
func (s *session) dolData(tag tlv.Tag) ([]byte, bool) {
	if v, ok := s.terminalData(tag); ok {
		return v, true
	}
	v, ok := s.data[tag]
	return v, ok
}

// initiate sends GET PROCESSING OPTIONS. ok is false when the card says
// the application cannot be used for this purchase (6985).
func (s *session) initiate(ctx context.Context) (bool, error) {
	if err := s.newUnpredictableNumber(); err != nil {
		return false, err
	}
	data := BuildDOL(s.pdol, s.dolData)
	s.out.PDOLData = data
	body := tlv.Encode(0x83, data)
	cmd := append([]byte{0x80, 0xA8, 0x00, 0x00, byte(len(body))}, body...)
	cmd = append(cmd, 0x00)
	resp, sw, err := s.x.send(ctx, cmd)
	if err != nil {
		return false, err
	}
	switch sw {
	case swOK:
	case swConditions:
		return false, nil
	default:
		return false, fmt.Errorf("GET PROCESSING OPTIONS: status %04X", uint16(sw))
	}
	objs, err := tlv.Parse(resp)
	if err != nil || len(objs) != 1 {
		return false, fmt.Errorf("GET PROCESSING OPTIONS answer: %v", orNotOne(err, len(objs)))
	}
	switch r := objs[0]; r.Tag {
	case 0x80: // format 1: AIP then AFL
		if len(r.Value) < 2 {
			return false, fmt.Errorf("GET PROCESSING OPTIONS format 1 of %d bytes", len(r.Value))
		}
		s.data[0x82], s.data[0x94] = r.Value[:2], r.Value[2:]
	case 0x77:
		if err := s.keep(r.Children, false); err != nil {
			return false, err
		}
	default:
		return false, fmt.Errorf("GET PROCESSING OPTIONS answered with template %s", r.Tag)
	}
	s.aip = s.data[0x82]
	if len(s.aip) != 2 {
		return false, fmt.Errorf("AIP of %d bytes", len(s.aip))
	}
	return true, nil
}

func orNotOne(err error, n int) error {
	if err != nil {
		return err
	}
	return fmt.Errorf("%d objects where one template belongs", n)
}

func (s *session) newUnpredictableNumber() error {
	s.un = make([]byte, 4)
	if _, err := s.t.Random.Read(s.un); err != nil {
		return fmt.Errorf("unpredictable number: %w", err)
	}
	s.out.UN = s.un
	return nil
}

// readRecords reads every record the AFL names and builds the static data
// to be authenticated exactly as EMV Book 3 10.3 says.
func (s *session) readRecords(ctx context.Context) error {
	afl, err := ParseAFL(s.data[0x94])
	if err != nil {
		return err
	}
	for _, e := range afl {
		for rec := e.First; rec <= e.Last; rec++ {
			cmd := []byte{0x00, 0xB2, byte(rec), byte(e.SFI<<3 | 4), 0x00}
			resp, sw, err := s.x.send(ctx, cmd)
			if err != nil {
				return err
			}
			if sw != swOK {
				return fmt.Errorf("READ RECORD %d of SFI %d: status %04X", rec, e.SFI, uint16(sw))
			}
			signed := rec < e.First+e.Signed
			if err := s.takeRecord(e.SFI, rec, resp, signed); err != nil {
				return err
			}
		}
	}
	if list, ok := s.data[0x9F4A]; ok {
		// The static data authentication tag list may name only the AIP.
		if len(list) != 1 || list[0] != 0x82 {
			s.staticBroken = true
		} else {
			s.static = append(s.static, s.aip...)
		}
	}
	return nil
}

func (s *session) takeRecord(sfi, rec int, resp []byte, signed bool) error {
	objs, err := tlv.Parse(resp)
	isTemplate := err == nil && len(objs) == 1 && objs[0].Tag == 0x70
	if signed {
		switch {
		case !isTemplate:
			s.staticBroken = true
		case sfi <= 10:
			s.static = append(s.static, objs[0].Value...)
		default:
			s.static = append(s.static, resp...)
		}
	}
	if !isTemplate {
		if sfi <= 10 {
			return fmt.Errorf("record %d of SFI %d is not template 70: %v", rec, sfi, err)
		}
		return nil // proprietary files beyond SFI 10 are the issuer's business
	}
	return s.keep(objs[0].Children, true)
}

// readBalance asks for the e-cash balance when the records did not give it.
func (s *session) readBalance(ctx context.Context) error {
	if _, ok := s.data[0x9F79]; ok {
		return nil
	}
	resp, sw, err := s.x.send(ctx, []byte{0x80, 0xCA, 0x9F, 0x79, 0x00})
	if err != nil {
		return err
	}
	if sw != swOK {
		return nil // not an e-cash card: risk management will say so
	}
	objs, err := tlv.Parse(resp)
	if err != nil {
		return fmt.Errorf("GET DATA 9F79: %w", err)
	}
	if v := tlv.Value(objs, 0x9F79); v != nil {
		s.data[0x9F79] = v
	}
	return nil
}

// missingMandatory names the first data object EMV requires that the card
// did not give, or "".
func (s *session) missingMandatory() string {
	// CDOL2 (8D) is mandatory in EMV but never used by a desk that cannot
	// go online, so its absence is not held against the card.
	for _, tag := range []tlv.Tag{0x5A, 0x5F24, 0x8C} {
		if _, ok := s.data[tag]; !ok {
			return "tag " + tag.String() + " missing"
		}
	}
	return ""
}

func bcdAmount(minor int64) []byte {
	if minor < 0 {
		minor = 0
	}
	return bcdDigits(fmt.Sprintf("%012d", minor%1_000_000_000_000))
}

func bcdCode(code string) []byte { return bcdDigits("0" + code) }

func bcdDate(t time.Time) []byte { return bcdDigits(t.Format("060102")) }

func bcdTime(t time.Time) []byte { return bcdDigits(t.Format("150405")) }

func bcdDigits(d string) []byte {
	out := make([]byte, len(d)/2)
	for i := range out {
		out[i] = (d[2*i]-'0')<<4 | (d[2*i+1] - '0')
	}
	return out
}

// bcdValue reads a BCD number; ok is false when a nibble is not a digit.
func bcdValue(b []byte) (int64, bool) {
	var v int64
	for _, c := range b {
		hi, lo := c>>4, c&0x0F
		if hi > 9 || lo > 9 {
			return 0, false
		}
		v = v*100 + int64(hi)*10 + int64(lo)
	}
	return v, true
}

// panDigits renders a compressed-numeric PAN without its F padding.
func panDigits(cn []byte) string {
	out := make([]byte, 0, 2*len(cn))
	for _, c := range cn {
		for _, n := range []byte{c >> 4, c & 0x0F} {
			if n > 9 {
				return string(out)
			}
			out = append(out, '0'+n)
		}
	}
	return string(out)
}

func psnDigits(b []byte) string {
	if len(b) != 1 {
		return ""
	}
	v, ok := bcdValue(b)
	if !ok {
		return ""
	}
	return fmt.Sprintf("%02d", v)
}
