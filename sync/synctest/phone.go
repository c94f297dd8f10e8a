package synctest

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"

	"lingqian/emv/oda"
	"lingqian/issuance"
)

// phoneState is what the bank knows of customers and their wallets.
type phoneState struct {
	customers map[string]*customer
	tokens    map[string]string   // token → user
	wallets   map[string]string   // PAN → user
	uploaded  map[string][]Upload // PAN → uploads handled
	seen      map[string]bool     // PAN/ATC of records accepted
	// RejectRecord, if set, names the reason a record is refused, or "".
	rejectRecord func(pan string, atc int) string
}

type customer struct {
	password string
	deposit  int64
}

// Upload is a phone's upload as the bank handled it.
type Upload struct {
	PAN     string
	PSN     string
	Balance int64
	ATC     int
	ATCs    []int // of the records
}

func (p *phoneState) init() {
	p.customers = map[string]*customer{}
	p.tokens = map[string]string{}
	p.wallets = map[string]string{}
	p.uploaded = map[string][]Upload{}
	p.seen = map[string]bool{}
}

// AddCustomer opens a customer with a deposit account (fen).
func (b *Bank) AddCustomer(user, password string, deposit int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.phone.customers[user] = &customer{password: password, deposit: deposit}
}

// Deposit is what is left on a customer's deposit account.
func (b *Bank) Deposit(user string) int64 {
	b.mu.Lock()
	defer b.mu.Unlock()
	if c, ok := b.phone.customers[user]; ok {
		return c.deposit
	}
	return 0
}

// RejectRecords scripts the reason a phone's record is refused ("" accepts it).
func (b *Bank) RejectRecords(f func(pan string, atc int) string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.phone.rejectRecord = f
}

// Uploads are the uploads handled for a wallet.
func (b *Bank) Uploads(pan string) []Upload {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]Upload(nil), b.phone.uploaded[pan]...)
}

func (b *Bank) login(body []byte) (int, []byte) {
	var req struct {
		User     string `json:"user"`
		Password string `json:"password"`
	}
	if err := decode(body, &req); err != nil {
		return errorAnswer(http.StatusBadRequest, "bad_request", err.Error())
	}
	c, ok := b.phone.customers[req.User]
	if !ok || c.password != req.Password {
		return errorAnswer(http.StatusUnauthorized, "wrong_password", "the user name or the password is wrong")
	}
	raw := make([]byte, 16)
	_, _ = rand.Read(raw)
	tok := hex.EncodeToString(raw)
	b.phone.tokens[tok] = req.User
	return answerJSON(http.StatusOK, map[string]string{"token": tok, "expires": time.Now().Add(12 * time.Hour).UTC().Format(time.RFC3339)})
}

func (b *Bank) voucher(client string, body []byte) (int, []byte) {
	user, ok := strings.CutPrefix(client, "customer:")
	if !ok {
		return errorAnswer(http.StatusUnauthorized, "unauthenticated", "log in first")
	}
	var req struct {
		ICC struct {
			Modulus  issuance.Hex `json:"modulus"`
			Exponent issuance.Hex `json:"exponent"`
		} `json:"icc_public_key"`
		Load int64 `json:"load"`
	}
	if err := decode(body, &req); err != nil {
		return errorAnswer(http.StatusBadRequest, "bad_request", err.Error())
	}
	c := b.phone.customers[user]
	if req.Load <= 0 || req.Load > issuance.MaxAmount {
		return errorAnswer(http.StatusBadRequest, "bad_request", "load out of range")
	}
	if c.deposit < req.Load {
		return errorAnswer(http.StatusPaymentRequired, "insufficient_funds", "the deposit account does not hold the load")
	}
	if b.opts.Issuer == nil {
		iss, err := issuance.New(issuance.Options{})
		if err != nil {
			return errorAnswer(http.StatusInternalServerError, "internal", err.Error())
		}
		b.opts.Issuer = iss
	}
	p, err := b.opts.Issuer.Issue(issuance.Request{ICCKey: oda.PublicKey{Modulus: req.ICC.Modulus, Exponent: req.ICC.Exponent}, Balance: req.Load})
	if err != nil {
		return errorAnswer(http.StatusBadRequest, "bad_request", err.Error())
	}
	capk, err := oda.MarshalFile([]oda.CAPK{b.opts.Issuer.CAPK()})
	if err != nil {
		return errorAnswer(http.StatusInternalServerError, "internal", err.Error())
	}
	c.deposit -= req.Load
	b.phone.wallets[p.PAN] = user
	return answerJSON(http.StatusOK, map[string]any{"personalisation": p, "capk": json.RawMessage(capk)})
}

func (b *Bank) upload(client string, body []byte) (int, []byte) {
	user, ok := strings.CutPrefix(client, "customer:")
	if !ok {
		return errorAnswer(http.StatusUnauthorized, "unauthenticated", "log in first")
	}
	var req struct {
		PAN     string            `json:"pan"`
		PSN     string            `json:"psn"`
		Balance int64             `json:"balance"`
		ATC     int               `json:"atc"`
		Records []json.RawMessage `json:"records"`
	}
	if err := decode(body, &req); err != nil {
		return errorAnswer(http.StatusBadRequest, "bad_request", err.Error())
	}
	if b.phone.wallets[req.PAN] != user {
		return errorAnswer(http.StatusForbidden, "forbidden", "the wallet is not this customer's")
	}
	type rejected struct {
		ATC    int    `json:"atc"`
		Reason string `json:"reason"`
	}
	ans := struct {
		Accepted  int        `json:"accepted"`
		Duplicate int        `json:"duplicate"`
		Rejected  []rejected `json:"rejected"`
	}{Rejected: []rejected{}}
	up := Upload{PAN: req.PAN, PSN: req.PSN, Balance: req.Balance, ATC: req.ATC}
	for i, raw := range req.Records {
		var rec struct {
			ATC *int `json:"atc"`
		}
		if err := json.Unmarshal(raw, &rec); err != nil || rec.ATC == nil {
			return errorAnswer(http.StatusBadRequest, "bad_request", fmt.Sprintf("record %d has no atc", i+1))
		}
		atc := *rec.ATC
		up.ATCs = append(up.ATCs, atc)
		id := fmt.Sprintf("%s/%d", req.PAN, atc)
		switch {
		case b.phone.seen[id]:
			ans.Duplicate++
		case b.phone.rejectRecord != nil && b.phone.rejectRecord(req.PAN, atc) != "":
			ans.Rejected = append(ans.Rejected, rejected{ATC: atc, Reason: b.phone.rejectRecord(req.PAN, atc)})
		default:
			b.phone.seen[id] = true
			ans.Accepted++
		}
	}
	b.phone.uploaded[req.PAN] = append(b.phone.uploaded[req.PAN], up)
	return answerJSON(http.StatusOK, ans)
}
