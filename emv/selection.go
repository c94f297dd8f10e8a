package emv

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"

	"lingqian/emv/tlv"
)

var ppse = []byte("2PAY.SYS.DDF01")

var errNoApplication = errors.New("no application on the card is accepted here")

// candidate is an application the card offers that the desk accepts.
type candidate struct {
	aid      []byte
	priority int // 1 highest … 15; 16 when the card gives none
	order    int
}

// chooseApplication selects PPSE, builds the candidate list, and selects
// and initiates (GPO) the first candidate that agrees, as EMV Book 1 12.4
// and Book 3 10.1 say. Without a PPSE it tries the desk's AIDs directly.
func (s *session) chooseApplication(ctx context.Context) error {
	cands, err := s.readPPSE(ctx)
	if err != nil {
		return err
	}
	if len(cands) == 0 {
		for i, aid := range s.t.AIDs {
			cands = append(cands, candidate{aid: aid, priority: 16, order: i})
		}
	}
	var last error = errNoApplication
	for _, c := range cands {
		ok, err := s.selectApplication(ctx, c.aid)
		if err != nil {
			return err
		}
		if !ok {
			continue
		}
		ok, err = s.initiate(ctx)
		if err != nil {
			return err
		}
		if ok {
			return nil
		}
		last = fmt.Errorf("%w: %X refused to start the purchase", errNoApplication, c.aid)
		clear(s.data)
		clear(s.recordTags)
	}
	return last
}

func (s *session) readPPSE(ctx context.Context) ([]candidate, error) {
	resp, sw, err := s.x.send(ctx, selectCommand(ppse))
	if err != nil {
		return nil, err
	}
	if sw != swOK {
		return nil, nil // no PPSE: fall back to the desk's list
	}
	objs, err := tlv.Parse(resp)
	if err != nil {
		return nil, fmt.Errorf("PPSE: %w", err)
	}
	dir := tlv.Find(objs, 0xBF0C)
	if dir == nil {
		return nil, nil
	}
	var out []candidate
	for i, e := range dir.Children {
		if e.Tag != 0x61 {
			continue
		}
		aid := tlv.Value(e.Children, 0x4F)
		if len(aid) < 5 || len(aid) > 16 || !s.accepts(aid) {
			continue
		}
		prio := 16
		if p := tlv.Value(e.Children, 0x87); len(p) == 1 && p[0]&0x0F != 0 {
			prio = int(p[0] & 0x0F)
		}
		out = append(out, candidate{aid: aid, priority: prio, order: i})
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].priority < out[j].priority })
	return out, nil
}

func (s *session) accepts(aid []byte) bool {
	for _, a := range s.t.AIDs {
		if bytes.HasPrefix(aid, a) {
			return true
		}
	}
	return false
}

// selectApplication selects an AID and keeps its FCI data. ok is false
// when the card refuses or does not have it.
func (s *session) selectApplication(ctx context.Context, aid []byte) (bool, error) {
	resp, sw, err := s.x.send(ctx, selectCommand(aid))
	if err != nil {
		return false, err
	}
	if sw != swOK {
		return false, nil
	}
	objs, err := tlv.Parse(resp)
	if err != nil {
		return false, fmt.Errorf("FCI of %X: %w", aid, err)
	}
	fci := tlv.Find(objs, 0x6F)
	if fci == nil {
		return false, fmt.Errorf("FCI of %X: no template 6F", aid)
	}
	name := tlv.Value(fci.Children, 0x84)
	if !bytes.HasPrefix(name, aid) {
		return false, fmt.Errorf("FCI of %X names %X", aid, name)
	}
	s.out.AID = append([]byte(nil), name...)
	if err := s.keep(fci.Children, false); err != nil {
		return false, err
	}
	s.pdol = nil
	if pdol, ok := s.data[0x9F38]; ok {
		if s.pdol, err = ParseDOL(pdol); err != nil {
			return false, fmt.Errorf("PDOL: %w", err)
		}
	}
	return true, nil
}

// keep adds primitive objects to the card's data. From records, a
// primitive tag given twice is an error (EMV Book 3 10.2); from templates
// answered to commands, the later value wins.
func (s *session) keep(objs []tlv.Object, fromRecord bool) error {
	for _, o := range objs {
		if o.Tag.Constructed() {
			if err := s.keep(o.Children, fromRecord); err != nil {
				return err
			}
			continue
		}
		if fromRecord {
			if s.recordTags[o.Tag] {
				return fmt.Errorf("tag %s appears twice in the records", o.Tag)
			}
			s.recordTags[o.Tag] = true
		}
		s.data[o.Tag] = o.Value
	}
	return nil
}
