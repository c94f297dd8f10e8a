package desk

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"lingqian/assets"
	"lingqian/emv/oda"
)

// FuzzCAKeysFile reads whatever the CA public key file the bank pushed
// (capk.json in the data folder) holds. A file the key-file reader
// refuses is refused by the desk too, never taken for no file; a file it
// reads adds every one of its keys to the embedded ones, or is refused
// whole (a key that clashes with one held).
func FuzzCAKeysFile(f *testing.F) {
	defaults, err := oda.ParseFile(assets.DefaultCAPK)
	if err != nil {
		f.Fatal(err)
	}
	one, err := oda.MarshalFile(defaults[:1])
	if err != nil {
		f.Fatal(err)
	}
	f.Add(assets.DefaultCAPK)
	f.Add(one)
	f.Add(bytes.Replace(one, []byte(`"expires"`), []byte(`"expires_"`), 1))
	f.Add([]byte(`{"keys":[]}`))
	f.Add([]byte(`{"keys":null}`))
	f.Add([]byte(`{"keys":[{"rid":"A000000333","index":"C1","modulus":"C3","exponent":"03","checksum":"00"}]}`))
	f.Add([]byte{})
	d := &Desk{Dir: f.TempDir()}
	path := filepath.Join(d.Dir, "capk.json")
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		store, err := d.CAKeys("")
		keys, perr := oda.ParseFile(data)
		if perr != nil {
			if err == nil {
				t.Fatalf("a key file the reader refuses (%v) was taken", perr)
			}
			return
		}
		if err != nil {
			return // a key that clashes with an embedded one
		}
		held := map[string]bool{}
		for _, k := range store.Keys() {
			held[k.Name()+"/"+string(k.Modulus)] = true
		}
		for _, k := range append(defaults, keys...) {
			if !held[k.Name()+"/"+string(k.Modulus)] {
				t.Fatalf("key %s was read and is not held", k.Name())
			}
		}
	})
}
