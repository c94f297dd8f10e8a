// Package emv is the desk's EMV/PBOC terminal kernel for offline e-cash
// purchases with combined dynamic data authentication (CDA), following
// EMV 4.4 Books 2 and 3 and PBOC 3.0 electronic cash. It is pure: it
// talks to a card through the Card interface and keeps no state between
// taps beyond what the caller hands back (torn taps).
package emv

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"lingqian/emv/oda"
	"lingqian/emv/tlv"
)

// KeyStore is what the kernel needs of the CA public keys.
type KeyStore interface {
	Lookup(rid [5]byte, index byte, on time.Time) (oda.CAPK, error)
}

// Terminal is the desk's fixed configuration.
type Terminal struct {
	// AIDs the desk accepts, most preferred first. A card's application
	// matches when its AID starts with one of these (partial selection).
	AIDs [][]byte
	// Country and currency as ISO numeric codes, e.g. "156".
	Country, Currency string
	TerminalType      byte    // 9F35
	Capabilities      [3]byte // 9F33
	AdditionalCaps    [5]byte // 9F40
	TTQ               [4]byte // 9F66, for PBOC contactless cards that ask for it
	AppVersion        [2]byte // 9F09
	TerminalID        string  // 9F1C, 8 characters
	MerchantID        string  // 9F16, 15 characters
	MerchantName      string  // 9F4E
	IFDSerial         string  // 9F1E, 8 characters
	// ECLimit is the EC terminal transaction limit (9F7B) in minor units:
	// purchases from it upward are not e-cash.
	ECLimit int64
	// FloorLimit (9F1B) in minor units: above it the desk would have to go
	// online, which it cannot, so such a purchase is declined.
	FloorLimit int64
	// TACDenial and TACDefault: TVR bits that make the desk decline. An
	// offline-only desk applies both (EMV Book 3 10.7).
	TACDenial, TACDefault TVR

	Keys    KeyStore
	Hotlist func(pan string) bool // nil: no hotlist
	// RecoveryWindow bounds how old a torn tap may be and still be
	// recovered; older ones are left to clearing.
	RecoveryWindow time.Duration
	Random         io.Reader // for the unpredictable number; nil: crypto/rand
}

// DefaultTerminal is a PBOC e-cash desk's configuration; the caller fills
// in ids, limits and keys.
func DefaultTerminal() Terminal {
	return Terminal{
		AIDs: [][]byte{
			{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x01},
			{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x02},
			{0xA0, 0x00, 0x00, 0x03, 0x33, 0x01, 0x01, 0x03},
		},
		Country:        "156",
		Currency:       "156",
		TerminalType:   0x22,                      // merchant-attended, offline only
		Capabilities:   [3]byte{0x20, 0x08, 0x08}, // contactless; no CVM; CDA
		AdditionalCaps: [5]byte{0x60, 0x00, 0xF0, 0xA0, 0x01},
		TTQ:            [4]byte{0x28, 0x00, 0x00, 0x00}, // offline-only contactless, no CVM
		AppVersion:     [2]byte{0x00, 0x30},
		ECLimit:        100000,
		FloorLimit:     100000,
		TACDenial:      TVR{0xBC, 0x70, 0x00, 0x80, 0x00},
		TACDefault:     TVR{0xBC, 0x70, 0x00, 0x80, 0x00},
		RecoveryWindow: 10 * time.Minute,
	}
}

// Purchase is one sale to run.
type Purchase struct {
	Amount int64 // minor units
	Type   byte  // 9C: 00 goods and services
	At     time.Time
	// Recover lists torn taps still open at this desk. If the card tapped
	// is one of theirs, the kernel asks it how that tap ended instead of
	// starting a new purchase, so a customer is never charged twice.
	Recover []TornTap
	// Remember, when set, is called just before GENERATE AC with what a
	// torn tap of this purchase would record. The desk writes it durably
	// first, so that a desk killed after the card charged itself still
	// knows the tap and asks the card at its next tap. An error stops the
	// purchase before the card is asked: nothing is charged.
	Remember func(ctx context.Context, t TornTap) error
}

// Kernel runs purchases for one desk configuration.
type Kernel struct{ t Terminal }

// NewKernel checks the configuration.
func NewKernel(t Terminal) (*Kernel, error) {
	switch {
	case len(t.AIDs) == 0:
		return nil, errors.New("emv: the terminal accepts no AID")
	case len(t.Country) != 3 || len(t.Currency) != 3:
		return nil, fmt.Errorf("emv: country %q and currency %q must be 3 digits", t.Country, t.Currency)
	case t.Keys == nil:
		return nil, errors.New("emv: the terminal has no CA public keys")
	case t.ECLimit <= 0:
		return nil, errors.New("emv: the EC terminal limit must be positive")
	}
	if t.Random == nil {
		t.Random = rand.Reader
	}
	return &Kernel{t: t}, nil
}

// Run performs one purchase with the card in the field. It never panics
// on what a card sends; every ending is an Outcome with its reason.
func (k *Kernel) Run(ctx context.Context, card Card, p Purchase) Outcome {
	s := k.newSession(card, p)
	out := s.run(ctx)
	out.Commands = s.x.sent
	out.TVR, out.TSI = s.tvr, s.tsi
	return out
}

func (k *Kernel) newSession(card Card, p Purchase) *session {
	s := &session{t: &k.t, p: p, x: exchanger{card: card},
		data: map[tlv.Tag][]byte{}, recordTags: map[tlv.Tag]bool{}}
	s.out.Amount, s.out.Currency, s.out.Date, s.out.Type = p.Amount, k.t.Currency, p.At, p.Type
	return s
}

// session is one tap's state.
type session struct {
	t   *Terminal
	p   Purchase
	x   exchanger
	out Outcome
	tvr TVR
	tsi TSI

	data       map[tlv.Tag][]byte // the card's primitive data objects
	recordTags map[tlv.Tag]bool   // those that came from records
	aip        []byte
	pdol       []DOLEntry
	static     []byte // static data to be authenticated
	// staticBroken: a record to be signed was not template 70.
	staticBroken bool
	un           []byte
	icc          *oda.ICCCert
	odaErr       error // why the certificates did not verify, if they did not
}

func (s *session) end(r Result, why Reason) Outcome {
	s.out.Result, s.out.Reason = r, why
	return s.out
}

// fail ends the tap after an exchange went wrong: the card left, or it
// said something that is not EMV.
func (s *session) fail(ctx context.Context, err error) Outcome {
	switch {
	case ctx.Err() != nil:
		return s.end(Failed, ReasonCancelled.with(err.Error()))
	case isTransport(err):
		return s.end(CardLeft, ReasonCardLeft.with(err.Error()))
	}
	return s.end(Failed, ReasonCardError.with(err.Error()))
}

func (s *session) run(ctx context.Context) Outcome {
	if s.p.Amount <= 0 {
		return s.end(Failed, ReasonCardError.with("the amount must be positive"))
	}
	if err := s.chooseApplication(ctx); err != nil {
		if errors.Is(err, errNoApplication) {
			return s.end(Declined, ReasonNotSupported.with(err.Error()))
		}
		return s.fail(ctx, err)
	}
	if err := s.readRecords(ctx); err != nil {
		return s.fail(ctx, err)
	}
	if err := s.readBalance(ctx); err != nil {
		return s.fail(ctx, err)
	}
	if missing := s.missingMandatory(); missing != "" {
		s.tvr.Set(TVRICCDataMissing)
		return s.decline(ctx, ReasonICCDataMissing.with(missing))
	}
	s.out.PAN, s.out.PSN = panDigits(s.data[0x5A]), psnDigits(s.data[0x5F34])
	s.authenticateCertificates()
	if torn := s.tornMatch(); torn != nil {
		return s.recover(ctx, torn)
	}
	return s.continuePurchase(ctx)
}
