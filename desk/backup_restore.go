package desk

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"

	"lingqian/app"
	"lingqian/store"
)

// Restored is what a restore put back.
type Restored struct {
	Dir string // absolute
	Manifest
	// Replaced is how many journal entries the desk had that the restore
	// replaced (with force); 0 for a new folder.
	Replaced int64
}

// OccupiedError: the data folder holds a desk that a restore would
// replace, and the caller did not force it.
type OccupiedError struct {
	Dir     string
	Entries int64 // its journal's entries, when it opened
	Err     error // why it did not open, when it did not
}

func (e *OccupiedError) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("the data folder %s holds a desk that does not open (%v): restoring would replace it", e.Dir, e.Err)
	}
	return fmt.Sprintf("the data folder %s holds a desk with %d journal entries: restoring would replace them", e.Dir, e.Entries)
}

func (e *OccupiedError) Unwrap() error { return e.Err }

// NewerBackupError: the backup was written at a schema newer than this
// release knows; it is not restored.
type NewerBackupError struct{ Schema, Known int }

func (e *NewerBackupError) Error() string {
	return fmt.Sprintf("the backup was written at schema %d, this release knows up to %d", e.Schema, e.Known)
}

// BrokenBackupError: the journal in the backup does not chain; it is not
// restored.
type BrokenBackupError struct{ Break app.ChainBreak }

func (e *BrokenBackupError) Error() string {
	if e.Break.Seq == 0 {
		return "the backup's audit log, settings or operators do not verify: " + e.Break.Reason
	}
	return fmt.Sprintf("the backup's journal chain breaks at entry %d: %s", e.Break.Seq, e.Break.Reason)
}

// Restore puts the backup in the file from into the data folder dir, the
// default when "". It refuses to replace a desk whose journal has entries
// unless force, and a desk that a program has open even then. The backup
// is read whole and checked — every file against its hash, the database
// opened (brought to this release's schema) and its journal chain walked —
// in a folder inside dir before anything of dir changes; then each file
// is renamed into place, the database last, and the files of the desk
// replaced that the backup does not have are removed: a key of the old
// desk beside the new desk's certificate would do no good.
func Restore(ctx context.Context, from, dir string, force bool) (Restored, error) {
	if dir == "" {
		dir = DefaultDir()
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return Restored{}, fmt.Errorf("restore into %s: %w", dir, err)
	}
	f, err := os.Open(from)
	if err != nil {
		return Restored{}, fmt.Errorf("restore from %s: %w", from, err)
	}
	defer f.Close()
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return Restored{}, fmt.Errorf("restore into %s: %w", abs, err)
	}
	replaced, err := checkTarget(ctx, abs, force)
	if err != nil {
		return Restored{}, fmt.Errorf("restore into %s: %w", abs, err)
	}
	stage, err := os.MkdirTemp(abs, ".lingqian-restore-*")
	if err != nil {
		return Restored{}, fmt.Errorf("restore into %s: %w", abs, err)
	}
	defer os.RemoveAll(stage)
	m, err := readArchive(f, func(name string) (io.WriteCloser, error) {
		w, err := os.OpenFile(filepath.Join(stage, name), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		return syncedFile{w}, err
	})
	if err != nil {
		return Restored{}, fmt.Errorf("restore from %s: %w", from, err)
	}
	if m.Schema > store.SchemaVersion() {
		return Restored{}, fmt.Errorf("restore from %s: %w", from, &NewerBackupError{Schema: m.Schema, Known: store.SchemaVersion()})
	}
	if err := checkStaged(ctx, filepath.Join(stage, DBFile), m); err != nil {
		return Restored{}, fmt.Errorf("restore from %s: %w", from, err)
	}
	if err := ctx.Err(); err != nil {
		return Restored{}, err
	}
	if err := putInPlace(stage, abs, m); err != nil {
		return Restored{}, fmt.Errorf("restore into %s: %w", abs, err)
	}
	return Restored{Dir: abs, Manifest: m, Replaced: replaced}, nil
}

// checkTarget looks at the desk already in dir, if any: how many entries
// its journal has (refused unless force), and whether a program has it
// open (refused always). Opening and closing it is how that is seen: the
// last connection to close a WAL database removes its -wal file, so one
// left after this open and close belongs to a connection still open.
func checkTarget(ctx context.Context, dir string, force bool) (int64, error) {
	path := filepath.Join(dir, DBFile)
	if _, err := os.Lstat(path); errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	var entries int64
	db, err := store.Open(path)
	if err != nil && !force {
		return 0, &OccupiedError{Dir: dir, Err: err}
	}
	if err != nil {
		settle(path)
	}
	if err == nil {
		entries, err = db.EntryCount(ctx)
		if cerr := db.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return 0, err
		}
		if entries > 0 && !force {
			return 0, &OccupiedError{Dir: dir, Entries: entries}
		}
	}
	if _, err := os.Lstat(path + "-wal"); err == nil {
		return 0, ErrDeskInUse
	}
	return entries, nil
}

// settle opens the database at path that the store would not open (a
// newer release's, say) as plain SQLite, reads it and closes it: when no
// other program has it open, that close is the last and removes the -wal
// and -shm files, which a refused open's read-only look leaves behind.
// It changes nothing of the schema; the desk in it is about to be
// replaced.
func settle(path string) {
	u := url.URL{Path: path}
	db, err := sql.Open("sqlite3", "file:"+u.EscapedPath()+"?_busy_timeout=1000")
	if err != nil {
		return
	}
	defer db.Close()
	var v int
	_ = db.QueryRow("PRAGMA user_version").Scan(&v)
}

// checkStaged opens the database read from the backup, which brings an
// older one to this release's schema, and checks its journal against the
// chain and the manifest.
func checkStaged(ctx context.Context, path string, m Manifest) error {
	db, err := store.Open(path)
	var newer *store.NewerSchemaError
	if errors.As(err, &newer) {
		return &NewerBackupError{Schema: newer.Version, Known: newer.Known}
	}
	if err != nil {
		return err
	}
	defer db.Close()
	brk, err := db.Verify(ctx)
	if err != nil {
		return err
	}
	if brk != nil {
		return &BrokenBackupError{Break: *brk}
	}
	n, err := db.EntryCount(ctx)
	if err != nil {
		return err
	}
	last, err := db.LastSeq(ctx)
	if err != nil {
		return err
	}
	if n != m.Entries || last != m.LastSeq {
		return fmt.Errorf("%w: the manifest says %d entries up to %d, the database holds %d up to %d", ErrNotBackup, m.Entries, m.LastSeq, n, last)
	}
	return db.Close()
}

// putInPlace moves the checked files from stage into dir: the database
// last, after the old one's -wal and -shm are gone (SQLite would apply an
// old -wal to the new file).
func putInPlace(stage, dir string, m Manifest) error {
	have := map[string]bool{}
	for _, f := range m.Files {
		have[f.Name] = true
	}
	for _, name := range backupFiles {
		var err error
		if have[name] {
			err = os.Rename(filepath.Join(stage, name), filepath.Join(dir, name))
		} else {
			err = removeIfThere(filepath.Join(dir, name))
		}
		if err != nil {
			return err
		}
	}
	for _, name := range []string{EnrolPendingFile, DBFile + "-wal", DBFile + "-shm"} {
		if err := removeIfThere(filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	if err := os.Rename(filepath.Join(stage, DBFile), filepath.Join(dir, DBFile)); err != nil {
		return err
	}
	syncDir(dir)
	return nil
}

func removeIfThere(path string) error {
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return err
	}
	return nil
}

// syncedFile is a file whose Close syncs it first.
type syncedFile struct{ *os.File }

func (f syncedFile) Close() error {
	if f.File == nil {
		return nil
	}
	return errors.Join(f.Sync(), f.File.Close())
}
