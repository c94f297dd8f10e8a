package wallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"slices"
	"sync"

	"lingqian/emv/oda"
	"lingqian/issuance"
)

// Card is the phone's e-cash card application (docs/protocol.md). Its
// state lives in a JSON file that is replaced atomically before any answer
// that changes it leaves the phone: a wallet that answered has always
// recorded what it answered. It is safe for concurrent use; commands are
// processed one at a time, as a card does.
type Card struct {
	mu   sync.Mutex
	path string
	st   state
	// persist writes the encoded state; tests that fuzz the command
	// parser replace it to keep the disk out of the loop.
	persist func(data []byte) error

	// Read-only after Open: the personalisation, parsed once.
	pdol, cdol1, cdol2, logFormat issuance.DOL
	records                       map[[2]int][]byte // by SFI and record number

	tx txn // the transaction in progress, forgotten at reset
}

// ErrExists: Create would replace a wallet file that is already there.
var ErrExists = errors.New("a wallet file is already there")

// DefaultKeyBits is the size of the ICC key a new wallet makes: it must
// fit a certificate signed by the issuer key (1152 bits by default).
const DefaultKeyBits = 1024

// CreateOptions shape a new wallet.
type CreateOptions struct {
	KeyBits   int  // ICC RSA key size; 0: DefaultKeyBits
	Exponent  int  // 3 or 65537; 0: 3
	Overwrite bool // replace an existing wallet file
}

// Certify turns the phone's new ICC public key into a card: the issuer
// certifies the key and returns the records, data and keys to store. The
// local test issuer does it in process (LocalIssuer); the bank does it
// over TLS.
type Certify func(icc oda.PublicKey) (*issuance.Personalisation, error)

// LocalIssuer certifies with an issuer in this process, with req as the
// card's request (its ICC key is filled in).
func LocalIssuer(iss *issuance.Issuer, req issuance.Request) Certify {
	return func(icc oda.PublicKey) (*issuance.Personalisation, error) {
		req.ICCKey = icc
		return iss.Issue(req)
	}
}

// Create makes a wallet: it generates the ICC key pair on the phone, has
// certify make the card of its public half, and writes the wallet file
// (mode 0600) with the private key, the card's keys, records and balance.
func Create(path string, opts CreateOptions, certify Certify) (*Card, error) {
	if !opts.Overwrite {
		if _, err := os.Stat(path); err == nil {
			return nil, fmt.Errorf("wallet: %s: %w (replace it only on purpose)", path, ErrExists)
		}
	}
	if opts.KeyBits == 0 {
		opts.KeyBits = DefaultKeyBits
	}
	if opts.Exponent == 0 {
		opts.Exponent = 3
	}
	key, err := oda.GenerateKey(opts.KeyBits, opts.Exponent)
	if err != nil {
		return nil, fmt.Errorf("wallet: ICC key: %w", err)
	}
	perso, err := certify(key.Public())
	if err != nil {
		return nil, fmt.Errorf("wallet: certifying the ICC key: %w", err)
	}
	st := state{Format: stateFormat, Perso: *perso, Key: key, Balance: perso.Balance}
	c, err := newCard(path, st)
	if err != nil {
		return nil, err
	}
	if err := c.commit(st); err != nil {
		return nil, err
	}
	return c, nil
}

// Open loads a wallet file and checks it is whole.
func Open(path string) (*Card, error) {
	st, err := readState(path)
	if err != nil {
		return nil, err
	}
	return newCard(path, st)
}

// readState reads a wallet file and checks it is whole.
func readState(path string) (state, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return state{}, fmt.Errorf("wallet: %w", err)
	}
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return state{}, fmt.Errorf("wallet: %s: %w", path, err)
	}
	if err := st.validate(); err != nil {
		return state{}, fmt.Errorf("wallet: %s: %w", path, err)
	}
	return st, nil
}

func newCard(path string, st state) (*Card, error) {
	if err := st.validate(); err != nil {
		return nil, fmt.Errorf("wallet: %s: %w", path, err)
	}
	p := &st.Perso
	c := &Card{path: path, st: st, records: map[[2]int][]byte{}}
	c.persist = func(data []byte) error { return issuance.WriteFileAtomic(c.path, data, 0o600) }
	var err error
	for _, d := range []struct {
		dst *issuance.DOL
		src []byte
	}{{&c.pdol, p.PDOL}, {&c.cdol1, p.CDOL1}, {&c.cdol2, p.CDOL2}, {&c.logFormat, p.LogFormat}} {
		if *d.dst, err = issuance.ParseDOL(d.src); err != nil {
			return nil, fmt.Errorf("wallet: %s: %w", path, err) // validate parsed them already
		}
	}
	for _, r := range p.Records {
		c.records[[2]int{r.SFI, r.Number}] = r.Data
	}
	return c, nil
}

// commit makes next the wallet's state, on disk first: when the file
// cannot be written the state in memory stays what it was, so the card
// never answers from a state it did not record.
func (c *Card) commit(next state) error {
	unlock, err := lockFile(c.path)
	if err != nil {
		return err
	}
	defer unlock()
	return c.write(next)
}

// write is commit with the wallet file's lock held.
func (c *Card) write(next state) error {
	data, err := json.MarshalIndent(&next, "", "  ")
	if err != nil {
		return fmt.Errorf("wallet: encoding the state: %w", err)
	}
	if err := c.persist(append(data, '\n')); err != nil {
		return fmt.Errorf("wallet: saving the state: %w", err)
	}
	c.st = next
	return nil
}

// TrimLog forgets the log records has says the bank has, except the
// newest issuance.LogRecords, which READ RECORD of the card's log still
// serves: the file, rewritten on every purchase, then holds what is not
// yet at the bank rather than every purchase ever made. It returns how
// many records went.
//
// Another process may hold the same wallet (the phone on the reader while
// this one uploads), so TrimLog trims the file as it is on disk, under
// the file's lock, and takes that as the card's state: it never writes
// back an older state over a newer one. A process whose copy predates the
// trim writes its whole log back at its next purchase; nothing is lost,
// the trim is only undone.
func (c *Card) TrimLog(has func(atc uint16) bool) (int, error) {
	if !canLock {
		return 0, nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	unlock, err := lockFile(c.path)
	if err != nil {
		return 0, err
	}
	defer unlock()
	disk, err := readState(c.path)
	if err != nil {
		return 0, err
	}
	if disk.Perso.PAN != c.st.Perso.PAN || disk.Perso.PSN != c.st.Perso.PSN {
		return 0, fmt.Errorf("wallet: %s now holds another wallet", c.path)
	}
	newest := max(0, len(disk.Log)-issuance.LogRecords)
	trimmed := disk
	trimmed.Log = make([]LogEntry, 0, len(disk.Log))
	for i, e := range disk.Log {
		if i >= newest || !has(e.ATC) {
			trimmed.Log = append(trimmed.Log, e)
		}
	}
	gone := len(disk.Log) - len(trimmed.Log)
	if gone == 0 {
		c.st = disk
		return 0, nil
	}
	return gone, c.write(trimmed)
}

// Path is the wallet file.
func (c *Card) Path() string { return c.path }

// Balance is the e-cash balance (9F79) in minor units.
func (c *Card) Balance() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Balance
}

// ATC is the application transaction counter (9F36): the number of GET
// PROCESSING OPTIONS the card has answered.
func (c *Card) ATC() uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.ATC
}

// LastOnlineATC is 9F13: the ATC of the last transaction the issuer
// authenticated.
func (c *Card) LastOnlineATC() uint16 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.LastOnlineATC
}

// Log is the wallet's record of its offline purchases, oldest first. The
// card shows the newest issuance.LogRecords of them in SFI 11; the file
// keeps every one, for the upload to the bank.
func (c *Card) Log() []LogEntry {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.st.Log)
}

// PAN is the application PAN (5A) as digits.
func (c *Card) PAN() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Perso.PAN
}

// PSN is the PAN sequence number (5F34), two digits.
func (c *Card) PSN() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Perso.PSN
}

// Currency is the application currency, ISO 4217 numeric ("156").
func (c *Card) Currency() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Perso.Currency
}

// PublicKey is the ICC public key the issuer certified.
func (c *Card) PublicKey() oda.PublicKey {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.st.Key.Public()
}

// Personalisation is a copy of what the issuer made of the card.
func (c *Card) Personalisation() issuance.Personalisation {
	c.mu.Lock()
	defer c.mu.Unlock()
	p := c.st.Perso
	p.Records = slices.Clone(p.Records)
	return p
}

// Reset is the field coming up: whatever transaction was in progress is
// abandoned, and no application is selected.
func (c *Card) Reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.tx = txn{}
}

// Process answers one C-APDU with one R-APDU. It never panics: a fault in
// the card's own code is answered 6F00, as a card with no better
// diagnosis would.
func (c *Card) Process(cmd []byte) (resp []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	defer func() {
		if r := recover(); r != nil {
			c.tx = txn{}
			resp = sw(swUnknown)
		}
	}()
	return c.process(cmd)
}

func (c *Card) process(raw []byte) []byte {
	cmd, ok := parseAPDU(raw)
	if !ok {
		return sw(swWrongLength)
	}
	if cmd.cla != 0x00 && cmd.cla != 0x80 && cmd.cla != issuance.ScriptCLA {
		return sw(swCLANotSupported)
	}
	cla, handle := c.handler(cmd.ins)
	switch {
	case handle == nil:
		return sw(swINSNotSupported)
	case cla != cmd.cla:
		return sw(swCLANotSupported)
	case cmd.ins != 0xA4 && !c.tx.selected:
		return sw(swConditions)
	}
	return handle(cmd)
}

// handler names the command an instruction byte is, and its class byte.
func (c *Card) handler(ins byte) (cla byte, handle func(apdu) []byte) {
	switch ins {
	case 0xA4:
		return 0x00, c.selectFile
	case 0xA8:
		return 0x80, c.getProcessingOptions
	case 0xB2:
		return 0x00, c.readRecord
	case 0xCA:
		return 0x80, c.getData
	case 0xAE:
		return 0x80, c.generateAC
	case 0xD0:
		return 0x80, c.recoverAC
	case 0x82:
		return 0x00, c.externalAuthenticate
	case issuance.ScriptINS:
		return issuance.ScriptCLA, c.putData
	}
	return 0, nil
}

// answer is data followed by 90 00.
func answer(data []byte) []byte {
	return append(bytes.Clone(data), 0x90, 0x00)
}
