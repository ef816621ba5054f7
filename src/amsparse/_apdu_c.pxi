# Included by _decode_c.pyx (one extension module): APDU: data-notification decoding, options, HDLC
# dispatch.
# See docs/internals.md for the layers.

# --------------------------------------------------------------------------- APDU

cdef object _decode_info(
    bytes buf,
    Py_ssize_t start,
    Py_ssize_t end,
    DecoderCore dc,
    object source,
    object address,
    bint llc,
    bint frame=False,      # buf is one whole HDLC frame: keep a template of it
    uint64_t fkey=0,       # ... under this _frame_key
    _Template tpl=None,    # buf matches this template: decode from its nodes
):
    cdef const unsigned char* d = <const unsigned char*>PyBytes_AS_STRING(buf)
    cdef Py_ssize_t pos = start, body_pos
    cdef int tag, marker, btag, layout
    cdef object invoke_id, header, body, bval, elements
    cdef tuple fl
    cdef Py_ssize_t count
    cdef Node nodes[MAX_NODES]
    cdef El els[MAX_NODES]
    cdef int nn, nel, flayout, fcount
    cdef Py_ssize_t wpos
    cdef object key, sig
    cdef _Plan plan
    cdef _Template t
    cdef Py_ssize_t hdr_off = -1, cpos
    cdef object compact
    cdef object profiles = dc.ps, profile = dc.prof, tz = dc.tz
    if llc:
        if end - pos < 3 or d[pos] != 0xE6 or d[pos + 1] != 0xE7 or d[pos + 2] != 0x00:
            raise ApduError("information field does not start with the LLC header E6 E7 00", pos)
        pos += 3
    _need(pos, 1, end, "APDU tag")
    tag = d[pos]
    if tag != 0x0F:
        if tag == 0xDB:
            raise UnsupportedApduError(
                "general-glo-ciphering (encrypted) APDU is not supported yet", tag, pos)
        if tag == 0xDD:
            raise UnsupportedApduError("general-ciphering (encrypted) APDU is not supported yet", tag, pos)
        if tag == 0xDF:
            raise UnsupportedApduError("general-signing (signed) APDU is not supported yet", tag, pos)
        if tag == 0xE0:
            raise UnsupportedApduError("general-block-transfer APDU is not supported yet", tag, pos)
        if tag == 0xD8:
            raise UnsupportedApduError("exception-response APDU is not supported yet", tag, pos)
        raise ApduError(f"APDU tag 0x{tag:02X} is not a data-notification (0x0F)", pos)
    pos += 1
    _need(pos, 4, end, "long-invoke-id-and-priority")
    invoke_id = <unsigned long long>_be(d + pos, 4)
    pos += 4
    _need(pos, 1, end, "date-time field")
    marker = d[pos]
    if marker == 0x00:
        header = None
        pos += 1
    elif marker == 0x0C:
        _need(pos + 1, 12, end, "date-time")
        header = PyBytes_FromStringAndSize(<const char*>(d + pos + 1), 12)
        hdr_off = pos + 1
        pos += 13
    elif marker == 0x09:
        _need(pos + 1, 1, end, "date-time length")
        if d[pos + 1] != 0x0C:
            raise ApduError(
                f"date-time octet-string of length {d[pos + 1]} (expected 12)", pos + 1)
        _need(pos + 2, 12, end, "date-time")
        header = PyBytes_FromStringAndSize(<const char*>(d + pos + 2), 12)
        hdr_off = pos + 2
        pos += 14
    else:
        raise ApduError(f"bad date-time field 0x{marker:02X} (expected 00, 0C or 09 0C)", pos)
    body_pos = pos
    if tpl is not None:  # nodes of this frame = the template's, numbers read again (a copy: shared)
        tpl.load_into(d, nodes)
        return _finish_fast(tpl.plan, d, nodes, tpl.tels, tpl.tnel, header, invoke_id, address,
                            tpl.texts)
    key = None
    if (tz is None or type(tz) is str) and type(source) is int:
        nn = 0
        wpos = pos
        if (_walk(d, &wpos, end, 0, nodes, &nn) == 0 and wpos == end
                and _cflatten(d, nodes, els, &nel, &flayout, &fcount) == 0):
            sig = _signature(d, nodes, els, nel, flayout, fcount)
            if sig is not None:
                key = (sig, source)
                plan = dc.plans.get(key)
                if plan is not None and plan.ps is profiles and plan.profile_arg is profile:
                    if frame:
                        t = _Template()
                        t.make(d, PyBytes_GET_SIZE(buf), start, hdr_off, nodes, nn,
                               els, nel, _version_el(nodes, els, nel, flayout))
                        t.plan = plan
                        t.ps = profiles
                        t.prof = profile
                        t.tz = tz
                        t.address = address
                        t.texts = [None] * len(plan.names)
                        dc.templates.put(fkey, t)
                    return _finish_fast(plan, d, nodes, els, nel, header, invoke_id, address)
    try:
        body = _read_value(d, &pos, end, 0)
    except ApduError:
        compact = _translate_compact(buf[body_pos:end])  # bare descriptors (XT211), else the error
        if compact is None:
            raise
        cpos = 0
        body = _read_value(<const unsigned char*>PyBytes_AS_STRING(compact), &cpos,
                           PyBytes_GET_SIZE(compact), 0)
        pos = end
    if pos != end:
        raise ApduError(f"{end - pos} bytes after the notification body", pos)
    btag = (<tuple>body)[0]
    bval = (<tuple>body)[1]
    fl = _flatten_pushlist(btag, bval)   # _pushlist_c.pxi
    if fl is None:
        fl = _flatten(btag, bval)
    layout = fl[0]
    elements = fl[1]
    count = len(<list>bval) if (btag == T_ARRAY or btag == T_STRUCT) else 1
    plan = _build_plan(layout, <list>elements, count, profiles, profile, source, tz, body_pos)
    result = _finish(plan, <list>elements, header, invoke_id, address)
    if key is not None:
        if len(dc.plans) >= PLAN_CACHE_MAX:
            dc.plans.clear()
        dc.plans[key] = plan
    return result


def _decode_plain(bytes plain, tuple ctx):
    """The plain APDU an M-Bus, block-transfer or ciphered wrapper carried (_transport)."""
    return _decode_info(plain, 0, PyBytes_GET_SIZE(plain), ctx[0], ctx[1], ctx[2], False)


cdef inline bint _wrapped_tag(int tag) noexcept:
    return tag == 0xDB or tag == 0xDC or tag == 0xE0


cdef object _decode_hdlc(bytes buf, DecoderCore dc, object keys=None, bint require_auth=False,
                         bint check=True):
    # check=False: HCS and FCS already checked by the stream scanner (decode_run)
    cdef Hdlc h
    cdef const unsigned char* d = <const unsigned char*>PyBytes_AS_STRING(buf)
    _parse_hdlc(d, PyBytes_GET_SIZE(buf), &h, check)
    if h.segmented:
        raise SegmentedFrameError(
            "frame has the HDLC segmentation bit set; it is one piece of a longer APDU", 1
        )
    if (h.info_end - h.info_start > 3 and _wrapped_tag(d[h.info_start + 3]) and d[h.info_start] == 0xE6
            and d[h.info_start + 1] == 0xE7 and d[h.info_start + 2] == 0x00):
        frame = _sec_fast(buf, &h, dc, keys, require_auth)   # _security_c.pxi
        if frame is not None:
            return frame
        return _decode_wrapped(buf, h.info_start + 3, h.info_end, keys, require_auth, _decode_plain,
                               (dc, h.src, (h.dest, h.src, h.control)), True)
    return _decode_hdlc_info(buf, &h, dc)


cdef object _decode_hdlc_info(bytes buf, Hdlc* h, DecoderCore dc):
    """The information field of a checked HDLC frame, through the frame templates."""
    cdef const unsigned char* d = <const unsigned char*>PyBytes_AS_STRING(buf)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(buf), body = -1, hdr
    cdef uint64_t key = 0
    cdef _Template t
    cdef object ps = dc.ps, prof = dc.prof, tz = dc.tz
    if tz is None or type(tz) is str:  # the plan cache's condition (see _decode_info)
        body = _body_start(d, h.info_start, h.info_end, &hdr)
        if body >= 0:
            key = _frame_key(d, n, h.info_start, body, h.info_end)
            t = dc.templates.find(key, d, n)
            if t is not None and t.ps is ps and t.prof is prof and t.tz == tz:
                return _decode_info(buf, h.info_start, h.info_end, dc, h.src,
                                    t.address, True, False, 0, t)
    return _decode_info(buf, h.info_start, h.info_end, dc, h.src,
                        ams_untrack_atomic((h.dest, h.src, h.control)), True, body >= 0, key)
