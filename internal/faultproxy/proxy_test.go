package faultproxy

import (
	"bytes"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// backend is a TLS server speaking HTTP/2 behind a proxy, and a client
// that reaches it only through the proxy.
type backend struct {
	proxy  *Proxy
	client *http.Client
	url    string
	posts  atomic.Int64 // POSTs the server handled to the end
}

func newBackend(t *testing.T) *backend {
	t.Helper()
	b := &backend{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		if r.Method == http.MethodPost {
			b.posts.Add(1)
		}
		// An answer of several TLS records.
		w.Write(bytes.Repeat([]byte("answer "), 4000+len(body)%7))
	}))
	srv.EnableHTTP2 = true
	srv.StartTLS()
	t.Cleanup(srv.Close)
	p, err := Start(strings.TrimPrefix(srv.URL, "https://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { p.Close() })
	tr := srv.Client().Transport.(*http.Transport).Clone()
	tr.DisableKeepAlives = true
	b.proxy, b.url = p, "https://"+p.Addr()
	b.client = &http.Client{Transport: tr, Timeout: 10 * time.Second}
	return b
}

// post sends a request large enough to pass a Request threshold of 8 KiB.
func (b *backend) post() (int, error) {
	resp, err := b.client.Post(b.url+"/batch", "text/plain", bytes.NewReader(bytes.Repeat([]byte("m"), 16<<10)))
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return len(body), err
}

func TestPass_RelaysBothWays(t *testing.T) {
	// Given a proxy in front of a TLS server
	b := newBackend(t)

	// When a request goes through it
	n, err := b.post()

	// Then the whole answer comes back and the bytes are counted
	if err != nil || n < 28000 {
		t.Fatalf("answer of %d bytes, %v", n, err)
	}
	s := settledStats(b.proxy, func(s Stats) bool { return s.Up >= 16<<10 && s.Down >= 28000 })
	if s.Accepted != 1 || s.Faulted != 0 || s.Up < 16<<10 || s.Down < 28000 {
		t.Errorf("stats %+v", s)
	}
}

func TestRefuse_ThenListensAgain(t *testing.T) {
	// Given a proxy that refuses
	b := newBackend(t)
	if err := b.proxy.Set(Fault{Kind: Refuse}); err != nil {
		t.Fatal(err)
	}

	// When a client connects, then the connection is refused
	if _, err := net.Dial("tcp", b.proxy.Addr()); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Fatalf("dial: %v, want connection refused", err)
	}

	// When it passes again, then requests go through on the same address
	if err := b.proxy.Set(Fault{}); err != nil {
		t.Fatal(err)
	}
	if _, err := b.post(); err != nil {
		t.Fatal(err)
	}
}

func TestReset_CountsConnections(t *testing.T) {
	// Given a proxy that resets the next two connections
	b := newBackend(t)
	var fired atomic.Int64
	b.proxy.Set(Fault{Kind: Reset, Conns: 2, OnFire: func() { fired.Add(1) }})

	// When three requests are made, then two fail and the third goes through
	for i := range 3 {
		_, err := b.post()
		if (i < 2) != (err != nil) {
			t.Fatalf("request %d: %v", i+1, err)
		}
	}
	if s := b.proxy.Stats(); s.Faulted != 2 || fired.Load() != 2 || b.posts.Load() != 1 {
		t.Errorf("stats %+v, fired %d, posts %d", s, fired.Load(), b.posts.Load())
	}
}

func TestSlow_HoldsTheAnswer(t *testing.T) {
	// Given a proxy that holds the answer to a large request for 400 ms
	b := newBackend(t)
	b.proxy.Set(Fault{Kind: Slow, Request: 8 << 10, Delay: 400 * time.Millisecond})

	// When a request goes through
	start := time.Now()
	_, err := b.post()

	// Then it is answered, late
	if err != nil || time.Since(start) < 400*time.Millisecond {
		t.Fatalf("%v after %v", err, time.Since(start))
	}
}

func TestCutAnswer_ServerActedClientCut(t *testing.T) {
	// Given a proxy that cuts the answer to a large request in the middle
	b := newBackend(t)
	b.proxy.Set(Fault{Kind: CutAnswer, Request: 8 << 10, Quiet: 100 * time.Millisecond, Conns: 1})

	// When a request goes through
	_, err := b.post()

	// Then the server handled it, the client got part of the answer and an error
	if err == nil || b.posts.Load() != 1 {
		t.Fatalf("error %v, server handled %d", err, b.posts.Load())
	}
	if s := settledStats(b.proxy, func(s Stats) bool { return s.Down >= 1000 }); s.Faulted != 1 || s.Down < 1000 {
		t.Errorf("stats %+v: the answer's first part was not relayed", s)
	}
	t.Logf("client saw: %v", err)

	// And the next connection passes
	if _, err := b.post(); err != nil {
		t.Fatal(err)
	}
}

func TestDropAnswer_ServerActedClientHeardNothing(t *testing.T) {
	// Given a proxy that drops the answer to a large request
	b := newBackend(t)
	b.proxy.Set(Fault{Kind: DropAnswer, Request: 8 << 10, Quiet: 100 * time.Millisecond, Conns: 1})
	before := b.proxy.Stats().Down

	// When a request goes through
	_, err := b.post()

	// Then the server handled it and the client only saw its connection reset
	if err == nil || b.posts.Load() != 1 {
		t.Fatalf("error %v, server handled %d", err, b.posts.Load())
	}
	// Only the handshake went back to the client.
	if s := b.proxy.Stats(); s.Faulted != 1 || s.Down-before > 8000 {
		t.Errorf("stats %+v", s)
	}
	t.Logf("client saw: %v", err)
}

func TestRecords_FindsTheLastRecord(t *testing.T) {
	// Given three TLS records fed in odd pieces
	var stream []byte
	for _, n := range []int{10, 300, 7} {
		stream = append(stream, 23, 3, 3, byte(n>>8), byte(n))
		stream = append(stream, make([]byte, n)...)
	}
	var r records
	for i := 0; i < len(stream); i += 3 {
		r.feed(stream[i:min(i+3, len(stream))])
	}

	// Then the last one starts after the first two and ends the stream
	if r.last != 15+305 || r.next != int64(len(stream)) || r.off != int64(len(stream)) {
		t.Errorf("last %d next %d off %d, stream %d", r.last, r.next, r.off, len(stream))
	}
}

// settledStats waits up to 5 s for the counters to satisfy ok: the relay
// counts a chunk after writing it on, so a client may hold the bytes a
// moment before the counters do.
func settledStats(p *Proxy, ok func(Stats) bool) Stats {
	s := p.Stats()
	for deadline := time.Now().Add(5 * time.Second); !ok(s) && time.Now().Before(deadline); s = p.Stats() {
		time.Sleep(10 * time.Millisecond)
	}
	return s
}
