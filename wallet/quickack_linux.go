package wallet

import (
	"net"
	"syscall"
)

// quickAck asks Linux to acknowledge the next segment at once. The flag
// wears off after a few segments, so it is set again before every read:
// otherwise delayed ACKs meet the reader's Nagle and each APDU waits ~40 ms.
func quickAck(c net.Conn) {
	tc, ok := c.(*net.TCPConn)
	if !ok {
		return
	}
	raw, err := tc.SyscallConn()
	if err != nil {
		return
	}
	_ = raw.Control(func(fd uintptr) {
		_ = syscall.SetsockoptInt(int(fd), syscall.IPPROTO_TCP, syscall.TCP_QUICKACK, 1)
	})
}
