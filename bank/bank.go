// Package bank is Lingqian's cloud e-cash system: it issues vouchers
// (wallets) to customers, enrols desks, receives the desks' detail
// messages and the phones' uploads, clears them against the cryptograms
// and each other, posts them to a double-entry ledger, and reports.
//
// The HTTP API is docs/bank-api.md. Storage is behind Store; SQLite is the
// embedded default, PostgreSQL (package bank/pgstore) the one for several
// bank processes.
package bank

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"lingqian/internal/filelock"
	"lingqian/issuance"
)

// Names inside the bank's data folder.
const (
	DBFile    = "bank.db"
	IssuerDir = "issuer"
	// KeysLockFile is locked while a process loads or makes the keys, so
	// that banks starting at once on an empty folder make one CA and one
	// issuer, not one each.
	KeysLockFile = "keys.lock"
)

// Options shape Open.
type Options struct {
	// Keys loads the bank's CA, TLS certificate and card issuer, making
	// them at first start. The server needs them; administrative
	// commands that only touch the database do not.
	Keys bool
	// Issuer, when set, is used instead of the one in the data folder
	// (tests share one: its keys take a while to make).
	Issuer *issuance.Issuer
	// Hosts are extra names for the TLS certificate besides 127.0.0.1,
	// ::1, localhost and the host name.
	Hosts  []string
	Logger *slog.Logger
	Now    func() time.Time
	// SettlementWindow is how long an unload is held before it is paid
	// (unload.go); zero takes DefaultSettlementWindow, less than
	// MinSettlementWindow is refused.
	SettlementWindow time.Duration

	// Limits on who may try passwords how fast (access_*.go); zero takes
	// the default. HashSlots: password checks at once, bank-wide (two a
	// CPU); HashWait: how long a sign-in waits for one before it is
	// answered busy (1 s); MaxAddresses: client addresses the per-address
	// limiter keeps (10000).
	HashSlots    int
	HashWait     time.Duration
	MaxAddresses int
	// Admin, for an administrative command, is the admin log's line for
	// it: written with the command's first change, in the same
	// transaction (adminlog.go).
	Admin *AdminEntry
	// Store, when set, is the bank's database instead of the SQLite file
	// in the data folder (a PostgreSQL store, lingqian-bank's --db); the
	// folder still holds the keys. The bank closes it with Close, and so
	// does Open when it fails.
	Store Store
}

// Bank is the cloud e-cash system. It is safe for concurrent use.
type Bank struct {
	store  Store
	issuer *issuance.Issuer
	pki    *PKI
	capk   []byte // the CA public key file desks and phones get
	log    *slog.Logger
	now    func() time.Time
	limit  *limiter
	window time.Duration // the settlement window of unloads
	hashes *hasher
}

// Open opens (creating at first use) the bank's data folder dir: the
// folder itself (mode 0700), the database (opts.Store, or the SQLite file
// in dir), and with opts.Keys the CA, TLS certificate and issuer.
func Open(dir string, opts Options) (*Bank, error) {
	st := opts.Store
	b, err := open(dir, opts, &st)
	if err != nil && st != nil {
		st.Close()
	}
	return b, err
}

// open is Open; *st is the store to close should it fail.
func open(dir string, opts Options, st *Store) (*Bank, error) {
	if dir == "" {
		return nil, errors.New("bank: no data folder given")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("bank: data folder: %w", err)
	}
	// The folder holds the CA and issuer keys: a folder made beforehand
	// with the usual 0755 is closed to other users too.
	if fi, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("bank: data folder: %w", err)
	} else if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, 0o700); err != nil {
			return nil, fmt.Errorf("bank: data folder %s is open to other users and cannot be closed: %w", dir, err)
		}
	}
	if *st == nil {
		var err error
		if *st, err = OpenSQLite(filepath.Join(dir, DBFile)); err != nil {
			return nil, err
		}
	}
	b, err := New(*st, opts)
	if err != nil || !opts.Keys {
		return b, err
	}
	if err := b.loadKeys(dir, opts.Hosts); err != nil {
		return nil, err
	}
	return b, nil
}

// loadKeys loads the CA, TLS certificate and issuer from dir, making what
// is missing, under the folder's keys lock: several bank processes share
// the folder's keys (and their database), and two starting at once on an
// empty folder would otherwise each make a CA and an issuer, the one
// written last replacing the other's under the desks and wallets it had
// already signed.
func (b *Bank) loadKeys(dir string, hosts []string) (err error) {
	unlock, err := filelock.Lock(filepath.Join(dir, KeysLockFile))
	if err != nil {
		return fmt.Errorf("bank: keys: %w", err)
	}
	defer unlock()
	if b.pki, err = LoadOrCreatePKI(dir, hosts, b.now()); err != nil {
		return err
	}
	if b.issuer == nil {
		if b.issuer, err = openIssuer(filepath.Join(dir, IssuerDir)); err != nil {
			return err
		}
	}
	return b.loadCAPK()
}

// New makes a bank on a store already open; without Options.Issuer and
// SetPKI it can do only what needs no keys.
func New(st Store, opts Options) (*Bank, error) {
	b := &Bank{store: st, issuer: opts.Issuer, log: opts.Logger, now: opts.Now, limit: newLimiter(opts.MaxAddresses),
		hashes: newHasher(opts.HashSlots, opts.HashWait)}
	if b.log == nil {
		b.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if b.now == nil {
		b.now = time.Now
	}
	if b.window = opts.SettlementWindow; b.window == 0 {
		b.window = DefaultSettlementWindow
	} else if b.window < MinSettlementWindow {
		return nil, fmt.Errorf("bank: a settlement window of %s is shorter than %s", b.window, MinSettlementWindow)
	}
	if opts.Admin != nil {
		b.store = &adminStore{Store: st, entry: *opts.Admin, now: b.now}
	}
	if b.issuer != nil {
		if err := b.loadCAPK(); err != nil {
			return nil, err
		}
	}
	return b, nil
}

// SetPKI gives a bank made with New its CA and TLS certificate.
func (b *Bank) SetPKI(p *PKI) { b.pki = p }

func (b *Bank) loadCAPK() error {
	if b.issuer == nil {
		return nil
	}
	var err error
	if b.capk, err = capkFile(b.issuer); err != nil {
		return fmt.Errorf("bank: CA public key file: %w", err)
	}
	return nil
}

// openIssuer loads the card issuer, making it at first start, and keeps
// even its public key file to the bank's user, as the rest of the folder.
func openIssuer(dir string) (*issuance.Issuer, error) {
	iss, _, err := issuance.OpenOrCreate(dir, issuance.Options{})
	if err != nil {
		return nil, fmt.Errorf("bank: issuer: %w", err)
	}
	if err := os.Chmod(filepath.Join(dir, issuance.CAPKFile), 0o600); err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("bank: issuer: %w", err)
	}
	return iss, nil
}

// Close closes the storage.
func (b *Bank) Close() error { return b.store.Close() }

// Store is the bank's storage, for tools and tests.
func (b *Bank) Store() Store { return b.store }

// Issuer is the card issuer, nil when the bank was opened without keys.
func (b *Bank) Issuer() *issuance.Issuer { return b.issuer }

// PKI is the bank's CA and TLS certificate, nil without keys.
func (b *Bank) PKI() *PKI { return b.pki }
