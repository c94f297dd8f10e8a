// Package fyneapp reads the [Details] table of FyneApp.toml: the name, id,
// version and build the packager and every program's --version share.
//
// It reads the small part of TOML that table is written in — basic and
// literal strings, integers, comments — and skips every other table
// unread, so no TOML library is needed for five keys.
package fyneapp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// Details is FyneApp.toml's [Details] table.
type Details struct {
	Icon    string
	Name    string
	ID      string
	Version string // x.y.z, as `fyne package` accepts it
	Build   int    // > 0
}

// ErrNoVersion: the file has no [Details] Version or Build to print.
var ErrNoVersion = errors.New("FyneApp.toml: [Details] needs Version and Build")

var semver = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)

// Parse reads the [Details] table of a FyneApp.toml. It refuses a
// version that is not x.y.z, a build that is not a positive integer, a
// key given twice and a line of the table it cannot read.
func Parse(b []byte) (Details, error) {
	var d Details
	seen := map[string]bool{}
	table := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if line[0] == '[' {
			if name, ok := header(line); ok {
				table = name
				continue
			}
		}
		if table != "Details" {
			continue // another table's lines, arrays running over lines included: not ours
		}
		key, raw, ok := strings.Cut(line, "=")
		if !ok {
			return Details{}, fmt.Errorf("FyneApp.toml line %d: %q is not key = value", n, line)
		}
		key = strings.Trim(strings.TrimSpace(key), `"`)
		raw = strings.TrimSpace(raw)
		if seen[key] {
			return Details{}, fmt.Errorf("FyneApp.toml line %d: [Details] %s given twice", n, key)
		}
		seen[key] = true
		var err error
		switch key {
		case "Icon":
			d.Icon, err = str(raw)
		case "Name":
			d.Name, err = str(raw)
		case "ID":
			d.ID, err = str(raw)
		case "Version":
			d.Version, err = str(raw)
			if err == nil && !semver.MatchString(d.Version) {
				err = fmt.Errorf("version %q is not x.y.z", d.Version)
			}
		case "Build":
			d.Build, err = integer(raw)
			if err == nil && d.Build <= 0 {
				err = fmt.Errorf("build %d is not positive", d.Build)
			}
		}
		if err != nil {
			return Details{}, fmt.Errorf("FyneApp.toml line %d: [Details] %s: %w", n, key, err)
		}
	}
	if err := sc.Err(); err != nil {
		return Details{}, fmt.Errorf("FyneApp.toml: %w", err)
	}
	if d.Version == "" || d.Build == 0 {
		return Details{}, ErrNoVersion
	}
	return d, nil
}

// header reads a table header, `[Name]` with an optional comment after it.
func header(line string) (string, bool) {
	end := strings.IndexByte(line, ']')
	if end < 0 {
		return "", false
	}
	if rest := strings.TrimSpace(line[end+1:]); rest != "" && rest[0] != '#' {
		return "", false
	}
	return strings.Trim(strings.TrimSpace(line[1:end]), `"`), true
}

// str reads a basic ("…", Go's escapes are TOML's) or literal ('…')
// string, and nothing but a comment after it.
func str(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("no value")
	}
	var val, rest string
	switch raw[0] {
	case '"':
		end := 1
		for ; end < len(raw); end++ {
			if raw[end] == '\\' {
				end++
				continue
			}
			if raw[end] == '"' {
				break
			}
		}
		if end >= len(raw) {
			return "", errors.New("string not closed")
		}
		s, err := strconv.Unquote(raw[:end+1])
		if err != nil {
			return "", fmt.Errorf("string %s: %w", raw[:end+1], err)
		}
		val, rest = s, raw[end+1:]
	case '\'':
		end := strings.IndexByte(raw[1:], '\'')
		if end < 0 {
			return "", errors.New("string not closed")
		}
		val, rest = raw[1:end+1], raw[end+2:]
	default:
		return "", fmt.Errorf("%q is not a string", raw)
	}
	if err := onlyComment(rest); err != nil {
		return "", err
	}
	return val, nil
}

// integer reads a decimal integer (TOML allows _ between digits).
func integer(raw string) (int, error) {
	num, rest, _ := strings.Cut(raw, "#")
	num = strings.TrimSpace(num)
	if err := onlyComment("#" + rest); err != nil {
		return 0, err
	}
	if strings.Contains(num, "__") || strings.HasPrefix(num, "_") || strings.HasSuffix(num, "_") {
		return 0, fmt.Errorf("%q is not an integer", num)
	}
	v, err := strconv.ParseInt(strings.ReplaceAll(num, "_", ""), 10, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not an integer: %w", num, err)
	}
	return int(v), nil
}

func onlyComment(rest string) error {
	rest = strings.TrimSpace(rest)
	if rest != "" && rest[0] != '#' {
		return fmt.Errorf("%q after the value", rest)
	}
	return nil
}
