package oda

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"strings"
	"testing"
)

func TestGenerateKey(t *testing.T) {
	cases := []struct {
		bits, exponent int
		ok             bool
	}{
		{512, 3, true},
		{1024, 65537, true},
		{1000, 3, true}, // a multiple of 8 that is not a power of two
		{1984, 3, testing.Short() == false},
		{1025, 3, false},
		{504, 3, false},
		{1992, 3, false},
		{1024, 5, false},
		{1024, 17, false},
	}
	for _, tc := range cases {
		if !tc.ok && tc.bits == 1984 {
			continue // slow; skipped with -short
		}
		// When a key is asked for
		k, err := GenerateKey(tc.bits, tc.exponent)
		if !tc.ok {
			if err == nil {
				t.Errorf("GenerateKey(%d, %d) accepted", tc.bits, tc.exponent)
			}
			continue
		}
		if err != nil {
			t.Fatalf("GenerateKey(%d, %d): %v", tc.bits, tc.exponent, err)
		}
		// Then it has exactly that size and exponent and its first byte
		// leaves room for the 6A header
		pub := k.Public()
		if len(pub.Modulus)*8 != tc.bits || pub.Modulus[0] <= 0x6A {
			t.Fatalf("%d-bit key: modulus %d bytes starting %02X", tc.bits, len(pub.Modulus), pub.Modulus[0])
		}
		if new(big.Int).SetBytes(pub.Exponent).Int64() != int64(tc.exponent) {
			t.Fatalf("exponent %X", pub.Exponent)
		}
		// And the CRT signature is the textbook one, m^d mod n
		block := bytes.Repeat([]byte{0x6A}, k.Size())
		sig, err := k.sign(block)
		wantErr(t, err, nil, "")
		want := new(big.Int).Exp(new(big.Int).SetBytes(block), k.d, k.n)
		if new(big.Int).SetBytes(sig).Cmp(want) != 0 {
			t.Fatalf("%d-bit key: CRT signature differs from m^d mod n", tc.bits)
		}
	}
}

func TestPrivateKeyJSON(t *testing.T) {
	k := keys(t).icc
	// Given a key stored as JSON
	data, err := json.Marshal(k)
	wantErr(t, err, nil, "")
	for _, field := range []string{`"modulus"`, `"exponent"`, `"d"`, `"p"`, `"q"`} {
		if !strings.Contains(string(data), field) {
			t.Fatalf("stored key lacks %s: %s", field, data)
		}
	}
	// When it is loaded again
	var back PrivateKey
	wantErr(t, json.Unmarshal(data, &back), nil, "")
	// Then it signs what the original verifies
	if !back.Public().Equal(k.Public()) {
		t.Fatal("public key changed")
	}
	sdad, err := SignSDAD(&back, []byte{2, 0, 1}, []byte{1, 2, 3, 4})
	wantErr(t, err, nil, "")
	_, err = RecoverSDAD(k.Public(), sdad, []byte{1, 2, 3, 4})
	wantErr(t, err, nil, "")

	// And inconsistent or damaged keys are refused
	var fields map[string]string
	wantErr(t, json.Unmarshal(data, &fields), nil, "")
	other := keys(t).small
	otherFields := map[string]string{}
	wantErr(t, json.Unmarshal(must(json.Marshal(other)), &otherFields), nil, "")
	cases := []struct {
		name  string
		edit  func(m map[string]string)
		plain string // replaces the whole document when set
	}{
		{name: "d from another key", edit: func(m map[string]string) { m["d"] = otherFields["d"] }},
		{name: "p from another key", edit: func(m map[string]string) { m["p"] = otherFields["p"] }},
		{name: "exponent 5", edit: func(m map[string]string) { m["exponent"] = "05" }},
		{name: "modulus not hex", edit: func(m map[string]string) { m["modulus"] = "XYZ" }},
		{name: "q missing", edit: func(m map[string]string) { delete(m, "q") }},
		{name: "p and q swapped with n", edit: func(m map[string]string) { m["p"], m["modulus"] = m["modulus"], m["p"] }},
		{name: "not JSON", plain: "{"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			doc := []byte(tc.plain)
			if tc.plain == "" {
				m := map[string]string{}
				for k, v := range fields {
					m[k] = v
				}
				tc.edit(m)
				doc = must(json.Marshal(m))
			}
			var pk PrivateKey
			err := pk.UnmarshalJSON(doc)
			if !errors.Is(err, ErrPrivateKey) {
				t.Fatalf("error %v, want ErrPrivateKey", err)
			}
		})
	}
}
