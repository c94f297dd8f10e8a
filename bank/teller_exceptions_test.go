package bank_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"lingqian/bank"
	"lingqian/bank/banktest"
)

// twoBreaks gives the wallet of s two balance_chain exceptions: each
// upload follows purchases the phone's lost log never sent.
func twoBreaks(t *testing.T, s *spender) {
	t.Helper()
	for range 2 {
		s.spend(1000)
		s.loseLog()
		s.spend(500)
		if up := s.upload(); len(up.Rejected) != 1 {
			t.Fatalf("upload %+v", up)
		}
	}
}

func ids(list []bank.ExceptionJSON) []int64 {
	out := []int64{}
	for _, x := range list {
		out = append(out, x.ID)
	}
	return out
}

func TestTeller_ExceptionQueueIsResolvedOneByOne(t *testing.T) {
	// Given two open exceptions of a wallet
	e := newEnv(t)
	s := newSpender(t, e, "alice", 50000)
	teller := e.desk("BRANCH1", true)
	twoBreaks(t, s)
	all := exceptions(t, e, teller, "all", s.w.PAN())
	if len(all) != 2 || all[0].ID < all[1].ID {
		t.Fatalf("queue %+v: want two, newest first", all)
	}
	older, newer := all[1], all[0]

	// When the teller resolves the older one with a note in Chinese
	note := "已核对：顾客手机重装，日志丢失"
	key := banktest.NewKey("resolve")
	body := map[string]string{"operator": "t1", "note": note}
	path := fmt.Sprintf("/v1/teller/exceptions/%d/resolve", older.ID)
	first, err := teller.Client.Call(e.ctx, "POST", path, key, body, nil)
	if err != nil {
		t.Fatal(err)
	}

	// Then the answer is the item, resolved by the operator with the note
	var item bank.ExceptionJSON
	if err := json.Unmarshal(first.Body, &item); err != nil {
		t.Fatal(err)
	}
	if item.ID != older.ID || item.ResolvedBy != "t1" || item.Resolution != note || item.ResolvedAt == "" ||
		item.Kind != older.Kind || item.Detail != older.Detail {
		t.Errorf("resolved item %+v", item)
	}
	// And the queue tells open from resolved, newest first
	for state, want := range map[string][]int64{"open": {newer.ID}, "resolved": {older.ID}, "all": {newer.ID, older.ID}, "": {newer.ID, older.ID}} {
		var resp bank.ExceptionsResponse
		if _, err := teller.Client.Call(e.ctx, "GET", "/v1/teller/exceptions?state="+state, "", nil, &resp); err != nil {
			t.Fatal(err)
		}
		if got := ids(resp.Exceptions); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("state %q: %v, want %v", state, got, want)
		}
	}
	// And an open item carries no resolution fields at all
	raw, _ := teller.Client.Raw(e.ctx, "GET", "/v1/teller/exceptions?state=open", "", nil)
	if bytes.Contains(raw.Body, []byte("resolved_at")) || bytes.Contains(raw.Body, []byte("resolution")) {
		t.Errorf("open queue %s", raw.Body)
	}

	// When the same request is sent again with its key
	again, err := teller.Client.Call(e.ctx, "POST", path, key, body, nil)
	// Then it gets the first answer
	if err != nil || again.Status != http.StatusOK || !bytes.Equal(again.Body, first.Body) {
		t.Errorf("replay: %v %d %s", err, again.Status, again.Body)
	}

	cases := []resolveCase{
		{"resolved already", teller.Client, "new", path, body, http.StatusConflict, bank.CodeConflict},
		{"the key again with another note", teller.Client, key, path, map[string]string{"operator": "t1", "note": "other"},
			http.StatusConflict, bank.CodeConflict},
		{"no such exception", teller.Client, "new", "/v1/teller/exceptions/999999/resolve", body, http.StatusNotFound, bank.CodeNotFound},
		{"an id that is not a number", teller.Client, "new", "/v1/teller/exceptions/x1/resolve", body, http.StatusBadRequest, bank.CodeBadRequest},
		{"an id of 0", teller.Client, "new", "/v1/teller/exceptions/0/resolve", body, http.StatusBadRequest, bank.CodeBadRequest},
		{"a shop's desk", s.shop.Client, "new", fmt.Sprintf("/v1/teller/exceptions/%d/resolve", newer.ID), body,
			http.StatusForbidden, bank.CodeForbidden},
		{"no Idempotency-Key", teller.Client, "", fmt.Sprintf("/v1/teller/exceptions/%d/resolve", newer.ID), body,
			http.StatusBadRequest, bank.CodeBadRequest},
	}
	for _, tc := range append(cases, badNotes(fmt.Sprintf("/v1/teller/exceptions/%d/resolve", newer.ID), teller.Client)...) {
		t.Run(tc.name, func(t *testing.T) {
			k := tc.key
			if k == "new" {
				k = banktest.NewKey("resolve")
			}
			r, err := tc.client.Call(e.ctx, "POST", tc.path, k, tc.body, nil)
			if r.Status != tc.status || r.Code() != tc.code {
				t.Fatalf("%d %s (%v), want %d %s", r.Status, r.Body, err, tc.status, tc.code)
			}
		})
	}
	// And none of the refusals touched the newer one
	if open := exceptions(t, e, teller, "open", s.w.PAN()); len(open) != 1 || open[0].ID != newer.ID {
		t.Errorf("open %+v", open)
	}
	r, _ := teller.Client.Raw(e.ctx, "GET", "/v1/teller/exceptions?state=closed", "", nil)
	if r.Status != http.StatusBadRequest {
		t.Errorf("state=closed: %d %s", r.Status, r.Body)
	}
}

// resolveCase is a resolve request and the refusal it must get; key
// "new" is a fresh Idempotency-Key.
type resolveCase struct {
	name   string
	client *banktest.Client
	key    string
	path   string
	body   map[string]string
	status int
	code   string
}

// badNotes are resolve requests to path whose operator or note is not one.
func badNotes(path string, c *banktest.Client) []resolveCase {
	bad := map[string]map[string]string{
		"no operator":                  {"note": "checked"},
		"an operator with a space":     {"operator": "t 1", "note": "checked"},
		"an operator of 33 characters": {"operator": strings.Repeat("t", 33), "note": "checked"},
		"an operator in Chinese":       {"operator": "张三", "note": "checked"},
		"no note":                      {"operator": "t1"},
		"a note of spaces":             {"operator": "t1", "note": " \u3000 "},
		"a note of 201 characters":     {"operator": "t1", "note": strings.Repeat("核", 201)},
		"a note with a line break":     {"operator": "t1", "note": "checked\nok"},
		"a note that reorders text":    {"operator": "t1", "note": "checked \u202Eko"},
	}
	var out []resolveCase
	for name, body := range bad {
		out = append(out, resolveCase{name, c, "new", path, body, http.StatusBadRequest, bank.CodeBadRequest})
	}
	return out
}

func TestTeller_ResolveTakesANoteOf200Characters(t *testing.T) {
	e := newEnv(t)
	s := newSpender(t, e, "alice", 50000)
	teller := e.desk("BRANCH1", true)
	twoBreaks(t, s)
	open := exceptions(t, e, teller, "open", s.w.PAN())
	note := strings.Repeat("核", 200)
	var item bank.ExceptionJSON
	if _, err := teller.Client.Call(e.ctx, "POST", fmt.Sprintf("/v1/teller/exceptions/%d/resolve", open[0].ID),
		banktest.NewKey("resolve"), map[string]string{"operator": "A.b_c-9", "note": note}, &item); err != nil {
		t.Fatal(err)
	}
	if item.Resolution != note || item.ResolvedBy != "A.b_c-9" {
		t.Errorf("item %+v", item)
	}
}
