package device

import (
	"errors"
	"fmt"
	"testing"

	"github.com/ebfe/scard"
)

func TestClassify_PCSCCodes(t *testing.T) {
	cases := []struct {
		code scard.Error
		want error
	}{
		{scard.ErrRemovedCard, ErrCardLeft},
		{scard.ErrNotTransacted, ErrCardLeft},
		{scard.ErrResetCard, ErrCardLeft},
		{scard.ErrUnpoweredCard, ErrCardLeft},
		{scard.ErrUnresponsiveCard, ErrCardLeft},
		{scard.ErrNoSmartcard, ErrCardLeft},
		{scard.ErrNoService, ErrNoService},
		{scard.ErrServiceStopped, ErrNoService},
		{scard.ErrCommError, ErrNoService},
		{scard.ErrInvalidHandle, ErrNoService},
		{scard.ErrUnknownReader, ErrNoReader},
		{scard.ErrReaderUnavailable, ErrNoReader},
		{scard.ErrNoReadersAvailable, ErrNoReader},
		{scard.ErrSharingViolation, ErrReader},
		{scard.ErrInternalError, ErrReader},
	}
	for _, tc := range cases {
		t.Run(tc.code.Error(), func(t *testing.T) {
			// Given a PC/SC failure, when it is wrapped by the layer
			err := wrap("transmit", "R 00 00", fmt.Errorf("call: %w", tc.code))

			// Then it is of the expected kind and still carries the code
			if !errors.Is(err, tc.want) {
				t.Errorf("%v is not %v", err, tc.want)
			}
			if !errors.Is(err, tc.code) {
				t.Errorf("%v lost its cause", err)
			}
		})
	}
}

func TestError_SaysWhatAndWhere(t *testing.T) {
	err := wrap("transmit", "ACS ACR1252 00 00", scard.ErrRemovedCard)
	want := `transmit on "ACS ACR1252 00 00": the card left the reader (scard: Card was removed.)`
	if err.Error() != want {
		t.Errorf("got %q\nwant %q", err, want)
	}
}

func TestCard_ShortResponseIsCardLeft(t *testing.T) {
	for _, resp := range [][]byte{nil, {}, {0x90}} {
		// Given a reader that reports success with fewer than two bytes
		c := &Card{reader: "R", link: fixedLink{resp: resp}}

		// When the desk transmits
		_, err := c.Transmit(t.Context(), []byte{0, 0xA4, 4, 0})

		// Then it is told the card left
		if !errors.Is(err, ErrCardLeft) {
			t.Errorf("response % X: %v, want ErrCardLeft", resp, err)
		}
	}
}

type fixedLink struct{ resp []byte }

func (l fixedLink) transmit([]byte) ([]byte, error) { return l.resp, nil }
func (l fixedLink) close() error                    { return nil }
