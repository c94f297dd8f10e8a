// Package faultproxy is a TCP proxy for tests. It stands on loopback
// between a client and a server and breaks their connections the way
// networks and crashing servers do: nobody listening, a connection
// accepted and dropped, an answer that is late, cut in the middle, or
// never relayed although the request reached the server.
//
// It works at the TCP level, so TLS passes through end to end: the
// client's mutual TLS still reaches the server. What it knows of the
// exchange it learns from byte counts, timing and the TLS record headers
// (which are not encrypted): a request has gone through once the client
// has sent Fault.Request bytes on the connection, and an answer is
// complete once both directions have been silent for Fault.Quiet.
package faultproxy

import (
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Kind is what a fault does to a connection.
type Kind int

const (
	// Pass relays both ways untouched.
	Pass Kind = iota
	// Refuse closes the listening socket: connections are refused, as
	// when the server is down. Connections already open are dropped.
	Refuse
	// Reset accepts a connection and closes it at once with a TCP reset.
	Reset
	// Slow holds the answer to the request for Fault.Delay, then
	// relays it and everything after.
	Slow
	// CutAnswer lets the request through, waits for the whole answer and
	// relays it only up to the middle of its last TLS record, then
	// closes the connection: an answer cut in the middle.
	CutAnswer
	// DropAnswer lets the request through, waits for the whole answer and
	// resets the connection without relaying any of it: the server acted
	// on the request, the client never hears of it.
	DropAnswer
)

func (k Kind) String() string {
	switch k {
	case Pass:
		return "pass"
	case Refuse:
		return "refuse"
	case Reset:
		return "reset"
	case Slow:
		return "slow"
	case CutAnswer:
		return "cut-answer"
	case DropAnswer:
		return "drop-answer"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// DefaultQuiet is Fault.Quiet when none is given.
const DefaultQuiet = 300 * time.Millisecond

// maxHold bounds how long an answer is held waiting for silence.
const maxHold = 20 * time.Second

// Fault says how the proxy treats new connections.
type Fault struct {
	Kind Kind
	// Request is how many bytes the client must have sent on a
	// connection before Slow, CutAnswer and DropAnswer act on what the
	// server sends next. The TLS handshake and small requests stay
	// below it; a large request (a batch) goes past it. 0: from the
	// first byte the client sends.
	Request int64
	// Delay is how long Slow holds the answer.
	Delay time.Duration
	// Quiet is how long both directions must be silent for CutAnswer
	// and DropAnswer to take the answer as complete. 0: DefaultQuiet.
	Quiet time.Duration
	// Conns is how many new connections the fault acts on before the
	// proxy goes back to Pass; 0: every one until Set is called again.
	// Refuse ignores it.
	Conns int
	// OnFire, if set, is called when the fault acts on a connection: at
	// accept for Reset, when the request has gone through for the others.
	// It runs on the connection's goroutine and must not block for long.
	OnFire func()
}

// Stats counts what the proxy did.
type Stats struct {
	Accepted int   // connections accepted
	Faulted  int   // connections a fault acted on
	Unserved int   // connections closed because the server could not be reached
	Up       int64 // bytes relayed from clients to the server
	Down     int64 // bytes relayed from the server to clients
}

// Proxy relays connections from its own loopback address to a target.
type Proxy struct {
	target string
	addr   string

	mu     sync.Mutex
	ln     net.Listener // nil while refusing or closed
	fault  Fault
	left   int // connections the fault still acts on, when Conns > 0
	conns  map[*conn]struct{}
	stats  Stats
	closed bool
	wg     sync.WaitGroup
}

// Start listens on a free loopback port and relays to target (host:port).
func Start(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("faultproxy: %w", err)
	}
	p := &Proxy{target: target, addr: ln.Addr().String(), ln: ln, conns: map[*conn]struct{}{}}
	p.serve(ln)
	return p, nil
}

// Addr is where clients connect (host:port).
func (p *Proxy) Addr() string { return p.addr }

// Target is the server connections are relayed to.
func (p *Proxy) Target() string { return p.target }

// Stats is a snapshot of the counters.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Set makes f the fault for connections accepted from now on. Refuse
// also drops the connections open now; leaving Refuse listens again on
// the same address.
func (p *Proxy) Set(f Fault) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("faultproxy: closed")
	}
	p.fault, p.left = f, f.Conns
	if f.Kind == Refuse {
		if p.ln != nil {
			p.ln.Close()
			p.ln = nil
		}
		for c := range p.conns {
			c.close(true)
		}
		return nil
	}
	if p.ln != nil {
		return nil
	}
	ln, err := listenAgain(p.addr)
	if err != nil {
		return err
	}
	p.ln = ln
	p.serve(ln)
	return nil
}

// listenAgain binds the address the proxy had; the port was just
// released, so a few short tries are enough.
func listenAgain(addr string) (net.Listener, error) {
	var err error
	for range 50 {
		var ln net.Listener
		if ln, err = net.Listen("tcp", addr); err == nil {
			return ln, nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return nil, fmt.Errorf("faultproxy: listening again on %s: %w", addr, err)
}

// Close stops listening, drops every connection and waits for their
// goroutines.
func (p *Proxy) Close() error {
	p.mu.Lock()
	p.closed = true
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.close(true)
	}
	p.mu.Unlock()
	p.wg.Wait()
	return nil
}

// serve accepts on ln until it is closed. Called with p.mu held or
// before p is shared.
func (p *Proxy) serve(ln net.Listener) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			p.accepted(c)
		}
	}()
}

// accepted takes the fault for a new connection and starts relaying it.
func (p *Proxy) accepted(client net.Conn) {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		client.Close()
		return
	}
	p.stats.Accepted++
	f := p.fault
	if f.Kind != Pass && f.Conns > 0 {
		if p.left--; p.left <= 0 {
			p.fault = Fault{}
		}
	}
	c := &conn{p: p, client: client, fault: f, done: make(chan struct{})}
	p.conns[c] = struct{}{}
	p.wg.Add(1)
	p.mu.Unlock()
	go func() {
		defer p.wg.Done()
		c.run()
		p.mu.Lock()
		delete(p.conns, c)
		p.mu.Unlock()
	}()
}

func (p *Proxy) count(f func(s *Stats)) {
	p.mu.Lock()
	f(&p.stats)
	p.mu.Unlock()
}
