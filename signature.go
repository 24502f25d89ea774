package hookd

import (
	"bytes"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"strings"
)

// Signature schemes of an endpoint of a Standard Webhooks profile
// (standard, linkmoney): v1 signs with an HMAC secret (whsec_), v1a with an
// ed25519 key pair, whose public key receivers verify with and may publish.
const (
	SignatureV1  = "v1"
	SignatureV1a = "v1a"
)

// Prefixes of Standard Webhooks v1a keys, as Svix spells them: the signing
// key is whsk_ and base64 of the 64-byte ed25519 private key (seed, then
// public key), the public key whpk_ and base64 of its 32 bytes.
const (
	SigningKeyPrefix = "whsk_"
	PublicKeyPrefix  = "whpk_"
)

// NewSigningKey makes a fresh v1a signing key (whsk_...).
func NewSigningKey() (string, error) {
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return "", err
	}
	return SigningKeyPrefix + base64.StdEncoding.EncodeToString(priv), nil
}

// IsSigningKey reports whether a secret is a v1a signing key: such a
// secret is never shown, its public key is.
func IsSigningKey(secret string) bool { return strings.HasPrefix(secret, SigningKeyPrefix) }

// ParseSigningKey reads a whsk_ key. It checks that the public half is the
// one of the seed, so a key pasted together from two pairs is refused
// rather than signing what no receiver verifies.
func ParseSigningKey(secret string) (ed25519.PrivateKey, error) {
	raw, ok := strings.CutPrefix(secret, SigningKeyPrefix)
	if !ok {
		return nil, Errorf(EINVALID, "a v1a signing key starts with %s", SigningKeyPrefix)
	}
	b, err := base64.StdEncoding.DecodeString(raw)
	if err != nil || len(b) != ed25519.PrivateKeySize {
		return nil, Errorf(EINVALID, "a v1a signing key is %s and standard base64 of the 64-byte ed25519 private key (seed, then public key)", SigningKeyPrefix)
	}
	priv := ed25519.PrivateKey(b)
	if !bytes.Equal(ed25519.NewKeyFromSeed(priv.Seed())[ed25519.SeedSize:], b[ed25519.SeedSize:]) {
		return nil, Errorf(EINVALID, "the v1a signing key's public half does not belong to its seed")
	}
	return priv, nil
}

// PublicKeyOf returns the whpk_ public key of a whsk_ signing key, or ""
// when secret is not a valid one.
func PublicKeyOf(secret string) string {
	priv, err := ParseSigningKey(secret)
	if err != nil {
		return ""
	}
	return PublicKeyPrefix + base64.StdEncoding.EncodeToString(priv[ed25519.SeedSize:])
}

// V1aSigner is implemented by a profile that sends the Standard Webhooks
// headers and so can sign with v1a keys as well as its own secrets: its
// Sign makes a "v1a," entry for a signing key, its CheckSecret accepts one.
// An optional interface, so a profile that cannot sign v1a needs nothing.
type V1aSigner interface {
	SignsV1a() bool
}

// SignsV1a reports whether profile p can sign with v1a.
func SignsV1a(p Profile) bool {
	s, ok := p.(V1aSigner)
	return ok && s.SignsV1a()
}

// checkSignature refuses a signature scheme other than v1 and v1a.
func checkSignature(sig string) error {
	if sig != SignatureV1 && sig != SignatureV1a {
		return FieldErrorf(EINVALID, "signature", "enum", `signature must be "v1" (HMAC-SHA256) or "v1a" (ed25519)`)
	}
	return nil
}

// CheckSignatureProfile refuses v1a on a profile that cannot sign with it.
func CheckSignatureProfile(p Profile, sig string) error {
	if sig == SignatureV1a && !SignsV1a(p) {
		return FieldErrorf(EINVALID, "signature", "profile", `signature: "v1a" (Standard Webhooks ed25519) is for the profiles that send Standard Webhooks headers (standard, linkmoney), not %q`, p.Name())
	}
	return nil
}

// SignatureSecret returns the secret an endpoint of profile p that signs
// with sig starts to sign with: given, once checked against p and sig, or a
// new one (a signing key for v1a, the profile's own secret otherwise).
func SignatureSecret(p Profile, sig, given string) (string, error) {
	if sig == "" {
		sig = SignatureV1
	}
	if err := CheckSignatureProfile(p, sig); err != nil {
		return "", err
	}
	switch {
	case sig == SignatureV1a && given == "":
		return NewSigningKey()
	case sig == SignatureV1a && !IsSigningKey(given):
		return "", FieldErrorf(EINVALID, "secret", "secret", "secret: a v1a endpoint signs with an ed25519 key (%s...); leave secret out for a new one", SigningKeyPrefix)
	case sig == SignatureV1a:
		if _, err := ParseSigningKey(given); err != nil {
			return "", FieldErrorf(EINVALID, "secret", "secret", "secret: %s", ErrorMessage(err))
		}
		return given, nil
	case IsSigningKey(given):
		return "", FieldErrorf(EINVALID, "secret", "secret", `secret: a %s key signs v1a: create the endpoint with "signature": "v1a"`, SigningKeyPrefix)
	}
	return ProfileSecret(p, given)
}

// SigningPublicKey returns the public key of the endpoint's newest secret
// when it is a v1a signing key, else "".
func (e *Endpoint) SigningPublicKey() string {
	if len(e.Secrets) == 0 {
		return ""
	}
	return PublicKeyOf(e.Secrets[0].Value)
}
