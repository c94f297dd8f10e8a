package bank_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"lingqian/bank"
)

// accessBank is a bank without keys whose handler is driven in process:
// login needs neither TLS nor a certificate, and a request's RemoteAddr
// can be any address.
func accessBank(t *testing.T, opts bank.Options) (*bank.Bank, http.Handler) {
	t.Helper()
	b, err := bank.Open(t.TempDir(), opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = b.Close() })
	return b, b.Handler()
}

// answer is one response as a client sees it.
type answer struct {
	Status     int
	Body       string
	RetryAfter string
}

func (a answer) code() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	_ = json.Unmarshal([]byte(a.Body), &e)
	return e.Error.Code
}

// post sends one request from remote to the handler.
func post(h http.Handler, remote, path, token string, body any) answer {
	data, _ := json.Marshal(body)
	r := httptest.NewRequest("POST", path, strings.NewReader(string(data)))
	r.RemoteAddr = remote
	r.Header.Set("Idempotency-Key", "k")
	if token != "" {
		r.Header.Set("Authorization", "Bearer "+token)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return answer{w.Code, w.Body.String(), w.Header().Get("Retry-After")}
}

func login(h http.Handler, remote, user, password string) answer {
	return post(h, remote, "/v1/login", "", map[string]string{"user": user, "password": password})
}

func TestLogin_FloodFromManyAddressesStaysBoundedAndServesHonestCustomers(t *testing.T) {
	// Given a bank with two hashing slots and room for 300 addresses
	b, h := accessBank(t, bank.Options{HashSlots: 2, HashWait: 50 * time.Millisecond, MaxAddresses: 300})
	ctx := context.Background()
	honest := []string{"alice", "bob", "carol"}
	for _, u := range append(honest, "victim") {
		if err := b.AddCustomer(ctx, u, "s3cret-"+u, 0); err != nil {
			t.Fatal(err)
		}
	}

	// And a watcher of the limiter's size while the flood runs
	var maxAddresses atomic.Int64
	stop := make(chan struct{})
	watched := make(chan struct{})
	go func() {
		defer close(watched)
		for {
			if n := int64(bank.Access(b).Addresses); n > maxAddresses.Load() {
				maxAddresses.Store(n)
			}
			select {
			case <-stop:
				return
			case <-time.After(time.Millisecond):
			}
		}
	}()

	// When 4000 logins come from 3000 IPv4 addresses, 800 IPv6 /64s and
	// 200 addresses of one /64, guessing unknown users and the victim,
	// 32 at a time
	const flood = 4000
	remote := func(i int) string {
		switch {
		case i < 3000:
			return fmt.Sprintf("10.%d.%d.%d:4000", i>>16, (i>>8)&255, i&255)
		case i < 3800:
			return fmt.Sprintf("[2001:db8:%x:%x::1]:4000", i>>8, i&255)
		}
		return fmt.Sprintf("[2001:db8:ffff:1::%x]:4000", i)
	}
	var floodStatus sync.Map // status -> *atomic.Int64
	var oneNet429 atomic.Int64
	jobs := make(chan int)
	var wg sync.WaitGroup
	for range 32 {
		wg.Go(func() {
			for i := range jobs {
				user := fmt.Sprintf("nobody-%d", i)
				if i%3 == 0 {
					user = "victim"
				}
				a := login(h, remote(i), user, "guess")
				n, _ := floodStatus.LoadOrStore(a.Status, new(atomic.Int64))
				n.(*atomic.Int64).Add(1)
				if i >= 3800 && a.Status == http.StatusTooManyRequests {
					oneNet429.Add(1)
				}
			}
		})
	}
	// And the honest customers log in meanwhile, each from its own
	// address, coming back when told to
	var honestWG sync.WaitGroup
	answers := make([][]answer, len(honest))
	for k, u := range honest {
		honestWG.Go(func() {
			addr := fmt.Sprintf("192.0.2.%d:5000", 10+k)
			for served := false; !served; {
				a := login(h, addr, u, "s3cret-"+u)
				answers[k] = append(answers[k], a)
				// Retry-After is a second: slower than the address's
				// bucket refills, so coming back never runs it dry.
				if served = a.Status == http.StatusOK; !served {
					time.Sleep(time.Second)
				}
			}
		})
	}
	for i := range flood {
		jobs <- i
	}
	close(jobs)
	wg.Wait()
	honestWG.Wait()
	close(stop)
	<-watched

	// Then the limiter never held more addresses than its cap
	st := bank.Access(b)
	if st.Addresses > st.MaxAddresses || maxAddresses.Load() > int64(st.MaxAddresses) {
		t.Errorf("the limiter held %d addresses (now %d), cap %d", maxAddresses.Load(), st.Addresses, st.MaxAddresses)
	}
	if st.Evicted == 0 {
		t.Error("4000 addresses fitted in 300 buckets without evicting any")
	}
	// And never more passwords were checked at once than there are slots
	if st.HashPeak > int64(st.HashSlots) || st.HashPeak == 0 {
		t.Errorf("%d checks at once, %d slots", st.HashPeak, st.HashSlots)
	}
	// And the 200 addresses of one /64 shared one bucket
	if oneNet429.Load() == 0 {
		t.Error("200 logins from one IPv6 /64 were never limited")
	}
	// And every honest login was served, or told to come back
	for k, list := range answers {
		for _, a := range list {
			switch {
			case a.Status == http.StatusOK:
			case a.Status == http.StatusServiceUnavailable && a.code() == bank.CodeBusy && a.RetryAfter != "":
			default:
				t.Errorf("%s was answered %d %s (Retry-After %q)", honest[k], a.Status, a.Body, a.RetryAfter)
			}
		}
		if last := list[len(list)-1]; last.Status != http.StatusOK {
			t.Errorf("%s was never served", honest[k])
		}
	}
	floodStatus.Range(func(k, v any) bool {
		t.Logf("flood: %d × %d", v.(*atomic.Int64).Load(), k)
		return true
	})
	t.Logf("%d checks computed; %d addresses evicted; honest attempts %d/%d/%d",
		st.Hashes, st.Evicted, len(answers[0]), len(answers[1]), len(answers[2]))
}

func TestLimiter_CountsIPv4ByAddressAndIPv6ByItsSlash64(t *testing.T) {
	cases := []struct{ a, b string }{
		{"192.0.2.1:1", "192.0.2.1:2"},
		{"[2001:db8:1:2::1]:1", "[2001:db8:1:2:ffff:ffff:ffff:ffff]:9"},
		{"[::ffff:192.0.2.1]:1", "192.0.2.1:3"},
		{"[fe80::1%eth0]:1", "[fe80::2%eth1]:1"},
	}
	for _, tc := range cases {
		if bank.AddrKey(tc.a) != bank.AddrKey(tc.b) {
			t.Errorf("%s and %s count as two clients", tc.a, tc.b)
		}
	}
	apart := []struct{ a, b string }{
		{"192.0.2.1:1", "192.0.2.2:1"},
		{"[2001:db8:1:2::1]:1", "[2001:db8:1:3::1]:1"},
	}
	for _, tc := range apart {
		if bank.AddrKey(tc.a) == bank.AddrKey(tc.b) {
			t.Errorf("%s and %s count as one client", tc.a, tc.b)
		}
	}
}

func TestLimiter_AnAddressOverItsBurstIsToldWhenToComeBack(t *testing.T) {
	// Given a bank
	_, h := accessBank(t, bank.Options{})
	// When one address sends more logins than its burst
	var last answer
	for range 40 {
		if last = login(h, "198.51.100.7:1", "nobody", "x"); last.Status == http.StatusTooManyRequests {
			break
		}
	}
	// Then it is refused with rate_limited and a Retry-After
	if last.Status != http.StatusTooManyRequests || last.code() != bank.CodeRateLimited || last.RetryAfter == "" {
		t.Fatalf("%d %s (Retry-After %q)", last.Status, last.Body, last.RetryAfter)
	}
	// And another address is not
	if a := login(h, "198.51.100.8:1", "nobody", "x"); a.Status != http.StatusUnauthorized {
		t.Errorf("another address: %d %s", a.Status, a.Body)
	}
}
