package bank

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"

	"golang.org/x/crypto/argon2"
)

// Passwords are hashed with argon2id at OWASP's recommended minimum
// (19 MiB, 2 passes, 1 lane), with the parameters stored in the hash so
// they can be raised later without invalidating old hashes.
const (
	argonTime    = 2
	argonMemory  = 19 * 1024
	argonThreads = 1
	argonKeyLen  = 32
	argonSalt    = 16
)

// HashPassword hashes a password for storage.
func HashPassword(password string) (string, error) {
	salt := make([]byte, argonSalt)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("password salt: %w", err)
	}
	key := argon2.IDKey([]byte(password), salt, argonTime, argonMemory, argonThreads, argonKeyLen)
	enc := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, argonMemory, argonTime, argonThreads,
		enc.EncodeToString(salt), enc.EncodeToString(key)), nil
}

// checkPassword compares a password with a stored hash in constant time.
func checkPassword(hash, password string) bool {
	parts := strings.Split(hash, "$")
	if len(parts) != 6 || parts[1] != "argon2id" || parts[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return false
	}
	var m uint32
	var t uint32
	var p uint8
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &m, &t, &p); err != nil || m == 0 || t == 0 || p == 0 || m > 1<<22 || t > 64 {
		return false
	}
	enc := base64.RawStdEncoding
	salt, err1 := enc.DecodeString(parts[4])
	want, err2 := enc.DecodeString(parts[5])
	if err1 != nil || err2 != nil || len(want) == 0 || len(want) > 128 {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, t, m, p, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// dummyHash is checked against when the user does not exist, so that an
// unknown user costs as long as a wrong password and users cannot be
// probed by timing.
var dummyHash = sync.OnceValue(func() string {
	h, _ := HashPassword("not a password anyone has")
	return h
})

// newToken draws a bearer token: 256 random bits, base64url.
func newToken() (string, []byte, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", nil, fmt.Errorf("token: %w", err)
	}
	tok := base64.RawURLEncoding.EncodeToString(b)
	return tok, tokenHash(tok), nil
}

// tokenHash is what the database keeps of a token.
func tokenHash(tok string) []byte {
	h := sha256.Sum256([]byte(tok))
	return h[:]
}

// caller is who made a request, once authenticated.
type caller struct {
	desk     *Desk
	customer *Customer
}

// client names the caller for idempotency records and the log.
func (c caller) client() string {
	switch {
	case c.desk != nil:
		return "desk:" + c.desk.TerminalID
	case c.customer != nil:
		return fmt.Sprintf("customer:%d", c.customer.ID)
	}
	return "anonymous"
}

// deskFrom authenticates a desk by its client certificate. The TLS layer
// has verified the chain to the bank's CA (and the client-auth usage and
// dates); here the certificate must also be an enrolled desk's, by serial,
// not revoked.
func (b *Bank) deskFrom(r *http.Request, teller bool) (*Desk, error) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return nil, apiErr(http.StatusUnauthorized, CodeUnauthenticated, "this call needs an enrolled desk's client certificate")
	}
	leaf := r.TLS.VerifiedChains[0][0]
	var d Desk
	err := b.store.Read(r.Context(), func(tx Tx) error {
		var err error
		d, err = tx.DeskBySerial(leaf.SerialNumber.Text(16))
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, apiErr(http.StatusForbidden, CodeForbidden, "this certificate is not an enrolled desk's")
	case err != nil:
		return nil, internal(err)
	case !d.Revoked.IsZero():
		return nil, apiErr(http.StatusForbidden, CodeForbidden, "this desk's certificate was revoked")
	case d.TerminalID != leaf.Subject.CommonName:
		return nil, apiErr(http.StatusForbidden, CodeForbidden, "this certificate does not name its desk")
	case teller && !d.Teller:
		return nil, apiErr(http.StatusForbidden, CodeForbidden, "only a teller desk may make this call")
	}
	return &d, nil
}

// customerFrom authenticates a phone by its bearer token.
func (b *Bank) customerFrom(r *http.Request) (*Customer, error) {
	h := r.Header.Get("Authorization")
	tok, ok := strings.CutPrefix(h, "Bearer ")
	if !ok || tok == "" || len(tok) > 128 {
		return nil, apiErr(http.StatusUnauthorized, CodeUnauthenticated, "this call needs a bearer token from /v1/login")
	}
	var c Customer
	err := b.store.Read(r.Context(), func(tx Tx) error {
		id, exp, err := tx.Session(tokenHash(tok))
		if err != nil {
			return err
		}
		if !b.now().Before(exp) {
			return ErrNotFound
		}
		c, err = tx.CustomerByID(id)
		return err
	})
	switch {
	case errors.Is(err, ErrNotFound):
		return nil, apiErr(http.StatusUnauthorized, CodeUnauthenticated, "the token is unknown or has expired: log in again")
	case err != nil:
		return nil, internal(err)
	}
	return &c, nil
}
