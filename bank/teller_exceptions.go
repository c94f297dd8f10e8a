package bank

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"lingqian/issuance"
)

// ExceptionUnfinishedLoad is a load a teller's desk could not settle: the
// bank approved it (or may have), and the desk could not tell whether the
// phone took the script, or could not give the money back. Someone must
// compare the phone with the statement.
const ExceptionUnfinishedLoad = "unfinished_load"

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

type fileExceptionRequest struct {
	Operator string `json:"operator"`
	PAN      string `json:"pan"`
	PSN      string `json:"psn"`
	ATC      *int64 `json:"atc"`
	Amount   int64  `json:"amount"`
	Detail   string `json:"detail"`
}

// maxDetail bounds what a desk writes of an unfinished load, in characters.
const maxDetail = 500

// handleFileException queues an unfinished load a teller's desk could not
// settle: once it is in the queue the desk forgets it, and the back
// office finishes it against the phone and the statement. It moves no
// money.
func (b *Bank) handleFileException(w http.ResponseWriter, r *http.Request, c caller) error {
	var req fileExceptionRequest
	key, body, err := readPost(w, r, &req)
	if err != nil {
		return err
	}
	switch {
	case issuance.CheckPAN(req.PAN) != nil || !digits(req.PSN, 2):
		return badRequest("pan and psn must be a wallet's")
	case req.ATC == nil || *req.ATC < 1 || *req.ATC > 0xFFFF:
		return badRequest("atc must be the load's, 1 to 65535")
	case req.Amount < 1 || req.Amount > maxAmount:
		return badRequest("amount must be 1 to %d fen", maxAmount)
	case !validOperator(req.Operator):
		return badRequest(operatorRule)
	case !validDetail(req.Detail):
		return badRequest("detail must be 1 to %d printable characters", maxDetail)
	}
	id := newIdem(c.client(), key, body)
	if done, err := b.precheck(w, r, id); done || err != nil {
		return err
	}
	atc := uint16(*req.ATC)
	var done bool
	err = b.commit(w, r, id, func(tx Tx) (answer, error) {
		wal, err := tx.Wallet(req.PAN, req.PSN)
		switch {
		case isNotFound(err):
			return answer{}, apiErr(http.StatusNotFound, CodeNotFound, "no wallet has this PAN and PSN")
		case err != nil:
			return answer{}, err
		}
		e := Exception{At: b.now(), Kind: ExceptionUnfinishedLoad, PAN: wal.PAN, PSN: wal.PSN, ATC: atc,
			TerminalID: c.desk.TerminalID, MerchantID: c.desk.MerchantID,
			Detail: fmt.Sprintf("load of %s at ATC %d, filed by %s: %s", formatFen(req.Amount), atc, req.Operator, req.Detail)}
		if err := tx.AddException(&e); err != nil {
			return answer{}, err
		}
		done = true
		return answer{status: http.StatusOK, body: exceptionJSON(e, false)}, nil
	})
	if done && err == nil {
		b.logTeller("teller filed an unfinished load", c, req.Operator, "pan", MaskPAN(req.PAN), "psn", req.PSN, "atc", atc,
			"amount", req.Amount)
	}
	return err
}

// validDetail is validNote with room for what a desk read from the phone.
func validDetail(s string) bool {
	if !utf8.ValidString(s) || strings.TrimSpace(s) == "" || utf8.RuneCountInString(s) > maxDetail {
		return false
	}
	for _, c := range s {
		if !unicode.IsGraphic(c) {
			return false
		}
	}
	return true
}
