package synctest

import (
	"fmt"
	"net/http"
	"slices"
	"strconv"

	"lingqian/app"
	desksync "lingqian/sync"
)

// deskState is what the bank knows of desks.
type deskState struct {
	codes        map[string]*enrolCode
	nextTerminal int
	byKey        map[string]*stored
	handled      map[string]int // message key → times handled as new
	hotlist      desksync.Hotlist
	capk         []byte
}

type enrolCode struct {
	merchant string
	teller   bool
	used     bool
}

type stored struct {
	terminal      string
	msg           desksync.Message
	state, reason string
}

func (d *deskState) init() {
	d.codes = map[string]*enrolCode{}
	d.byKey = map[string]*stored{}
	d.handled = map[string]int{}
	d.hotlist = desksync.Hotlist{Version: 1, PANs: []string{}}
	d.capk = []byte(`{"keys":[]}`)
	d.nextTerminal = 1
}

// AddCode makes a one-time enrolment code for a desk of merchant.
func (b *Bank) AddCode(code, merchant string, teller bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.desk.codes[code] = &enrolCode{merchant: merchant, teller: teller}
}

// SetHotlist replaces the hotlist.
func (b *Bank) SetHotlist(version int64, pans ...string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.desk.hotlist = desksync.Hotlist{Version: version, PANs: append([]string{}, pans...)}
}

// SetCAPK replaces the CA public key file the bank serves.
func (b *Bank) SetCAPK(file []byte) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.desk.capk = append([]byte(nil), file...)
}

// Handled is how many times each message key was handled as new: a bank
// that posts each message once has 1 for every key.
func (b *Bank) Handled() map[string]int {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make(map[string]int, len(b.desk.handled))
	for k, n := range b.desk.handled {
		out[k] = n
	}
	return out
}

// State is where the bank holds a message.
func (b *Bank) State(key string) (state, reason string, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	s, ok := b.desk.byKey[key]
	if !ok {
		return "", "", false
	}
	return s.state, s.reason, true
}

// SetState moves a message the bank holds to state (clearing a pending
// one, or scripting a later rejection).
func (b *Bank) SetState(key, state, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if s, ok := b.desk.byKey[key]; ok {
		s.state, s.reason = state, reason
	}
}

// Put stores a message for a terminal as if it had arrived, replacing
// one with the same key (for a bank that disagrees with the desk).
func (b *Bank) Put(terminal string, m desksync.Message, state, reason string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.desk.byKey[m.Key] = &stored{terminal: terminal, msg: m, state: state, reason: reason}
}

// Forget drops a message, as if it had never arrived (for "missing at the bank").
func (b *Bank) Forget(key string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.desk.byKey, key)
}

func (b *Bank) enroll(body []byte) (int, []byte) {
	var req struct {
		Code string `json:"code"`
		CSR  string `json:"csr"`
	}
	if err := decode(body, &req); err != nil {
		return errorAnswer(http.StatusBadRequest, "bad_request", err.Error())
	}
	c, ok := b.desk.codes[req.Code]
	if !ok || c.used {
		return errorAnswer(http.StatusForbidden, "invalid_code", "this enrolment code is unknown or was used already")
	}
	terminal := fmt.Sprintf("T%07d", b.desk.nextTerminal)
	cert, err := b.pki.signCSR([]byte(req.CSR), terminal, c.merchant, c.teller)
	if err != nil {
		return errorAnswer(http.StatusBadRequest, "bad_request", "csr: "+err.Error())
	}
	c.used = true
	b.desk.nextTerminal++
	return answerJSON(http.StatusOK, desksync.Enrolment{TerminalID: terminal, MerchantID: c.merchant, Teller: c.teller,
		Certificate: string(cert), CA: string(b.pki.caPEM)})
}

func (b *Bank) batch(terminal, merchant string, body []byte) (int, []byte) {
	var req struct {
		Messages       []desksync.Message   `json:"messages"`
		HotlistVersion int64                `json:"hotlist_version"`
		Chains         []desksync.ChainHead `json:"chains"` // taken, not anchored: the real bank's tests do that
	}
	if err := decode(body, &req); err != nil {
		return errorAnswer(http.StatusBadRequest, "bad_request", err.Error())
	}
	if len(req.Messages) == 0 || len(req.Messages) > 1000 {
		return errorAnswer(http.StatusBadRequest, "bad_request", "a batch holds 1 to 1000 messages")
	}
	for i, m := range req.Messages {
		if m.Key == "" || m.Seq <= 0 || (m.Kind != "purchase" && m.Kind != "void") || m.Amount < 0 {
			return errorAnswer(http.StatusBadRequest, "bad_request", fmt.Sprintf("message %d is malformed", i+1))
		}
	}
	voided := map[int64]bool{} // purchases voided in this batch are cancelled, not posted
	for _, m := range req.Messages {
		if m.Kind == "void" {
			voided[m.Ref] = true
		}
	}
	results := make([]desksync.Result, len(req.Messages))
	for i, m := range req.Messages {
		r := desksync.Result{Key: m.Key, Seq: m.Seq}
		if s, ok := b.desk.byKey[m.Key]; ok {
			r.Status, r.State, r.Reason = desksync.StatusDuplicate, s.state, s.reason
			results[i] = r
			continue
		}
		state, reason := desksync.BankPosted, ""
		switch {
		case m.MerchantID != merchant:
			state, reason = desksync.BankRejected, "wrong_merchant"
		case m.Kind == "purchase" && voided[m.Seq]:
			state, reason = desksync.BankRejected, desksync.ReasonVoided
		case b.Decide != nil:
			state, reason = b.Decide(m)
		}
		b.desk.byKey[m.Key] = &stored{terminal: terminal, msg: m, state: state, reason: reason}
		b.desk.handled[m.Key]++
		r.Status, r.State, r.Reason = desksync.StatusAccepted, state, reason
		if state == desksync.BankRejected {
			r.Status = desksync.StatusRejected
		}
		results[i] = r
	}
	return answerJSON(http.StatusOK, map[string]any{"results": results})
}

func (b *Bank) feed(terminal, since string) (int, []byte) {
	n, err := strconv.ParseInt(since, 10, 64)
	if err != nil || n < 0 {
		return errorAnswer(http.StatusBadRequest, "bad_request", "since_seq must be a number")
	}
	f := desksync.Feed{Messages: []desksync.BankMessage{}}
	for _, s := range b.desk.byKey {
		if s.terminal != terminal || s.msg.Seq <= n {
			continue
		}
		f.Messages = append(f.Messages, desksync.BankMessage{Seq: s.msg.Seq, Key: s.msg.Key, Kind: s.msg.Kind, State: s.state, Reason: s.reason, Amount: s.msg.Amount})
		if s.msg.Kind != "purchase" || s.reason == desksync.ReasonVoided {
			continue
		}
		switch s.state {
		case desksync.BankPosted:
			f.Totals.Posted.Add(app.Money(s.msg.Amount))
		case desksync.BankPending:
			f.Totals.Pending.Add(app.Money(s.msg.Amount))
		case desksync.BankRejected:
			f.Totals.Rejected.Add(app.Money(s.msg.Amount))
		}
	}
	slices.SortFunc(f.Messages, func(a, b desksync.BankMessage) int { return int(a.Seq - b.Seq) })
	return answerJSON(http.StatusOK, f)
}

func (b *Bank) capk() (int, []byte) {
	return http.StatusOK, append([]byte(nil), b.desk.capk...)
}
