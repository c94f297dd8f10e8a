package sync

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"lingqian/emv/oda"
)

// Batch is a body ready to POST: its messages, the bytes sent on every
// attempt and its Idempotency-Key.
type Batch struct {
	Messages []Message
	Body     []byte
	Key      string
}

// NewBatch encodes messages in order. The key is derived from the first
// and last messages' keys and the count: the desk sends the oldest unsent
// entries first, so the same first, last and count mean the same
// messages, and a batch sent again after a lost answer is the same
// request — the bank answers it as the first time.
func NewBatch(msgs []Message) (Batch, error) {
	if len(msgs) == 0 {
		return Batch{}, errors.New("sync: an empty batch")
	}
	body, err := json.Marshal(batchRequest{Messages: msgs})
	if err != nil {
		return Batch{}, fmt.Errorf("sync: encoding a batch: %w", err)
	}
	return Batch{Messages: msgs, Body: body, Key: BatchKey(msgs[0].Key, msgs[len(msgs)-1].Key, len(msgs))}, nil
}

// BatchKey is a batch's Idempotency-Key: 70 printable characters.
func BatchKey(first, last string, n int) string {
	h := sha256.Sum256([]byte(first + "\x00" + last + "\x00" + strconv.Itoa(n)))
	return "batch-" + hex.EncodeToString(h[:32])
}

// SendBatch posts a batch and checks the answer matches it: one result per
// message, in order, naming the same key.
func (c *Client) SendBatch(ctx context.Context, b Batch) ([]Result, error) {
	ans, err := c.sendBatch(ctx, b, b.Body)
	return ans.Results, err
}

// sendBatch posts b's messages with body, which may carry more than b.Body
// (the hotlist version, the chains).
//
// Should the bank hold the batch key for another body (409 conflict: the
// same first and last messages encoded differently, say by an older
// version of the desk, or sent with other chain heads after an answer was
// lost), the batch goes once more under a key derived from its body: each
// message keeps its own key, so the bank still posts it only once.
func (c *Client) sendBatch(ctx context.Context, b Batch, body []byte) (batchAnswer, error) {
	var ans batchAnswer
	err := c.call(ctx, "POST", "/v1/desk/batches", b.Key, body, &ans)
	var api *APIError
	if errors.As(err, &api) && api.Status == http.StatusConflict && (api.Code == "conflict" || api.Code == "") {
		h := sha256.Sum256(body)
		ans = batchAnswer{}
		err = c.call(ctx, "POST", "/v1/desk/batches", "batch-body-"+hex.EncodeToString(h[:]), body, &ans)
	}
	if err != nil {
		return batchAnswer{}, err
	}
	if len(ans.Results) != len(b.Messages) {
		return batchAnswer{}, fmt.Errorf("sync: POST /v1/desk/batches: the bank answered %d results for %d messages", len(ans.Results), len(b.Messages))
	}
	for i, r := range ans.Results {
		m := b.Messages[i]
		if (r.Key != "" && r.Key != m.Key) || (r.Seq != 0 && r.Seq != m.Seq) {
			return batchAnswer{}, fmt.Errorf("sync: POST /v1/desk/batches: result %d names %q (seq %d), the message was %q (seq %d)", i+1, r.Key, r.Seq, m.Key, m.Seq)
		}
	}
	for _, a := range ans.Anchors {
		if a.Name == "" || a.Seq < 0 {
			return batchAnswer{}, fmt.Errorf("sync: POST /v1/desk/batches: the bank answered an anchor %q at %d", a.Name, a.Seq)
		}
	}
	return ans, nil
}

// bodyWith is the batch's body with the hotlist version and the chains
// after its messages: b.Body is {"messages":[…]}, and the other fields go
// before its closing brace, so the messages are encoded once however
// often the chains change.
func (b Batch) bodyWith(hotlist int64, chains []ChainHead) ([]byte, error) {
	extra, err := json.Marshal(struct {
		HotlistVersion int64       `json:"hotlist_version,omitempty"`
		Chains         []ChainHead `json:"chains,omitempty"`
	}{hotlist, chains})
	if err != nil {
		return nil, fmt.Errorf("sync: encoding a batch's chains: %w", err)
	}
	if len(extra) <= 2 || len(b.Body) < 2 || b.Body[len(b.Body)-1] != '}' {
		return b.Body, nil
	}
	body := make([]byte, 0, len(b.Body)+len(extra))
	body = append(body, b.Body[:len(b.Body)-1]...)
	body = append(body, ',')
	return append(body, extra[1:]...), nil
}

// Feed pulls the reconciliation feed for messages after sinceSeq.
func (c *Client) Feed(ctx context.Context, sinceSeq int64) (Feed, error) {
	var f Feed
	err := c.call(ctx, "GET", "/v1/desk/reconciliation?since_seq="+strconv.FormatInt(sinceSeq, 10), "", nil, &f)
	return f, err
}

// CAKeys pulls the CA public key file (DESIGN section 7), checks every
// key's checksum and returns the file as the bank sent it with the keys.
func (c *Client) CAKeys(ctx context.Context) ([]byte, []oda.CAPK, error) {
	var raw json.RawMessage
	if err := c.call(ctx, "GET", "/v1/desk/capk", "", nil, &raw); err != nil {
		return nil, nil, err
	}
	keys, err := oda.ParseFile(raw)
	if err != nil {
		return nil, nil, fmt.Errorf("sync: GET /v1/desk/capk: %w", err)
	}
	return raw, keys, nil
}

// Hotlist pulls the list of blocked wallets.
func (c *Client) Hotlist(ctx context.Context) (*Hotlist, error) {
	var h Hotlist
	if err := c.call(ctx, "GET", "/v1/desk/hotlist", "", nil, &h); err != nil {
		return nil, err
	}
	if err := h.validate(); err != nil {
		return nil, fmt.Errorf("sync: GET /v1/desk/hotlist: %w", err)
	}
	h.index()
	return &h, nil
}

// Enroll trades a one-time code and a certificate request for the desk's
// identity. Its Idempotency-Key is derived from the code, so asking again
// with the same code and the same request gets the first answer back.
func (c *Client) Enroll(ctx context.Context, code string, csrPEM []byte) (Enrolment, error) {
	code = strings.TrimSpace(code)
	if code == "" {
		return Enrolment{}, errors.New("sync: no enrolment code")
	}
	body, err := json.Marshal(enrolRequest{Code: code, CSR: string(csrPEM)})
	if err != nil {
		return Enrolment{}, fmt.Errorf("sync: encoding the enrolment: %w", err)
	}
	h := sha256.Sum256([]byte(code))
	var e Enrolment
	if err := c.call(ctx, "POST", "/v1/enroll", "enroll-"+hex.EncodeToString(h[:16]), body, &e); err != nil {
		return Enrolment{}, err
	}
	if e.TerminalID == "" || e.MerchantID == "" || e.Certificate == "" || e.CA == "" {
		return Enrolment{}, errors.New("sync: POST /v1/enroll: the bank's answer lacks the terminal id, merchant id, certificate or CA")
	}
	return e, nil
}
