package desk

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"time"

	desksync "lingqian/sync"
)

// A backup is one file, a tar archive, so that a shop owner copies one
// thing to a USB stick and `tar -tf` shows what is in it: first the
// manifest, then the database and the files the data folder keeps beside
// it that a desk needs to go on as itself. Each file's SHA-256 is in the
// manifest, so a restore notices a file damaged on the way.
const (
	// DBFile is the desk's database in its data folder.
	DBFile = "desk.db"
	// BackupManifest is the archive's first member.
	BackupManifest = "lingqian-backup.json"
	backupFormat   = 1
	backupProduct  = "lingqian-desk"
)

// backupFiles are the files of the data folder a backup holds beside the
// database, each when the desk has it:
//   - the desk's private key for the bank: the bank's certificate for it
//     is in the database, and a desk without the key cannot forward;
//   - the CA public keys and the hotlist the bank pushed, so that a desk
//     restored while offline checks cards as before;
//   - how far reconciliation has gone.
//
// Not kept: exports (made again from the journal at will) and an
// enrolment still waiting for the bank's answer (enrol again).
var backupFiles = []string{BankKeyFile, desksync.CAPKFile, desksync.HotlistFile, desksync.CursorFile}

// Limits on what a restore reads, so that a file that is not a backup
// cannot make it fill the disk or the memory.
const (
	maxManifest = 1 << 20
	maxSideFile = 64 << 20
	maxDBFile   = 1 << 40
)

// ErrNotBackup: the file is not a desk backup, or it is damaged.
var ErrNotBackup = errors.New("not a Lingqian desk backup, or a damaged one")

// Manifest says what a backup holds.
type Manifest struct {
	Format   int            `json:"format"`
	Product  string         `json:"product"`
	Schema   int            `json:"schema"` // the database's schema version
	Taken    time.Time      `json:"taken"`
	Terminal string         `json:"terminal"`
	Merchant string         `json:"merchant"`
	Entries  int64          `json:"entries"`
	LastSeq  int64          `json:"last_seq"`
	Files    []ManifestFile `json:"files"` // the database first
}

// ManifestFile is one member of the archive.
type ManifestFile struct {
	Name   string `json:"name"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
}

// Names are the archive's files but the database.
func (m Manifest) Names() []string {
	var out []string
	for _, f := range m.Files {
		if f.Name != DBFile {
			out = append(out, f.Name)
		}
	}
	return out
}

// archiveMember is a file to put in the archive: its bytes, or a reader
// of size bytes.
type archiveMember struct {
	name string
	size int64
	open func() (io.ReadCloser, error)
}

// writeArchive writes the manifest and then each member, in order. The
// manifest's Files must describe the members.
func writeArchive(w io.Writer, m Manifest, members []archiveMember) error {
	mj, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	tw := tar.NewWriter(w)
	header := func(name string, size int64) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Size: size, Mode: 0o600, ModTime: m.Taken}
	}
	if err := tw.WriteHeader(header(BackupManifest, int64(len(mj)))); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	if _, err := tw.Write(mj); err != nil {
		return fmt.Errorf("manifest: %w", err)
	}
	for _, mem := range members {
		if err := tw.WriteHeader(header(mem.name, mem.size)); err != nil {
			return fmt.Errorf("%s: %w", mem.name, err)
		}
		r, err := mem.open()
		if err != nil {
			return fmt.Errorf("%s: %w", mem.name, err)
		}
		n, err := io.Copy(tw, r)
		r.Close()
		if err == nil && n != mem.size {
			err = fmt.Errorf("%d bytes, %d expected", n, mem.size)
		}
		if err != nil {
			return fmt.Errorf("%s: %w", mem.name, err)
		}
	}
	return tw.Close()
}

// readArchive reads a backup from r: the manifest, checked, then each
// file it lists, whose bytes go to the writer put gives for its name and
// must match its size and SHA-256. Anything else in the archive, or
// missing from it, makes it not a backup: nothing of it is to be trusted.
// It never panics on what r holds.
func readArchive(r io.Reader, put func(name string) (io.WriteCloser, error)) (Manifest, error) {
	bad := func(format string, args ...any) (Manifest, error) {
		return Manifest{}, fmt.Errorf("%w: %s", ErrNotBackup, fmt.Sprintf(format, args...))
	}
	tr := tar.NewReader(r)
	h, err := tr.Next()
	if err != nil {
		return bad("reading the first member: %v", err)
	}
	if h.Name != BackupManifest || h.Typeflag != tar.TypeReg || h.Size < 0 || h.Size > maxManifest {
		return bad("the first member is %q, not the manifest %s", h.Name, BackupManifest)
	}
	raw, err := io.ReadAll(io.LimitReader(tr, maxManifest))
	if err != nil {
		return bad("reading the manifest: %v", err)
	}
	var m Manifest
	if err := json.Unmarshal(raw, &m); err != nil {
		return bad("the manifest: %v", err)
	}
	if err := m.check(); err != nil {
		return bad("the manifest: %v", err)
	}
	for i := range m.Files {
		want := m.Files[i]
		h, err := tr.Next()
		if err != nil {
			return bad("reading %s: %v", want.Name, err)
		}
		if h.Name != want.Name || h.Typeflag != tar.TypeReg || h.Size != want.Size {
			return bad("member %d is %q of %d bytes, the manifest says %s of %d", i+2, h.Name, h.Size, want.Name, want.Size)
		}
		if err := copyChecked(tr, want, put); err != nil {
			return Manifest{}, err
		}
	}
	if h, err := tr.Next(); !errors.Is(err, io.EOF) {
		if err != nil {
			return bad("after the last file: %v", err)
		}
		return bad("%q follows the files the manifest lists", h.Name)
	}
	return m, nil
}

// copyChecked copies one member to where put says, checking its size and
// hash; a file that does not match is still written, and the caller,
// given an error, throws it away.
func copyChecked(r io.Reader, want ManifestFile, put func(string) (io.WriteCloser, error)) error {
	w, err := put(want.Name)
	if err != nil {
		return fmt.Errorf("%s: %w", want.Name, err)
	}
	sum := sha256.New()
	n, err := io.Copy(io.MultiWriter(w, sum), r)
	if cerr := w.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("%w: %s is cut short", ErrNotBackup, want.Name)
		}
		return fmt.Errorf("%s: %w", want.Name, err)
	}
	if n != want.Size || hex.EncodeToString(sum.Sum(nil)) != want.SHA256 {
		return fmt.Errorf("%w: %s does not match its SHA-256 in the manifest", ErrNotBackup, want.Name)
	}
	return nil
}

// check holds a manifest to what this release writes and reads.
func (m *Manifest) check() error {
	switch {
	case m.Product != backupProduct:
		return fmt.Errorf("product %q", m.Product)
	case m.Format != backupFormat:
		return fmt.Errorf("format %d, this release reads %d", m.Format, backupFormat)
	case m.Schema < 1:
		return fmt.Errorf("schema %d", m.Schema)
	case m.Entries < 0 || m.LastSeq < 0:
		return fmt.Errorf("%d entries up to %d", m.Entries, m.LastSeq)
	case len(m.Files) == 0 || m.Files[0].Name != DBFile:
		return fmt.Errorf("the first file is not %s", DBFile)
	}
	seen := map[string]bool{}
	for _, f := range m.Files {
		limit := int64(maxSideFile)
		if f.Name == DBFile {
			limit = maxDBFile
		} else if !slices.Contains(backupFiles, f.Name) {
			return fmt.Errorf("file %q is none a desk keeps", f.Name)
		}
		if seen[f.Name] {
			return fmt.Errorf("file %q twice", f.Name)
		}
		seen[f.Name] = true
		if f.Size < 0 || f.Size > limit {
			return fmt.Errorf("file %s of %d bytes", f.Name, f.Size)
		}
		if b, err := hex.DecodeString(f.SHA256); err != nil || len(b) != sha256.Size {
			return fmt.Errorf("file %s: SHA-256 %q", f.Name, f.SHA256)
		}
	}
	return nil
}

// discard is a put for readArchive that keeps nothing: to check a backup.
func discard(string) (io.WriteCloser, error) { return nopCloser{io.Discard}, nil }

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }

// memberOf is a member made of bytes in memory.
func memberOf(name string, b []byte) archiveMember {
	return archiveMember{name: name, size: int64(len(b)), open: func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(b)), nil
	}}
}
