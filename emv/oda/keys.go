package oda

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
)

// PrivateKey is an RSA private key for signing EMV certificates and dynamic
// data. It keeps the CRT form so that a signature costs two half-size
// exponentiations instead of one full-size one. It is safe for concurrent
// use once built.
type PrivateKey struct {
	pub PublicKey
	n   *big.Int
	e   *big.Int
	d   *big.Int
	p   *big.Int
	q   *big.Int
	dp  *big.Int // d mod (p-1)
	dq  *big.Int // d mod (q-1)
	qi  *big.Int // q^-1 mod p
}

var bigOne = big.NewInt(1)

// GenerateKey makes a new RSA key of bits bits (a multiple of 8, from 512
// to 1984, the EMV maximum) with public exponent 3 or 65537. EMV cards and
// CAs mostly use 3, which crypto/rsa cannot generate.
func GenerateKey(bits, exponent int) (*PrivateKey, error) {
	if bits%8 != 0 || bits < 8*MinModulusLen || bits > 8*MaxModulusLen {
		return nil, fmt.Errorf("oda: key size %d bits: want a multiple of 8 from %d to %d", bits, 8*MinModulusLen, 8*MaxModulusLen)
	}
	if exponent != 3 && exponent != 65537 {
		return nil, fmt.Errorf("oda: public exponent %d: want 3 or 65537", exponent)
	}
	e := big.NewInt(int64(exponent))
	for {
		// crypto/rand.Prime sets the top two bits of each prime, so their
		// product has exactly bits bits and a first byte above 6A: every
		// EMV block, which starts with 6A, is below the modulus.
		p, err := rand.Prime(rand.Reader, bits/2)
		if err != nil {
			return nil, fmt.Errorf("oda: generating a prime: %w", err)
		}
		q, err := rand.Prime(rand.Reader, bits/2)
		if err != nil {
			return nil, fmt.Errorf("oda: generating a prime: %w", err)
		}
		if p.Cmp(q) == 0 {
			continue
		}
		k, err := newPrivateKey(p, q, e, nil)
		if err != nil {
			// e shares a factor with p-1 or q-1: likely for e = 3, where a
			// third of primes are 1 mod 3. Draw again.
			continue
		}
		if k.n.BitLen() != bits {
			continue
		}
		return k, nil
	}
}

// newPrivateKey builds a key from its primes and public exponent. When d is
// nil it is computed as e^-1 mod lcm(p-1, q-1); when given it is checked.
func newPrivateKey(p, q, e, d *big.Int) (*PrivateKey, error) {
	if p.Cmp(bigOne) <= 0 || q.Cmp(bigOne) <= 0 || p.Cmp(q) == 0 {
		return nil, fmt.Errorf("%w: primes must be distinct and above 1", ErrPrivateKey)
	}
	pm1 := new(big.Int).Sub(p, bigOne)
	qm1 := new(big.Int).Sub(q, bigOne)
	g := new(big.Int).GCD(nil, nil, pm1, qm1)
	lambda := new(big.Int).Mul(pm1, qm1)
	lambda.Quo(lambda, g)
	if d == nil {
		d = new(big.Int).ModInverse(e, lambda)
		if d == nil {
			return nil, fmt.Errorf("%w: exponent %s is not invertible", ErrPrivateKey, e)
		}
	} else if new(big.Int).Mod(new(big.Int).Mul(e, d), lambda).Cmp(bigOne) != 0 {
		return nil, fmt.Errorf("%w: private exponent does not match the public exponent", ErrPrivateKey)
	}
	qi := new(big.Int).ModInverse(q, p)
	if qi == nil {
		return nil, fmt.Errorf("%w: primes are not coprime", ErrPrivateKey)
	}
	n := new(big.Int).Mul(p, q)
	k := &PrivateKey{
		n: n, e: e, d: d, p: p, q: q, qi: qi,
		dp: new(big.Int).Mod(d, pm1),
		dq: new(big.Int).Mod(d, qm1),
	}
	k.pub = PublicKey{Modulus: n.Bytes(), Exponent: e.Bytes()}
	if err := k.pub.Validate(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrPrivateKey, err)
	}
	return k, nil
}

// Public returns the public half. The slices are copies.
func (k *PrivateKey) Public() PublicKey {
	return PublicKey{Modulus: bytes.Clone(k.pub.Modulus), Exponent: bytes.Clone(k.pub.Exponent)}
}

// Size is the modulus length in bytes: the length of every block it signs.
func (k *PrivateKey) Size() int { return len(k.pub.Modulus) }

// sign applies the private key to a block of exactly Size() bytes that is
// below the modulus. It uses the CRT; it blinds the input with a random
// factor so that the time math/big takes does not correlate with the data
// being signed; and it checks its own result with the public key, so that a
// computing fault never releases a bad CRT signature, which would reveal a
// prime.
func (k *PrivateKey) sign(block []byte) ([]byte, error) {
	size := k.Size()
	if len(block) != size || bytes.Compare(block, k.pub.Modulus) >= 0 {
		return nil, fmt.Errorf("oda: block to sign is %d bytes or not below the modulus, want %d bytes below it", len(block), size)
	}
	m := new(big.Int).SetBytes(block)

	// Blinding: sign m*r^e, then divide by r.
	var r, rinv *big.Int
	for {
		var err error
		r, err = rand.Int(rand.Reader, k.n)
		if err != nil {
			return nil, fmt.Errorf("oda: blinding: %w", err)
		}
		if r.Sign() == 0 {
			continue
		}
		if rinv = new(big.Int).ModInverse(r, k.n); rinv != nil {
			break
		}
	}
	c := new(big.Int).Exp(r, k.e, k.n)
	c.Mul(c, m).Mod(c, k.n)

	m1 := new(big.Int).Exp(c, k.dp, k.p)
	m2 := new(big.Int).Exp(c, k.dq, k.q)
	h := m1.Sub(m1, m2)
	h.Mul(h, k.qi).Mod(h, k.p) // Mod is Euclidean: h ends up in [0, p)
	s := h.Mul(h, k.q).Add(h, m2)
	s.Mul(s, rinv).Mod(s, k.n)

	if new(big.Int).Exp(s, k.e, k.n).Cmp(m) != 0 {
		return nil, errors.New("oda: signature failed its own check")
	}
	out := make([]byte, size)
	s.FillBytes(out)
	return out, nil
}

// privateKeyJSON is the stored form: hex, like the CAPK file. The CRT values
// are derived again on loading rather than trusted.
type privateKeyJSON struct {
	Modulus  string `json:"modulus"`
	Exponent string `json:"exponent"`
	D        string `json:"d"`
	P        string `json:"p"`
	Q        string `json:"q"`
}

// MarshalJSON stores the key as {"modulus","exponent","d","p","q"} in
// uppercase hex. It is a secret: callers keep the file private.
func (k *PrivateKey) MarshalJSON() ([]byte, error) {
	if k.n == nil {
		return nil, fmt.Errorf("%w: empty key", ErrPrivateKey)
	}
	h := func(x *big.Int) string { return fmt.Sprintf("%X", x.Bytes()) }
	return json.Marshal(privateKeyJSON{
		Modulus:  h(k.n),
		Exponent: h(k.e),
		D:        h(k.d),
		P:        h(k.p),
		Q:        h(k.q),
	})
}

// UnmarshalJSON loads a key stored by MarshalJSON and checks that its parts
// agree: n = p·q, p and q prime, e·d = 1 modulo lcm(p-1, q-1), e 3 or 65537.
func (k *PrivateKey) UnmarshalJSON(data []byte) error {
	var j privateKeyJSON
	if err := json.Unmarshal(data, &j); err != nil {
		return fmt.Errorf("%w: %w", ErrPrivateKey, err)
	}
	var parts [5]*big.Int
	for i, f := range []struct{ name, v string }{
		{"modulus", j.Modulus}, {"exponent", j.Exponent}, {"d", j.D}, {"p", j.P}, {"q", j.Q},
	} {
		b, err := hex.DecodeString(f.v)
		if err != nil || len(b) == 0 || len(b) > MaxModulusLen {
			return fmt.Errorf("%w: %s: want 1 to %d bytes of hex", ErrPrivateKey, f.name, MaxModulusLen)
		}
		parts[i] = new(big.Int).SetBytes(b)
	}
	n, e, d, p, q := parts[0], parts[1], parts[2], parts[3], parts[4]
	if err := validExponent(e.Bytes()); err != nil {
		return fmt.Errorf("%w: %w", ErrPrivateKey, err)
	}
	if new(big.Int).Mul(p, q).Cmp(n) != 0 {
		return fmt.Errorf("%w: modulus is not p·q", ErrPrivateKey)
	}
	if !p.ProbablyPrime(20) || !q.ProbablyPrime(20) {
		return fmt.Errorf("%w: p or q is not prime", ErrPrivateKey)
	}
	nk, err := newPrivateKey(p, q, e, d)
	if err != nil {
		return err
	}
	*k = *nk
	return nil
}
