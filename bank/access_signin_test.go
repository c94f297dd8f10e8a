package bank_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"lingqian/bank"
)

func TestLogin_ParallelGuessesGetNoMoreChecksThanTheLockAllows(t *testing.T) {
	// Given a customer, and room for every guess to be checked at once
	clk := &clock{}
	b, h := accessBank(t, bank.Options{HashSlots: 64, HashWait: time.Minute, Now: clk.now})
	if err := b.AddCustomer(context.Background(), "alice", "s3cret-alice", 0); err != nil {
		t.Fatal(err)
	}
	before := bank.Access(b).Hashes

	// When 40 wrong guesses arrive at once, from 40 addresses
	const guesses = 40
	answers := make([]answer, guesses)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range guesses {
		wg.Go(func() {
			<-start
			answers[i] = login(h, fmt.Sprintf("203.0.113.%d:1", i+1), "alice", fmt.Sprintf("guess-%d", i))
		})
	}
	close(start)
	wg.Wait()

	// Then at most MaxFailures of them had their password checked
	if n := bank.Access(b).Hashes - before; n > bank.MaxFailures {
		t.Errorf("%d passwords checked for %d guesses; the lock allows %d", n, guesses, bank.MaxFailures)
	}
	// And every one got the same answer
	for i, a := range answers {
		if a != answers[0] || a.Status != http.StatusUnauthorized || a.code() != bank.CodeWrongPassword {
			t.Errorf("guess %d: %+v, guess 0: %+v", i, a, answers[0])
		}
	}
	// And the right password is refused alike until the lock runs out,
	// with no check made
	before = bank.Access(b).Hashes
	if a := login(h, "192.0.2.1:1", "alice", "s3cret-alice"); a != answers[0] {
		t.Errorf("locked: %+v", a)
	}
	if n := bank.Access(b).Hashes - before; n != 0 {
		t.Errorf("a locked customer's password was checked %d times", n)
	}
	clk.advance(bank.LockFor)
	if a := login(h, "192.0.2.1:1", "alice", "s3cret-alice"); a.Status != http.StatusOK {
		t.Errorf("after the lock: %+v", a)
	}
}

func TestLogin_UnknownUserWrongPasswordAndLockedAnswerAlike(t *testing.T) {
	// Given a customer who can log in, and one locked out
	b, h := accessBank(t, bank.Options{})
	ctx := context.Background()
	for _, u := range []string{"alice", "bob"} {
		if err := b.AddCustomer(ctx, u, "s3cret-"+u, 0); err != nil {
			t.Fatal(err)
		}
	}
	for i := range bank.MaxFailures {
		login(h, fmt.Sprintf("198.51.100.%d:1", i+1), "bob", "guess")
	}
	cases := []struct {
		name, user, password string
		checks               int64 // passwords hashed for the answer
	}{
		{"an unknown user", "nobody", "s3cret-alice", 1},
		{"a wrong password", "alice", "s3cret-bob", 1},
		{"a locked customer's right password", "bob", "s3cret-bob", 0},
		{"a locked customer's wrong password", "bob", "guess", 0},
		{"a user name that cannot be", "Not A Name", "s3cret-alice", 1},
	}
	var first answer
	for i, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// When it is tried from an address of its own
			before := bank.Access(b).Hashes
			a := login(h, fmt.Sprintf("192.0.2.%d:1", i+1), tc.user, tc.password)
			// Then the answer is byte for byte the others'
			if i == 0 {
				first = a
			}
			if a != first || a.Status != http.StatusUnauthorized || a.code() != bank.CodeWrongPassword || a.RetryAfter != "" {
				t.Errorf("%+v, want %+v", a, first)
			}
			// And an unknown user costs a check as a known one does,
			// while a locked one is answered without
			if n := bank.Access(b).Hashes - before; n != tc.checks {
				t.Errorf("%d checks, want %d", n, tc.checks)
			}
		})
	}
}

func TestLogin_ABusyBankSaysSoAndCountsNothing(t *testing.T) {
	// Given a bank with one hashing slot, held by a sign-in in progress
	b, h := accessBank(t, bank.Options{HashSlots: 1, HashWait: time.Millisecond})
	if err := b.AddCustomer(context.Background(), "alice", "s3cret-alice", 0); err != nil {
		t.Fatal(err)
	}
	release := bank.HoldHashSlots(t, b)

	// When the customer logs in more often than the lock allows
	for range bank.MaxFailures + 1 {
		a := login(h, "192.0.2.1:1", "alice", "s3cret-alice")
		// Then each is answered busy with a Retry-After
		if a.Status != http.StatusServiceUnavailable || a.code() != bank.CodeBusy || a.RetryAfter == "" {
			t.Fatalf("%+v", a)
		}
	}
	// And once the bank has room the customer is not locked out
	release()
	if a := login(h, "192.0.2.1:1", "alice", "s3cret-alice"); a.Status != http.StatusOK {
		t.Errorf("after the busy answers: %+v", a)
	}
}
