package systest

import (
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os/exec"
	"syscall"
	"testing"
	"time"
)

// hostileTap presents, for one tap, a phone whose answers are changed on
// their way to the reader: the real wallet answers, and a relay between it
// and vpcd mutates one of its answers (a bit flipped, bytes replaced,
// cut short, another status word, or noise). The desk must decline or
// fail with a clear error, never approve what the card did not sign, and
// never crash. Then the phone stays on the reader again.
func (c *chaos) hostileTap(t *testing.T, rng *rand.Rand) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Errorf("hostile phone: %v", err)
		return
	}
	defer ln.Close()
	c.phone.kill()
	defer c.phone.restart(t)
	phone := exec.Command(bin(t, "lingqian-phone"), "tap", "--wallet", c.w.wallet, "--vpcd", ln.Addr().String(), "--once", "--timeout", "3s")
	phone.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := phone.Start(); err != nil {
		t.Errorf("hostile phone: %v", err)
		return
	}
	defer func() { _ = phone.Process.Kill(); _ = phone.Wait() }()

	_ = ln.(*net.TCPListener).SetDeadline(time.Now().Add(3 * time.Second))
	card, err := ln.Accept()
	if err != nil {
		return // the phone did not come: nothing to mutate
	}
	defer card.Close()
	reader, err := net.DialTimeout("tcp", c.pcscd.Addr(), 2*time.Second)
	if err != nil {
		return // pcscd between restarts
	}
	defer reader.Close()
	deadline := time.Now().Add(4 * time.Second)
	_ = card.SetDeadline(deadline)
	_ = reader.SetDeadline(deadline)

	go func() { _, _ = io.Copy(card, reader) }() // the reader's commands, untouched
	mutate := 1 + rng.IntN(10)                   // which answer of the tap
	did := relayMutated(card, reader, mutate, rand.New(rand.NewPCG(rng.Uint64(), rng.Uint64())))
	c.note(fmt.Sprintf("hostile phone: answer %d of the tap %s", mutate, did))
}

// relayMutated copies vpcd frames (two bytes of length, then the bytes)
// from the card to the reader, changing the mutate-th answer; what it did.
func relayMutated(card io.Reader, reader io.Writer, mutate int, rng *rand.Rand) (did string) {
	did = "never came"
	var hdr [2]byte
	for n := 1; ; n++ {
		if _, err := io.ReadFull(card, hdr[:]); err != nil {
			return did
		}
		body := make([]byte, binary.BigEndian.Uint16(hdr[:]))
		if _, err := io.ReadFull(card, body); err != nil {
			return did
		}
		if n == mutate {
			var how string
			body, how = mutateAnswer(body, rng)
			did = "was sent " + how
		}
		frame := binary.BigEndian.AppendUint16(nil, uint16(len(body)))
		if _, err := reader.Write(append(frame, body...)); err != nil {
			return did
		}
	}
}

// mutateAnswer is one of the ways a hostile phone answers wrong.
func mutateAnswer(b []byte, rng *rand.Rand) (out []byte, how string) {
	out = append([]byte(nil), b...)
	k := rng.IntN(5)
	how = [...]string{"with a bit flipped", "with bytes replaced", "cut short", "with another status word", "as noise"}[k]
	switch k {
	case 0: // a bit flipped
		if len(out) > 0 {
			i := rng.IntN(len(out))
			out[i] ^= 1 << rng.IntN(8)
		}
	case 1: // some bytes replaced
		for range 1 + rng.IntN(4) {
			if len(out) > 0 {
				out[rng.IntN(len(out))] = byte(rng.IntN(256))
			}
		}
	case 2: // cut short
		out = out[:rng.IntN(len(out)+1)]
	case 3: // another status word
		if len(out) >= 2 {
			sw := [][2]byte{{0x6A, 0x82}, {0x69, 0x85}, {0x6D, 0x00}, {0x61, 0x10}, {0x6C, 0x05}, {0x90, 0x00}}[rng.IntN(6)]
			out[len(out)-2], out[len(out)-1] = sw[0], sw[1]
		}
	default: // noise
		out = make([]byte, rng.IntN(260))
		for i := range out {
			out[i] = byte(rng.IntN(256))
		}
	}
	return out, how
}
