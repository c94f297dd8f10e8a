package app

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"
)

// SettingsStore is what the desk needs of its settings: text values by
// key, every change recorded with who made it.
type SettingsStore interface {
	Setting(ctx context.Context, key string) (string, error) // ErrNotFound when never set
	SetSetting(ctx context.Context, key, value, operator string) error
}

// Settings keys the desk's rules read.
const (
	SettingLimitPurchase = "limit_per_purchase"         // fen
	SettingLimitAmount   = "limit_pending_amount"       // fen
	SettingLimitCount    = "limit_pending_count"        // purchases
	SettingLimitAge      = "limit_oldest_pending_hours" // hours
	SettingIdleLock      = "idle_lock_minutes"          // 0: never
	SettingReader        = "reader"                     // "": every reader
)

// DefaultLimits are what a small shop can live with until the owner sets its own.
var DefaultLimits = Limits{PerPurchase: 100000, PendingAmount: 5_000_000, PendingCount: 2000, OldestPending: 7 * 24 * time.Hour}

// DefaultIdleLock is how long the window waits before locking itself.
const DefaultIdleLock = 5 * time.Minute

// Settings reads and changes the desk's settings with their rules.
type Settings struct {
	Store SettingsStore
}

// Limits reads the offline limits, the defaults where none is set.
func (s Settings) Limits(ctx context.Context) (Limits, error) {
	l := DefaultLimits
	for _, r := range []struct {
		key string
		set func(int64)
	}{
		{SettingLimitPurchase, func(n int64) { l.PerPurchase = Money(n) }},
		{SettingLimitAmount, func(n int64) { l.PendingAmount = Money(n) }},
		{SettingLimitCount, func(n int64) { l.PendingCount = int(n) }},
		{SettingLimitAge, func(n int64) { l.OldestPending = time.Duration(n) * time.Hour }},
	} {
		if err := s.number(ctx, r.key, r.set); err != nil {
			return l, err
		}
	}
	return l, nil
}

// IdleLock is how long the window stays open without a key or a tap
// before it locks; 0 means it never locks by itself.
func (s Settings) IdleLock(ctx context.Context) (time.Duration, error) {
	d := DefaultIdleLock
	err := s.number(ctx, SettingIdleLock, func(n int64) { d = time.Duration(n) * time.Minute })
	return d, err
}

// SetIdleLock changes the idle lock, on an admin's or supervisor's authority.
func (s Settings) SetIdleLock(ctx context.Context, by Operator, d time.Duration) error {
	if !by.Role.Can(RoleSupervisor) {
		return fmt.Errorf("idle lock: %s: %w", by.ID, ErrRole)
	}
	if d < 0 || d > 24*time.Hour {
		return fmt.Errorf("idle lock of %v: give 0 (never) to 1440 minutes", d)
	}
	return s.Store.SetSetting(ctx, SettingIdleLock, strconv.FormatInt(int64(d/time.Minute), 10), by.ID)
}

// Reader is the reader the checkout uses; "" means every reader is watched.
func (s Settings) Reader(ctx context.Context) (string, error) {
	v, err := s.Store.Setting(ctx, SettingReader)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return v, err
}

// SetReader chooses the checkout's reader ("" for every reader).
func (s Settings) SetReader(ctx context.Context, by Operator, name string) error {
	if !by.Role.Can(RoleSupervisor) {
		return fmt.Errorf("reader choice: %s: %w", by.ID, ErrRole)
	}
	return s.Store.SetSetting(ctx, SettingReader, name, by.ID)
}

// number reads a non-negative whole-number setting; unset keeps the default.
func (s Settings) number(ctx context.Context, key string, set func(int64)) error {
	v, err := s.Store.Setting(ctx, key)
	if errors.Is(err, ErrNotFound) || (err == nil && v == "") {
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
