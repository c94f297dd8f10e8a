package bank

import (
	"errors"
	"net/http"
	"strconv"
)

// ExceptionJSON is one entry of the exception queue on the wire.
type ExceptionJSON struct {
	ID         int64  `json:"id"`
	At         string `json:"at"`
	Kind       string `json:"kind"`
	PAN        string `json:"pan"`
	PSN        string `json:"psn"`
	ATC        uint16 `json:"atc"`
	TerminalID string `json:"terminal_id,omitempty"`
	MerchantID string `json:"merchant_id,omitempty"`
	MessageKey string `json:"message_key,omitempty"`
	Detail     string `json:"detail"`
	// How a teller closed it; absent while it is open.
	ResolvedAt string `json:"resolved_at,omitempty"`
	ResolvedBy string `json:"resolved_by,omitempty"`
	Resolution string `json:"resolution,omitempty"`
}

func exceptionJSON(e Exception, mask bool) ExceptionJSON {
	pan := e.PAN
	if mask {
		pan = MaskPAN(pan)
	}
	out := ExceptionJSON{ID: e.ID, At: wireTime(e.At), Kind: e.Kind, PAN: pan, PSN: e.PSN, ATC: e.ATC,
		TerminalID: e.TerminalID, MerchantID: e.MerchantID, MessageKey: e.MessageKey, Detail: e.Detail}
	if !e.Resolved.At.IsZero() {
		out.ResolvedAt, out.ResolvedBy, out.Resolution = wireTime(e.Resolved.At), e.Resolved.By, e.Resolved.Note
	}
	return out
}

// ExceptionsResponse is the answer to GET /v1/teller/exceptions.
type ExceptionsResponse struct {
	Exceptions []ExceptionJSON `json:"exceptions"`
}

// maxExceptions bounds the exception queue's answer: the newest first.
const maxExceptions = 1000

// handleExceptions lists the queue, open, resolved or all (the default).
func (b *Bank) handleExceptions(w http.ResponseWriter, r *http.Request, _ caller) error {
	state := ExceptionState(r.URL.Query().Get("state"))
	switch state {
	case "":
		state = ExceptionsAll
	case ExceptionsOpen, ExceptionsResolved, ExceptionsAll:
	default:
		return badRequest("state must be open, resolved or all")
	}
	var list []Exception
	err := b.store.Read(r.Context(), func(tx Tx) error {
		var err error
		list, err = tx.ExceptionQueue(state, maxExceptions)
		return err
	})
	if err != nil {
		return internal(err)
	}
	resp := ExceptionsResponse{Exceptions: make([]ExceptionJSON, 0, len(list))}
	for _, e := range list {
		resp.Exceptions = append(resp.Exceptions, exceptionJSON(e, false))
	}
	writeJSON(w, http.StatusOK, resp)
	return nil
}

type resolveRequest struct {
	Operator string `json:"operator"`
	Note     string `json:"note"`
}

// handleResolveException closes one exception with the teller's note:
// what was found and done. A closed one stays closed: its first
// resolution is the record.
func (b *Bank) handleResolveException(w http.ResponseWriter, r *http.Request, c caller) error {
	var req resolveRequest
	key, body, err := readPost(w, r, &req)
	if err != nil {
		return err
	}
	exID, perr := strconv.ParseInt(r.PathValue("id"), 10, 64)
	switch {
	case perr != nil || exID < 1:
		return badRequest("the exception's id must be a positive number")
	case !validOperator(req.Operator):
		return badRequest(operatorRule)
	case !validNote(req.Note):
		return badRequest(noteRule)
	}
	id := newIdem(c.client(), key, body)
	if done, err := b.precheck(w, r, id); done || err != nil {
		return err
	}
	var done bool
	err = b.commit(w, r, id, func(tx Tx) (answer, error) {
		err := tx.ResolveException(exID, Resolution{At: b.now(), By: req.Operator, Note: req.Note})
		switch {
		case isNotFound(err):
			return answer{}, apiErr(http.StatusNotFound, CodeNotFound, "no exception has this id")
		case errors.Is(err, ErrExists):
			return answer{}, apiErr(http.StatusConflict, CodeConflict, "this exception was resolved already")
		case err != nil:
			return answer{}, err
		}
		e, err := tx.Exception(exID)
		if err != nil {
			return answer{}, err
		}
		done = true
		return answer{status: http.StatusOK, body: exceptionJSON(e, false)}, nil
	})
	if done && err == nil {
		b.logTeller("teller resolved an exception", c, req.Operator, "exception", exID)
	}
	return err
}
