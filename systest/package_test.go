package systest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"lingqian/internal/pcsctest"
	"lingqian/internal/version/fyneapp"
)

// TestPackage_LinuxInstallsAndRuns makes the Linux packages as `make
// package` does, installs each with its own Makefile into a temporary root,
// and runs what was installed: the desk charges the virtual phone through
// pcscd, its window is the one its menu entry names, and the bank's unit
// passes systemd's checks.
func TestPackage_LinuxInstallsAndRuns(t *testing.T) {
	needTools(t, "make", "tar", "xz", "sha256sum")
	// Given the repository and the release its FyneApp.toml names
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	metadata, err := os.ReadFile(filepath.Join(root, "FyneApp.toml"))
	if err != nil {
		t.Fatal(err)
	}
	release, err := fyneapp.Parse(metadata)
	if err != nil {
		t.Fatal(err)
	}

	// When the Linux packages are made into a folder of the test's
	out := t.TempDir()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, filepath.Join(root, "scripts", "package.sh"), "--linux-only", "--out", out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	if log, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("package.sh: %v\n%s", err, log)
	}

	// Then FyneApp.toml is as it was (fyne package bumps Build in its copy)
	if after, err := os.ReadFile(filepath.Join(root, "FyneApp.toml")); err != nil || !bytes.Equal(after, metadata) {
		t.Errorf("FyneApp.toml changed by packaging (%v):\n%s", err, after)
	}
	// And the artefacts are named with the version, their checksums beside them
	desk := fmt.Sprintf("lingqian-%s-linux-amd64.tar.xz", release.Version)
	bank := fmt.Sprintf("lingqian-bank-%s-linux-amd64.tar.xz", release.Version)
	sums, err := os.ReadFile(filepath.Join(out, "SHA256SUMS"))
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^[0-9a-f]{64}  ` + regexp.QuoteMeta(desk) + `\n[0-9a-f]{64}  ` + regexp.QuoteMeta(bank) + `\n$`).Match(sums) {
		t.Errorf("SHA256SUMS:\n%s", sums)
	}
	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = out
	if log, err := check.CombinedOutput(); err != nil {
		t.Errorf("sha256sum -c: %v\n%s", err, log)
	}

	// What --version prints: the commit is the clone's, or unknown outside git.
	versionLine := func(program string) *regexp.Regexp {
		return regexp.MustCompile(fmt.Sprintf(`^%s %s \(build %d, ([0-9a-f]{12}(-dirty)?|unknown)\)\n$`,
			program, regexp.QuoteMeta(release.Version), release.Build))
	}

	t.Run("desk", func(t *testing.T) {
		// When the desk's archive is unpacked and installed with its Makefile,
		// as `sudo make install` does on a PC with /usr/local
		dest := t.TempDir()
		unpacked := untar(t, filepath.Join(out, desk))
		if err := os.MkdirAll(filepath.Join(dest, "usr", "local"), 0o755); err != nil {
			t.Fatal(err)
		}
		runProgram(t, "make", "", "-C", filepath.Join(unpacked, "lingqian"), "install", "DESTDIR="+dest)

		// Then the program, its menu entry and its icon are where the Makefile put them
		prefix := filepath.Join(dest, "usr", "local")
		lingqian := filepath.Join(prefix, "bin", "lingqian")
		entry := desktopEntry(t, filepath.Join(prefix, "share", "applications", release.ID+".desktop"))
		for key, want := range map[string]string{"Type": "Application", "Exec": "lingqian", "Icon": release.ID,
			"Categories": "Office;Finance;"} {
			if entry[key] != want {
				t.Errorf("desktop entry %s=%q, want %q", key, entry[key], want)
			}
		}
		if !strings.Contains(entry["Keywords"], "电子现金") || entry["Comment"] == "" || entry["GenericName"] == "" {
			t.Errorf("desktop entry %v", entry)
		}
		needTools(t, "desktop-file-validate")
		if said := runProgram(t, "desktop-file-validate", "", filepath.Join(prefix, "share", "applications", release.ID+".desktop")); said != "" {
			t.Errorf("desktop-file-validate: %s", said)
		}
		iconFile, err := os.Open(filepath.Join(prefix, "share", "pixmaps", release.ID+".png"))
		if err != nil {
			t.Fatal(err)
		}
		icon, err := png.DecodeConfig(iconFile)
		iconFile.Close()
		if err != nil || icon.Width < 256 || icon.Width != icon.Height {
			t.Errorf("icon %+v: %v", icon, err)
		}

		// And the installed program says the release FyneApp.toml names
		if said := runProgram(t, lingqian, "", "--version"); !versionLine("lingqian").MatchString(said) {
			t.Errorf("--version said %q", said)
		}

		// And it charges the virtual phone through pcscd, headless
		d := pcsctest.Start(t)
		issuerDir, _ := phoneOnReader(t, d, "50000")
		said := runProgram(t, lingqian, "", "charge", "--data", t.TempDir(), "--amount", "12.50", "--json",
			"--capk", filepath.Join(issuerDir, "capk.json"), "--timeout", "20s")
		var got chargeJSON
		if err := json.Unmarshal([]byte(said), &got); err != nil || got.Outcome != "approved" || got.Amount != 1250 {
			t.Errorf("charge said %q (%v)", said, err)
		}

		// And its window is the one the menu entry names, so the desktop
		// shows the window under the entry's icon
		needTools(t, "Xvfb", "xdotool")
		x := startXvfb(t)
		w := startWindow(t, x, lingqian, "--data", t.TempDir())
		id := x.findWindow(t, w, "Lingqian")
		class := "^" + regexp.QuoteMeta(entry["StartupWMClass"]) + "$"
		if ids, _ := x.tryXdo(10*time.Second, "search", "--class", class); !slices.Contains(strings.Fields(ids), id) {
			t.Errorf("the window %s is not of the class StartupWMClass=%q names (found %q)", id, entry["StartupWMClass"], ids)
		}
	})

	t.Run("bank", func(t *testing.T) {
		// When the bank's archive is unpacked and installed with its Makefile
		dest := t.TempDir()
		unpacked := filepath.Join(untar(t, filepath.Join(out, bank)), "lingqian-bank-"+release.Version)
		runProgram(t, "make", "", "-C", unpacked, "install", "DESTDIR="+dest)

		// Then the program, its README, its user and its unit are installed
		installed := filepath.Join(dest, "usr", "local", "bin", "lingqian-bank")
		readme, err := os.ReadFile(filepath.Join(dest, "usr", "local", "share", "doc", "lingqian-bank", "README-bank.txt"))
		if err != nil || !strings.Contains(string(readme), "lingqian-bank-"+release.Version+"-linux-amd64.tar.xz") {
			t.Errorf("README-bank.txt: %v\n%s", err, readme)
		}
		if b, err := os.ReadFile(filepath.Join(dest, "etc", "sysusers.d", "lingqian-bank.conf")); err != nil ||
			!strings.Contains(string(b), "u lingqian-bank ") {
			t.Errorf("sysusers: %v\n%s", err, b)
		}
		unitPath := filepath.Join(dest, "etc", "systemd", "system", "lingqian-bank.service")
		unit, err := os.ReadFile(unitPath)
		if err != nil {
			t.Fatal(err)
		}
		for _, want := range []string{"User=lingqian-bank", "ExecStart=/usr/local/bin/lingqian-bank serve --data /var/lib/lingqian-bank --addr ",
			"ProtectSystem=strict", "ReadWritePaths=/var/lib/lingqian-bank", "NoNewPrivileges=yes", "Restart=on-failure"} {
			if !strings.Contains(string(unit), want) {
				t.Errorf("the unit lacks %q", want)
			}
		}
		if said := runProgram(t, installed, "", "--version"); !versionLine("lingqian-bank").MatchString(said) {
			t.Errorf("--version said %q", said)
		}

		// And systemd reads the unit without a complaint and finds it
		// hardened (its exposure score at most 2.0 of 10)
		needTools(t, "systemd-analyze")
		check := filepath.Join(t.TempDir(), "lingqian-bank.service")
		pointed := strings.ReplaceAll(string(unit), "/usr/local/bin/lingqian-bank", installed)
		if err := os.WriteFile(check, []byte(pointed), 0o644); err != nil {
			t.Fatal(err)
		}
		if log, err := exec.Command("systemd-analyze", "verify", check).CombinedOutput(); err != nil || len(bytes.TrimSpace(log)) > 0 {
			t.Errorf("systemd-analyze verify: %v\n%s", err, log)
		}
		security := exec.Command("systemd-analyze", "security", "--offline=yes", "--threshold=20", check)
		if log, err := security.CombinedOutput(); err != nil {
			t.Errorf("systemd-analyze security: %v\n%s", err, log)
		}
	})
}

// untar unpacks a .tar.xz into a new folder and answers it.
func untar(t *testing.T, archive string) string {
	t.Helper()
	dir := t.TempDir()
	runProgram(t, "tar", "", "-xJf", archive, "-C", dir)
	return dir
}

// desktopEntry reads the [Desktop Entry] group of a .desktop file.
func desktopEntry(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	entry := map[string]string{}
	group := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case line == "" || strings.HasPrefix(line, "#"):
		case strings.HasPrefix(line, "["):
			group = line
		case group == "[Desktop Entry]":
			if k, v, ok := strings.Cut(line, "="); ok {
				entry[k] = v
			}
		}
	}
	return entry
}
