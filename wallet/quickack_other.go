//go:build !linux

package wallet

import "net"

// quickAck is Linux-only; elsewhere TCP_NODELAY alone is what we have.
func quickAck(net.Conn) {}
