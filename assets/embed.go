// Package assets holds the files the programs carry inside their binaries.
package assets

import _ "embed"

// DefaultCAPK is the CA public key file every desk starts with, in the key
// file format of DESIGN section 7 (read it with oda.ParseFile or
// oda.DefaultStore). It holds the payment schemes' published test keys and
// their superseded live keys, each marked with its set; keys given with
// --capk or pushed by the bank are added to these. See capk/README.md for
// where each key comes from and how the file is regenerated.
//
//go:generate go run ./capk/gen -tsv ../emv/oda/testdata/capk/capk_list.tsv -out capk/default.json
//go:embed capk/default.json
var DefaultCAPK []byte
