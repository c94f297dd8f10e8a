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
	SettingLanguage      = "language"                   // en or zh-Hans; "": as the window was opened
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
	if err := s.acting(ctx, by, RoleSupervisor); err != nil {
		return fmt.Errorf("idle lock: %w", err)
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
	if err := s.acting(ctx, by, RoleSupervisor); err != nil {
		return fmt.Errorf("reader choice: %w", err)
	}
	return s.Store.SetSetting(ctx, SettingReader, name, by.ID)
}

// ErrBadLimit says an offline limit is out of the range a desk may set;
// a *LimitSettingError says which.
var ErrBadLimit = errors.New("offline limit out of range")

// LimitSettingError says which offline limit an admin set out of range.
type LimitSettingError struct {
	Limit string // "per_purchase", "pending_amount", "pending_count", "oldest_pending", or "order"
	Max   string // the largest value allowed, as a person types it
}

func (e *LimitSettingError) Error() string {
	if e.Limit == "order" {
		return "offline limits: the limit for one purchase is above the limit for all purchases not yet at the bank"
	}
	return fmt.Sprintf("offline limit %s: give 0 (no limit) to %s", e.Limit, e.Max)
}

func (e *LimitSettingError) Is(target error) bool { return target == ErrBadLimit }

// The largest offline limits a desk takes: beyond them a typing slip (a
// zero too many) would open the desk to more than any shop keeps in a till.
const (
	MaxLimitAmount Money         = 100_000_000 // 1,000,000.00 CNY
	MaxLimitCount  int           = 100_000
	MaxLimitAge    time.Duration = 90 * 24 * time.Hour
)

// CheckLimits says whether an admin may set these offline limits. Zero is
// no limit, as everywhere; the oldest-pending limit is in whole hours.
func CheckLimits(l Limits) error {
	switch {
	case l.PerPurchase < 0 || l.PerPurchase > MaxLimitAmount:
		return &LimitSettingError{"per_purchase", FormatMoney(MaxLimitAmount)}
	case l.PendingAmount < 0 || l.PendingAmount > MaxLimitAmount:
		return &LimitSettingError{"pending_amount", FormatMoney(MaxLimitAmount)}
	case l.PendingCount < 0 || l.PendingCount > MaxLimitCount:
		return &LimitSettingError{"pending_count", strconv.Itoa(MaxLimitCount)}
	case l.OldestPending < 0 || l.OldestPending > MaxLimitAge || l.OldestPending%time.Hour != 0:
		return &LimitSettingError{"oldest_pending", strconv.Itoa(int(MaxLimitAge / time.Hour))}
	case l.PerPurchase > 0 && l.PendingAmount > 0 && l.PerPurchase > l.PendingAmount:
		// One purchase over the whole allowance could never be made.
		return &LimitSettingError{Limit: "order"}
	}
	return nil
}

// SetLimits changes the offline limits, on an admin's authority: they are
// the money the shop risks while the bank has not posted its sales. Each
// changed value is audited with its old one.
func (s Settings) SetLimits(ctx context.Context, by Operator, l Limits) error {
	if err := s.acting(ctx, by, RoleAdmin); err != nil {
		return fmt.Errorf("offline limits: %w", err)
	}
	if err := CheckLimits(l); err != nil {
		return err
	}
	for _, v := range []struct {
		key string
		n   int64
	}{
		{SettingLimitPurchase, int64(l.PerPurchase)},
		{SettingLimitAmount, int64(l.PendingAmount)},
		{SettingLimitCount, int64(l.PendingCount)},
		{SettingLimitAge, int64(l.OldestPending / time.Hour)},
	} {
		if err := s.Store.SetSetting(ctx, v.key, strconv.FormatInt(v.n, 10), by.ID); err != nil {
			return fmt.Errorf("offline limits: %w", err)
		}
	}
	return nil
}

// Language is the language chosen in the settings; "" when none was, and
// the window keeps the one it was opened in.
func (s Settings) Language(ctx context.Context) (string, error) {
	v, err := s.Store.Setting(ctx, SettingLanguage)
	if errors.Is(err, ErrNotFound) {
		return "", nil
	}
	return v, err
}

// SetLanguage chooses the desk's language. Any operator may: it changes
// only the words on the screen, and the change is audited like the others.
func (s Settings) SetLanguage(ctx context.Context, by Operator, tag string) error {
	if tag != English && tag != SimplifiedChinese {
		return fmt.Errorf("language %q: use %s or %s", tag, English, SimplifiedChinese)
	}
	if by.ID == "" {
		return fmt.Errorf("language: %w", ErrRole)
	}
	return s.Store.SetSetting(ctx, SettingLanguage, tag, by.ID)
}

// acting checks by's role and lock as the store has them now, not as by
// signed in. The desk's settings store keeps the operators too; a store
// that does not cannot say, and the change is refused.
func (s Settings) acting(ctx context.Context, by Operator, need Role) error {
	ops, _ := s.Store.(OperatorReader)
	_, err := actingNow(ctx, ops, by, need)
	return err
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
