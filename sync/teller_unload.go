package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/go-resty/resty/v2"

	"lingqian/app"
)

// signedRetry is RetryCondition for a signed unload: never on a 429.
func signedRetry(resp *resty.Response, err error) bool {
	if err == nil && resp != nil && resp.StatusCode() == http.StatusTooManyRequests {
		return false
	}
	return RetryCondition(resp, err)
}

// postSigned sends a signed unload under key. It is Client.call with the
// answer's Retry-After kept: every 4xx, a 429 too, is the bank's refusal
// (*app.BankError with RetryAfter when the bank names one), which the
// teller hears at once; a bank that cannot be reached or fails (5xx)
// after the retries is app.ErrBankUnavailable, as for every teller call.
func (t *Teller) postSigned(ctx context.Context, path, key string, body, out any) error {
	name := "POST " + path
	if key == "" {
		return fmt.Errorf("sync: %s: no Idempotency-Key", name)
	}
	b, err := json.Marshal(body)
	if err != nil {
		return fmt.Errorf("sync: encoding %s: %w", name, err)
	}
	resp, err := t.signed.R().SetContext(ctx).SetHeader("Content-Type", "application/json").
		SetHeader("Idempotency-Key", key).SetBody(b).Execute(http.MethodPost, path)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // the URL is said once, below
		}
		switch {
		case ctx.Err() != nil:
			return fmt.Errorf("%s: %w", name, ctx.Err())
		case retryableError(err):
			return tellerError(fmt.Errorf("%s at %s: %w: %w", name, t.c.base, ErrUnavailable, err))
		}
		return fmt.Errorf("%s at %s: %w", name, t.c.base, err)
	}
	code := resp.StatusCode()
	if code >= 200 && code <= 299 {
		if err := decodeStrict(resp.Body(), out); err != nil {
			return fmt.Errorf("%s: the bank's answer: %w", name, err)
		}
		return nil
	}
	api := apiError(name, code, resp.Body())
	var e *APIError
	if !errors.As(api, &e) || code >= 500 {
		return tellerError(api)
	}
	refusal := &app.BankError{Status: e.Status, Code: e.Code, Message: e.Message, Err: e}
	now := time.Now()
	if d := ParseRetryAfter(resp.Header().Get("Retry-After"), now); d > 0 {
		refusal.RetryAfter = now.Add(d)
	}
	return refusal
}

// app reads the bank's answer to an unload of asked: held with the day
// it pays, or paid. A bank of before holds says neither: it paid at
// once. A day that cannot be read is the zero time, said as "when the
// settlement window ends", rather than a reason to drop an answer whose
// unload is done.
func (a unloadAnswerWire) app(asked app.Money) (app.BankUnloadAnswer, error) {
	if a.Balance == nil || *a.Balance < 0 {
		return app.BankUnloadAnswer{}, errors.New("no balance")
	}
	out := app.BankUnloadAnswer{Balance: app.Money(*a.Balance), Amount: asked}
	if a.Amount != nil {
		if *a.Amount < 1 || *a.Amount > int64(asked) {
			return app.BankUnloadAnswer{}, fmt.Errorf("amount %d for an unload of %d", *a.Amount, asked)
		}
		out.Amount = app.Money(*a.Amount)
	}
	switch app.UnloadState(a.State) {
	case "", app.UnloadPaid:
		out.State = app.UnloadPaid
	case app.UnloadHeld:
		out.State = app.UnloadHeld
		if t, err := time.Parse(time.RFC3339Nano, a.PaysAt); err == nil {
			out.PaysAt = t
		}
	default:
		return app.BankUnloadAnswer{}, fmt.Errorf("state %q: neither held nor paid", a.State)
	}
	return out, nil
}

// heldUnloadLine is an unload on the statement: held, or paid with what
// the window's purchases left of it.
type heldUnloadLine struct {
	At         string `json:"at"`
	Amount     int64  `json:"amount"`
	State      string `json:"state"`
	PaysAt     string `json:"pays_at"`
	PaidAt     string `json:"paid_at"`
	Paid       *int64 `json:"paid"`
	TerminalID string `json:"terminal_id"`
	Operator   string `json:"operator"`
	Approver   string `json:"approver"`
}

// app reads a statement's unload as it stands; a state this desk does
// not know is kept as the bank said it, for the teller to ask about.
func (l heldUnloadLine) app() app.StatementUnload {
	out := app.StatementUnload{At: wireTime(l.At), Amount: app.Money(l.Amount), State: app.UnloadState(l.State),
		PaysAt: wireTime(l.PaysAt), PaidAt: wireTime(l.PaidAt), TerminalID: l.TerminalID, Operator: l.Operator, Approver: l.Approver}
	if l.Paid != nil {
		m := app.Money(*l.Paid)
		out.Paid = &m
	}
	return out
}
