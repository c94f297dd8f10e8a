package oda

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"
)

// MaxFileSize bounds a key file: the full set of every scheme's keys is
// well under 100 KiB.
const MaxFileSize = 1 << 20

// fileKey is one key as the desk's key file holds it (DESIGN section 7):
// hex strings, uppercase when written, either case when read.
type fileKey struct {
	RID      string `json:"rid"`
	Index    string `json:"index"`
	Modulus  string `json:"modulus"`
	Exponent string `json:"exponent"`
	Expires  string `json:"expires,omitempty"` // YYYY-MM-DD, last valid day; absent: no expiry
	Checksum string `json:"checksum"`
	Set      string `json:"set,omitempty"` // "test", "live" or absent
}

type keyFile struct {
	Keys *[]fileKey `json:"keys"`
}

// ParseFile reads a key file:
//
//	{"keys":[{"rid":"A000000333","index":"C1","modulus":"HEX","exponent":"03",
//	          "expires":"2030-12-31","checksum":"HEX","set":"test"}]}
//
// "expires" and "set" are optional. Every key must carry its checksum
// (SHA-1 over RID, index, modulus and exponent) and it must match: a key
// that does not is refused with ErrCAPKChecksum, naming it. Unknown fields,
// bad hex, bad dates, unusable keys and duplicates are refused with an error
// naming the key; nothing is returned unless the whole file is good.
func ParseFile(data []byte) ([]CAPK, error) {
	if len(data) > MaxFileSize {
		return nil, fmt.Errorf("oda: CA key file of %d bytes, at most %d", len(data), MaxFileSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f keyFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("oda: CA key file: %w", err)
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("oda: CA key file: data after the JSON object")
	}
	if f.Keys == nil {
		return nil, errors.New(`oda: CA key file: no "keys" list`)
	}
	out := make([]CAPK, 0, len(*f.Keys))
	seen := make(map[string]int, len(*f.Keys))
	for i, fk := range *f.Keys {
		k, err := fk.capk()
		if err != nil {
			return nil, fmt.Errorf("oda: CA key file: key %d (%s): %w", i+1, fk.label(), err)
		}
		id := k.Name()
		if j, dup := seen[id]; dup {
			return nil, fmt.Errorf("oda: CA key file: key %d (%s): same set, RID and index as key %d", i+1, id, j)
		}
		seen[id] = i + 1
		out = append(out, k)
	}
	return out, nil
}

// label names a key as the file spells it, for errors found before its
// fields are decoded.
func (fk fileKey) label() string {
	s := fk.RID + "/" + fk.Index
	if fk.Set != "" {
		s += " (" + fk.Set + ")"
	}
	if len(s) > 40 {
		s = s[:40] + "…"
	}
	return s
}

func (fk fileKey) capk() (CAPK, error) {
	var k CAPK
	rid, err := hexField("rid", fk.RID, 5, 5)
	if err != nil {
		return k, err
	}
	copy(k.RID[:], rid)
	idx, err := hexField("index", fk.Index, 1, 1)
	if err != nil {
		return k, err
	}
	k.Index = idx[0]
	if k.Modulus, err = hexField("modulus", fk.Modulus, 1, MaxModulusLen); err != nil {
		return k, err
	}
	if k.Exponent, err = hexField("exponent", fk.Exponent, 1, 3); err != nil {
		return k, err
	}
	if fk.Expires != "" {
		if k.Expires, err = time.Parse(time.DateOnly, fk.Expires); err != nil {
			return k, fmt.Errorf("expires %q: want YYYY-MM-DD", fk.Expires)
		}
	}
	k.Set = fk.Set
	sum, err := hexField("checksum", fk.Checksum, 20, 20)
	if err != nil {
		return k, err
	}
	if want := k.Checksum(); !bytes.Equal(sum, want[:]) {
		return k, fmt.Errorf("%w: file says %X, the key hashes to %X", ErrCAPKChecksum, sum, want)
	}
	if err := k.Validate(); err != nil {
		return k, err
	}
	return k, nil
}

func hexField(name, s string, min, max int) ([]byte, error) {
	if len(s) > 2*max {
		return nil, fmt.Errorf("%s: %d hex digits, at most %d", name, len(s), 2*max)
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("%s: not hex: %w", name, err)
	}
	if len(b) < min {
		if min == max {
			return nil, fmt.Errorf("%s: %d bytes, want %d", name, len(b), min)
		}
		return nil, fmt.Errorf("%s: %d bytes, want %d to %d", name, len(b), min, max)
	}
	return b, nil
}

// MarshalFile writes keys as a key file ParseFile reads, with their
// checksums, in the order given, indented for people to read and diff.
func MarshalFile(keys []CAPK) ([]byte, error) {
	list := make([]fileKey, 0, len(keys))
	for _, k := range keys {
		if err := k.Validate(); err != nil {
			return nil, err
		}
		sum := k.Checksum()
		fk := fileKey{
			RID:      strings.ToUpper(hex.EncodeToString(k.RID[:])),
			Index:    fmt.Sprintf("%02X", k.Index),
			Modulus:  strings.ToUpper(hex.EncodeToString(k.Modulus)),
			Exponent: strings.ToUpper(hex.EncodeToString(k.Exponent)),
			Checksum: strings.ToUpper(hex.EncodeToString(sum[:])),
			Set:      k.Set,
		}
		if !k.Expires.IsZero() {
			fk.Expires = k.Expires.Format(time.DateOnly)
		}
		list = append(list, fk)
	}
	out, err := json.MarshalIndent(keyFile{Keys: &list}, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("oda: CA key file: %w", err)
	}
	return append(out, '\n'), nil
}
