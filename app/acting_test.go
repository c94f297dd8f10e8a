package app_test

import (
	"context"
	"errors"
	"maps"
	"testing"
	"time"

	"lingqian/app"
)

func TestAdminActions_TheActingOperatorAsTheStoreHasThemNow(t *testing.T) {
	for _, tc := range []struct {
		name string
		// meanwhile is what the owner, signed in elsewhere, does to boss.
		meanwhile func(ctx context.Context, s *app.Staff, owner *app.Operator) error
		want      error
		// supervisor: boss may still do what a supervisor does.
		supervisor bool
	}{
		{"demoted to cashier", func(ctx context.Context, s *app.Staff, owner *app.Operator) error {
			return s.SetRole(ctx, owner, "boss", app.RoleCashier)
		}, app.ErrRole, false},
		{"demoted to supervisor", func(ctx context.Context, s *app.Staff, owner *app.Operator) error {
			return s.SetRole(ctx, owner, "boss", app.RoleSupervisor)
		}, app.ErrRole, true},
		{"locked", func(ctx context.Context, s *app.Staff, owner *app.Operator) error {
			return s.Lock(ctx, owner, "boss")
		}, app.ErrLocked, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := context.Background()
			// Given boss signed in as an admin, his window open, and a second admin
			s, m, boss := staffOf(t)
			if err := s.Add(ctx, boss, app.Operator{ID: "owner", Role: app.RoleAdmin}, "2222"); err != nil {
				t.Fatal(err)
			}
			owner := &app.Operator{ID: "owner", Role: app.RoleAdmin}
			settings := app.Settings{Store: m.memory}
			bank := &enroller{}
			enrolment := &app.BankEnrolment{Enroller: bank, Audit: m.memory}

			// When the owner changes boss meanwhile
			if err := tc.meanwhile(ctx, s, owner); err != nil {
				t.Fatal(err)
			}
			ops, audited, pins := maps.Clone(m.ops), len(m.audit), maps.Clone(m.pins)

			// Then each admin's action from boss's window is refused as he is now
			adminActions := []struct {
				name string
				do   func() error
			}{
				{"add an admin", func() error {
					return s.Add(ctx, boss, app.Operator{ID: "mallory", Role: app.RoleAdmin}, "6666")
				}},
				{"reset the owner's PIN", func() error { return s.SetPIN(ctx, boss, "owner", "7777") }},
				{"set the offline limits", func() error { return settings.SetLimits(ctx, *boss, app.Limits{PerPurchase: 1}) }},
				{"enrol the desk", func() error {
					_, err := enrolment.Enrol(ctx, *boss, app.EnrolRequest{BankURL: "https://evil.example", CA: "ca.pem", Code: "C-1"})
					return err
				}},
				{"unlock the cashier", func() error { return s.Unlock(ctx, boss, "li.na") }},
			}
			for _, a := range adminActions {
				if err := a.do(); !errors.Is(err, tc.want) {
					t.Errorf("%s: %v, want %v", a.name, err, tc.want)
				}
			}
			// And a supervisor's action only if he is one now
			for name, do := range map[string]func() error{
				"set the idle lock": func() error { return settings.SetIdleLock(ctx, *boss, time.Hour) },
				"choose a reader":   func() error { return settings.SetReader(ctx, *boss, "Reader 2") },
			} {
				err := do()
				if tc.supervisor && err != nil || !tc.supervisor && !errors.Is(err, tc.want) {
					t.Errorf("%s: %v (a supervisor now: %v)", name, err, tc.supervisor)
				}
			}

			// And nothing an admin does was done
			if !maps.Equal(m.ops, ops) || !maps.Equal(m.pins, pins) || len(m.audit) != audited {
				t.Errorf("operators %v, PINs %v, audit %+v", m.ops, m.pins, m.audit[audited:])
			}
			if _, set := m.settings[app.SettingLimitPurchase]; set || bank.got != (app.EnrolRequest{}) {
				t.Errorf("settings %v, the bank was asked %+v", m.settings, bank.got)
			}
			if !tc.supervisor && len(m.settings) != 0 {
				t.Errorf("settings %v", m.settings)
			}
		})
	}
}

func TestAdminActions_AnOperatorTheStoreDoesNotHaveIsRefused(t *testing.T) {
	// Given a settings store that keeps no operators, and one without boss
	ctx := context.Background()
	for name, store := range map[string]app.SettingsStore{"no operators kept": settingsOnly{newMemory()}, "boss unknown": newMemory()} {
		// When boss, an admin by what the window holds, sets the limits
		err := app.Settings{Store: store}.SetLimits(ctx, adminOp, app.Limits{PerPurchase: 1})
		// Then the change is refused
		if !errors.Is(err, app.ErrRole) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// settingsOnly is a settings store and nothing more.
type settingsOnly struct{ m *memory }

func (s settingsOnly) Setting(ctx context.Context, key string) (string, error) {
	return s.m.Setting(ctx, key)
}

func (s settingsOnly) SetSetting(ctx context.Context, key, value, by string) error {
	return s.m.SetSetting(ctx, key, value, by)
}
