package fyneapp

import (
	"errors"
	"os"
	"strings"
	"testing"
)

func TestParse_ReadsTheDetailsTable(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   string
		want Details
	}{
		{"as written by hand", `
# comment
Description = "x"
[Details]
Icon = "assets/icon.png"
Name = "Lingqian"
ID = "cn.lingqian.desk"
Version = "0.12.0"
Build = 7
`, Details{Icon: "assets/icon.png", Name: "Lingqian", ID: "cn.lingqian.desk", Version: "0.12.0", Build: 7}},
		{"as fyne writes it back, other tables around", `Website = "w"

[Details]
  Icon = 'icon.png'  # literal
  Name = "Ling\u0071ian"
  ID = "a.b"
  Version = "1.2.3" # release
  Build = 1_024

[LinuxAndBSD]
  Categories = [
    "Office",
    "Finance",
  ]
  Version = "not ours"
`, Details{Icon: "icon.png", Name: "Lingqian", ID: "a.b", Version: "1.2.3", Build: 1024}},
		{"a header with a comment", "[Details] # the app\nVersion = \"0.1.0\"\nBuild = 1\n",
			Details{Version: "0.1.0", Build: 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a FyneApp.toml, when it is read
			got, err := Parse([]byte(tc.in))

			// Then the table's keys are what it says
			if err != nil || got != tc.want {
				t.Errorf("got %+v, %v; want %+v", got, err, tc.want)
			}
		})
	}
}

func TestParse_RefusesWhatItCannotPrint(t *testing.T) {
	for _, tc := range []struct {
		name, in, says string
	}{
		{"no Details", "Name = \"x\"\n", "needs Version and Build"},
		{"no build", "[Details]\nVersion = \"1.0.0\"\n", "needs Version and Build"},
		{"a version not x.y.z", "[Details]\nVersion = \"1.0\"\nBuild = 1\n", "not x.y.z"},
		{"a build of zero", "[Details]\nVersion = \"1.0.0\"\nBuild = 0\n", "not positive"},
		{"a build in quotes", "[Details]\nVersion = \"1.0.0\"\nBuild = \"2\"\n", "not an integer"},
		{"a key twice", "[Details]\nVersion = \"1.0.0\"\nVersion = \"1.0.1\"\nBuild = 1\n", "given twice"},
		{"a string not closed", "[Details]\nVersion = \"1.0.0\nBuild = 1\n", "line 2"},
		{"something after the value", "[Details]\nVersion = \"1.0.0\" x\nBuild = 1\n", "after the value"},
		{"a line that is no key", "[Details]\nVersion\n", "not key = value"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Given a FyneApp.toml without a usable version, when it is read
			_, err := Parse([]byte(tc.in))

			// Then it is refused, saying why
			if err == nil || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err %v, want one saying %q", err, tc.says)
			}
		})
	}
	if _, err := Parse(nil); !errors.Is(err, ErrNoVersion) {
		t.Errorf("empty file: %v", err)
	}
}

func TestParse_TheRepositorysFile(t *testing.T) {
	// Given the FyneApp.toml the packager reads
	b, err := os.ReadFile("../../../FyneApp.toml")
	if err != nil {
		t.Fatal(err)
	}
	// When it is read, then it names the desk as its window does
	d, err := Parse(b)
	if err != nil {
		t.Fatal(err)
	}
	if d.ID != "cn.lingqian.desk" || d.Name != "Lingqian" || d.Icon != "assets/icon.png" {
		t.Errorf("details %+v", d)
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte("[Details]\nVersion = \"1.0.0\"\nBuild = 1\n"))
	f.Add([]byte("[Details]\nName = 'x' # c\nID = \"\\u00e9\"\nBuild = 1_0\n[Other]\nk = [\n\"a\",\n]\n"))
	f.Add([]byte("[Details\nVersion = \"\\"))
	f.Fuzz(func(t *testing.T, b []byte) {
		// Whatever the file holds, reading it never panics, and what it
		// accepts is a version fyne package accepts too
		d, err := Parse(b)
		if err != nil {
			return
		}
		if !semver.MatchString(d.Version) || d.Build <= 0 {
			t.Errorf("accepted %+v", d)
		}
	})
}
