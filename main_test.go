package main

import (
	"bytes"
	"image/png"
	"testing"

	"lingqian/internal/version"
)

func TestMetadata_IsFyneAppTomls(t *testing.T) {
	// When the desk reads the FyneApp.toml and icon it carries
	meta, ok := metadata()
	if !ok {
		t.Fatal("no metadata: the window would show Fyne's name and icon")
	}

	// Then the window is the desk's, at the release --version prints
	if meta.ID != "cn.lingqian.desk" || meta.Name != "Lingqian" || meta.Version != version.Version || meta.Build != version.Build {
		t.Errorf("metadata %+v, version %s build %d", meta, version.Version, version.Build)
	}
	// And its icon is the 512-pixel PNG the packagers scale
	img, err := png.Decode(bytes.NewReader(meta.Icon.Content()))
	if err != nil {
		t.Fatalf("icon: %v", err)
	}
	if b := img.Bounds(); b.Dx() != 512 || b.Dy() != 512 {
		t.Errorf("icon is %v, want 512×512", b)
	}
}
