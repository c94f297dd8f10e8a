package issuance

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"lingqian/emv/oda"
)

func TestCreateLoad_RoundTrip(t *testing.T) {
	// Given a new issuer saved in a directory
	dir := filepath.Join(t.TempDir(), "issuer")
	iss, created, err := OpenOrCreate(dir, Options{BIN: "62319988"})
	if err != nil || !created {
		t.Fatalf("created=%v err=%v", created, err)
	}

	// Then its files are private, and the CAPK file is what a desk reads
	for name, mode := range map[string]os.FileMode{IssuerFile: 0o600, CAPKFile: 0o644} {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != mode {
			t.Errorf("%s has mode %v, want %v", name, fi.Mode().Perm(), mode)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, CAPKFile))
	if err != nil {
		t.Fatal(err)
	}
	keys, err := oda.ParseFile(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(keys) != 1 || keys[0].Checksum() != iss.CAPK().Checksum() || keys[0].Index != 0xC1 || keys[0].RID != RID {
		t.Errorf("CAPK file holds %+v", keys)
	}
	if !strings.Contains(string(data), `"expires"`) {
		t.Errorf("CAPK file without an expiry: %s", data)
	}

	// When it is opened again
	again, created, err := OpenOrCreate(dir, Options{})
	if err != nil || created {
		t.Fatalf("created=%v err=%v", created, err)
	}

	// Then it is the same issuer: same CA key, BIN and master keys
	if again.CAPK().Checksum() != iss.CAPK().Checksum() || again.BIN() != "62319988" {
		t.Error("a different issuer came back")
	}
	a1, s1, _ := iss.MasterKeys("6231998800000003", "01")
	a2, s2, _ := again.MasterKeys("6231998800000003", "01")
	if !bytes.Equal(a1, a2) || !bytes.Equal(s1, s2) {
		t.Error("the master keys changed")
	}
	// And Create refuses to replace it
	if _, err := Create(dir, Options{}); err == nil {
		t.Error("Create replaced an issuer")
	}
}

func TestLoad_RefusesDamage(t *testing.T) {
	iss, _ := testIssuer(t)
	dir := t.TempDir()
	if err := iss.Save(dir); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, IssuerFile)
	good, _ := os.ReadFile(path)
	other, err := New(Options{CABits: 1024, IssuerBits: 1024})
	if err != nil {
		t.Fatal(err)
	}
	otherDir := t.TempDir()
	if err := other.Save(otherDir); err != nil {
		t.Fatal(err)
	}
	otherFile, _ := os.ReadFile(filepath.Join(otherDir, IssuerFile))
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not JSON", []byte("{"), "unexpected end"},
		{"future format", bytes.Replace(good, []byte(`"format": 1`), []byte(`"format": 2`), 1), "format 2"},
		{"short master key", bytes.Replace(good, []byte(`"imk_ac": "`), []byte(`"imk_ac": "00`), 1), "16 bytes"},
		{"certificate of another CA", spliceCert(t, good, otherFile), "issuer certificate"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(path, tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Load(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
	if _, err := Load(t.TempDir()); !errors.Is(err, ErrNoIssuer) {
		t.Errorf("empty directory: %v", err)
	}
}

// spliceCert puts the issuer certificate of one issuer file into another.
func spliceCert(t *testing.T, into, from []byte) []byte {
	t.Helper()
	cert := func(b []byte) []byte {
		i := bytes.Index(b, []byte(`"issuer_cert": "`))
		j := bytes.IndexByte(b[i+16:], '"')
		return b[i : i+16+j]
	}
	return bytes.Replace(into, cert(into), cert(from), 1)
}

func TestOnline_IssuerAndCardAgree(t *testing.T) {
	// Given an issuer and the master keys of one of its cards
	iss, _ := testIssuer(t)
	pan, psn := "6231991234567897", "00"
	mkAC, mkSMI, err := iss.MasterKeys(pan, psn)
	if err != nil {
		t.Fatal(err)
	}
	cvr := CVR{0, CIDARQC, 0}
	data := ACData([]byte{1, 2, 3}, AIP, 7, cvr)
	// When the card computes an ARQC with its key, then the issuer verifies it
	arqc, err := ComputeAC(mkAC, 7, data)
	if err != nil {
		t.Fatal(err)
	}
	if ok, err := iss.VerifyAC(pan, psn, 7, data, arqc); !ok || err != nil {
		t.Errorf("VerifyAC = %v, %v", ok, err)
	}
	if ok, _ := iss.VerifyAC(pan, psn, 8, data, arqc); ok {
		t.Error("an AC verified under another ATC")
	}
	// And the issuer's ARPC and script are the card's
	arpc, err := iss.ARPC(pan, psn, 7, arqc, [2]byte{'0', '0'})
	if err != nil {
		t.Fatal(err)
	}
	if want, _ := ComputeARPC(mkAC, 7, arqc, [2]byte{'0', '0'}); !bytes.Equal(arpc, want) {
		t.Error("ARPC differs")
	}
	script, err := iss.BalanceScript(pan, psn, 7, arqc, 80000)
	if err != nil {
		t.Fatal(err)
	}
	mac, _ := BalanceScriptMAC(mkSMI, 7, arqc, []byte{0, 0, 0, 0x08, 0, 0})
	want := append([]byte{0x04, 0xDA, 0x9F, 0x79, 0x0A, 0, 0, 0, 0x08, 0, 0}, mac...)
	if !bytes.Equal(script, want) {
		t.Errorf("script % X, want % X", script, want)
	}
	if cvr2, err := ParseIAD(IAD(cvr)); err != nil || cvr2 != cvr {
		t.Errorf("IAD round trip: %v %v", cvr2, err)
	}
}
