"""TensorFlow's string hashes in pure Python, so hashed ids equal Keras' (which calls TF).

- `fingerprint64`: FarmHash's Fingerprint64 (farmhashna::Hash64), behind
  `tf.strings.to_hash_bucket_fast` (Keras' `Hashing`, `IndexLookup` OOV buckets).
- `siphash24`: SipHash-2-4 keyed by two uint64s, behind `tf.strings.to_hash_bucket_strong`
  (`Hashing(salt=...)`).
- `fingerprint_cat64`: TF's FingerprintCat64, used by `tf.sparse.cross_hashed` (`HashedCrossing`).
"""

import struct

_M = 0xFFFFFFFFFFFFFFFF
_K0, _K1, _K2 = 0xC3A5C85C97CB3127, 0xB492B66FBE98F273, 0x9AE16A3B2F90404F
_KMUL = 0x9DDFEA08EB382D69


def _fetch64(s, i):
    return struct.unpack_from("<Q", s, i)[0]


def _fetch32(s, i):
    return struct.unpack_from("<I", s, i)[0]


def _rot(v, r):
    return ((v >> r) | (v << (64 - r))) & _M if r else v


def _mix(v):
    return v ^ (v >> 47)


def _len16(u, v, mul=_KMUL):
    a = ((u ^ v) * mul) & _M
    a ^= a >> 47
    b = ((v ^ a) * mul) & _M
    b ^= b >> 47
    return (b * mul) & _M


def _len0to16(s, n):
    if n >= 8:
        mul = _K2 + n * 2
        a = (_fetch64(s, 0) + _K2) & _M
        b = _fetch64(s, n - 8)
        c = (_rot(b, 37) * mul + a) & _M
        d = ((_rot(a, 25) + b) * mul) & _M
        return _len16(c, d, mul)
    if n >= 4:
        mul = _K2 + n * 2
        a = _fetch32(s, 0)
        return _len16((n + (a << 3)) & _M, _fetch32(s, n - 4), mul)
    if n > 0:
        y = (s[0] + (s[n >> 1] << 8)) & 0xFFFFFFFF
        z = (n + (s[n - 1] << 2)) & 0xFFFFFFFF
        return (_mix(((y * _K2) ^ (z * _K0)) & _M) * _K2) & _M
    return _K2


def _len17to32(s, n):
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K1) & _M
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M
    d = (_fetch64(s, n - 16) * _K2) & _M
    return _len16((_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M,
                  (a + _rot((b + _K2) & _M, 18) + c) & _M, mul)


def _len33to64(s, n):
    mul = _K2 + n * 2
    a = (_fetch64(s, 0) * _K2) & _M
    b = _fetch64(s, 8)
    c = (_fetch64(s, n - 8) * mul) & _M
    d = (_fetch64(s, n - 16) * _K2) & _M
    y = (_rot((a + b) & _M, 43) + _rot(c, 30) + d) & _M
    z = _len16(y, (a + _rot((b + _K2) & _M, 18) + c) & _M, mul)
    e = (_fetch64(s, 16) * mul) & _M
    f = _fetch64(s, 24)
    g = ((y + _fetch64(s, n - 32)) * mul) & _M
    h = ((z + _fetch64(s, n - 24)) * mul) & _M
    return _len16((_rot((e + f) & _M, 43) + _rot(g, 30) + h) & _M,
                  (e + _rot((f + a) & _M, 18) + g) & _M, mul)


def _weak32(s, i, a, b):
    w, x, y, z = _fetch64(s, i), _fetch64(s, i + 8), _fetch64(s, i + 16), _fetch64(s, i + 24)
    a = (a + w) & _M
    b = _rot((b + a + z) & _M, 21)
    c = a
    a = (a + x + y) & _M
    b = (b + _rot(a, 44)) & _M
    return (a + z) & _M, (b + c) & _M


def fingerprint64(data):
    """FarmHash Fingerprint64 of `data` (str as UTF-8, or bytes), an unsigned 64-bit int.

    Example:
    >>> fingerprint64("") == 0x9AE16A3B2F90404F
    True
    """
    s = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    n = len(s)
    if n <= 16:
        return _len0to16(s, n)
    if n <= 32:
        return _len17to32(s, n)
    if n <= 64:
        return _len33to64(s, n)
    seed = 81
    x = seed
    y = (seed * _K1 + 113) & _M
    z = (_mix((y * _K2 + 113) & _M) * _K2) & _M
    v0 = v1 = w0 = w1 = 0
    x = (x * _K2 + _fetch64(s, 0)) & _M
    end = ((n - 1) // 64) * 64
    last64 = end + ((n - 1) & 63) - 63
    i = 0
    while True:
        x = (_rot((x + y + v0 + _fetch64(s, i + 8)) & _M, 37) * _K1) & _M
        y = (_rot((y + v1 + _fetch64(s, i + 48)) & _M, 42) * _K1) & _M
        x ^= w1
        y = (y + v0 + _fetch64(s, i + 40)) & _M
        z = (_rot((z + w0) & _M, 33) * _K1) & _M
        v0, v1 = _weak32(s, i, (v1 * _K1) & _M, (x + w0) & _M)
        w0, w1 = _weak32(s, i + 32, (z + w1) & _M, (y + _fetch64(s, i + 16)) & _M)
        z, x = x, z
        i += 64
        if i == end:
            break
    mul = _K1 + ((z & 0xFF) << 1)
    i = last64
    w0 = (w0 + ((n - 1) & 63)) & _M
    v0 = (v0 + w0) & _M
    w0 = (w0 + v0) & _M
    x = (_rot((x + y + v0 + _fetch64(s, i + 8)) & _M, 37) * mul) & _M
    y = (_rot((y + v1 + _fetch64(s, i + 48)) & _M, 42) * mul) & _M
    x ^= (w1 * 9) & _M
    y = (y + v0 * 9 + _fetch64(s, i + 40)) & _M
    z = (_rot((z + w0) & _M, 33) * mul) & _M
    v0, v1 = _weak32(s, i, (v1 * mul) & _M, (x + w0) & _M)
    w0, w1 = _weak32(s, i + 32, (z + w1) & _M, (y + _fetch64(s, i + 16)) & _M)
    z, x = x, z
    return _len16((_len16(v0, w0, mul) + _mix(y) * _K0 + z) & _M, (_len16(v1, w1, mul) + x) & _M, mul)


def siphash24(key0, key1, data):
    """SipHash-2-4 of `data` keyed by the uint64 pair `(key0, key1)` (TF's StrongKeyedHash).

    Example:
    >>> k = bytes(range(16))
    >>> hex(siphash24(int.from_bytes(k[:8], "little"), int.from_bytes(k[8:], "little"), bytes(range(15))))
    '0xa129ca6149be45e5'
    """
    s = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    k0, k1 = key0 & _M, key1 & _M
    v0, v1 = k0 ^ 0x736F6D6570736575, k1 ^ 0x646F72616E646F6D
    v2, v3 = k0 ^ 0x6C7967656E657261, k1 ^ 0x7465646279746573

    def rounds(v0, v1, v2, v3, count):
        for _ in range(count):
            v0 = (v0 + v1) & _M
            v1 = _rot_l(v1, 13) ^ v0
            v0 = _rot_l(v0, 32)
            v2 = (v2 + v3) & _M
            v3 = _rot_l(v3, 16) ^ v2
            v0 = (v0 + v3) & _M
            v3 = _rot_l(v3, 21) ^ v0
            v2 = (v2 + v1) & _M
            v1 = _rot_l(v1, 17) ^ v2
            v2 = _rot_l(v2, 32)
        return v0, v1, v2, v3

    n = len(s)
    tail = s[n - n % 8:] + bytes(7 - n % 8) + bytes([n & 0xFF])
    blocks = s[:n - n % 8] + tail
    for i in range(0, len(blocks), 8):
        m = _fetch64(blocks, i)
        v3 ^= m
        v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 2)
        v0 ^= m
    v2 ^= 0xFF
    v0, v1, v2, v3 = rounds(v0, v1, v2, v3, 4)
    return v0 ^ v1 ^ v2 ^ v3


def _rot_l(v, r):
    return ((v << r) | (v >> (64 - r))) & _M


def fingerprint_cat64(fp1, fp2):
    """TF's FingerprintCat64: combines two 64-bit fingerprints (feature crosses)."""
    kmul = 0xC6A4A7935BD1E995
    result = fp1 ^ kmul
    result ^= (_mix((fp2 * kmul) & _M) * kmul) & _M
    result = (result * kmul) & _M
    result = (_mix(result) * kmul) & _M
    return _mix(result)


def hash_bucket(values, num_buckets, salt=None):
    """`tf.strings.to_hash_bucket_fast` (or `_strong` with a `[k0, k1]` salt) over a list of str."""
    if salt is None:
        return [fingerprint64(v) % num_buckets for v in values]
    return [siphash24(salt[0], salt[1], v) % num_buckets for v in values]
