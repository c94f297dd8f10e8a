package assets

import (
	"errors"
	"testing"
	"time"

	"lingqian/emv/oda"
)

func TestDefaultCAPK(t *testing.T) {
	// Given the embedded key file, when it is parsed, then every key is
	// there with a good checksum
	keys, err := oda.ParseFile(DefaultCAPK)
	if err != nil {
		t.Fatal(err)
	}
	sets := map[string]int{}
	for _, k := range keys {
		sets[k.Set]++
	}
	if len(keys) != 46 || sets[oda.SetTest] != 34 || sets[oda.SetLive] != 12 {
		t.Fatalf("%d keys, by set %v; want 46: 34 test, 12 live", len(keys), sets)
	}
}

func TestDefaultStore(t *testing.T) {
	visa := [5]byte{0xA0, 0x00, 0x00, 0x00, 0x03}
	mc := [5]byte{0xA0, 0x00, 0x00, 0x00, 0x04}
	on := time.Date(2025, 5, 6, 0, 0, 0, 0, time.UTC)

	cases := []struct {
		name     string
		sets     []string
		rid      [5]byte
		index    byte
		bytes    int // modulus length of the key found
		sentinel error
	}{
		{"test Visa 94", []string{oda.SetTest}, visa, 0x94, 248, nil},
		{"test Mastercard F1", []string{oda.SetTest}, mc, 0xF1, 176, nil},
		{"test Mastercard 05", []string{oda.SetTest}, mc, 0x05, 128, nil},
		{"live Mastercard 05", []string{oda.SetLive}, mc, 0x05, 176, nil},
		{"Mastercard 05, no set named", nil, mc, 0x05, 0, oda.ErrAmbiguousCAPK},
		{"live Visa 09, expired 2022", []string{oda.SetLive}, visa, 0x09, 0, oda.ErrCAPKExpired},
		{"a test key is not live", []string{oda.SetLive}, visa, 0x94, 0, oda.ErrUnknownCAPK},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := oda.DefaultStore(DefaultCAPK, tc.sets...)
			if err != nil {
				t.Fatal(err)
			}
			k, err := s.Lookup(tc.rid, tc.index, on)
			if tc.sentinel != nil {
				if !errors.Is(err, tc.sentinel) {
					t.Fatalf("error %v, want %v", err, tc.sentinel)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(k.Modulus) != tc.bytes {
				t.Fatalf("modulus of %d bytes, want %d", len(k.Modulus), tc.bytes)
			}
		})
	}
}
