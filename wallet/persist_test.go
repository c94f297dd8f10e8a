package wallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"lingqian/emv/oda"
	"lingqian/issuance"
)

func TestPersist_StateIsOnDiskBeforeTheAnswer(t *testing.T) {
	// Given a wallet that just answered a purchase's GENERATE AC
	c := newWallet(t, issuance.Request{Balance: 50000})
	d := newDesk(t, c, 1250)
	d.start()
	resp, s := d.generateAC(0x50)
	if s != swOK {
		t.Fatalf("%04X", s)
	}

	// When the phone dies and the wallet file is opened again
	again, err := Open(c.Path())
	if err != nil {
		t.Fatal(err)
	}

	// Then the money is gone, the ATC counted and the purchase logged
	if again.Balance() != 48750 || again.ATC() != 1 || len(again.Log()) != 1 {
		t.Errorf("balance %d ATC %d log %d", again.Balance(), again.ATC(), len(again.Log()))
	}
	// And a desk that lost the answer gets it back, unchanged, by its UN
	d2 := newDesk(t, again, 1250)
	d2.start()
	rec := d2.ok(command(0x80, 0xD0, 0, 0, d.vals[0x9F37]))
	if !bytes.Equal(rec, resp) {
		t.Errorf("RECOVER AC answered\n% X\nGENERATE AC had\n% X", rec, resp)
	}
	// And another UN gets 6A88
	if _, s := d2.send(command(0x80, 0xD0, 0, 0, []byte{1, 2, 3, 4})); s != swNoData {
		t.Errorf("RECOVER AC with another UN: %04X", s)
	}
	// And the recovered answer verifies as the original did
	d.verifyCDA(d.iccKey(testIssuer(t)), parseGenAC(t, rec), d.cdol1Data)
}

func TestPersist_GPOCountsOnDisk(t *testing.T) {
	c := newWallet(t, issuance.Request{})
	newDesk(t, c, 1).start()
	again, err := Open(c.Path())
	if err != nil || again.ATC() != 1 {
		t.Errorf("ATC %d after one GPO (%v)", again.ATC(), err)
	}
}

func TestPersist_AWalletThatCannotSaveDoesNotAnswer(t *testing.T) {
	// Given a wallet whose storage fails after the GPO
	c := newWallet(t, issuance.Request{Balance: 50000})
	d := newDesk(t, c, 1250)
	d.start()
	c.persist = func([]byte) error { return errors.New("disk full") }

	// When the desk asks for a TC
	_, s := d.generateAC(0x50)

	// Then it gets a memory failure, and nothing changed
	if s != swMemoryFailure {
		t.Errorf("status %04X", s)
	}
	if c.Balance() != 50000 || len(c.Log()) != 0 {
		t.Errorf("balance %d, %d log entries", c.Balance(), len(c.Log()))
	}
	if _, s := d.send(command(0x80, 0xD0, 0, 0, d.vals[0x9F37])); s != swNoData {
		t.Errorf("RECOVER AC of an answer never given: %04X", s)
	}
}

func TestCreate_RefusesToReplace(t *testing.T) {
	c := newWallet(t, issuance.Request{})
	_, err := Create(c.Path(), CreateOptions{}, LocalIssuer(testIssuer(t), issuance.Request{}))
	if !errors.Is(err, ErrExists) {
		t.Errorf("error %v", err)
	}
	if _, err := Create(c.Path(), CreateOptions{Overwrite: true}, LocalIssuer(testIssuer(t), issuance.Request{})); err != nil {
		t.Errorf("overwrite: %v", err)
	}
	fi, err := os.Stat(c.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("wallet file mode %v (%v)", fi.Mode().Perm(), err)
	}
}

func TestOpen_RefusesDamage(t *testing.T) {
	c := newWallet(t, issuance.Request{Balance: 50000})
	good, err := os.ReadFile(c.Path())
	if err != nil {
		t.Fatal(err)
	}
	otherKey, err := oda.GenerateKey(1024, 3)
	if err != nil {
		t.Fatal(err)
	}
	keyJSON, _ := json.Marshal(otherKey)
	edit := func(f func(m map[string]any)) []byte {
		var m map[string]any
		if err := json.Unmarshal(good, &m); err != nil {
			t.Fatal(err)
		}
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	perso := func(m map[string]any) map[string]any { return m["personalisation"].(map[string]any) }
	cases := []struct {
		name string
		data []byte
		want string
	}{
		{"not JSON", good[:len(good)/2], "unexpected end"},
		{"another key", edit(func(m map[string]any) { m["icc_key"] = json.RawMessage(keyJSON) }), "not the key the issuer certified"},
		{"no key", edit(func(m map[string]any) { delete(m, "icc_key") }), "no ICC private key"},
		{"negative balance", edit(func(m map[string]any) { m["balance"] = -5 }), "balance"},
		{"short master key", edit(func(m map[string]any) { perso(m)["mk_ac"] = "0011" }), "master key"},
		{"bad record", edit(func(m map[string]any) {
			perso(m)["records"].([]any)[0].(map[string]any)["data"] = "5A021234"
		}), "template 70"},
		{"future format", edit(func(m map[string]any) { m["format"] = 9 }), "format 9"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(c.Path(), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(c.Path())
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one saying %q", err, tc.want)
			}
		})
	}
}
