package sync

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Files in the desk's data folder that forwarding keeps.
const (
	// CAPKFile is the CA public keys the bank pushed; the desk adds them
	// to its embedded defaults (DESIGN section 7's format).
	CAPKFile = "capk.json"
	// HotlistFile is the bank's hotlist as it sent it.
	HotlistFile = "hotlist.json"
	// CursorFile remembers how far reconciliation has settled. It is a
	// file rather than a setting because settings are audited on every
	// change, and this one moves on with every sale.
	CursorFile = "sync.json"
)

// maxFile bounds what is read back from these files.
const maxFile = 64 << 20

// RefreshCAKeys pulls the CA public keys and, when every key checks,
// replaces dir/capk.json at once, so the desk never reads half a file.
// It returns how many keys there are.
func (c *Client) RefreshCAKeys(ctx context.Context, dir string) (int, error) {
	raw, keys, err := c.CAKeys(ctx)
	if err != nil {
		return 0, err
	}
	if err := writeFileAtomic(filepath.Join(dir, CAPKFile), append(raw, '\n'), 0o644); err != nil {
		return 0, fmt.Errorf("sync: saving the CA public keys: %w", err)
	}
	return len(keys), nil
}

// RefreshHotlist pulls the hotlist and replaces dir/hotlist.json at once.
func (c *Client) RefreshHotlist(ctx context.Context, dir string) (*Hotlist, error) {
	h, err := c.Hotlist(ctx)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(h)
	if err != nil {
		return nil, fmt.Errorf("sync: encoding the hotlist: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, HotlistFile), append(b, '\n'), 0o644); err != nil {
		return nil, fmt.Errorf("sync: saving the hotlist: %w", err)
	}
	return h, nil
}

// ReadHotlist reads dir/hotlist.json; a desk that never pulled one has an
// empty list (version 0).
func ReadHotlist(dir string) (*Hotlist, error) {
	var h Hotlist
	path := filepath.Join(dir, HotlistFile)
	ok, err := readJSON(path, &h)
	if err != nil {
		return nil, fmt.Errorf("sync: hotlist %s: %w", path, err)
	}
	if ok {
		if err := h.validate(); err != nil {
			return nil, fmt.Errorf("sync: hotlist %s: %w", path, err)
		}
	}
	h.index()
	return &h, nil
}

// Cursor is what the forwarder remembers between runs.
type Cursor struct {
	// ReconciledThrough: every forwarded entry up to this seq is final
	// and agrees with the bank; reconciliation pulls the feed after it.
	ReconciledThrough int64     `json:"reconciled_through"`
	Reconciled        time.Time `json:"reconciled,omitempty"`
}

// ReadCursor reads dir/sync.json; a desk that never synced starts at 0.
func ReadCursor(dir string) (Cursor, error) {
	var c Cursor
	path := filepath.Join(dir, CursorFile)
	if _, err := readJSON(path, &c); err != nil {
		return Cursor{}, fmt.Errorf("sync: %s: %w", path, err)
	}
	if c.ReconciledThrough < 0 {
		return Cursor{}, fmt.Errorf("sync: %s: reconciled_through %d", path, c.ReconciledThrough)
	}
	return c, nil
}

// WriteCursor replaces dir/sync.json at once.
func WriteCursor(dir string, c Cursor) error {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return fmt.Errorf("sync: encoding the cursor: %w", err)
	}
	if err := writeFileAtomic(filepath.Join(dir, CursorFile), append(b, '\n'), 0o600); err != nil {
		return fmt.Errorf("sync: saving the cursor: %w", err)
	}
	return nil
}

// readJSON decodes path into v; a missing file leaves v as it is and
// reports false.
func readJSON(path string, v any) (bool, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return false, err
	}
	if len(b) > maxFile {
		return false, fmt.Errorf("more than %d bytes", maxFile)
	}
	if err := decodeStrict(b, v); err != nil {
		return false, err
	}
	return true, nil
}

// writeFileAtomic writes a temporary file beside path, syncs it and
// renames it over path, then syncs the folder: a reader sees the old file
// or the new one, and a power cut leaves one of them whole.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	done := false
	defer func() {
		if !done {
			_ = f.Close()
			_ = os.Remove(tmp)
		}
	}()
	if err := f.Chmod(perm); err != nil {
		return err
	}
	if _, err := f.Write(data); err != nil {
		return err
	}
	if err := f.Sync(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(tmp, path); err != nil {
		return err
	}
	done = true
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}
