package sync_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	desksync "lingqian/sync"
)

// FuzzHotlistFile reads whatever a damaged or edited hotlist.json holds:
// refused, or a list whose every entry is a PAN the desk then blocks, and
// which written back the way the forwarder writes it reads the same.
func FuzzHotlistFile(f *testing.F) {
	f.Add([]byte(`{"version":3,"pans":["6231990000000019","6231990000000027"]}` + "\n"))
	f.Add([]byte(`{"version":0,"pans":[]}`))
	f.Add([]byte(`{"version":-1,"pans":[]}`))
	f.Add([]byte(`{"version":1,"pans":["62319900000000191234"]}`))
	f.Add([]byte(`{"version":1,"pans":["６２３１９９００００００００１９"]}`))
	f.Add([]byte(`{"version":1,"pans":null,"extra":true}`))
	f.Add([]byte(`{"version":1} {}`))
	f.Add([]byte(``))
	dir := f.TempDir()
	path := filepath.Join(dir, desksync.HotlistFile)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		h, err := desksync.ReadHotlist(dir)
		if err != nil {
			return
		}
		if h.Version < 0 {
			t.Fatalf("version %d read", h.Version)
		}
		for _, pan := range h.PANs {
			if !h.Contains(pan) {
				t.Fatalf("%q is listed and not blocked", pan)
			}
			if len(pan) < 12 || len(pan) > 19 {
				t.Fatalf("%q read as a PAN", pan)
			}
		}
		// Written back as RefreshHotlist writes it, it reads the same
		b, err := json.Marshal(h)
		if err != nil {
			t.Fatalf("a list read cannot be encoded: %v", err)
		}
		if err := os.WriteFile(path, append(b, '\n'), 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := desksync.ReadHotlist(dir)
		if err != nil || again.Version != h.Version || !slices.Equal(again.PANs, h.PANs) {
			t.Fatalf("the list changed in the round trip: %+v → %+v (%v)", h, again, err)
		}
	})
}

// FuzzCursorFile reads whatever sync.json holds: refused, or a cursor
// that is not negative and writes back and reads the same.
func FuzzCursorFile(f *testing.F) {
	f.Add([]byte(`{"reconciled_through":42,"reconciled":"2026-03-14T15:09:26+08:00"}`))
	f.Add([]byte(`{"reconciled_through":0}`))
	f.Add([]byte(`{"reconciled_through":-5}`))
	f.Add([]byte(`{"reconciled_through":1e99}`))
	f.Add([]byte(`{"reconciled":"yesterday"}`))
	dir := f.TempDir()
	path := filepath.Join(dir, desksync.CursorFile)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		c, err := desksync.ReadCursor(dir)
		if err != nil {
			return
		}
		if c.ReconciledThrough < 0 {
			t.Fatalf("cursor %d read", c.ReconciledThrough)
		}
		if err := desksync.WriteCursor(dir, c); err != nil {
			// A time the JSON encoder cannot write (a year past 9999)
			// is the one thing a cursor read may not write back.
			if c.Reconciled.Year() > 9999 || c.Reconciled.Year() < 0 {
				return
			}
			t.Fatalf("a cursor read cannot be written: %v", err)
		}
		again, err := desksync.ReadCursor(dir)
		if err != nil || again.ReconciledThrough != c.ReconciledThrough || !again.Reconciled.Equal(c.Reconciled) {
			t.Fatalf("the cursor changed in the round trip: %+v → %+v (%v)", c, again, err)
		}
	})
}

// FuzzAnchorsFile reads whatever anchors.json holds: refused, or anchors
// that are not negative and write back and read the same.
func FuzzAnchorsFile(f *testing.F) {
	f.Add([]byte(`{"anchors":{"journal":12,"audit":3}}`))
	f.Add([]byte(`{"anchors":{"journal":12},"forked":{"at":"2026-03-14T15:09:26Z","message":"the journal's chain forks from what the bank holds at 9"}}`))
	f.Add([]byte(`{"anchors":{"journal":-1}}`))
	f.Add([]byte(`{"anchors":null,"forked":null}`))
	f.Add([]byte(`{"forked":{"at":"10000-01-01T00:00:00Z"}}`))
	dir := f.TempDir()
	path := filepath.Join(dir, desksync.AnchorsFile)
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := desksync.ReadAnchors(dir)
		if err != nil {
			return
		}
		for name, seq := range s.Anchors {
			if seq < 0 {
				t.Fatalf("anchor %q at %d read", name, seq)
			}
		}
		if err := desksync.WriteAnchors(dir, s); err != nil {
			if s.Forked != nil && (s.Forked.At.Year() > 9999 || s.Forked.At.Year() < 0) {
				return // a time the JSON encoder cannot write
			}
			t.Fatalf("anchors read cannot be written: %v", err)
		}
		again, err := desksync.ReadAnchors(dir)
		if err != nil || len(again.Anchors) != len(s.Anchors) || (again.Forked == nil) != (s.Forked == nil) {
			t.Fatalf("the anchors changed in the round trip: %+v → %+v (%v)", s, again, err)
		}
		for name, seq := range s.Anchors {
			if again.Anchors[name] != seq {
				t.Fatalf("anchor %q: %d became %d", name, seq, again.Anchors[name])
			}
		}
		if s.Forked != nil && !again.Forked.At.Equal(s.Forked.At) {
			t.Fatalf("fork time %v became %v", s.Forked.At, again.Forked.At)
		}
	})
}
