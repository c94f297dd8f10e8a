//go:build linux && cgo

package device

// #cgo pkg-config: libpcsclite
// #include <stdlib.h>
// #include <winscard.h>
import "C"

import (
	"fmt"
	"sync"
	"unsafe"

	"github.com/ebfe/scard"
)

// The binding's Transmit makes a new 64 KiB answer buffer for every
// command (an extended APDU's answer can be that long), and the answer
// it returns keeps it alive: ten of them per tap, each zeroed, was a
// tenth of a millisecond per purchase spent in the allocator and the
// garbage collector on the desk's path. A session here keeps one buffer
// for all its commands and hands back a copy of the answer.
//
// The rest of the layer (listing readers, waiting for cards) stays on the
// binding; only a card session's own calls are made here.

// nativeLink is one card session over PC/SC with its own context.
type nativeLink struct {
	ctx   C.SCARDCONTEXT
	card  C.SCARDHANDLE
	proto C.DWORD

	// mu keeps two commands from sharing the answer buffer; a Card is
	// used by one goroutine at a time, so it is never waited for.
	mu     sync.Mutex
	answer []byte
}

func connectLink(reader string) (link, []byte, error) {
	var sctx C.SCARDCONTEXT
	if r := C.SCardEstablishContext(C.SCARD_SCOPE_SYSTEM, nil, nil, &sctx); r != C.SCARD_S_SUCCESS {
		return nil, nil, pcscError(r)
	}
	name := C.CString(reader)
	defer C.free(unsafe.Pointer(name))
	l := &nativeLink{ctx: sctx}
	r := C.SCardConnect(sctx, name, C.SCARD_SHARE_EXCLUSIVE, C.SCARD_PROTOCOL_T1|C.SCARD_PROTOCOL_T0, &l.card, &l.proto)
	if r != C.SCARD_S_SUCCESS {
		C.SCardReleaseContext(sctx)
		return nil, nil, pcscError(r)
	}
	return l, l.atr(), nil
}

// atr is the card's answer to reset, nil when the reader cannot say.
func (l *nativeLink) atr() []byte {
	var (
		atr          [C.MAX_ATR_SIZE]C.uchar
		atrLen       = C.DWORD(len(atr))
		state, proto C.DWORD
		nameLen      C.DWORD
	)
	if r := C.SCardStatus(l.card, nil, &nameLen, &state, &proto, &atr[0], &atrLen); r != C.SCARD_S_SUCCESS {
		return nil
	}
	return C.GoBytes(unsafe.Pointer(&atr[0]), C.int(atrLen))
}

func (l *nativeLink) transmit(command []byte) ([]byte, error) {
	if len(command) == 0 {
		return nil, fmt.Errorf("transmit: empty command")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.answer == nil {
		l.answer = make([]byte, C.MAX_BUFFER_SIZE_EXTENDED)
	}
	send := C.SCARD_IO_REQUEST{dwProtocol: l.proto, cbPciLength: C.sizeof_SCARD_IO_REQUEST}
	n := C.DWORD(len(l.answer))
	r := C.SCardTransmit(l.card, &send, (*C.uchar)(unsafe.Pointer(&command[0])), C.DWORD(len(command)),
		nil, (*C.uchar)(unsafe.Pointer(&l.answer[0])), &n)
	if r != C.SCARD_S_SUCCESS {
		return nil, pcscError(r)
	}
	return append([]byte(nil), l.answer[:n]...), nil
}

func (l *nativeLink) close() error {
	// Unpowering is what lifting a phone off the reader amounts to: the
	// card application sees its session end.
	r := C.SCardDisconnect(l.card, C.SCARD_UNPOWER_CARD)
	C.SCardReleaseContext(l.ctx)
	if r == C.SCARD_S_SUCCESS {
		return nil
	}
	err := pcscError(r)
	if classify(err) != ErrReader {
		return nil // the card or the service is already gone: nothing to close
	}
	return fmt.Errorf("disconnect: %w", err)
}

// pcscError is a PC/SC return code as the binding's error, so that one
// classify serves both.
func pcscError(r C.LONG) error { return scard.Error(uint32(r)) }
