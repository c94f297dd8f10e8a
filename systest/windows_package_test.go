package systest

import (
	"archive/zip"
	"bytes"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// mingw is the cross-compiler scripts/deps.sh installs for the Windows build.
const mingw = "x86_64-w64-mingw32-gcc"

// windowsPackageEnv turns the Windows package test on. The cross-build of
// Fyne and SQLite with MinGW-w64 takes about eight minutes on a cold build
// cache with two cores (seconds on a warm one), so only a run that asks for
// it pays for it.
const windowsPackageEnv = "LINGQIAN_TEST_WINDOWS_PACKAGE"

func TestPackageWindows_AZipAShopPCCanRun(t *testing.T) {
	if os.Getenv(windowsPackageEnv) == "" {
		t.Skipf("%s is not set: the Windows cross-build is not tested", windowsPackageEnv)
	}
	if _, err := exec.LookPath(mingw); err != nil {
		t.Skipf("no %s (scripts/deps.sh installs gcc-mingw-w64-x86-64)", mingw)
	}
	// Given the repository with its FyneApp.toml, which fyne package would
	// bump, and an empty folder for the package
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	metadata := filepath.Join(root, "FyneApp.toml")
	before, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	out := t.TempDir()

	// When the Windows package is made
	cmd := exec.Command(filepath.Join(root, "scripts", "package-windows.sh"), "9.8.7-systest", out)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "TMPDIR="+t.TempDir())
	if log, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("package-windows.sh: %v\n%s", err, log)
	}

	// Then the zip holds the program, the font with its licence and the
	// README in English and Chinese, and nothing else
	zipPath := filepath.Join(out, "lingqian-9.8.7-systest-windows-amd64.zip")
	files := unzipped(t, zipPath)
	var names []string
	for name := range files {
		names = append(names, name)
	}
	sort.Strings(names)
	want := []string{"README-Windows.txt", "README-Windows.zh-Hans.txt", "fonts/DroidSansFallbackFull.ttf",
		"fonts/LICENSE-DroidSansFallback.txt", "lingqian.exe"}
	if strings.Join(names, " ") != strings.Join(want, " ") {
		t.Fatalf("%s holds %v, want %v", zipPath, names, want)
	}
	// And each README names this version, where the data lives, how to back
	// it up while the desk runs, and that vpcd stays off a shop PC
	for _, name := range []string{"README-Windows.txt", "README-Windows.zh-Hans.txt"} {
		readme := string(files[name])
		for _, s := range []string{"9.8.7-systest", "lingqian.exe backup --out", `%APPDATA%\lingqian`, "vpcd"} {
			if !strings.Contains(readme, s) {
				t.Errorf("%s does not say %q", name, s)
			}
		}
	}
	if !strings.Contains(string(files["fonts/LICENSE-DroidSansFallback.txt"]), "Apache License") {
		t.Error("the font's licence file holds no Apache License")
	}
	// And lingqian.exe is a 64-bit Windows GUI program with its icon and
	// version, checked as scripts/check-windows-exe.sh checks any build
	exe := filepath.Join(t.TempDir(), "lingqian.exe")
	if err := os.WriteFile(exe, files["lingqian.exe"], 0o644); err != nil {
		t.Fatal(err)
	}
	check := exec.Command(filepath.Join(root, "scripts", "check-windows-exe.sh"), exe)
	if log, err := check.CombinedOutput(); err != nil {
		t.Fatalf("check-windows-exe.sh: %v\n%s", err, log)
	} else {
		t.Logf("%s", log)
	}
	// And the working tree is as it was: FyneApp.toml not bumped, nothing
	// fyne package writes while it builds left behind
	after, err := os.ReadFile(metadata)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(before, after) {
		t.Errorf("FyneApp.toml changed:\n%s", after)
	}
	for _, left := range []string{"fyne.syso", "fyne_metadata_init.go", "lingqian.exe", "Lingqian.exe"} {
		if _, err := os.Stat(filepath.Join(root, left)); err == nil {
			t.Errorf("%s left in the working tree", left)
		}
	}
}

// unzipped reads every file of the zip at path, by name.
func unzipped(t *testing.T, path string) map[string][]byte {
	t.Helper()
	r, err := zip.OpenReader(path)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	files := map[string][]byte{}
	for _, f := range r.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatalf("%s in %s: %v", f.Name, path, err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatalf("%s in %s: %v", f.Name, path, err)
		}
		files[f.Name] = b
	}
	return files
}

// TestCheckWindowsExe_RefusesWhatAShopPCCannotUse builds small programs with
// MinGW-w64, each missing one thing lingqian.exe needs, and has
// scripts/check-windows-exe.sh judge them: a check that passes everything
// would pass a broken package.
func TestCheckWindowsExe_RefusesWhatAShopPCCannotUse(t *testing.T) {
	if _, err := exec.LookPath(mingw); err != nil {
		t.Skipf("no %s (scripts/deps.sh installs gcc-mingw-w64-x86-64)", mingw)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// The resources lingqian.exe carries: the icon drawn for Windows and a
	// version, here 3.4.5.6.
	rc := `1 ICON "` + filepath.Join(root, "assets", "icon.ico") + `"
1 VERSIONINFO
FILEVERSION 3,4,5,6
PRODUCTVERSION 3,4,5,6
BEGIN
  BLOCK "StringFileInfo"
  BEGIN
    BLOCK "040904b0"
    BEGIN
      VALUE "ProductName", "Lingqian"
      VALUE "ProductVersion", "3.4.5.6"
    END
  END
  BLOCK "VarFileInfo"
  BEGIN
    VALUE "Translation", 0x409, 1200
  END
END
`
	writeSource(t, filepath.Join(dir, "full.rc"), rc)
	writeSource(t, filepath.Join(dir, "noicon.rc"), rc[strings.Index(rc, "\n")+1:])
	for _, name := range []string{"full", "noicon"} {
		runBuildTool(t, dir, "x86_64-w64-mingw32-windres", name+".rc", "-O", "coff", "-o", name+".o")
	}
	// A program that names winscard.dll, as scard's Windows code does, and
	// one whose C is built with a stack protector.
	writeSource(t, filepath.Join(dir, "desk.c"), `const char *volatile pcsc = "winscard.dll";
int main(void) { return pcsc[0] == 0; }
`)
	writeSource(t, filepath.Join(dir, "ssp.c"), `#include <string.h>
const char *volatile pcsc = "winscard.dll";
int main(int argc, char **argv) { char b[64]; strcpy(b, argv[0]); return b[1] == pcsc[0]; }
`)

	for _, tc := range []struct {
		name    string
		gcc     []string // after -o NAME.exe
		version string
		refusal string // in the check's output; "" passes
	}{
		{"complete", []string{"-mwindows", "desk.c", "full.o"}, "3.4.5", ""},
		{"a console program", []string{"desk.c", "full.o"}, "", "not Windows GUI"},
		{"no icon", []string{"-mwindows", "desk.c", "noicon.o"}, "", "no icon resource"},
		{"no resources", []string{"-mwindows", "desk.c"}, "", "no version resource"},
		{"another version", []string{"-mwindows", "desk.c", "full.o"}, "3.4.6", "version 3.4.6 is not"},
		{"a MinGW DLL", []string{"-mwindows", "-O2", "-fstack-protector-strong", "ssp.c", "full.o", "-lssp"}, "",
			"DLLs Windows does not have: libssp-0.dll"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a program built so
			exe := strings.ReplaceAll(tc.name, " ", "-") + ".exe"
			runBuildTool(t, dir, mingw, append([]string{"-o", exe}, tc.gcc...)...)

			// When the check judges it
			args := []string{filepath.Join(dir, exe)}
			if tc.version != "" {
				args = append(args, tc.version)
			}
			out, err := exec.Command(filepath.Join(root, "scripts", "check-windows-exe.sh"), args...).CombinedOutput()

			// Then it passes only the complete one, and says what is wrong
			switch {
			case tc.refusal == "" && err != nil:
				t.Fatalf("refused: %v\n%s", err, out)
			case tc.refusal != "" && err == nil:
				t.Fatalf("passed, want a refusal saying %q:\n%s", tc.refusal, out)
			case tc.refusal != "" && !strings.Contains(string(out), tc.refusal):
				t.Fatalf("refused without saying %q:\n%s", tc.refusal, out)
			}
		})
	}
}

func writeSource(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// runBuildTool runs a build tool in dir and fails the test with its output.
func runBuildTool(t *testing.T, dir, name string, args ...string) {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
}
