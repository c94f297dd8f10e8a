package wallet

import (
	"net"
	"testing"
	"time"
)

// FuzzSession feeds the phone whatever a hostile or broken reader might
// send: it must answer or hang up, never panic or hang.
func FuzzSession(f *testing.F) {
	f.Add([]byte{0x00, 0x01, 0x04})                                           // get ATR
	f.Add([]byte{0x00, 0x01, 0x01, 0x00, 0x05, 0x00, 0xB2, 0x01, 0x0C, 0x00}) // power on, READ RECORD
	f.Add([]byte{0x00, 0x01, 0x00})                                           // power off
	f.Add([]byte{0xFF, 0xFF, 0x01})                                           // a long frame cut short
	f.Add([]byte{0x00, 0x00, 0x00, 0x01, 0x09})                               // empty frame, unknown control byte
	f.Fuzz(func(t *testing.T, stream []byte) {
		phoneEnd, readerEnd := net.Pipe()
		s := &session{conn: phoneEnd, app: EchoCard{}, untilPowerOff: true}
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = s.serve()
			phoneEnd.Close()
		}()
		go func() { // drain the phone's answers
			buf := make([]byte, 512)
			for {
				if _, err := readerEnd.Read(buf); err != nil {
					return
				}
			}
		}()
		_ = readerEnd.SetWriteDeadline(time.Now().Add(2 * time.Second))
		_, _ = readerEnd.Write(stream)
		readerEnd.Close()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("the phone hung on a closed reader")
		}
	})
}

func FuzzEchoCard(f *testing.F) {
	f.Add([]byte{0x00, 0xA4, 0x04, 0x00, 0x02, 0xA0, 0x00, 0x00})
	f.Add([]byte{0x00, 0xA4, 0x04, 0x00, 0x00, 0x00, 0x02, 0xA0, 0x00})
	f.Fuzz(func(t *testing.T, cmd []byte) {
		resp := EchoCard{}.Process(cmd)
		if len(resp) < 2 || resp[len(resp)-2] != 0x90 || len(resp) > len(cmd)+2 {
			t.Fatalf("answer % X to % X", resp, cmd)
		}
	})
}
