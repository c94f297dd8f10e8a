package issuance

import (
	"encoding/hex"
	"fmt"
	"strings"
)

// Hex is bytes that JSON carries as uppercase hex, the way people who read
// EMV traces expect to see them (encoding/json would use base64).
type Hex []byte

// MarshalText writes uppercase hex.
func (h Hex) MarshalText() ([]byte, error) {
	return []byte(strings.ToUpper(hex.EncodeToString(h))), nil
}

// UnmarshalText reads hex in either case.
func (h *Hex) UnmarshalText(b []byte) error {
	v, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("issuance: not hex: %w", err)
	}
	*h = v
	return nil
}

// String is the uppercase hex.
func (h Hex) String() string { return strings.ToUpper(hex.EncodeToString(h)) }
