package tlv

import (
	"bytes"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
)

func unhex(s string) []byte {
	b, err := hex.DecodeString(strings.ReplaceAll(s, " ", ""))
	if err != nil {
		panic(err)
	}
	return b
}

func TestParse_WhatEMVAllows(t *testing.T) {
	cases := []struct {
		name  string
		in    string
		tags  []Tag
		check func(t *testing.T, objs []Object)
	}{
		{"primitive", "5A 08 6231990000000019", []Tag{0x5A}, nil},
		{"two-byte tag", "9F36 02 0001", []Tag{0x9F36}, nil},
		{"three-byte tag", "DF8101 01 AA", []Tag{0xDF8101}, nil},
		{"zero length", "9F4A 00 82 02 7C00", []Tag{0x9F4A, 0x82}, nil},
		{"padding before, between, after", "00 00 5A 01 11 00 82 02 7C00 00", []Tag{0x5A, 0x82}, nil},
		{"long form 81", "70 81 03 5A 01 11", []Tag{0x70}, func(t *testing.T, objs []Object) {
			if Find(objs, 0x5A) == nil || !bytes.Equal(objs[0].Raw, unhex("70 81 03 5A 01 11")) {
				t.Errorf("child or raw bytes lost: %+v", objs[0])
			}
		}},
		{"long form 82 inside a template", "77 0B 9F27 01 80 9F36 82 0002 0001", []Tag{0x77}, func(t *testing.T, objs []Object) {
			atc := Find(objs, 0x9F36)
			if atc == nil || !bytes.Equal(atc.Raw, unhex("9F36 82 0002 0001")) {
				t.Errorf("child raw %X, want the bytes as received", atc.Raw)
			}
		}},
		{"padding inside a template", "70 07 00 5A 01 11 00 00 00", []Tag{0x70}, nil},
		{"empty input", "", nil, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// Given bytes a card may send, when they are parsed
			objs, err := Parse(unhex(tc.in))

			// Then the top-level tags are those expected
			if err != nil {
				t.Fatalf("parse: %v", err)
			}
			var got []Tag
			for _, o := range objs {
				got = append(got, o.Tag)
			}
			if len(got) != len(tc.tags) {
				t.Fatalf("tags %v, want %v", got, tc.tags)
			}
			for i := range got {
				if got[i] != tc.tags[i] {
					t.Fatalf("tags %v, want %v", got, tc.tags)
				}
			}
			if tc.check != nil {
				tc.check(t, objs)
			}
		})
	}
}

func TestParse_WhatEMVRefuses(t *testing.T) {
	cases := []struct {
		name   string
		in     string
		offset int
		reason string
	}{
		{"length past the end", "5A 08 6231", 0, "runs past"},
		{"child length past its parent", "70 04 5A 05 1122", 2, "runs past"},
		{"indefinite length", "70 80 5A 01 11 00 00", 1, "indefinite"},
		{"length of five bytes", "5A 85 0000000001 11", 1, "absurd"},
		{"length too large", "5A 83 100000", 1, "absurd"},
		{"length cut short", "5A 82 01", 1, "cut short"},
		{"tag cut short", "9F", 0, "tag cut short"},
		{"tag too long", "9F 81 81 81 01 00", 0, "longer than"},
		{"missing length", "5A", 1, "length expected"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			// When hostile bytes are parsed
			_, err := Parse(unhex(tc.in))

			// Then the error says what and where
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %v, want *Error", err)
			}
			if e.Offset != tc.offset || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("error %q at %d, want %q at %d", e.Reason, e.Offset, tc.reason, tc.offset)
			}
		})
	}
}

func TestParse_NestingIsBounded(t *testing.T) {
	// Given templates nested deeper than any card needs
	b := unhex("5A 01 11")
	for i := 0; i < 20; i++ {
		b = Encode(0x70, b)
	}
	// When parsed, then it is refused rather than followed
	if _, err := Parse(b); err == nil || !strings.Contains(err.Error(), "nested too deep") {
		t.Fatalf("error %v", err)
	}
}

func TestEncode_RoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 127, 128, 255, 256, 1000} {
		v := bytes.Repeat([]byte{0xAB}, n)
		for _, tag := range []Tag{0x5A, 0x9F27, 0xDF8101, 0x70} {
			enc := Encode(tag, v)
			if tag.Constructed() {
				continue // the value is not TLV
			}
			objs, err := Parse(enc)
			if err != nil || len(objs) != 1 || objs[0].Tag != tag || !bytes.Equal(objs[0].Value, v) {
				t.Fatalf("tag %s len %d: %v %+v", tag, n, err, objs)
			}
		}
	}
	if got := Tag(0x9F27).String(); got != "9F27" {
		t.Errorf("String %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"70 81 03 5A 01 11", "77 0B 9F27 01 80 9F36 82 0002 0001", "00 00 5A 01 11 00",
		"6F 1A 84 0E 325041592E5359532E4444463031 A5 08 88 01 01 5F2D 02 656E",
		"70 80 00 00", "9F 81 81 81", "5A 83 FFFFFF",
	} {
		f.Add(unhex(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		objs, err := Parse(b)
		if err != nil {
			return
		}
		// Every object's raw bytes lie within the input and re-parse to itself.
		for _, o := range objs {
			again, err := Parse(o.Raw)
			if err != nil || len(again) != 1 || again[0].Tag != o.Tag || !bytes.Equal(again[0].Value, o.Value) {
				t.Fatalf("raw % X of %s does not parse back: %v", o.Raw, o.Tag, err)
			}
		}
	})
}
