//go:build !linux || !cgo

package device

import (
	"fmt"

	"github.com/ebfe/scard"
)

// connectLink opens a session with its own PC/SC context through the
// binding, where the desk has no session of its own (pcsc_link_linux.go).
func connectLink(reader string) (link, []byte, error) {
	sctx, err := scard.EstablishContext()
	if err != nil {
		return nil, nil, err
	}
	h, err := sctx.Connect(reader, scard.ShareExclusive, scard.ProtocolT1|scard.ProtocolT0)
	if err != nil {
		_ = sctx.Release()
		return nil, nil, err
	}
	atr := []byte(nil)
	if st, err := h.Status(); err == nil {
		atr = st.Atr
	}
	return &pcscLink{ctx: sctx, card: h}, atr, nil
}

// pcscLink is one card session over PC/SC, with its own context.
type pcscLink struct {
	ctx  *scard.Context
	card *scard.Card
}

func (l *pcscLink) transmit(command []byte) ([]byte, error) {
	return l.card.Transmit(command)
}

func (l *pcscLink) close() error {
	// Unpowering is what lifting a phone off the reader amounts to: the
	// card application sees its session end.
	err := l.card.Disconnect(scard.UnpowerCard)
	_ = l.ctx.Release()
	if err != nil && classify(err) != ErrReader {
		return nil // the card or the service is already gone: nothing to close
	}
	if err != nil {
		return fmt.Errorf("disconnect: %w", err)
	}
	return nil
}
