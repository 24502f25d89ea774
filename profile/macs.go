package profile

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/sha512"
	"hash"
	"sync"
	"sync/atomic"
)

// macs holds HMAC states ready to sign with, per hash and key: every
// attempt signs with one of its endpoint's few secrets, and hmac.New for
// each signature cost two allocations of hash state, the key's two padded
// blocks hashed again and, for a standard secret, its base64 decoded
// again. A state from here is fresh (as hmac.New returns it); it goes back
// with put, which resets it, so the next signature starts from the key's
// hashed pads, saved by the first Reset.
var macs macCache

type macCache struct {
	pools sync.Map // macKey → *sync.Pool of hash.Hash
	n     atomic.Int32
}

type macKey struct {
	kind   *macKind
	secret string
}

// macKind is a hash and how a profile makes its key of a secret; the
// same secret may key another kind (an endpoint that changes its profile
// keeps its secrets).
type macKind struct {
	h   func() hash.Hash
	key func(secret string) ([]byte, error)
}

// The kinds of HMAC the profiles sign with.
var (
	standardMAC = &macKind{sha256.New, standardKey}                                              // standard, linkmoney
	weavrMAC    = &macKind{sha256.New, func(s string) ([]byte, error) { return []byte(s), nil }} // the secret's bytes as given
	leanMAC     = &macKind{sha512.New, func(s string) ([]byte, error) { return []byte(s), nil }}
)

// maxMacKeys bounds the keys kept (secrets rotate away and endpoints are
// deleted); past it the cache starts over.
const maxMacKeys = 4096

// get returns an HMAC of kind keyed with secret, and the pool to put it
// back into; the kind's key is made once per secret. A secret that does
// not decode (stored secrets were checked on the way in) returns a nil
// hash.
func (c *macCache) get(kind *macKind, secret string) (hash.Hash, *sync.Pool) {
	k := macKey{kind, secret}
	if p, ok := c.pools.Load(k); ok {
		pool := p.(*sync.Pool)
		return pool.Get().(hash.Hash), pool
	}
	kb, err := kind.key(secret)
	if err != nil {
		return nil, nil
	}
	pool := &sync.Pool{New: func() any { return hmac.New(kind.h, kb) }}
	if c.n.Add(1) > maxMacKeys {
		c.pools.Clear()
		c.n.Store(1)
	}
	if p, loaded := c.pools.LoadOrStore(k, pool); loaded {
		pool = p.(*sync.Pool)
	}
	return pool.Get().(hash.Hash), pool
}

// put resets mac and gives it back to its pool.
func (c *macCache) put(mac hash.Hash, pool *sync.Pool) {
	mac.Reset()
	pool.Put(mac)
}
