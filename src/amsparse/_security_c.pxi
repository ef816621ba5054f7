# The compiled side of the security layer (included once by _decode_c.pyx).
#
# The reference is amsparse._security (shared by both backends through
# _transport.decode_wrapped): it parses the general-glo/ded-ciphering header,
# finds the key, decrypts, checks the tag and raises every error.  This file
# is only a fast path for the common success case of one HDLC frame:
#
#   E6 E7 00 | DB|DC | 08 title | length | SC | IC | ciphertext | tag?
#
# parsed in C, decrypted with the key's cached AESGCM object (the same two
# one-shot calls as _security), and the plaintext decoded through the object
# path's frame templates: the plaintext is put in a frame-shaped buffer (the
# original HDLC header, LLC, plaintext, two FCS bytes, flag) that
# _decode_hdlc_info reads like a received frame.  Whenever anything is not
# the plain success case (no key, bad lengths, a tag that does not verify, an
# unauthenticated frame under require_authentication, a plaintext that does
# not decode), it returns None and the reference path runs: it gives the same
# Frame or raises the same error on both backends.

from ._security import keyring as _sec_keyring, Keys as _Keys, Security as _Security

cdef object _sec_tuple_new = tuple.__new__   # Security is a NamedTuple: skip its Python __new__

cdef bytes _sec_buffer(const unsigned char* d, Py_ssize_t info_start, object plain):
    cdef Py_ssize_t m = PyBytes_GET_SIZE(plain)
    cdef bytes out = PyBytes_FromStringAndSize(NULL, info_start + 3 + m + 3)
    cdef unsigned char* o = <unsigned char*>PyBytes_AS_STRING(out)
    memcpy(o, d, info_start)
    o[info_start] = 0xE6
    o[info_start + 1] = 0xE7
    o[info_start + 2] = 0x00
    memcpy(o + info_start + 3, PyBytes_AS_STRING(plain), m)
    o[info_start + 3 + m] = 0
    o[info_start + 4 + m] = 0
    o[info_start + 5 + m] = 0x7E
    return out


cdef object _sec_fast(bytes buf, Hdlc* h, DecoderCore dc, object keys,
                      bint require_auth):
    cdef const unsigned char* d = <const unsigned char*>PyBytes_AS_STRING(buf)
    cdef Py_ssize_t p = h.info_start + 3, end = h.info_end, length, stop, body, k
    cdef int sc, n, i
    cdef unsigned char diff = 0
    cdef bint auth, authenticated = False
    cdef Hdlc h2
    cdef const unsigned char* t
    if keys is None or end - p < 16 or d[p + 1] != 8:
        return None
    p += 10
    if d[p] < 0x80:
        length = d[p]
        p += 1
    else:
        n = d[p] & 0x7F
        if n == 0 or n > 2 or p + 1 + n > end:
            return None
        length = 0
        for i in range(n):
            length = (length << 8) | d[p + 1 + i]
        p += 1 + n
    if length != end - p or length < 5:
        return None
    sc = d[p]
    if sc & 0x80 or sc & 0x0F > 1 or not sc & 0x20:
        return None
    auth = (sc & 0x10) != 0
    body = p + 5
    stop = end - 12 if auth else end
    if stop < body:
        return None
    ring = keys._ring if type(keys) is _Keys else None   # one Keys: its ring is cached on it
    if ring is None:
        ring = _sec_keyring(keys)
    title = PyBytes_FromStringAndSize(<const char*>(d + h.info_start + 5), 8)
    key = ring.by_title.get(title)
    if key is None:
        key = ring.default
        if key is None:
            return None
    aead = key._aead
    if aead is None:
        aead = key._cipher()   # first use of this key: import AES and cache it on the Keys
    iv = PyBytes_FromStringAndSize(NULL, 12)
    memcpy(<unsigned char*>PyBytes_AS_STRING(iv), d + h.info_start + 5, 8)
    memcpy(<unsigned char*>PyBytes_AS_STRING(iv) + 8, d + p + 1, 4)
    ct = PyBytes_FromStringAndSize(<const char*>(d + body), stop - body)
    full = aead.encrypt(iv, ct, None)
    plain = PyBytes_FromStringAndSize(PyBytes_AS_STRING(full), stop - body)
    ak = key._ak
    if auth and ak is not None:
        aad = PyBytes_FromStringAndSize(NULL, 17)
        (<unsigned char*>PyBytes_AS_STRING(aad))[0] = <unsigned char>sc
        memcpy(<unsigned char*>PyBytes_AS_STRING(aad) + 1, PyBytes_AS_STRING(ak), 16)
        full = aead.encrypt(iv, plain, aad)
        t = <const unsigned char*>PyBytes_AS_STRING(full) + PyBytes_GET_SIZE(full) - 16
        for k in range(12):             # constant time, as hmac.compare_digest
            diff |= t[k] ^ d[stop + k]
        if diff:
            return None
        authenticated = True
    if require_auth and not authenticated:
        return None
    if PyBytes_GET_SIZE(plain) < 1 or (<const unsigned char*>PyBytes_AS_STRING(plain))[0] != 0x0F:
        return None
    syn = _sec_buffer(d, h.info_start, plain)
    h2 = h[0]
    h2.info_end = PyBytes_GET_SIZE(syn) - 3
    try:
        frame = _decode_hdlc_info(syn, &h2, dc)
    except DecodeError:
        return None
    sec = _sec_tuple_new(_Security, (title, <unsigned long long>_be(d + p + 1, 4), True, authenticated, sc))
    if _FAST_FRAME:
        ams_set_slot(PyTuple_GET_ITEM(_FRAME_DESCR, 16), frame, sec)
    else:
        object.__setattr__(frame, "security", sec)
    return frame
