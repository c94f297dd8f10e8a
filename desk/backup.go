package desk

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"lingqian/app"
	"lingqian/store"
	desksync "lingqian/sync"
)

// Errors of backup and restore a caller tells apart with errors.Is.
var (
	// ErrBackupExists: the backup file is there already, and the caller
	// did not ask to replace it.
	ErrBackupExists = errors.New("the backup file exists already")
	// ErrNoDesk: the data folder holds no desk database to back up.
	ErrNoDesk = errors.New("no desk in the data folder")
	// ErrDeskInUse: a program has the desk open, so it cannot be replaced.
	ErrDeskInUse = errors.New("the desk is open in another program")
)

// Backup is what a backup wrote.
type Backup struct {
	File  string // absolute
	Bytes int64
	Manifest
	// Break, when not nil, is where the journal's chain does not hold in
	// the copy: the backup is written all the same, since a copy of what
	// is there is worth keeping when something is wrong, but it is not one
	// to restore.
	Break *app.ChainBreak
}

// HasDesk says whether dir holds a desk database.
func HasDesk(dir string) bool {
	if dir == "" {
		dir = DefaultDir()
	}
	st, err := os.Stat(filepath.Join(dir, DBFile))
	return err == nil && st.Mode().IsRegular()
}

// Backup writes the desk to out, one file, while the desk goes on
// selling: a consistent copy of the database (store.DB.Backup) and the
// files beside it, checked before it says done. The copy is opened and
// its journal chain verified; the archive is written to a temporary file
// beside out, synced, read back against its manifest, and only then takes
// the name out, which is refused if it exists unless force.
func (d *Desk) Backup(ctx context.Context, out string, force bool) (Backup, error) {
	abs, err := filepath.Abs(out)
	if err != nil {
		return Backup{}, fmt.Errorf("backup to %s: %w", out, err)
	}
	if st, err := os.Lstat(abs); err == nil {
		if st.IsDir() {
			return Backup{}, fmt.Errorf("backup to %s: it is a folder", abs)
		}
		if !force {
			return Backup{}, fmt.Errorf("backup to %s: %w", abs, ErrBackupExists)
		}
	}
	work, err := os.MkdirTemp(filepath.Dir(abs), ".lingqian-backup-*")
	if err != nil {
		return Backup{}, fmt.Errorf("backup to %s: %w", abs, err)
	}
	defer os.RemoveAll(work)

	b, members, err := d.snapshot(ctx, work)
	if err != nil {
		return Backup{}, fmt.Errorf("backup to %s: %w", abs, err)
	}
	b.File = abs
	tmp, err := writeBackupFile(abs, b.Manifest, members)
	if err != nil {
		return Backup{}, fmt.Errorf("backup to %s: %w", abs, err)
	}
	defer os.Remove(tmp)
	if err := checkBackupFile(tmp); err != nil {
		return Backup{}, fmt.Errorf("backup to %s: reading it back: %w", abs, err)
	}
	if err := place(tmp, abs, force); err != nil {
		return Backup{}, fmt.Errorf("backup to %s: %w", abs, err)
	}
	st, err := os.Stat(abs)
	if err != nil {
		return Backup{}, fmt.Errorf("backup to %s: %w", abs, err)
	}
	b.Bytes = st.Size()
	return b, nil
}

// snapshot copies the database into work and reads the files beside it,
// and checks the copy. The reconciliation cursor is read before the copy
// and the key after it: the forwarder moves the cursor only after the
// journal states it stands for are committed, and enrolment writes the key
// before the certificate, so neither can be ahead of the database it is
// restored with.
func (d *Desk) snapshot(ctx context.Context, work string) (Backup, []archiveMember, error) {
	side := map[string][]byte{}
	read := func(name string) error {
		b, err := os.ReadFile(filepath.Join(d.Dir, name))
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		if len(b) > maxSideFile {
			return fmt.Errorf("%s: %d bytes, more than a desk writes", name, len(b))
		}
		side[name] = b
		return nil
	}
	if err := read(desksync.CursorFile); err != nil {
		return Backup{}, nil, err
	}
	dbPath := filepath.Join(work, DBFile)
	if err := d.DB.Backup(ctx, dbPath); err != nil {
		return Backup{}, nil, err
	}
	for _, name := range backupFiles {
		if name == desksync.CursorFile {
			continue
		}
		if err := read(name); err != nil {
			return Backup{}, nil, err
		}
	}

	b := Backup{Manifest: Manifest{Format: backupFormat, Product: backupProduct, Taken: time.Now().UTC().Truncate(time.Second)}}
	var err error
	b.Break, err = checkCopy(ctx, dbPath, &b.Manifest)
	if err != nil {
		return Backup{}, nil, fmt.Errorf("checking the copy: %w", err)
	}
	// Hashed after the check, which opened the copy: what is archived is
	// what was checked.
	dbFile, err := hashFile(dbPath)
	if err != nil {
		return Backup{}, nil, err
	}
	b.Files = []ManifestFile{dbFile}
	members := []archiveMember{{name: DBFile, size: dbFile.Size, open: func() (io.ReadCloser, error) { return os.Open(dbPath) }}}
	for _, name := range backupFiles {
		if data, ok := side[name]; ok {
			sum := sha256.Sum256(data)
			b.Files = append(b.Files, ManifestFile{Name: name, Size: int64(len(data)), SHA256: hex.EncodeToString(sum[:])})
			members = append(members, memberOf(name, data))
		}
	}
	return b, members, nil
}

// checkCopy opens the database copy at path, walks its journal chain as
// `lingqian journal verify` does, and fills in what it holds.
func checkCopy(ctx context.Context, path string, m *Manifest) (*app.ChainBreak, error) {
	db, err := store.Open(path)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	brk, err := db.Verify(ctx)
	if err != nil {
		return nil, err
	}
	if m.Entries, err = db.EntryCount(ctx); err != nil {
		return nil, err
	}
	if m.LastSeq, err = db.LastSeq(ctx); err != nil {
		return nil, err
	}
	m.Schema = store.SchemaVersion()
	m.Terminal, _ = db.Setting(ctx, SettingTerminal)
	m.Merchant, _ = db.Setting(ctx, SettingMerchant)
	return brk, db.Close()
}

func hashFile(path string) (ManifestFile, error) {
	f, err := os.Open(path)
	if err != nil {
		return ManifestFile{}, err
	}
	defer f.Close()
	sum := sha256.New()
	n, err := io.Copy(sum, f)
	if err != nil {
		return ManifestFile{}, fmt.Errorf("%s: %w", path, err)
	}
	return ManifestFile{Name: filepath.Base(path), Size: n, SHA256: hex.EncodeToString(sum.Sum(nil))}, nil
}

// writeBackupFile writes the archive to a new temporary file beside out,
// 0600 (it holds the desk's key and its operators' PIN hashes), synced.
func writeBackupFile(out string, m Manifest, members []archiveMember) (string, error) {
	f, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+".tmp-*")
	if err != nil {
		return "", err
	}
	tmp := f.Name()
	err = writeArchive(f, m, members)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(tmp)
		return "", err
	}
	return tmp, nil
}

// checkBackupFile reads the archive at path through, as a restore would.
func checkBackupFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = readArchive(f, discard)
	return err
}

// place gives the finished file at tmp the name out. Without force it
// must not replace a file that appeared meanwhile, so it links rather
// than renames where the file system can.
func place(tmp, out string, force bool) error {
	if force {
		if err := os.Rename(tmp, out); err != nil {
			return err
		}
		syncDir(filepath.Dir(out))
		return nil
	}
	err := os.Link(tmp, out)
	if errors.Is(err, os.ErrExist) {
		return ErrBackupExists
	}
	if err != nil {
		// A file system without hard links (FAT on a USB stick): look,
		// then rename.
		if _, serr := os.Lstat(out); serr == nil {
			return ErrBackupExists
		}
		if err := os.Rename(tmp, out); err != nil {
			return err
		}
	}
	syncDir(filepath.Dir(out))
	return nil
}

// syncDir makes a new name in dir durable where the system can; not
// every file system syncs a folder, and the file itself is synced.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		_ = f.Sync()
		_ = f.Close()
	}
}
