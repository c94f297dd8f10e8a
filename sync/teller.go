package sync

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"lingqian/app"

	"github.com/go-resty/resty/v2"
)

// Teller is the teller desk's side of the bank's /v1/teller calls
// (docs/bank-api.md): wallet lookup and statement, online load, unload,
// hotlist, the exception queue and the lost-log re-entry. It is
// app.TellerBank. Refusals come back as *app.BankError (the bank's stable
// code and its sentence), wrapping the *APIError; a bank that cannot be
// reached, or that failed after the retries, as app.ErrBankUnavailable
// wrapping ErrUnavailable or the *APIError.
type Teller struct {
	c *Client
	// signed sends the unloads someone signs: as c, but an answer of
	// 4xx is never asked again. A 429 there is the customer's sign-in
	// locked after wrong passwords: asking again is another guess, and
	// the teller must hear it now, not after the client's waits.
	signed *resty.Client
}

var _ app.TellerBank = (*Teller)(nil)

// Teller gives the client's teller calls. Only a desk the bank enrolled
// as a teller desk is let through. Call it before the client is in use
// elsewhere: it copies the client's settings.
func (c *Client) Teller() *Teller {
	signed := c.r.Clone()
	signed.RetryConditions = []resty.RetryConditionFunc{signedRetry}
	return &Teller{c: c, signed: signed}
}

// Wallet looks a wallet up by PAN (psn "": the first the bank has).
func (t *Teller) Wallet(ctx context.Context, pan, psn string) (app.BankWallet, error) {
	var w walletWire
	if err := t.get(ctx, "/v1/teller/wallets/"+url.PathEscape(pan)+psnQuery(psn), &w); err != nil {
		return app.BankWallet{}, err
	}
	return w.app()
}

// Statement is a wallet's history at the bank.
func (t *Teller) Statement(ctx context.Context, pan, psn string) (app.WalletStatement, error) {
	var s statementWire
	if err := t.get(ctx, "/v1/teller/wallets/"+url.PathEscape(pan)+"/statement"+psnQuery(psn), &s); err != nil {
		return app.WalletStatement{}, err
	}
	return s.app()
}

// Load sends the phone's ARQC for an online load; the answer is the ARPC
// and the script that sets the new balance.
func (t *Teller) Load(ctx context.Context, key string, r app.BankLoad) (app.BankLoadAnswer, error) {
	bal := int64(r.Balance)
	req := loadWire{PAN: r.PAN, PSN: r.PSN, ATC: int64(r.ATC), ARQC: hexOf(r.ARQC), CDOL1Data: hexOf(r.CDOL1Data),
		IAD: hexOf(r.IAD), Amount: int64(r.Amount), User: r.Customer, Operator: r.Operator, Balance: &bal}
	var a loadAnswerWire
	if err := t.post(ctx, "/v1/teller/loads", key, req, &a); err != nil {
		return app.BankLoadAnswer{}, err
	}
	return a.app()
}

// Unload moves e-cash back to the customer's deposit. A return of a load
// the phone never took (ReturnsLoadATC) is paid at once; any other unload
// carries who signed it and is held by the bank for its settlement window.
// A bank of before holds answers neither state nor amount: it paid.
func (t *Teller) Unload(ctx context.Context, key string, r app.BankUnload) (app.BankUnloadAnswer, error) {
	const path = "/v1/teller/unloads"
	req := unloadWire{PAN: r.PAN, PSN: r.PSN, Amount: int64(r.Amount), User: r.Customer, Operator: r.Operator,
		CustomerPassword: r.CustomerPassword, Approver: r.Approver}
	var a unloadAnswerWire
	var err error
	if r.ReturnsLoadATC != 0 {
		atc := int64(r.ReturnsLoadATC)
		req.ReturnsLoadATC = &atc
		err = t.post(ctx, path, key, req, &a)
	} else {
		err = t.postSigned(ctx, path, key, req, &a)
	}
	if err != nil {
		return app.BankUnloadAnswer{}, err
	}
	ans, err := a.app(r.Amount)
	if err != nil {
		return ans, fmt.Errorf("sync: POST %s: the bank's answer: %w", path, err)
	}
	return ans, nil
}

// Hotlist blocks every wallet with the PAN; it answers the hotlist's new version.
func (t *Teller) Hotlist(ctx context.Context, key, operator, pan, reason string) (int64, error) {
	var a struct {
		Version *int64 `json:"version"`
	}
	req := map[string]string{"pan": pan, "reason": reason, "operator": operator}
	if err := t.post(ctx, "/v1/teller/hotlist", key, req, &a); err != nil {
		return 0, err
	}
	if a.Version == nil {
		return 0, errors.New("sync: POST /v1/teller/hotlist: the bank's answer has no version")
	}
	return *a.Version, nil
}

// Exceptions is the bank's exception queue, newest first.
func (t *Teller) Exceptions(ctx context.Context, state app.ExceptionState) ([]app.BankException, error) {
	var a struct {
		Exceptions []exceptionWire `json:"exceptions"`
	}
	if err := t.get(ctx, "/v1/teller/exceptions?state="+url.QueryEscape(string(state)), &a); err != nil {
		return nil, err
	}
	out := make([]app.BankException, 0, len(a.Exceptions))
	for i, e := range a.Exceptions {
		x, err := e.app()
		if err != nil {
			return nil, fmt.Errorf("sync: GET /v1/teller/exceptions: item %d: %w", i+1, err)
		}
		out = append(out, x)
	}
	return out, nil
}

// Resolve closes an exception with the teller's note.
func (t *Teller) Resolve(ctx context.Context, key, operator string, id int64, note string) (app.BankException, error) {
	var e exceptionWire
	path := "/v1/teller/exceptions/" + strconv.FormatInt(id, 10) + "/resolve"
	if err := t.post(ctx, path, key, map[string]string{"operator": operator, "note": note}, &e); err != nil {
		return app.BankException{}, err
	}
	x, err := e.app()
	if err != nil {
		return app.BankException{}, fmt.Errorf("sync: POST %s: %w", path, err)
	}
	return x, nil
}

// ReEnter sends what a teller read from a phone whose log was lost; it
// answers how many of the wallet's exceptions the bank closed with it.
func (t *Teller) ReEnter(ctx context.Context, key string, r app.ReEntry) (int, error) {
	atc, bal := int64(r.ATC), int64(r.Balance)
	req := reentryWire{PAN: r.PAN, PSN: r.PSN, ATC: &atc, Balance: &bal, Operator: r.Operator, Note: r.Note}
	var a struct {
		Resolved int `json:"resolved"`
	}
	if err := t.post(ctx, "/v1/teller/reentries", key, req, &a); err != nil {
		return 0, err
	}
	return a.Resolved, nil
}

// FileException queues a load the desk could not settle in the bank's
// exception queue (kind unfinished_load).
func (t *Teller) FileException(ctx context.Context, key string, r app.UnfinishedReport) (app.BankException, error) {
	atc := int64(r.ATC)
	req := fileWire{Operator: r.Operator, PAN: r.PAN, PSN: r.PSN, ATC: &atc, Amount: int64(r.Amount), Detail: r.Detail}
	var e exceptionWire
	if err := t.post(ctx, "/v1/teller/exceptions", key, req, &e); err != nil {
		return app.BankException{}, err
	}
	x, err := e.app()
	if err != nil {
		return app.BankException{}, fmt.Errorf("sync: POST /v1/teller/exceptions: %w", err)
	}
	return x, nil
}

func (t *Teller) get(ctx context.Context, path string, out any) error {
	return tellerError(t.c.call(ctx, "GET", path, "", nil, out))
}

// post sends body under key, which every teller write must have: the
// bank then does the action once however often the answer is lost.
func (t *Teller) post(ctx context.Context, path, key string, body, out any) error {
	if key == "" {
		return fmt.Errorf("sync: POST %s: no Idempotency-Key", path)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("sync: encoding POST %s: %w", path, err)
	}
	return tellerError(t.c.call(ctx, "POST", path, key, b, out))
}

// tellerError turns the client's errors into those app knows: the bank's
// refusals keep their code, an unreachable bank says so.
func tellerError(err error) error {
	if err == nil {
		return nil
	}
	if Unavailable(err) {
		return fmt.Errorf("%w: %w", app.ErrBankUnavailable, err)
	}
	var api *APIError
	if errors.As(err, &api) {
		return &app.BankError{Status: api.Status, Code: api.Code, Message: api.Message, Err: err}
	}
	return err
}

func psnQuery(psn string) string {
	if psn == "" {
		return ""
	}
	return "?psn=" + url.QueryEscape(psn)
}

// The teller calls' bodies and answers, as docs/bank-api.md has them.
type (
	walletWire struct {
		PAN           string  `json:"pan"`
		PSN           string  `json:"psn"`
		Status        string  `json:"status"`
		Balance       int64   `json:"balance"`
		LastATC       uint16  `json:"last_atc"`
		Customer      string  `json:"customer"`
		PhoneBalance  *int64  `json:"phone_balance"`
		PhoneATC      *uint16 `json:"phone_atc"`
		PhoneUploaded string  `json:"phone_uploaded"`
	}
	statementWire struct {
		PAN          string           `json:"pan"`
		PSN          string           `json:"psn"`
		Status       string           `json:"status"`
		Customer     string           `json:"customer"`
		Balance      int64            `json:"balance"`
		LastATC      uint16           `json:"last_atc"`
		PhoneBalance *int64           `json:"phone_balance"`
		Entries      []statementLine  `json:"entries"`
		AwaitingDesk []statementLine  `json:"awaiting_desk"`
		HeldUnloads  []heldUnloadLine `json:"held_unloads"`
	}
	statementLine struct {
		At         string `json:"at"`
		Kind       string `json:"kind"`
		ATC        uint16 `json:"atc"`
		Amount     int64  `json:"amount"`
		State      string `json:"state"`
		Reason     string `json:"reason"`
		TerminalID string `json:"terminal_id"`
		Operator   string `json:"operator"`
		MerchantID string `json:"merchant_id"`
		Seq        int64  `json:"seq"`
		Balance    *int64 `json:"balance_after"`
	}
	loadWire struct {
		PAN       string `json:"pan"`
		PSN       string `json:"psn"`
		ATC       int64  `json:"atc"`
		ARQC      string `json:"arqc"`
		CDOL1Data string `json:"cdol1_data"`
		IAD       string `json:"iad"`
		Amount    int64  `json:"amount"`
		User      string `json:"user"`
		Operator  string `json:"operator"`
		Balance   *int64 `json:"balance,omitempty"`
	}
	loadAnswerWire struct {
		ARPC    string `json:"arpc"`
		ARC     string `json:"arc"`
		Script  string `json:"script"`
		Balance *int64 `json:"balance"`
	}
	unloadWire struct {
		PAN              string `json:"pan"`
		PSN              string `json:"psn"`
		Amount           int64  `json:"amount"`
		User             string `json:"user"`
		Operator         string `json:"operator"`
		ReturnsLoadATC   *int64 `json:"returns_load_atc,omitempty"`
		CustomerPassword string `json:"customer_password,omitempty"`
		Approver         string `json:"approver,omitempty"`
	}
	unloadAnswerWire struct {
		Balance *int64 `json:"balance"`
		State   string `json:"state"`
		Amount  *int64 `json:"amount"`
		PaysAt  string `json:"pays_at"`
	}
	fileWire struct {
		Operator string `json:"operator"`
		PAN      string `json:"pan"`
		PSN      string `json:"psn"`
		ATC      *int64 `json:"atc"`
		Amount   int64  `json:"amount"`
		Detail   string `json:"detail"`
	}
	exceptionWire struct {
		ID         int64  `json:"id"`
		At         string `json:"at"`
		Kind       string `json:"kind"`
		PAN        string `json:"pan"`
		PSN        string `json:"psn"`
		ATC        uint16 `json:"atc"`
		TerminalID string `json:"terminal_id"`
		MerchantID string `json:"merchant_id"`
		Detail     string `json:"detail"`
		ResolvedAt string `json:"resolved_at"`
		ResolvedBy string `json:"resolved_by"`
		Resolution string `json:"resolution"`
	}
	reentryWire struct {
		PAN      string `json:"pan"`
		PSN      string `json:"psn"`
		ATC      *int64 `json:"atc"`
		Balance  *int64 `json:"balance"`
		Operator string `json:"operator"`
		Note     string `json:"note"`
	}
)

func (w walletWire) app() (app.BankWallet, error) {
	if !digitString(w.PAN, 12, 19) || (w.PSN != "" && !digitString(w.PSN, 2, 2)) {
		return app.BankWallet{}, fmt.Errorf("sync: the bank's wallet names PAN %q PSN %q", w.PAN, w.PSN)
	}
	out := app.BankWallet{PAN: w.PAN, PSN: w.PSN, Status: w.Status, Customer: w.Customer,
		Balance: app.Money(w.Balance), LastATC: w.LastATC, PhoneATC: w.PhoneATC}
	if w.PhoneBalance != nil {
		m := app.Money(*w.PhoneBalance)
		out.PhoneBalance = &m
	}
	out.PhoneUploaded = wireTime(w.PhoneUploaded)
	return out, nil
}

func (s statementWire) app() (app.WalletStatement, error) {
	if !digitString(s.PAN, 12, 19) {
		return app.WalletStatement{}, fmt.Errorf("sync: the bank's statement names PAN %q", s.PAN)
	}
	out := app.WalletStatement{PAN: s.PAN, PSN: s.PSN, Status: s.Status, Customer: s.Customer,
		Balance: app.Money(s.Balance), LastATC: s.LastATC}
	if s.PhoneBalance != nil {
		m := app.Money(*s.PhoneBalance)
		out.PhoneBalance = &m
	}
	for _, l := range s.Entries {
		out.Entries = append(out.Entries, l.app())
	}
	for _, l := range s.AwaitingDesk {
		out.AwaitingDesk = append(out.AwaitingDesk, l.app())
	}
	for _, u := range s.HeldUnloads {
		out.Unloads = append(out.Unloads, u.app())
	}
	return out, nil
}

func (l statementLine) app() app.StatementLine {
	out := app.StatementLine{At: wireTime(l.At), Kind: l.Kind, ATC: l.ATC, Amount: app.Money(l.Amount), State: l.State,
		Reason: l.Reason, TerminalID: l.TerminalID, MerchantID: l.MerchantID, Operator: l.Operator, Seq: l.Seq}
	if l.Balance != nil {
		m := app.Money(*l.Balance)
		out.Balance = &m
	}
	return out
}

// app checks the bank's answer to a load before any of it reaches the
// phone: an ARPC of 8 bytes, a response code of 2, a script that is one
// short command.
func (a loadAnswerWire) app() (app.BankLoadAnswer, error) {
	const call = "sync: POST /v1/teller/loads: the bank's answer"
	arpc, err1 := hex.DecodeString(a.ARPC)
	arc, err2 := hex.DecodeString(a.ARC)
	script, err3 := hex.DecodeString(a.Script)
	switch {
	case err1 != nil || len(arpc) != 8:
		return app.BankLoadAnswer{}, fmt.Errorf("%s: arpc %q is not 8 bytes of hex", call, a.ARPC)
	case err2 != nil || len(arc) != 2:
		return app.BankLoadAnswer{}, fmt.Errorf("%s: arc %q is not 2 bytes of hex", call, a.ARC)
	case err3 != nil || len(script) < 5 || len(script) > 5+255 || int(script[4]) != len(script)-5:
		return app.BankLoadAnswer{}, fmt.Errorf("%s: script %q is not one command", call, a.Script)
	case a.Balance == nil || *a.Balance < 0:
		return app.BankLoadAnswer{}, fmt.Errorf("%s: no balance", call)
	}
	return app.BankLoadAnswer{ARPC: arpc, ARC: [2]byte{arc[0], arc[1]}, Script: script, Balance: app.Money(*a.Balance)}, nil
}

func (e exceptionWire) app() (app.BankException, error) {
	if e.ID < 1 {
		return app.BankException{}, fmt.Errorf("an exception with id %d", e.ID)
	}
	return app.BankException{ID: e.ID, At: wireTime(e.At), Kind: e.Kind, PAN: e.PAN, PSN: e.PSN, ATC: e.ATC,
		TerminalID: e.TerminalID, MerchantID: e.MerchantID, Detail: e.Detail,
		ResolvedAt: wireTime(e.ResolvedAt), ResolvedBy: e.ResolvedBy, Resolution: e.Resolution}, nil
}

// wireTime reads the bank's times (RFC 3339; a phone's purchase date is a
// day); one it cannot read is the zero time, shown as unknown, rather
// than a reason to drop the whole answer.
func wireTime(s string) time.Time {
	for _, layout := range []string{time.RFC3339Nano, time.DateOnly} {
		if t, err := time.Parse(layout, s); err == nil {
			return t
		}
	}
	return time.Time{}
}

func digitString(s string, lo, hi int) bool {
	if len(s) < lo || len(s) > hi {
		return false
	}
	return strings.Trim(s, "0123456789") == ""
}
