package banktest

import (
	"testing"
	"time"

	"lingqian/bank"
)

// Customers, sessions, enrolment codes, desks and idempotency records.

func accessCases() []storeCase {
	return []storeCase{
		{"customers: made once, found by name and by id", func(t *testing.T, s bank.Store) {
			// Given alice
			alice := bank.Customer{User: "alice", PasswordHash: "hash-a", Created: suiteNow}
			write(t, s, func(tx bank.Tx) error { return tx.CreateCustomer(&alice) })
			if alice.ID == 0 {
				t.Fatal("no ID given")
			}
			write(t, s, func(tx bank.Tx) error {
				// When a second alice is made
				err := tx.CreateCustomer(&bank.Customer{User: "alice", PasswordHash: "hash-b", Created: suiteNow})
				// Then she is refused, and the first stays as she was
				is(t, "a second alice", err, bank.ErrExists)
				got, err := tx.Customer("alice")
				is(t, "alice by name", err, nil)
				same(t, "alice by name", got, alice)
				got, err = tx.CustomerByID(alice.ID)
				is(t, "alice by id", err, nil)
				same(t, "alice by id", got, alice)
				_, err = tx.Customer("nobody")
				is(t, "nobody", err, bank.ErrNotFound)
				_, err = tx.CustomerByID(alice.ID + 100)
				is(t, "an unknown id", err, bank.ErrNotFound)
				// And her wrong passwords and lock are kept to the nanosecond
				return tx.SetLoginFailures(alice.ID, 3, suiteNow.Add(time.Minute))
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.Customer("alice")
				want := alice
				want.Failures, want.LockedUntil = 3, suiteNow.Add(time.Minute)
				same(t, "alice locked", got, want)
				return err
			})
		}},
		{"sessions: kept by token hash, ended one by one, by customer, or when expired", func(t *testing.T, s bank.Store) {
			sd := seed(t, s)
			alice := sd.customer.ID
			bob := bank.Customer{User: "bob", PasswordHash: "h", Created: suiteNow}
			write(t, s, func(tx bank.Tx) error { return tx.CreateCustomer(&bob) })
			token := func(name string) []byte { return []byte("token-hash-" + name) }
			expires := suiteNow.Add(time.Hour)
			write(t, s, func(tx bank.Tx) error {
				for _, name := range []string{"a1", "a2", "a3", "b1"} {
					who := alice
					if name[0] == 'b' {
						who = bob.ID
					}
					is(t, "session "+name, tx.CreateSession(token(name), who, expires), nil)
				}
				is(t, "the same token again", tx.CreateSession(token("a1"), alice, expires), bank.ErrExists)
				is(t, "an expired session", tx.CreateSession(token("old"), bob.ID, suiteNow.Add(-time.Nanosecond)), nil)
				is(t, "one expiring now", tx.CreateSession(token("now"), bob.ID, suiteNow), nil)
				who, until, err := tx.Session(token("a1"))
				is(t, "a session", err, nil)
				same(t, "a session", []any{who, until}, []any{alice, expires})
				// When one ends, then those expired at suiteNow
				is(t, "logout", tx.EndSession(token("a1")), nil)
				is(t, "logout again", tx.EndSession(token("a1")), bank.ErrNotFound)
				n, err := tx.EndExpiredSessions(suiteNow)
				is(t, "expired", err, nil)
				same(t, "expired ended", n, 2)
				return nil
			})
			// Then those are gone and the others there
			read(t, s, func(tx bank.Tx) error {
				for name, want := range map[string]error{"a1": bank.ErrNotFound, "old": bank.ErrNotFound,
					"now": bank.ErrNotFound, "a2": nil, "b1": nil} {
					_, _, err := tx.Session(token(name))
					is(t, "session "+name, err, want)
				}
				return nil
			})
			// And a lock-out ends every session of its customer, and no other
			write(t, s, func(tx bank.Tx) error {
				n, err := tx.EndSessions(alice)
				same(t, "alice's sessions ended", n, 2)
				_, _, err2 := tx.Session(token("b1"))
				is(t, "bob's session", err2, nil)
				return err
			})
		}},
		{"the admin log: newest first, as many as asked", func(t *testing.T, s bank.Store) {
			var in []bank.AdminEntry
			write(t, s, func(tx bank.Tx) error {
				for i, cmd := range []string{"customer add", "terminal-code", "hotlist"} {
					e := bank.AdminEntry{At: suiteNow.Add(time.Duration(i) * time.Second), By: "ops", Command: cmd,
						Target: "alice", Detail: []string{"deposit 100.00", "", "lost phone"}[i]}
					if err := tx.AddAdminEntry(&e); err != nil {
						return err
					}
					in = append(in, e)
				}
				if !(0 < in[0].ID && in[0].ID < in[1].ID && in[1].ID < in[2].ID) {
					t.Errorf("IDs %d, %d, %d do not grow", in[0].ID, in[1].ID, in[2].ID)
				}
				return nil
			})
			read(t, s, func(tx bank.Tx) error {
				all, err := tx.AdminLog(0)
				is(t, "the log", err, nil)
				same(t, "the log", all, []bank.AdminEntry{in[2], in[1], in[0]})
				newest, err := tx.AdminLog(1)
				same(t, "the newest", newest, []bank.AdminEntry{in[2]})
				return err
			})
		}},
		{"enrolment codes: used once", func(t *testing.T, s bank.Store) {
			code := bank.EnrolCode{Hash: []byte("code-hash"), MerchantID: suiteMerchant, Teller: true, Expires: suiteNow.Add(time.Hour)}
			write(t, s, func(tx bank.Tx) error {
				is(t, "a code", tx.CreateCode(code), nil)
				is(t, "the same code again", tx.CreateCode(code), bank.ErrExists)
				got, err := tx.Code(code.Hash)
				is(t, "the code", err, nil)
				same(t, "the code", got, code)
				// When it is used
				return tx.UseCode(code.Hash, "T0000007", suiteNow)
			})
			write(t, s, func(tx bank.Tx) error {
				// Then it says by whom, and cannot be used again
				got, err := tx.Code(code.Hash)
				want := code
				want.Used, want.TerminalID = suiteNow, "T0000007"
				is(t, "the used code", err, nil)
				same(t, "the used code", got, want)
				is(t, "a second use", tx.UseCode(code.Hash, "T0000008", suiteNow), bank.ErrNotFound)
				is(t, "an unknown code", tx.UseCode([]byte("other"), "T0000008", suiteNow), bank.ErrNotFound)
				_, err = tx.Code([]byte("other"))
				is(t, "an unknown code", err, bank.ErrNotFound)
				return nil
			})
		}},
		{"terminal numbers count up from 1", func(t *testing.T, s bank.Store) {
			var got []int64
			for range 3 {
				write(t, s, func(tx bank.Tx) error {
					n, err := tx.NextTerminalNumber()
					got = append(got, n)
					return err
				})
			}
			same(t, "numbers", got, []int64{1, 2, 3})
		}},
		{"desks: found by id and certificate serial, revoked once", func(t *testing.T, s bank.Store) {
			d := bank.Desk{TerminalID: "T0000001", MerchantID: suiteMerchant, Teller: true, CertSerial: "1f2e",
				NotAfter: suiteNow.AddDate(1, 0, 0), Enrolled: suiteNow}
			write(t, s, func(tx bank.Tx) error {
				is(t, "a desk", tx.CreateDesk(d), nil)
				other := d
				other.CertSerial = "3c4d"
				is(t, "a second desk of that id", tx.CreateDesk(other), bank.ErrExists)
				other.TerminalID, other.CertSerial = "T0000002", d.CertSerial
				is(t, "a second desk of that serial", tx.CreateDesk(other), bank.ErrExists)
				got, err := tx.Desk(d.TerminalID)
				is(t, "by id", err, nil)
				same(t, "by id", got, d)
				got, err = tx.DeskBySerial(d.CertSerial)
				is(t, "by serial", err, nil)
				same(t, "by serial", got, d)
				_, err = tx.Desk("T0000009")
				is(t, "an unknown desk", err, bank.ErrNotFound)
				_, err = tx.DeskBySerial("ffff")
				is(t, "an unknown serial", err, bank.ErrNotFound)
				// When it is revoked
				return tx.RevokeDesk(d.TerminalID, suiteNow.Add(time.Hour))
			})
			write(t, s, func(tx bank.Tx) error {
				// Then it says when, and is not revoked again
				got, err := tx.Desk(d.TerminalID)
				want := d
				want.Revoked = suiteNow.Add(time.Hour)
				is(t, "revoked", err, nil)
				same(t, "revoked", got, want)
				is(t, "a second revocation", tx.RevokeDesk(d.TerminalID, suiteNow), bank.ErrNotFound)
				is(t, "an unknown desk", tx.RevokeDesk("T0000009", suiteNow), bank.ErrNotFound)
				return nil
			})
		}},
		{"idempotency: the first answer to each client's key is kept", func(t *testing.T, s bank.Store) {
			rec := bank.IdemRecord{Client: "desk:T0000001", Key: "k-1", BodyHash: []byte{1, 2, 3}, Status: 200,
				Response: []byte(`{"ok":true}` + "\n"), At: suiteNow}
			write(t, s, func(tx bank.Tx) error {
				_, err := tx.Idempotent(rec.Client, rec.Key)
				is(t, "before", err, bank.ErrNotFound)
				is(t, "saved", tx.SaveIdempotent(rec), nil)
				second := rec
				second.Status, second.Response = 409, []byte("{}\n")
				is(t, "a second answer", tx.SaveIdempotent(second), bank.ErrExists)
				other := rec
				other.Client = "phone:1"
				return tx.SaveIdempotent(other)
			})
			read(t, s, func(tx bank.Tx) error {
				got, err := tx.Idempotent(rec.Client, rec.Key)
				same(t, "the record", got, rec)
				return err
			})
		}},
	}
}
