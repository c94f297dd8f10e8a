// Package desk opens a desk's data folder and wires what it holds (the
// journal, the identity the bank gave it, its keys, its bank client) into
// the use cases of package app. The window and the headless commands both
// start here.
package desk

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"lingqian/app"
	"lingqian/assets"
	"lingqian/device"
	"lingqian/emv"
	"lingqian/emv/oda"
	"lingqian/store"
	desksync "lingqian/sync"
)

// Settings keys the desk keeps in its database.
const (
	SettingTerminal      = "terminal_id"
	SettingMerchant      = "merchant_id"
	SettingMerchantName  = "merchant_name"
	SettingLimitPurchase = app.SettingLimitPurchase
	SettingLimitAmount   = app.SettingLimitAmount
	SettingLimitCount    = app.SettingLimitCount
	SettingLimitAge      = app.SettingLimitAge
)

// Desk is an opened data folder: the database and what the desk is.
type Desk struct {
	Dir      string
	DB       *store.DB
	Terminal string
	Merchant string
	Name     string // the merchant's name, as receipts show it

	hotlist atomic.Pointer[desksync.Hotlist]
}

// UseHotlist makes the kernels of this desk check the hotlist just pulled.
func (d *Desk) UseHotlist(h *desksync.Hotlist) {
	if h != nil {
		d.hotlist.Store(h)
	}
}

// DefaultDir is the OS's per-user config folder.
func DefaultDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "lingqian")
	}
	return "lingqian-data"
}

// Open opens (creating on first use) the desk in dir. A fresh folder
// works offline at once: it gets a terminal id of its own.
func Open(ctx context.Context, dir string) (*Desk, error) {
	if dir == "" {
		dir = DefaultDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	db, err := store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		return nil, err
	}
	d := &Desk{Dir: dir, DB: db}
	if d.Terminal, err = d.settingOr(ctx, SettingTerminal, newTerminalID); err == nil {
		d.Merchant, err = d.settingOr(ctx, SettingMerchant, func() (string, error) { return "M00000000000000", nil })
	}
	if err == nil {
		d.Name, err = d.settingOr(ctx, SettingMerchantName, func() (string, error) { return "Lingqian shop", nil })
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

func (d *Desk) Close() error { return d.DB.Close() }

// settingOr reads a setting, storing a made default the first time.
func (d *Desk) settingOr(ctx context.Context, key string, make func() (string, error)) (string, error) {
	v, err := d.DB.Setting(ctx, key)
	if err == nil && v != "" {
		return v, nil
	}
	if err != nil && !errors.Is(err, app.ErrNotFound) {
		return "", err
	}
	if v, err = make(); err != nil {
		return "", err
	}
	return v, d.DB.SetSetting(ctx, key, v, "system")
}

func newTerminalID() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	n := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) % 10_000_000
	return fmt.Sprintf("T%07d", n), nil
}

// Limits reads the offline limits.
func (d *Desk) Limits(ctx context.Context) (app.Limits, error) {
	return app.Settings{Store: d.DB}.Limits(ctx)
}

// caKeys are the embedded defaults, the keys the bank pushed (capk.json
// in the data folder) and an extra file given on the command line.
func (d *Desk) CAKeys(extra string) (*oda.Store, error) {
	keys, err := oda.DefaultStore(assets.DefaultCAPK, oda.SetTest)
	if err != nil {
		return nil, fmt.Errorf("embedded CA public keys: %w", err)
	}
	for _, path := range []string{filepath.Join(d.Dir, "capk.json"), extra} {
		if path == "" {
			continue
		}
		b, err := os.ReadFile(path)
		if errors.Is(err, os.ErrNotExist) && path != extra {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("CA public keys: %w", err)
		}
		list, err := oda.ParseFile(b)
		if err != nil {
			return nil, fmt.Errorf("CA public keys in %s: %w", path, err)
		}
		if err := keys.AddAll(list); err != nil {
			return nil, fmt.Errorf("CA public keys in %s: %w", path, err)
		}
	}
	return keys, nil
}

// kernel is the EMV kernel configured for this desk.
func (d *Desk) Kernel(keys *oda.Store) (*emv.Kernel, error) {
	t := emv.DefaultTerminal()
	t.Keys = keys
	t.TerminalID = fmt.Sprintf("%-8.8s", d.Terminal)
	t.MerchantID = fmt.Sprintf("%-15.15s", d.Merchant)
	t.MerchantName = d.Name
	// The bank's hotlist, as the last sync pulled it; a desk that never
	// synced has none. A forwarder in the same process hands newer ones
	// to UseHotlist, which the kernel then checks at once.
	h, err := desksync.ReadHotlist(d.Dir)
	if err != nil {
		return nil, err // a damaged hotlist must not pass for an empty one
	}
	d.hotlist.Store(h)
	t.Hotlist = func(pan string) bool {
		h := d.hotlist.Load()
		return h != nil && h.Contains(pan)
	}
	return emv.NewKernel(t)
}

// PCSCReader takes the first card presented on the named reader, or on
// any reader when none is named.
type PCSCReader struct {
	pcsc   *device.PCSC
	reader string
}

func (r PCSCReader) Tap(ctx context.Context) (app.Card, error) {
	var names []string
	if r.reader != "" {
		names = []string{r.reader}
	}
	name, err := r.pcsc.WaitForCard(ctx, names...)
	if err != nil {
		return nil, err
	}
	return r.pcsc.Connect(ctx, name)
}

// Checkout assembles the desk's checkout over PC/SC: on the named reader,
// or on every reader when reader is "". The function closes the reader.
func (d *Desk) Checkout(ctx context.Context, reader, capk string) (*app.Checkout, func(), error) {
	pcsc := device.NewPCSC()
	co, err := d.checkout(ctx, PCSCReader{pcsc: pcsc, reader: reader}, capk)
	if err != nil {
		pcsc.Close()
		return nil, nil, err
	}
	return co, func() { pcsc.Close() }, nil
}

// WindowCheckout is the window's checkout: on the reader the settings
// choose at each sale. The function closes the reader.
func (d *Desk) WindowCheckout(ctx context.Context, s app.Settings, capk string) (*app.Checkout, func(), error) {
	r := chosenReader{pcsc: device.NewPCSC(), settings: s}
	co, err := d.checkout(ctx, r, capk)
	if err != nil {
		r.pcsc.Close()
		return nil, nil, err
	}
	return co, func() { r.pcsc.Close() }, nil
}

// checkout is the desk's checkout over a reader.
func (d *Desk) checkout(ctx context.Context, reader app.Reader, capk string) (*app.Checkout, error) {
	keys, err := d.CAKeys(capk)
	if err != nil {
		return nil, err
	}
	k, err := d.Kernel(keys)
	if err != nil {
		return nil, err
	}
	limits, err := d.Limits(ctx)
	if err != nil {
		return nil, err
	}
	return &app.Checkout{Journal: d.DB, Audit: d.DB, Kernel: k, Reader: reader,
		Terminal: d.Terminal, Merchant: d.Merchant, Limits: limits}, nil
}

// chosenReader reads the settings at each sale: one reader by name, or
// every reader.
type chosenReader struct {
	pcsc     *device.PCSC
	settings app.Settings
}

func (r chosenReader) Tap(ctx context.Context) (app.Card, error) {
	name, err := r.settings.Reader(ctx)
	if err != nil {
		return nil, err
	}
	return PCSCReader{pcsc: r.pcsc, reader: name}.Tap(ctx)
}
