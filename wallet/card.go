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
//
// Other processes may hold the same file (two `tap`s, a `tap` and an
// `upload`): every command that changes the state, and every SELECT,
// takes the file's lock, reads the file again when another process wrote
// it since, and writes the new state before letting go (hold). So no two
// processes ever spend the same ATC or the same money. The accessors
// (Balance, ATC, Log…) show the state as this card last read or wrote it.
type Card struct {
	mu   sync.Mutex
	path string
	st   state
	// disk is the wallet file as this card last read or wrote it: a file
	// that differs was written by another process since.
	disk []byte
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
	unlock, err := lockFile(path)
	if err != nil {
		return nil, err
	}
	defer unlock()
	if err := c.commit(st); err != nil {
		return nil, err
	}
	return c, nil
}

// Open loads a wallet file and checks it is whole.
func Open(path string) (*Card, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("wallet: %w", err)
	}
	st, err := decodeState(data)
	if err != nil {
		return nil, fmt.Errorf("wallet: %s: %w", path, err)
	}
	c, err := newCard(path, st)
	if err != nil {
		return nil, err
	}
	c.disk = data
	return c, nil
}

// decodeState reads a wallet file's content and checks it is whole.
func decodeState(data []byte) (state, error) {
	var st state
	if err := json.Unmarshal(data, &st); err != nil {
		return state{}, err
	}
	if err := st.validate(); err != nil {
		return state{}, err
	}
	return st, nil
}

// hold takes the wallet file's lock and brings the card up to the file,
// which another process may have written since this card last did. The
// caller changes the state and commits it before it calls release: the
// lock spans the read, the change and the write.
func (c *Card) hold() (release func(), err error) {
	unlock, err := lockFile(c.path)
	if err != nil {
		return nil, err
	}
	if err := c.refresh(); err != nil {
		unlock()
		return nil, err
	}
	return unlock, nil
}

// refresh reads the wallet file and, when another process changed it,
// takes its state. The file must hold the same wallet.
func (c *Card) refresh() error {
	data, err := os.ReadFile(c.path)
	if err != nil {
		return fmt.Errorf("wallet: %w", err)
	}
	if bytes.Equal(data, c.disk) {
		return nil
	}
	st, err := decodeState(data)
	if err != nil {
		return fmt.Errorf("wallet: %s: %w", c.path, err)
	}
	if st.Perso.PAN != c.st.Perso.PAN || st.Perso.PSN != c.st.Perso.PSN ||
		!bytes.Equal(st.Perso.ICCModulus, c.st.Perso.ICCModulus) {
		return fmt.Errorf("wallet: %s now holds another wallet", c.path)
	}
	c.st, c.disk = st, data
	return nil
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
// never answers from a state it did not record. The caller holds the
// wallet file's lock (hold, or lockFile for a new wallet).
func (c *Card) commit(next state) error {
	data, err := json.MarshalIndent(&next, "", "  ")
	if err != nil {
		return fmt.Errorf("wallet: encoding the state: %w", err)
	}
	data = append(data, '\n')
	if err := c.persist(data); err != nil {
		return fmt.Errorf("wallet: saving the state: %w", err)
	}
	c.st, c.disk = next, data
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
// the file's lock (hold): it never writes back an older state over a
// newer one, and the other process reads the trimmed file before its next
// change.
func (c *Card) TrimLog(has func(atc uint16) bool) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	release, err := c.hold()
	if err != nil {
		return 0, err
	}
	defer release()
	newest := max(0, len(c.st.Log)-issuance.LogRecords)
	trimmed := c.st
	trimmed.Log = make([]LogEntry, 0, len(c.st.Log))
	for i, e := range c.st.Log {
		if i >= newest || !has(e.ATC) {
			trimmed.Log = append(trimmed.Log, e)
		}
	}
	gone := len(c.st.Log) - len(trimmed.Log)
	if gone == 0 {
		return 0, nil
	}
	return gone, c.commit(trimmed)
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
	if len(cmd) >= 2 && holdsFile(cmd[1]) {
		release, err := c.hold()
		if err != nil {
			c.tx = txn{}
			return sw(swMemoryFailure)
		}
		defer release()
		if continuesTransaction(cmd[1]) && c.tx.gpo && c.st.ATC != c.tx.atc {
			// Another process began a transaction on this wallet after
			// this one's GET PROCESSING OPTIONS: going on would spend
			// out of ATC order, so this transaction ends here.
			c.tx = txn{}
			return sw(swConditions)
		}
	}
	return c.process(cmd)
}

// holdsFile says which commands run with the wallet file's lock held and
// the state read again: those that change it, RECOVER AC, which answers
// from it, and SELECT, so that a transaction starts from the file.
func holdsFile(ins byte) bool {
	switch ins {
	case 0xA4, 0xA8, 0xAE, 0x82, issuance.ScriptINS, 0xD0:
		return true
	}
	return false
}

// continuesTransaction: the command goes on with the transaction its
// GET PROCESSING OPTIONS began.
func continuesTransaction(ins byte) bool {
	return ins == 0xAE || ins == 0x82 || ins == issuance.ScriptINS
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
