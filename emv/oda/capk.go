package oda

import (
	"bytes"
	"cmp"
	"crypto/sha1"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"
)

// Key sets. A payment scheme's test keys and live keys are different key
// spaces: Mastercard's index 05, for one, is a different key in each.
const (
	SetTest = "test"
	SetLive = "live"
	SetAny  = "" // a key added for every environment, e.g. the project's own bank
)

// CAPK is a certification authority public key (Book 2 section 11.2.2).
type CAPK struct {
	RID      [5]byte
	Index    byte
	Modulus  []byte
	Exponent []byte
	// Expires is the last day the key is valid; the zero time means it
	// does not expire (scheme test keys are published without a date).
	Expires time.Time
	Set     string // SetTest, SetLive or SetAny
}

// Checksum is the key's check value: SHA-1 over RID, index, modulus and
// exponent, as the schemes publish it with each key.
func (k CAPK) Checksum() [20]byte {
	h := sha1.New()
	h.Write(k.RID[:])
	h.Write([]byte{k.Index})
	h.Write(k.Modulus)
	h.Write(k.Exponent)
	var s [20]byte
	h.Sum(s[:0])
	return s
}

// Public is the key as RecoverIssuerCert takes it.
func (k CAPK) Public() PublicKey { return PublicKey{Modulus: k.Modulus, Exponent: k.Exponent} }

// Name is how messages name the key: RID/index, and the set if any.
func (k CAPK) Name() string {
	s := fmt.Sprintf("%X/%02X", k.RID[:], k.Index)
	if k.Set != "" {
		s += " (" + k.Set + ")"
	}
	return s
}

// Validate checks that the key is usable and its set is known.
func (k CAPK) Validate() error {
	if err := k.Public().Validate(); err != nil {
		return fmt.Errorf("oda: CA public key %s: %w", k.Name(), err)
	}
	if k.Set != SetTest && k.Set != SetLive && k.Set != SetAny {
		return fmt.Errorf("oda: CA public key %s: set %q, want %q, %q or none", k.Name(), k.Set, SetTest, SetLive)
	}
	return nil
}

// expiredOn says whether the key's last valid day is before the calendar
// date of on (in on's own location: the transaction date is a local date).
func (k CAPK) expiredOn(on time.Time) bool {
	if k.Expires.IsZero() {
		return false
	}
	ey, em, ed := k.Expires.Date()
	y, m, d := on.Date()
	return y*10000+int(m)*100+d > ey*10000+int(em)*100+ed
}

type capkID struct {
	rid   [5]byte
	index byte
}

// Store holds CA public keys keyed by (set, RID, index). It is safe for
// concurrent use: the desk's kernel looks keys up while the bank pushes new
// ones.
type Store struct {
	sets []string // searched in this order, then SetAny; none: every set

	mu   sync.RWMutex
	keys map[capkID]map[string]CAPK // by RID and index, then by set
}

// NewStore makes an empty store whose lookups use the named sets, in order
// of preference, and then keys of no set. With no set named a lookup takes
// a key from any set, and fails with ErrAmbiguousCAPK when two sets hold
// different keys under the same RID and index (Mastercard 05). A desk in
// production names SetLive; tests and demos name SetTest.
func NewStore(sets ...string) *Store {
	return &Store{sets: slices.Clone(sets), keys: make(map[capkID]map[string]CAPK)}
}

// DefaultStore makes a store with the keys of a key file, typically the
// defaults embedded in the program (lingqian/assets.DefaultCAPK), using the
// named sets as NewStore does.
func DefaultStore(defaults []byte, sets ...string) (*Store, error) {
	keys, err := ParseFile(defaults)
	if err != nil {
		return nil, err
	}
	s := NewStore(sets...)
	if err := s.AddAll(keys); err != nil {
		return nil, err
	}
	return s, nil
}

// Add puts a key in the store. Adding a key the store already holds
// (same set, RID, index and checksum) replaces it, which updates its
// expiry; a different key under the same set, RID and index is refused.
func (s *Store) Add(k CAPK) error {
	if err := k.Validate(); err != nil {
		return err
	}
	k.Modulus, k.Exponent = bytes.Clone(k.Modulus), bytes.Clone(k.Exponent)
	id := capkID{k.RID, k.Index}
	s.mu.Lock()
	defer s.mu.Unlock()
	bySet := s.keys[id]
	if old, ok := bySet[k.Set]; ok && old.Checksum() != k.Checksum() {
		return fmt.Errorf("oda: CA public key %s: a different key is already held under this RID and index", k.Name())
	}
	if bySet == nil {
		bySet = make(map[string]CAPK, 1)
		s.keys[id] = bySet
	}
	bySet[k.Set] = k
	return nil
}

// AddAll adds keys in order and stops at the first it refuses.
func (s *Store) AddAll(keys []CAPK) error {
	for _, k := range keys {
		if err := s.Add(k); err != nil {
			return err
		}
	}
	return nil
}

// Lookup finds the key a card names by RID and index (tag 8F) and checks
// that it is valid on the transaction date. Failures wrap ErrUnknownCAPK,
// ErrAmbiguousCAPK or ErrCAPKExpired.
func (s *Store) Lookup(rid [5]byte, index byte, on time.Time) (CAPK, error) {
	k, err := s.find(rid, index)
	if err != nil {
		return CAPK{}, err
	}
	k.Modulus, k.Exponent = bytes.Clone(k.Modulus), bytes.Clone(k.Exponent)
	if k.expiredOn(on) {
		return CAPK{}, fmt.Errorf("oda: CA public key %s: %w: last valid day %s, transaction date %s",
			k.Name(), ErrCAPKExpired, k.Expires.Format(time.DateOnly), on.Format(time.DateOnly))
	}
	return k, nil
}

func (s *Store) find(rid [5]byte, index byte) (CAPK, error) {
	name := CAPK{RID: rid, Index: index}.Name()
	s.mu.RLock()
	defer s.mu.RUnlock()
	bySet := s.keys[capkID{rid, index}]
	if len(bySet) == 0 {
		return CAPK{}, fmt.Errorf("oda: CA public key %s: %w", name, ErrUnknownCAPK)
	}
	if len(s.sets) > 0 {
		for _, set := range s.sets {
			if k, ok := bySet[set]; ok {
				return k, nil
			}
		}
		if k, ok := bySet[SetAny]; ok {
			return k, nil
		}
		return CAPK{}, fmt.Errorf("oda: CA public key %s: %w in set %s", name, ErrUnknownCAPK, strings.Join(s.sets, ", "))
	}
	// Sorted, so that the same store always answers with the same key
	// (copies in two sets may differ in expiry).
	sets := slices.Sorted(maps.Keys(bySet))
	found := bySet[sets[0]]
	for _, set := range sets[1:] {
		if bySet[set].Checksum() != found.Checksum() {
			return CAPK{}, fmt.Errorf("oda: CA public key %s: %w: sets %s hold different keys; name the set to use",
				name, ErrAmbiguousCAPK, strings.Join(sets, ", "))
		}
	}
	return found, nil
}

// Keys lists every key held, ordered by set, RID and index.
func (s *Store) Keys() []CAPK {
	s.mu.RLock()
	out := make([]CAPK, 0, len(s.keys))
	for _, bySet := range s.keys {
		for _, k := range bySet {
			out = append(out, k)
		}
	}
	s.mu.RUnlock()
	slices.SortFunc(out, compareCAPK)
	return out
}

func compareCAPK(a, b CAPK) int {
	return cmp.Or(
		strings.Compare(a.Set, b.Set),
		bytes.Compare(a.RID[:], b.RID[:]),
		cmp.Compare(a.Index, b.Index),
	)
}
