//go:build tools

package main

// The design's dependencies that later parts of the desk build on are
// pinned here so that every checkout resolves the same versions.
import (
	_ "github.com/mattn/go-sqlite3"
	_ "golang.org/x/crypto/argon2"
)
