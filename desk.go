package main

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

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
	settingTerminal      = "terminal_id"
	settingMerchant      = "merchant_id"
	settingMerchantName  = "merchant_name"
	settingLimitPurchase = "limit_per_purchase"
	settingLimitAmount   = "limit_pending_amount"
	settingLimitCount    = "limit_pending_count"
	settingLimitAge      = "limit_oldest_pending_hours"
)

// desk is an opened data folder: the database and what the desk is.
type desk struct {
	dir      string
	db       *store.DB
	terminal string
	merchant string
	name     string
}

// defaultDataDir is the OS's per-user config folder.
func defaultDataDir() string {
	if d, err := os.UserConfigDir(); err == nil {
		return filepath.Join(d, "lingqian")
	}
	return "lingqian-data"
}

// openDesk opens (creating on first use) the desk in dir. A fresh folder
// works offline at once: it gets a terminal id of its own.
func openDesk(ctx context.Context, dir string) (*desk, error) {
	if dir == "" {
		dir = defaultDataDir()
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("data folder %s: %w", dir, err)
	}
	db, err := store.Open(filepath.Join(dir, "desk.db"))
	if err != nil {
		return nil, err
	}
	d := &desk{dir: dir, db: db}
	if d.terminal, err = d.settingOr(ctx, settingTerminal, newTerminalID); err == nil {
		d.merchant, err = d.settingOr(ctx, settingMerchant, func() (string, error) { return "M00000000000000", nil })
	}
	if err == nil {
		d.name, err = d.settingOr(ctx, settingMerchantName, func() (string, error) { return "Lingqian shop", nil })
	}
	if err != nil {
		db.Close()
		return nil, err
	}
	return d, nil
}

func (d *desk) Close() error { return d.db.Close() }

// settingOr reads a setting, storing a made default the first time.
func (d *desk) settingOr(ctx context.Context, key string, make func() (string, error)) (string, error) {
	v, err := d.db.Setting(ctx, key)
	if err == nil && v != "" {
		return v, nil
	}
	if err != nil && !errors.Is(err, app.ErrNotFound) {
		return "", err
	}
	if v, err = make(); err != nil {
		return "", err
	}
	return v, d.db.SetSetting(ctx, key, v, "system")
}

func newTerminalID() (string, error) {
	b := make([]byte, 4)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	n := (uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])) % 10_000_000
	return fmt.Sprintf("T%07d", n), nil
}

// limits reads the offline limits, with defaults a small shop can live with.
func (d *desk) limits(ctx context.Context) (app.Limits, error) {
	l := app.Limits{PerPurchase: 100000, PendingAmount: 5_000_000, PendingCount: 2000, OldestPending: 7 * 24 * time.Hour}
	read := func(key string, set func(int64)) error {
		v, err := d.db.Setting(ctx, key)
		if errors.Is(err, app.ErrNotFound) || (err == nil && v == "") {
			return nil
		}
		if err != nil {
			return err
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("setting %s = %q is not a number", key, v)
		}
		set(n)
		return nil
	}
	for _, r := range []struct {
		key string
		set func(int64)
	}{
		{settingLimitPurchase, func(n int64) { l.PerPurchase = app.Money(n) }},
		{settingLimitAmount, func(n int64) { l.PendingAmount = app.Money(n) }},
		{settingLimitCount, func(n int64) { l.PendingCount = int(n) }},
		{settingLimitAge, func(n int64) { l.OldestPending = time.Duration(n) * time.Hour }},
	} {
		if err := read(r.key, r.set); err != nil {
			return l, err
		}
	}
	return l, nil
}

// caKeys are the embedded defaults, the keys the bank pushed (capk.json
// in the data folder) and an extra file given on the command line.
func (d *desk) caKeys(extra string) (*oda.Store, error) {
	keys, err := oda.DefaultStore(assets.DefaultCAPK, oda.SetTest)
	if err != nil {
		return nil, fmt.Errorf("embedded CA public keys: %w", err)
	}
	for _, path := range []string{filepath.Join(d.dir, "capk.json"), extra} {
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
func (d *desk) kernel(keys *oda.Store) (*emv.Kernel, error) {
	t := emv.DefaultTerminal()
	t.Keys = keys
	t.TerminalID = fmt.Sprintf("%-8.8s", d.terminal)
	t.MerchantID = fmt.Sprintf("%-15.15s", d.merchant)
	t.MerchantName = d.name
	// The bank's hotlist, as the last sync pulled it; a desk that never
	// synced has none.
	h, err := desksync.ReadHotlist(d.dir)
	if err != nil {
		return nil, err // a damaged hotlist must not pass for an empty one
	}
	t.Hotlist = h.Contains
	return emv.NewKernel(t)
}

// pcscReader takes the first card presented on the named reader, or on
// any reader when none is named.
type pcscReader struct {
	pcsc   *device.PCSC
	reader string
}

func (r pcscReader) Tap(ctx context.Context) (app.Card, error) {
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
