package assets

import (
	"embed"
	"encoding/json"
	"fmt"
	"path"
	"strings"
)

// Lang holds the translation files of every sentence the desk shows, in
// the flat JSON form Fyne's lang package reads: "<area>.<language>.json",
// each an object of key → text. The window hands them to Fyne
// (lang.AddTranslationsFS(assets.Lang, assets.LangDir)); app reads the
// same files so the commands and a language switch at run time need no
// process-wide locale.
//
//go:embed lang/*.json
var Lang embed.FS

// LangDir is the folder of Lang that holds the files.
const LangDir = "lang"

// Translations reads every translation file: language tag → key → text.
func Translations() (map[string]map[string]string, error) {
	files, err := Lang.ReadDir(LangDir)
	if err != nil {
		return nil, fmt.Errorf("assets: translations: %w", err)
	}
	out := map[string]map[string]string{}
	for _, f := range files {
		name := f.Name()
		parts := strings.Split(strings.TrimSuffix(name, ".json"), ".")
		if len(parts) != 2 || !strings.HasSuffix(name, ".json") {
			return nil, fmt.Errorf("assets: translation file %s: want <area>.<language>.json", name)
		}
		data, err := Lang.ReadFile(path.Join(LangDir, name))
		if err != nil {
			return nil, fmt.Errorf("assets: translation file %s: %w", name, err)
		}
		var texts map[string]string
		if err := json.Unmarshal(data, &texts); err != nil {
			return nil, fmt.Errorf("assets: translation file %s: %w", name, err)
		}
		tag := parts[1]
		if out[tag] == nil {
			out[tag] = map[string]string{}
		}
		for k, v := range texts {
			if _, dup := out[tag][k]; dup {
				return nil, fmt.Errorf("assets: translation file %s: key %q is in another file too", name, k)
			}
			out[tag][k] = v
		}
	}
	return out, nil
}
