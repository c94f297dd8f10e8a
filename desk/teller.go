package desk

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"lingqian/app"
	"lingqian/device"
	desksync "lingqian/sync"
)

// tellerRetries bounds how long a teller waits on a bank that does not
// answer: each write is idempotent, so the desk may stop asking sooner
// than the forwarder does and send the same request again later.
const tellerRetries = 3

// IsTellerDesk says whether the bank enrolled this desk as a teller desk
// (terminal-code --teller): only then does it run teller mode.
func (d *Desk) IsTellerDesk(ctx context.Context) (bool, error) {
	v, err := d.DB.Setting(ctx, SettingTeller)
	if errors.Is(err, app.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("the desk's teller setting: %w", err)
	}
	return v == "true", nil
}

// Teller assembles teller mode over PC/SC: the bank the desk enrolled
// with, and the online-load kernel over the named reader, or every
// reader when reader is "". The function closes the reader.
func (d *Desk) Teller(ctx context.Context, reader, capk string) (*app.Teller, func(), error) {
	return overPCSC(func(pcsc *device.PCSC) (*app.Teller, error) {
		return d.teller(PCSCReader{pcsc: pcsc, reader: reader}, capk)
	})
}

// WindowTeller is the window's teller mode: on the reader the settings
// choose at each tap, and with the bank the desk is enrolled with at
// each call, so an enrolment made in the settings counts at once. The
// function closes the reader.
func (d *Desk) WindowTeller(ctx context.Context, s app.Settings, capk string) (*app.Teller, func(), error) {
	return overPCSC(func(pcsc *device.PCSC) (*app.Teller, error) {
		return d.teller(chosenReader{pcsc: pcsc, settings: s}, capk)
	})
}

// overPCSC builds what works over a PC/SC context of its own, and answers
// the function that closes the context; when building fails, the context
// is closed at once.
func overPCSC[T any](build func(*device.PCSC) (T, error)) (T, func(), error) {
	pcsc := device.NewPCSC()
	v, err := build(pcsc)
	if err != nil {
		pcsc.Close()
		var none T
		return none, nil, err
	}
	return v, func() { pcsc.Close() }, nil
}

func (d *Desk) teller(reader app.Reader, capk string) (*app.Teller, error) {
	keys, err := d.CAKeys(capk)
	if err != nil {
		return nil, err
	}
	k, err := d.Kernel(keys)
	if err != nil {
		return nil, err
	}
	// The teller's notes are the desk database's own table (never its
	// settings, which are audited with their values). A second teller
	// signing an unload is checked by the operator store as at sign-in.
	return &app.Teller{Bank: &tellerBank{d: d}, Reader: reader, Kernel: k, Desk: d, Audit: d.DB, Notes: d.DB, Operators: d.DB,
		Approvers: d.DB, Terminal: d.Terminal}, nil
}

// tellerBank is the bank's teller calls with the desk's enrolment as it
// stands at each call: a desk enrolled (or enrolled again) while the
// window is open uses its new certificate at once.
type tellerBank struct {
	d *Desk

	mu   sync.Mutex
	cert string // the certificate the cached client shows
	c    *desksync.Teller
}

func (b *tellerBank) client() (*desksync.Teller, error) {
	cert, _ := b.d.DB.Setting(context.Background(), SettingBankCert)
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.c != nil && cert == b.cert {
		return b.c, nil
	}
	c, err := b.d.BankClient(tellerRetries)
	if err != nil {
		return nil, err
	}
	b.c, b.cert = c.Teller(), cert
	return b.c, nil
}

// withClient makes one teller call with the client of the enrolment as
// it stands now.
func withClient[T any](b *tellerBank, call func(*desksync.Teller) (T, error)) (T, error) {
	c, err := b.client()
	if err != nil {
		var none T
		return none, err
	}
	return call(c)
}

func (b *tellerBank) Wallet(ctx context.Context, pan, psn string) (app.BankWallet, error) {
	return withClient(b, func(c *desksync.Teller) (app.BankWallet, error) { return c.Wallet(ctx, pan, psn) })
}

func (b *tellerBank) Statement(ctx context.Context, pan, psn string) (app.WalletStatement, error) {
	return withClient(b, func(c *desksync.Teller) (app.WalletStatement, error) { return c.Statement(ctx, pan, psn) })
}

func (b *tellerBank) Load(ctx context.Context, key string, r app.BankLoad) (app.BankLoadAnswer, error) {
	return withClient(b, func(c *desksync.Teller) (app.BankLoadAnswer, error) { return c.Load(ctx, key, r) })
}

func (b *tellerBank) Unload(ctx context.Context, key string, r app.BankUnload) (app.BankUnloadAnswer, error) {
	return withClient(b, func(c *desksync.Teller) (app.BankUnloadAnswer, error) { return c.Unload(ctx, key, r) })
}

func (b *tellerBank) Hotlist(ctx context.Context, key, operator, pan, reason string) (int64, error) {
	return withClient(b, func(c *desksync.Teller) (int64, error) { return c.Hotlist(ctx, key, operator, pan, reason) })
}

func (b *tellerBank) Exceptions(ctx context.Context, state app.ExceptionState) ([]app.BankException, error) {
	return withClient(b, func(c *desksync.Teller) ([]app.BankException, error) { return c.Exceptions(ctx, state) })
}

func (b *tellerBank) Resolve(ctx context.Context, key, operator string, id int64, note string) (app.BankException, error) {
	return withClient(b, func(c *desksync.Teller) (app.BankException, error) { return c.Resolve(ctx, key, operator, id, note) })
}

func (b *tellerBank) ReEnter(ctx context.Context, key string, r app.ReEntry) (int, error) {
	return withClient(b, func(c *desksync.Teller) (int, error) { return c.ReEnter(ctx, key, r) })
}

func (b *tellerBank) FileException(ctx context.Context, key string, r app.UnfinishedReport) (app.BankException, error) {
	return withClient(b, func(c *desksync.Teller) (app.BankException, error) { return c.FileException(ctx, key, r) })
}
