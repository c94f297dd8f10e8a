package faultproxy

import (
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"
)

// dialTimeout bounds reaching the server for one connection.
const dialTimeout = 5 * time.Second

// conn is one client connection and its fault.
type conn struct {
	p      *Proxy
	client net.Conn
	fault  Fault

	mu     sync.Mutex
	server net.Conn // nil until dialled
	done   chan struct{}
	once   sync.Once

	up     atomic.Int64 // bytes the client has sent
	lastUp atomic.Int64 // when it last sent some, Unix nanoseconds
}

// close ends both sides once; reset makes the client see a TCP reset
// rather than an orderly close.
func (c *conn) close(reset bool) {
	c.once.Do(func() {
		close(c.done)
		if tc, ok := c.client.(*net.TCPConn); ok && reset {
			_ = tc.SetLinger(0)
		}
		c.client.Close()
		c.mu.Lock()
		if c.server != nil {
			c.server.Close()
		}
		c.mu.Unlock()
	})
}

// run serves the connection until either side is done.
func (c *conn) run() {
	defer c.close(false)
	if c.fault.Kind == Reset || c.fault.Kind == Refuse { // Refuse: accepted as the listener closed
		c.fire()
		c.close(true)
		return
	}
	server, err := net.DialTimeout("tcp", c.p.target, dialTimeout)
	if err != nil {
		// Nobody behind the proxy: the client's connection is reset.
		c.p.count(func(s *Stats) { s.Unserved++ })
		c.close(true)
		return
	}
	c.mu.Lock()
	select {
	case <-c.done: // dropped while dialling
		c.mu.Unlock()
		server.Close()
		return
	default:
	}
	c.server = server
	c.mu.Unlock()
	var wg sync.WaitGroup
	wg.Go(c.upstream)
	c.downstream()
	c.close(false)
	wg.Wait()
}

// upstream relays what the client sends, counting it.
func (c *conn) upstream() {
	defer c.close(false)
	buf := make([]byte, 32<<10)
	for {
		n, err := c.client.Read(buf)
		if n > 0 {
			c.up.Add(int64(n))
			c.lastUp.Store(time.Now().UnixNano())
			if _, werr := c.server.Write(buf[:n]); werr != nil {
				return
			}
			c.p.count(func(s *Stats) { s.Up += int64(n) })
		}
		if err != nil {
			return
		}
	}
}

// downstream relays what the server sends, and applies the fault to the
// first bytes that come once the request has gone through.
func (c *conn) downstream() {
	var rec records
	buf := make([]byte, 32<<10)
	armed := c.fault.Kind == Slow || c.fault.Kind == CutAnswer || c.fault.Kind == DropAnswer
	for {
		n, err := c.server.Read(buf)
		if n > 0 {
			chunk := buf[:n]
			if up := c.up.Load(); armed && up > 0 && up >= c.fault.Request {
				armed = false
				c.fire()
				switch c.fault.Kind {
				case Slow:
					if !c.sleep(c.fault.Delay) {
						return
					}
				case CutAnswer, DropAnswer:
					c.hold(&rec, chunk)
					return
				}
			}
			rec.feed(chunk)
			if !c.relay(chunk) {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// hold keeps everything the server sends from the client until both
// directions have been silent for Quiet (the answer is complete), then
// relays half of its last TLS record (CutAnswer) or nothing (DropAnswer)
// and closes the connection.
func (c *conn) hold(rec *records, first []byte) {
	quiet := c.fault.Quiet
	if quiet <= 0 {
		quiet = DefaultQuiet
	}
	start := rec.off // stream offset of the first byte held
	held := append([]byte(nil), first...)
	rec.feed(first)
	lastDown := time.Now()
	deadline := lastDown.Add(maxHold)
	buf := make([]byte, 32<<10)
	for time.Now().Before(deadline) {
		_ = c.server.SetReadDeadline(time.Now().Add(quiet / 4))
		n, err := c.server.Read(buf)
		if n > 0 {
			held = append(held, buf[:n]...)
			rec.feed(buf[:n])
			lastDown = time.Now()
		}
		if err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			break // the server closed: what it sent is the whole answer
		}
		lastUp := time.Unix(0, c.lastUp.Load())
		if time.Since(lastDown) >= quiet && time.Since(lastUp) >= quiet {
			break
		}
	}
	if c.fault.Kind == CutAnswer {
		from := max(rec.last, start)
		cut := from + max(1, (rec.off-from)/2)
		c.relay(held[:cut-start])
		c.close(false)
		return
	}
	c.close(true)
}

// sleep waits d unless the connection is closed first.
func (c *conn) sleep(d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-c.done:
		return false
	}
}

// relay writes b to the client, counting it.
func (c *conn) relay(b []byte) bool {
	n, err := c.client.Write(b)
	c.p.count(func(s *Stats) { s.Down += int64(n) })
	return err == nil
}

func (c *conn) fire() {
	c.p.count(func(s *Stats) { s.Faulted++ })
	if c.fault.OnFire != nil {
		c.fault.OnFire()
	}
}

// records follows the TLS record layer of one direction (the 5-byte
// record headers are not encrypted): how many bytes went by, and where
// the last record began and the next one begins.
type records struct {
	off  int64 // bytes seen
	next int64 // where the next record's header starts
	last int64 // where the last record whose header began starts
	hdr  [5]byte
	nh   int // header bytes seen of the record starting at next
}

func (r *records) feed(b []byte) {
	for len(b) > 0 {
		if r.off < r.next { // inside a record's body
			n := min(int64(len(b)), r.next-r.off)
			r.off += n
			b = b[n:]
			continue
		}
		if r.nh == 0 {
			r.last = r.off
		}
		k := copy(r.hdr[r.nh:], b)
		r.nh += k
		r.off += int64(k)
		b = b[k:]
		if r.nh == len(r.hdr) {
			r.next = r.off + (int64(r.hdr[3])<<8 | int64(r.hdr[4]))
			r.nh = 0
		}
	}
}
