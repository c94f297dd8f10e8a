package wallet

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sync"
	"time"
)

// FrameTrace is when the phone got one frame from the reader and when it
// answered: wall-clock nanoseconds since the Unix epoch, so that they line
// up with times taken by the desk in another process on the same machine.
// A benchmark splits a command's round trip with them into the way there,
// the phone's own work and the way back.
type FrameTrace struct {
	// Control is the control byte of a one-byte frame; Command is false then.
	Control byte `json:"control,omitempty"`
	Command bool `json:"command"`
	INS     byte `json:"ins,omitempty"`
	In      int  `json:"in_len"`
	Out     int  `json:"out_len"`
	// Read: the whole frame was in; Answered: the application's answer
	// was ready; Sent: the answer's frame was handed to the kernel (0 for
	// a control byte that carries no reply).
	Read     int64 `json:"read_ns"`
	Answered int64 `json:"answered_ns"`
	Sent     int64 `json:"sent_ns"`
}

// Trace keeps the frames of every tap it is given to. It is kept in
// memory and written out at the end, so that noting a frame costs the
// exchange two clock readings and no system call.
type Trace struct {
	mu     sync.Mutex
	frames []FrameTrace
}

func (t *Trace) add(f FrameTrace) {
	if t == nil {
		return
	}
	t.mu.Lock()
	t.frames = append(t.frames, f)
	t.mu.Unlock()
}

// Frames returns a copy of the frames noted so far, in order.
func (t *Trace) Frames() []FrameTrace {
	t.mu.Lock()
	defer t.mu.Unlock()
	return append([]FrameTrace(nil), t.frames...)
}

// WriteJSONLines writes one JSON object per frame.
func (t *Trace) WriteJSONLines(w io.Writer) error {
	enc := json.NewEncoder(w)
	for _, f := range t.Frames() {
		if err := enc.Encode(f); err != nil {
			return fmt.Errorf("phone trace: %w", err)
		}
	}
	return nil
}

// TapTraced is Tap with every frame noted in trace (nil notes nothing).
func TapTraced(ctx context.Context, addr string, app CardApplication, faults Faults, untilPowerOff bool, trace *Trace) (TapResult, error) {
	conn, err := dialReader(ctx, addr)
	if err != nil {
		return TapResult{}, err
	}
	s := newSession(conn, app, faults, untilPowerOff)
	s.trace = trace
	stop := context.AfterFunc(ctx, func() { _ = conn.Close() })
	defer stop()
	defer conn.Close()
	err = s.serve()
	if ctx.Err() != nil {
		return s.result, nil // the phone was taken away: a normal end
	}
	return s.result, err
}

func nowNS() int64 { return time.Now().UnixNano() }
