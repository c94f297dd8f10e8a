package systest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"lingqian/app"
	"lingqian/device"
	"lingqian/wallet"
)

// deskTrace notes, at the desk's reader layer, when each tap was seen,
// connected, each command sent and answered, and the card released:
// wall-clock nanoseconds, to be set beside the phone's own trace
// (wallet.FrameTrace) taken in another process. A nil trace notes nothing.
type deskTrace struct {
	taps []deskTap
}

type deskTap struct {
	seen, connected int64
	cmds            []deskCmd
	closing, closed int64
	done            int64 // the purchase returned
}

type deskCmd struct {
	ins        byte
	cmd        []byte
	sent, back int64
}

func nowNS() int64 { return time.Now().UnixNano() }

func (t *deskTrace) seen() {
	if t != nil {
		t.taps = append(t.taps, deskTap{seen: nowNS()})
	}
}

func (t *deskTrace) last() *deskTap { return &t.taps[len(t.taps)-1] }

// card notes the session as connected and returns it with its commands
// and its release noted.
func (t *deskTrace) card(c *device.Card) app.Card {
	if t == nil {
		return c
	}
	t.last().connected = nowNS()
	return &tracedCard{card: c, tap: t.last()}
}

func (t *deskTrace) done() {
	if t != nil && len(t.taps) > 0 {
		t.last().done = nowNS()
	}
}

type tracedCard struct {
	card *device.Card
	tap  *deskTap
}

func (c *tracedCard) Transmit(ctx context.Context, cmd []byte) ([]byte, error) {
	dc := deskCmd{ins: cmd[1], cmd: slices.Clone(cmd), sent: nowNS()}
	resp, err := c.card.Transmit(ctx, cmd)
	dc.back = nowNS()
	c.tap.cmds = append(c.tap.cmds, dc)
	return resp, err
}

func (c *tracedCard) Close() error {
	c.tap.closing = nowNS()
	err := c.card.Close()
	c.tap.closed = nowNS()
	return err
}

// readPhoneTrace reads what `lingqian-phone tap --trace` wrote.
func readPhoneTrace(b *testing.B, path string) []wallet.FrameTrace {
	f, err := os.Open(path)
	if err != nil {
		b.Fatalf("phone trace: %v", err)
	}
	defer f.Close()
	var frames []wallet.FrameTrace
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var ft wallet.FrameTrace
		if err := json.Unmarshal(sc.Bytes(), &ft); err != nil {
			b.Fatalf("phone trace %s: %v", path, err)
		}
		frames = append(frames, ft)
	}
	if err := sc.Err(); err != nil {
		b.Fatalf("phone trace %s: %v", path, err)
	}
	return frames
}

// tapSplit is where one tap's time went, from the desk seeing the phone
// to the purchase returning, with the phone's trace set beside the desk's.
type tapSplit struct {
	connect time.Duration // connect: a PC/SC context and SCardConnect
	there   time.Duration // the commands' way from the desk to the phone
	phone   time.Duration // the phone's own work answering them
	back    time.Duration // the answers' way from the phone to the desk, the phone's write included
	desk    time.Duration // the desk between commands and after the last: kernel and journal
	release time.Duration // disconnect, unpowering the card, and the context's release
	total   time.Duration // from seeing the phone to the purchase returning
	polls   int           // presence polls (GET ATR) the reader sent during the tap
}

// splitTaps sets each desk tap beside the phone's frames that came during
// it. Taps whose command counts do not match are left out and counted.
func splitTaps(tr *deskTrace, frames []wallet.FrameTrace) (splits []tapSplit, perCmd [][3][]time.Duration, skipped int) {
	k := 0
	for _, tp := range tr.taps {
		for k < len(frames) && frames[k].Read < tp.seen {
			k++
		}
		var cmds []wallet.FrameTrace
		polls := 0
		for ; k < len(frames) && frames[k].Read <= tp.done; k++ {
			switch {
			case frames[k].Command:
				cmds = append(cmds, frames[k])
			case frames[k].Control == 0x04:
				polls++
			}
		}
		if len(cmds) != len(tp.cmds) || tp.closed == 0 {
			skipped++
			continue
		}
		if perCmd == nil {
			perCmd = make([][3][]time.Duration, len(cmds))
		}
		s := tapSplit{connect: ns(tp.connected - tp.seen), release: ns(tp.closed - tp.closing), polls: polls}
		onWire := time.Duration(0)
		for i, f := range cmds {
			d := tp.cmds[i]
			there, own, back := ns(f.Read-d.sent), ns(f.Answered-f.Read), ns(d.back-f.Answered)
			s.there += there
			s.phone += own
			s.back += back
			onWire += ns(d.back - d.sent)
			if i < len(perCmd) {
				perCmd[i][0] = append(perCmd[i][0], there)
				perCmd[i][1] = append(perCmd[i][1], own)
				perCmd[i][2] = append(perCmd[i][2], back)
			}
		}
		s.desk = ns(tp.closing-tp.connected) - onWire
		s.total = ns(tp.done - tp.seen)
		splits = append(splits, s)
	}
	return splits, perCmd, skipped
}

func ns(d int64) time.Duration { return time.Duration(d) }

// logSplit writes, on one line, each part of a tap's time as p50/mean in
// microseconds (the means add up to the total; the p50s need not), then on
// another each command's p50 way there, phone's work and way back. Only
// for runs of many taps: go test keeps few lines of a benchmark's log.
func logSplit(b *testing.B, name string, tr *deskTrace, splits []tapSplit, perCmd [][3][]time.Duration, skipped int) {
	if b.N < 10 {
		return
	}
	if len(splits) == 0 {
		b.Logf("%s: no tap traced (%d left out)", name, skipped)
		return
	}
	part := func(f func(tapSplit) time.Duration) string {
		v := make([]time.Duration, len(splits))
		var sum time.Duration
		for i, s := range splits {
			v[i] = f(s)
			sum += v[i]
		}
		return fmt.Sprintf("%d/%d", us(p50(v)), us(sum/time.Duration(len(splits))))
	}
	polls := 0
	for _, s := range splits {
		polls += s.polls
	}
	b.Logf("%s, %d taps (%d left out), µs p50/mean: total %s = connect %s + way there %s + phone %s + way back %s + desk %s + release %s; presence polls per tap: %.1f",
		name, len(splits), skipped, part(func(s tapSplit) time.Duration { return s.total }),
		part(func(s tapSplit) time.Duration { return s.connect }), part(func(s tapSplit) time.Duration { return s.there }),
		part(func(s tapSplit) time.Duration { return s.phone }), part(func(s tapSplit) time.Duration { return s.back }),
		part(func(s tapSplit) time.Duration { return s.desk }), part(func(s tapSplit) time.Duration { return s.release }),
		float64(polls)/float64(len(splits)))
	var sb strings.Builder
	ins := tr.taps[len(tr.taps)-1].cmds
	for i, c := range perCmd {
		name := fmt.Sprintf("%02X", i)
		if i < len(ins) {
			name = fmt.Sprintf("%02X", ins[i].ins)
		}
		fmt.Fprintf(&sb, " %s:%d/%d/%d", name, us(p50(c[0])), us(p50(c[1])), us(p50(c[2])))
	}
	b.Logf("%s per command (INS: there/phone/back µs p50):%s", name, sb.String())
}

func us(d time.Duration) int64 { return d.Microseconds() }

// writeTimeline writes to path one tap's events, the desk's and the phone's, in
// order of time, in microseconds from the desk seeing the phone.
func writeTimeline(b *testing.B, path, name string, tp deskTap, frames []wallet.FrameTrace, until int64) {
	type ev struct {
		at   int64
		what string
	}
	evs := []ev{{tp.connected, "desk: connected"}, {tp.closing, "desk: release"}, {tp.closed, "desk: released"}, {tp.done, "desk: done"}}
	for _, c := range tp.cmds {
		evs = append(evs, ev{c.sent, fmt.Sprintf("desk: send %02X", c.ins)}, ev{c.back, fmt.Sprintf("desk: answer %02X", c.ins)})
	}
	for _, f := range frames {
		if f.Read < tp.seen || f.Read > until {
			continue
		}
		if f.Command {
			evs = append(evs, ev{f.Read, fmt.Sprintf("phone: got %02X", f.INS)}, ev{f.Answered, "phone: answered"}, ev{f.Sent, "phone: sent"})
		} else {
			evs = append(evs, ev{f.Read, fmt.Sprintf("phone: control %02X", f.Control)})
		}
	}
	slices.SortStableFunc(evs, func(a, b ev) int { return int(a.at - b.at) })
	var sb strings.Builder
	for _, e := range evs {
		fmt.Fprintf(&sb, "\n%8d %s", (e.at-tp.seen)/1000, e.what)
	}
	if err := os.WriteFile(path, []byte(sb.String()[1:]+"\n"), 0o644); err != nil {
		b.Logf("%s timeline: %v", name, err)
	}
}
