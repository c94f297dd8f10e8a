package wallet

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"
)

func TestTapTraced_NotesEveryFrameInOrder(t *testing.T) {
	// Given a reader that powers the card on, asks its ATR, sends two
	// commands and one frame split in two segments, then powers it off
	addr, readers := listenReader(t)
	trace := &Trace{}
	done := make(chan error, 1)
	go func() {
		_, err := TapTraced(context.Background(), addr, EchoCard{}, Faults{}, true, trace)
		done <- err
	}()
	r := <-readers

	// When the phone answers them
	r.send(ctlPowerOn)
	r.send(ctlGetATR)
	if got := r.recv(); !bytes.Equal(got, ATR) {
		t.Fatalf("ATR %X", got)
	}
	r.send(0x00, 0xA4, 0x04, 0x00, 0x02, 0xAB, 0xCD)
	if got := r.recv(); !bytes.Equal(got, []byte{0xAB, 0xCD, 0x90, 0x00}) {
		t.Fatalf("answer %X", got)
	}
	if _, err := r.conn.Write([]byte{0x00, 0x05, 0x80}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.conn.Write([]byte{0xCA, 0x9F, 0x36, 0x00}); err != nil {
		t.Fatal(err)
	}
	if got := r.recv(); !bytes.Equal(got, []byte{0x90, 0x00}) {
		t.Fatalf("answer %X", got)
	}
	r.send(ctlPowerOff)
	if err := <-done; err != nil {
		t.Fatal(err)
	}

	// Then the trace holds every frame, in order, with its times in order
	frames := trace.Frames()
	want := []FrameTrace{{Control: ctlPowerOn, In: 1}, {Control: ctlGetATR, In: 1},
		{Command: true, INS: 0xA4, In: 7, Out: 4}, {Command: true, INS: 0xCA, In: 5, Out: 2}, {Control: ctlPowerOff, In: 1}}
	if len(frames) != len(want) {
		t.Fatalf("%d frames, want %d: %+v", len(frames), len(want), frames)
	}
	for i, f := range frames {
		w := want[i]
		if f.Control != w.Control || f.Command != w.Command || f.INS != w.INS || f.In != w.In || f.Out != w.Out {
			t.Errorf("frame %d: %+v, want %+v", i, f, w)
		}
		if f.Read == 0 || f.Answered < f.Read || (f.Command && f.Sent < f.Answered) {
			t.Errorf("frame %d: times out of order: %+v", i, f)
		}
		if i > 0 && f.Read < frames[i-1].Read {
			t.Errorf("frame %d read before frame %d", i, i-1)
		}
	}
	// And it is written one JSON object a line
	var out bytes.Buffer
	if err := trace.WriteJSONLines(&out); err != nil {
		t.Fatal(err)
	}
	lines := bytes.Split(bytes.TrimSpace(out.Bytes()), []byte("\n"))
	if len(lines) != len(want) {
		t.Fatalf("%d lines, want %d", len(lines), len(want))
	}
	var back FrameTrace
	if err := json.Unmarshal(lines[2], &back); err != nil || back != frames[2] {
		t.Errorf("line 3 reads back as %+v (%v), want %+v", back, err, frames[2])
	}
}
