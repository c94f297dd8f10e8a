package bank

import (
	"bytes"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// Error codes of docs/bank-api.md: stable, for software to act on.
const (
	CodeBadRequest        = "bad_request"
	CodeTooLarge          = "too_large"
	CodeUnauthenticated   = "unauthenticated"
	CodeForbidden         = "forbidden"
	CodeNotFound          = "not_found"
	CodeConflict          = "conflict"
	CodeRateLimited       = "rate_limited"
	CodeInvalidCode       = "invalid_code"
	CodeWrongPassword     = "wrong_password"
	CodeInsufficientFunds = "insufficient_funds"
	CodeHotlisted         = "hotlisted"
	CodeInternal          = "internal"
)

// MaxBody bounds every request body.
const MaxBody = 1 << 20

// APIError is an answer with a status of 400 or more: a stable code and a
// sentence safe to show a person. The cause, if any, is for the log only.
type APIError struct {
	Status  int
	Code    string
	Message string
	Cause   error
	// RetryAfter, when set, is sent as Retry-After: when trying again
	// may succeed.
	RetryAfter time.Duration
}

func (e *APIError) Error() string {
	if e.Cause != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Cause)
	}
	return e.Code + ": " + e.Message
}

func (e *APIError) Unwrap() error { return e.Cause }

func apiErr(status int, code, format string, a ...any) *APIError {
	return &APIError{Status: status, Code: code, Message: fmt.Sprintf(format, a...)}
}

func badRequest(format string, a ...any) *APIError {
	return apiErr(http.StatusBadRequest, CodeBadRequest, format, a...)
}

// internal hides what went wrong from the caller and keeps it for the log.
func internal(err error) *APIError {
	return &APIError{Status: http.StatusInternalServerError, Code: CodeInternal,
		Message: "the bank could not complete the request; try again", Cause: err}
}

type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// writeError answers with err as JSON; an error that is not an APIError is
// internal.
func writeError(w http.ResponseWriter, err error) *APIError {
	var ae *APIError
	if !errors.As(err, &ae) {
		ae = internal(err)
	}
	var body errorBody
	body.Error.Code, body.Error.Message = ae.Code, ae.Message
	data, _ := json.Marshal(body)
	if ae.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int((ae.RetryAfter+time.Second-1)/time.Second)))
	}
	writeRaw(w, ae.Status, append(data, '\n'))
	return ae
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		writeError(w, internal(err))
		return
	}
	writeRaw(w, status, append(data, '\n'))
}

func writeRaw(w http.ResponseWriter, status int, data []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	_, _ = w.Write(data)
}

// readBody reads the whole body, at most MaxBody bytes.
func readBody(w http.ResponseWriter, r *http.Request) ([]byte, error) {
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, apiErr(http.StatusRequestEntityTooLarge, CodeTooLarge, "the body is over %d bytes", MaxBody)
	case err != nil:
		return nil, badRequest("the body could not be read")
	}
	return data, nil
}

// decode reads exactly one JSON value into v, refusing unknown fields and
// anything after the value.
func decode(body []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return badRequest("the body is empty")
		}
		return badRequest("the body is not the JSON this call takes: %v", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return badRequest("the body holds more than one JSON value")
	}
	return nil
}

// idempotencyKey reads the Idempotency-Key header: 1 to 128 printable
// ASCII characters.
func idempotencyKey(r *http.Request) (string, error) {
	k := r.Header.Get("Idempotency-Key")
	if k == "" {
		return "", badRequest("the Idempotency-Key header is missing")
	}
	if !printable(k, 128) {
		return "", badRequest("the Idempotency-Key must be 1 to 128 printable ASCII characters")
	}
	return k, nil
}

func printable(s string, maxLen int) bool {
	if s == "" || len(s) > maxLen {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7E {
			return false
		}
	}
	return true
}

// answer is what a write produced: the status and body sent, and the body
// remembered for a replay when that must differ (it must not hold
// secrets; restore puts them back).
type answer struct {
	status int
	body   any
	stored any // nil: body
	// unsettled: part of the request got no verdict (internal_error), so
	// the answer is not remembered: the same request again is cleared
	// again, and what was settled answers as a duplicate.
	unsettled bool
}

// idem is one idempotent write: the caller's key and body, who the caller
// is, and how to put back what a stored answer leaves out.
type idem struct {
	client, key string
	bodyHash    []byte
	restore     func(stored []byte) ([]byte, error)
}

func newIdem(client, key string, body []byte) idem {
	h := sha256.Sum256(body)
	return idem{client: client, key: key, bodyHash: h[:]}
}

// replayed answers from a stored record: the same answer again for the
// same body, 409 for another.
func (b *Bank) replayed(w http.ResponseWriter, id idem, rec IdemRecord) error {
	if subtle.ConstantTimeCompare(rec.BodyHash, id.bodyHash) != 1 {
		return apiErr(http.StatusConflict, CodeConflict, "this Idempotency-Key was used with another body")
	}
	data := rec.Response
	if id.restore != nil {
		var err error
		if data, err = id.restore(data); err != nil {
			return internal(fmt.Errorf("restoring a stored answer: %w", err))
		}
	}
	writeRaw(w, rec.Status, data)
	return nil
}

// precheck answers at once when the key was used before, sparing the
// work (password hashes, signatures) a replay does not need; ok says it
// answered.
func (b *Bank) precheck(w http.ResponseWriter, r *http.Request, id idem) (bool, error) {
	var rec IdemRecord
	err := b.store.Read(r.Context(), func(tx Tx) error {
		var err error
		rec, err = tx.Idempotent(id.client, id.key)
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return false, nil
	case err != nil:
		return false, internal(err)
	}
	return true, b.replayed(w, id, rec)
}

// commit runs apply in one write transaction with the idempotency record:
// the answer and every change it describes are committed together, or
// neither is. Only successful answers are remembered, so a request that
// failed may be sent again with the same key once its cause is fixed.
func (b *Bank) commit(w http.ResponseWriter, r *http.Request, id idem, apply func(tx Tx) (answer, error)) error {
	var (
		rec     IdemRecord
		replay  bool
		sent    []byte
		applied answer
	)
	err := b.store.Write(r.Context(), func(tx Tx) error {
		var err error
		rec, err = tx.Idempotent(id.client, id.key)
		if err == nil {
			replay = true // a request with the same key finished first
			return nil
		}
		if !errors.Is(err, ErrNotFound) {
			return err
		}
		if applied, err = apply(tx); err != nil {
			return err
		}
		if sent, err = json.Marshal(applied.body); err != nil {
			return err
		}
		sent = append(sent, '\n')
		if applied.unsettled {
			return nil
		}
		stored := sent
		if applied.stored != nil {
			if stored, err = json.Marshal(applied.stored); err != nil {
				return err
			}
			stored = append(stored, '\n')
		}
		return tx.SaveIdempotent(IdemRecord{Client: id.client, Key: id.key, BodyHash: id.bodyHash,
			Status: applied.status, Response: stored, At: b.now()})
	})
	if err != nil {
		var ae *APIError
		if errors.As(err, &ae) {
			return ae
		}
		return internal(err)
	}
	if replay {
		return b.replayed(w, id, rec)
	}
	writeRaw(w, applied.status, sent)
	return nil
}

// Times on the wire are RFC 3339 in UTC.
func wireTime(t time.Time) string { return t.UTC().Format(time.RFC3339) }

// readPost reads what every write carries: its Idempotency-Key and its
// JSON body, decoded strictly into v. The raw body is kept to tell a
// replay of the same request from another request under the same key.
func readPost(w http.ResponseWriter, r *http.Request, v any) (key string, body []byte, err error) {
	if key, err = idempotencyKey(r); err != nil {
		return "", nil, err
	}
	if body, err = readBody(w, r); err != nil {
		return "", nil, err
	}
	return key, body, decode(body, v)
}
