# Included by _decode_c.pyx (one extension module): batch writer: TableWriter (amsparse.decode_batch).
# See docs/internals.md for the layers.

cdef class TableWriter:
    """Fills one amsparse._batch.FrameTable (see the section comment)."""
    cdef object table, ps, prof, tz
    cdef DecoderCore dc                # plans are shared with the decoder's object path
    cdef object keys                   # for ciphered frames (decode_batch(keys=...))
    cdef bint require_auth
    cdef dict col_of, errors
    cdef list arr_d, arr_q, arr_b
    cdef double** pd
    cdef long long** pq
    cdef signed char** pb
    cdef Py_ssize_t* filled
    cdef int ncols, ccap, max_columns
    cdef Py_ssize_t rows, cap
    cdef carray.array status, header_time, meter_time
    cdef list cat                      # 5 array('i') in _CATEGORICAL order
    cdef int* pcat[5]
    cdef signed char* pstatus
    cdef long long* pheader
    cdef long long* pmeter
    cdef uint64_t ehash[ENTRY_SLOTS]
    cdef PyObject* eptr[ENTRY_SLOTS]
    cdef _TemplateTable templates
    cdef list entries                  # owns what eptr points at
    # text -> category code, per key (list version, meter id, meter type): a
    # 4-way set-associative cache of the raw bytes, so interleaved meters hit it too
    cdef unsigned char tc_txt[3][TEXT_SETS * TEXT_WAYS][TEXT_KEEP]
    cdef int tc_len[3][TEXT_SETS * TEXT_WAYS]
    cdef int tc_code[3][TEXT_SETS * TEXT_WAYS]
    cdef signed char tc_kind[3][TEXT_SETS * TEXT_WAYS]   # the declared kind the code was made under
    cdef int tc_last[3]
    cdef unsigned char tc_next[3][TEXT_SETS]
    # during add_scan: the buffer, the rejection callback, bytes discarded
    cdef bytes sbuf
    cdef object sreject
    cdef Py_ssize_t sdiscarded

    def __cinit__(self):
        self.pd = NULL
        self.pq = NULL
        self.pb = NULL
        self.filled = NULL

    def __dealloc__(self):
        free(self.pd)
        free(self.pq)
        free(self.pb)
        free(self.filled)

    def __init__(self, table, DecoderCore decoder not None, int max_columns=_MAX_COLUMNS,
                 keys=None, require_authentication=False):
        cdef int k, j
        self.table = table
        self.keys = keys
        self.require_auth = require_authentication
        self.dc = decoder
        self.ps, self.prof, self.tz = decoder.ps, decoder.prof, decoder.tz
        self.max_columns = max_columns
        if table._n or table.columns:
            raise ValueError("TableWriter needs an empty FrameTable")
        self.col_of = {}
        self.errors = table.errors
        self.arr_d = []
        self.arr_q = []
        self.arr_b = []
        self.ncols = self.ccap = 0
        self.rows = self.cap = 0
        self.status = table.status
        self.header_time = table.header_time
        self.meter_time = table.meter_time
        self.cat = [table.codes[key] for key in
                    ("profile_id", "list_name", "list_version", "meter_id", "meter_type")]
        self.entries = []
        for k in range(ENTRY_SLOTS):
            self.eptr[k] = NULL
        self.templates = _TemplateTable()
        for k in range(3):
            self.tc_last[k] = 0
            for j in range(TEXT_SETS * TEXT_WAYS):
                self.tc_len[k][j] = -1
            for j in range(TEXT_SETS):
                self.tc_next[k][j] = 0
        self._pointers()

    # -- storage -------------------------------------------------------------------
    cdef void _pointers(self) noexcept:
        cdef int k
        self.pstatus = (<carray.array>self.status).data.as_schars
        self.pheader = (<carray.array>self.header_time).data.as_longlongs
        self.pmeter = (<carray.array>self.meter_time).data.as_longlongs
        for k in range(5):
            self.pcat[k] = (<carray.array>self.cat[k]).data.as_ints
        for k in range(self.ncols):
            self.pd[k] = (<carray.array>self.arr_d[k]).data.as_doubles
            self.pq[k] = (<carray.array>self.arr_q[k]).data.as_longlongs
            self.pb[k] = (<carray.array>self.arr_b[k]).data.as_schars

    cdef int _resize_all(self, Py_ssize_t n) except -1:
        cdef int k
        carray.resize(self.status, n)
        carray.resize(self.header_time, n)
        carray.resize(self.meter_time, n)
        for k in range(5):
            carray.resize(<carray.array>self.cat[k], n)
        for k in range(self.ncols):
            carray.resize(<carray.array>self.arr_d[k], n)
            carray.resize(<carray.array>self.arr_q[k], n)
            carray.resize(<carray.array>self.arr_b[k], n)
        self.cap = n
        self._pointers()
        return 0

    cdef Py_ssize_t _row(self) except -1:
        """A new row: index returned, fixed columns set to 'decoded, nothing'."""
        cdef Py_ssize_t r = self.rows
        cdef int k
        if r == self.cap:
            self._resize_all(4096 if self.cap < 4096 else self.cap * 2)
        self.pstatus[r] = 0
        self.pheader[r] = NAT_US
        self.pmeter[r] = NAT_US
        for k in range(5):
            self.pcat[k][r] = -1
        self.rows = r + 1
        return r

    cdef int _budget(self, object names) except -1:
        """Raise (before anything is written) when the reading columns
        ``names`` would take the table beyond ``max_columns`` (issue 11, F2:
        memory is rows x columns, so the columns are bounded)."""
        cdef Py_ssize_t new = 0
        cdef set seen = set()
        for name in names:
            if name not in self.col_of and name not in seen:
                seen.add(name)
                new += 1
        if new and self.ncols + new > self.max_columns:
            raise _column_budget_error(self.max_columns, self.ncols, new)
        return 0

    cdef int _column(self, object name) except -1:
        cdef object c = self.col_of.get(name)
        cdef int k
        if c is not None:
            return <int>c
        if self.ncols >= self.max_columns:  # pragma: no cover - _budget() checked first
            raise _column_budget_error(self.max_columns, self.ncols, 1)
        if self.ncols == self.ccap:
            k = 16 if self.ccap == 0 else self.ccap * 2
            self.pd = <double**>_grow(self.pd, k * sizeof(double*))
            self.pq = <long long**>_grow(self.pq, k * sizeof(long long*))
            self.pb = <signed char**>_grow(self.pb, k * sizeof(signed char*))
            self.filled = <Py_ssize_t*>_grow(self.filled, k * sizeof(Py_ssize_t))
            self.ccap = k
        d = _pyarray.array("d")
        q = _pyarray.array("q")
        b = _pyarray.array("b")
        carray.resize(d, self.cap)
        carray.resize(q, self.cap)
        carray.resize(b, self.cap)
        k = self.ncols
        self.arr_d.append(d)
        self.arr_q.append(q)
        self.arr_b.append(b)
        self.table.columns[name] = d
        self.table.raw[name] = q
        self.table.scalers[name] = b
        self.col_of[name] = k
        self.filled[k] = 0
        self.ncols = k + 1
        self.pd[k] = (<carray.array>d).data.as_doubles
        self.pq[k] = (<carray.array>q).data.as_longlongs
        self.pb[k] = (<carray.array>b).data.as_schars
        return k

    cdef inline void _fill(self, int c, Py_ssize_t upto) noexcept:
        cdef Py_ssize_t r
        cdef double* pd = self.pd[c]
        cdef long long* pq = self.pq[c]
        cdef signed char* pb = self.pb[c]
        for r in range(self.filled[c], upto):
            pd[r] = _MISSING_D
            pq[r] = RAW_MISSING_Q
            pb[r] = 0
        if upto > self.filled[c]:
            self.filled[c] = upto

    cdef inline void _put(self, int c, Py_ssize_t row, double v, long long iv, signed char sc) noexcept:
        if self.filled[c] < row:
            self._fill(c, row)
        self.pd[c][row] = v
        self.pq[c][row] = iv
        self.pb[c][row] = sc
        self.filled[c] = row + 1

    @property
    def row_count(self):
        """Rows written so far."""
        return self.rows

    @property
    def capacity(self):
        """Rows the columns have room for (reserve() and geometric growth)."""
        return self.cap

    def reserve(self, Py_ssize_t rows):
        """Make room for ``rows`` rows in every column at once (decode_batch
        estimates the total from the first window of a capture): the columns
        then grow by one reallocation instead of a doubling series, which
        copies and first-touches the memory again each time.  finish() cuts
        what is not used.  An estimate is only an estimate (a dense start, then
        noise): at most RESERVE_BYTES are reserved this way, beyond that the
        columns grow geometrically with the rows actually written."""
        cdef Py_ssize_t row_bytes = 37 + 17 * (self.ncols if self.ncols > 0 else 1)
        if rows > RESERVE_BYTES // row_bytes:
            rows = RESERVE_BYTES // row_bytes
        if rows > self.cap:
            self._resize_all(rows)

    def finish(self):
        """Cut every column to the row count (the table is complete)."""
        cdef int c
        for c in range(self.ncols):
            self._fill(c, self.rows)
        self._resize_all(self.rows)
        self.table._n = self.rows
        return self.table

    # -- rows from objects (the reference path) -------------------------------------
    cpdef add_error(self, e):
        """An error row (FrameTable._append_error)."""
        cdef Py_ssize_t r = self._row()
        self.pstatus[r] = <signed char>_error_code(e)
        self.errors[r] = f"{type(e).__name__}: {e}"

    cpdef add_frame(self, f):
        """A row from a decoded Frame (FrameTable._append_frame)."""
        cdef Py_ssize_t r
        cdef int c
        cdef object name, raw, scaler, value, t
        self._budget([name for name, value in zip(f._names, f._values)
                      if type(value) is int or type(value) is float])
        r = self._row()
        code = self.table._code
        self.pcat[0][r] = code("profile_id", f.profile_id)
        self.pcat[1][r] = code("list_name", f.list_name)
        self.pcat[2][r] = code("list_version", f.list_version)
        self.pcat[3][r] = code("meter_id", f.meter_id)
        self.pcat[4][r] = code("meter_type", f.meter_type)
        self.pheader[r] = _epoch_us(f.header_time)
        self.pmeter[r] = _epoch_us(f.meter_time)
        if f.security is not None:  # ciphered: system title, invocation counter
            self.table._security_at(r, f.security)
        for name, raw, scaler, value in zip(f._names, f._raws, f._scalers, f._values):
            t = type(value)
            if t is not int and t is not float:
                continue  # text, bytes, clocks, bool: not a numeric column
            c = self._column(name)
            if self.filled[c] > r:
                continue  # a name twice in one frame: the first one wins
            self._put(c, r, _meter_nan(PyFloat_AsDouble(value)),
                      <long long>raw if (type(raw) is int and -9223372036854775807 - 1 <= raw <= 9223372036854775807)
                      else RAW_MISSING_Q,
                      <signed char>scaler if -128 <= scaler <= 127 else 0)

    def add_raw(self, data):
        """One frame given on its own (decode_batch over an iterable)."""
        cdef bytes b = _as_bytes(data)
        try:
            if self._fast(<const unsigned char*>PyBytes_AS_STRING(b), PyBytes_GET_SIZE(b), True):
                return
            frame = _decode_one(b, self.dc, self.keys, self.require_auth)
            self.add_frame(frame)  # may refuse (column budget) before writing the row
        except Exception as e:  # any failure is this frame's row, not the batch's end
            self.add_error(_as_decode_error(e))

    def add_scan(self, buf, Py_ssize_t start, Py_ssize_t end, Py_ssize_t max_frame_size,
                 bint shared, bint final, reject_hdlc):
        """Scan ``buf[start:end]`` (bytes) with the stream scanner and add what it
        finds: frames, rejected candidates (``reject_hdlc(buf, start)`` gives
        their error) and discarded bytes.  Returns the scanner's
        ``(resume, shared, need)``."""
        cdef bytes b = <bytes>buf
        cdef Py_ssize_t resume, need
        cdef bint shared_out
        if start < 0 or end > PyBytes_GET_SIZE(b) or start > end:
            raise IndexError("scan range outside the buffer")
        self.sbuf = b
        self.sreject = reject_hdlc
        self.sdiscarded = 0
        try:
            scan_core(<const unsigned char*>PyBytes_AS_STRING(b), start, end, max_frame_size,
                      shared, final, _writer_sink, <void*>self, &resume, &shared_out, &need)
        finally:
            self.table.bytes_discarded += self.sdiscarded
            self.sbuf = None
            self.sreject = None
        return resume, shared_out, need

    cdef int _item(self, int kind, Py_ssize_t start, Py_ssize_t stop) except -1:
        cdef bytes b = self.sbuf
        if kind == 0:
            self.sdiscarded += stop - start
        elif kind == 1:
            try:
                if self._fast(<const unsigned char*>PyBytes_AS_STRING(b) + start, stop - start, False):
                    return 0
                frame = _decode_hdlc(b[start:stop], self.dc, self.keys, self.require_auth)
                self.add_frame(frame)  # may refuse (column budget) before writing the row
            except Exception as e:  # any failure is this frame's row, not the batch's end
                self.add_error(_as_decode_error(e))
        else:
            self.add_error(self.sreject(b, start))
        return 0

    # -- the fast path --------------------------------------------------------------
    cdef _Entry _entry(self, const unsigned char* d, Node* nodes, El* els, int nel,
                       int layout, int count, long src):
        """The writer's entry for this shape, or None (no plan yet: reference path)."""
        cdef unsigned char sig[SIG_MAX]
        cdef Py_ssize_t n = _sig_into(d, nodes, els, nel, layout, count, sig)
        cdef uint64_t h
        cdef int slot, probes
        cdef _Entry e
        if n < 0:
            return None
        h = _hash_bytes(sig, n, 0x243F6A8885A308D3ULL ^ <uint64_t>src)
        slot = <int>(h & (ENTRY_SLOTS - 1))
        for probes in range(ENTRY_SLOTS):  # no-cython-lint
            if self.eptr[slot] == NULL:
                break
            if self.ehash[slot] == h:
                e = <_Entry>self.eptr[slot]
                if (e.src == src and PyBytes_GET_SIZE(e.sig) == n
                        and memcmp(PyBytes_AS_STRING(e.sig), sig, n) == 0):
                    return e
            slot = (slot + 1) & (ENTRY_SLOTS - 1)
        else:
            return None  # table full: the shapes beyond ENTRY_SLOTS take the reference path
        key = (PyBytes_FromStringAndSize(<const char*>sig, n), src)
        plan = self.dc.plans.get(key)
        if plan is None or (<_Plan>plan).ps is not self.ps or (<_Plan>plan).profile_arg is not self.prof:
            return None
        e = self._new_entry(<_Plan>plan, key[0], src, nodes, els, nel)
        self.entries.append(e)
        self.eptr[slot] = <PyObject*>e
        self.ehash[slot] = h
        return e

    cdef _Entry _new_entry(self, _Plan plan, bytes sig, long src, Node* nodes, El* els, int nel):
        cdef _Entry e = _Entry()
        cdef int i, j = 0, nout = len(plan.names), tag
        cdef set used = set()
        e.plan = plan
        e.sig = sig
        e.src = src
        e.nout = nout
        e.el_of = <int*>malloc((nout + 1) * sizeof(int))
        e.col = <int*>malloc((nout + 1) * sizeof(int))
        e.dsc = <int*>malloc((nout + 1) * sizeof(int))
        e.kind = <signed char*>malloc(nout + 1)
        if e.el_of == NULL or e.col == NULL or e.dsc == NULL or e.kind == NULL:
            raise MemoryError()
        numeric = []
        for i in range(nel):  # the columns this shape needs, checked before any is made
            tag = nodes[els[i].node].tag
            if tag == T_NULL:
                continue
            if j < nout and _is_numeric(tag):
                numeric.append(plan.names[j])
            j += 1
        self._budget(numeric)
        j = 0
        for i in range(nel):
            tag = nodes[els[i].node].tag
            if tag == T_NULL:
                continue
            if j >= nout:
                raise AssertionError("plan and frame disagree")  # pragma: no cover
            name = plan.names[j]
            e.el_of[j] = i
            e.kind[j] = <signed char><int>plan.kinds[j]
            e.dsc[j] = _small_scaler(plan.d_scalers[j])
            if _is_numeric(tag) and name not in used:
                used.add(name)
                e.col[j] = self._column(name)
            else:
                e.col[j] = -1
            j += 1
        if j != nout:
            raise AssertionError("plan and frame disagree")  # pragma: no cover
        e.policy = plan.policy
        e.profile_code = self.table._code("profile_id", plan.prof_id)
        e.list_code = self.table._code("list_name", plan.list_name)
        e.per_type = {} if plan.overrides else None
        return e

    cdef int _text_code(self, int which, str key, _Entry e, int idx, const unsigned char* d,
                        Node* nodes, El* els, _Template t) except -2:
        """Category code of the text value of output element ``idx`` (-1: none).
        ``t``, the template the frame matched (or None), remembers the cache
        slot its meter's text was found in last time."""
        cdef Node* nd
        cdef int kind, slot = 0, base, way
        if idx < 0:
            return -1
        nd = &nodes[els[e.el_of[idx]].node]
        kind = e.kind[idx]
        if nd.tag == T_OCTETS:
            if kind != KIND_STRING:
                return -1  # bytes or a clock: not text
        elif nd.tag != T_VISIBLE:
            return -1
        if nd.length <= TEXT_KEEP:
            # the slot this template's meter used last time, else the last slot: no hashing
            slot = t.tc_hint[which] if (t is not None and t.tc_hint[which] >= 0) else self.tc_last[which]
            if (self.tc_len[which][slot] == nd.length and self.tc_kind[which][slot] == kind
                    and memcmp(self.tc_txt[which][slot], d + nd.pos, nd.length) == 0):
                return self.tc_code[which][slot]
            base = <int>(_hash_bytes(d + nd.pos, nd.length, <uint64_t>which) & (TEXT_SETS - 1)) * TEXT_WAYS
            for way in range(TEXT_WAYS):
                slot = base + way
                if (self.tc_len[which][slot] == nd.length and self.tc_kind[which][slot] == kind
                        and memcmp(self.tc_txt[which][slot], d + nd.pos, nd.length) == 0):
                    self.tc_last[which] = slot
                    if t is not None:
                        t.tc_hint[which] = slot
                    return self.tc_code[which][slot]
            slot = base + self.tc_next[which][base // TEXT_WAYS]   # not seen: replace in turn
            self.tc_next[which][base // TEXT_WAYS] = (slot - base + 1) % TEXT_WAYS
        text = PyBytes_FromStringAndSize(<const char*>(d + nd.pos), nd.length).decode("latin-1")
        if kind == KIND_STRING:
            text = text.rstrip("\x00 ")
        code = self.table._code(key, text)
        if nd.length <= TEXT_KEEP:
            memcpy(self.tc_txt[which][slot], d + nd.pos, nd.length)
            self.tc_len[which][slot] = <int>nd.length
            self.tc_kind[which][slot] = <signed char>kind   # a string is trimmed, bytes are not
            self.tc_code[which][slot] = code
            self.tc_last[which] = slot
            if t is not None:
                t.tc_hint[which] = slot
        return code

    cdef tuple _scalers_for(self, _Entry e, int type_code):
        """(scalers, array('i') of them) after the profile's per-meter-type overrides."""
        cdef object got = e.per_type.get(type_code)
        cdef list sc
        if got is None:
            sc = list(e.plan.d_scalers)
            _apply_overrides(e.plan, None if type_code < 0 else self.table.categories["meter_type"][type_code], sc)
            got = e.per_type[type_code] = (sc, _pyarray.array("i", [_small_scaler(x) for x in sc] + [0]))
        return <tuple>got

    cdef int _fast(self, const unsigned char* d, Py_ssize_t n, bint check) except -1:
        """1: the frame went into the columns; 0: use the reference path."""
        cdef Hdlc h
        cdef Node nodes[MAX_NODES]
        cdef El els[MAX_NODES]
        cdef int nn = 0, nel, flayout, fcount, j, c, policy, type_code
        cdef Py_ssize_t pos, end, wpos, hdr = -1, r
        cdef _Entry e
        cdef _Plan plan
        cdef Node* nd
        cdef El* el
        cdef Node* np = NULL
        cdef El* ep = NULL
        cdef uint64_t tkey
        cdef _Template t
        cdef int* dsc
        cdef list sc_objs
        cdef tuple per
        cdef int c_version, c_meter_id
        cdef long long mt = NAT_US, ht = NAT_US
        try:
            _parse_hdlc(d, n, &h, check)
        except DecodeError:  # the reference path says why
            return 0
        if h.segmented:
            return 0
        end = h.info_end
        pos = _body_start(d, h.info_start, end, &hdr)
        if pos < 0:
            return 0
        # a frame like the template of a shape seen from this meter: read its values
        tkey = _frame_key(d, n, h.info_start, pos, end)
        t = self.templates.find(tkey, d, n)
        if t is not None:
            e = <_Entry>t.owner   # borrowed (see _Template.owner)
            np = t.tnodes     # numbers are read from d by the store program (strings, clocks: positions)
            ep = t.tels
        else:  # walk it
            wpos = pos
            if (_walk(d, &wpos, end, 0, nodes, &nn) != 0 or wpos != end
                    or _cflatten(d, nodes, els, &nel, &flayout, &fcount) != 0):
                return 0
            e = self._entry(d, nodes, els, nel, flayout, fcount, <long>h.src)
            if e is None:
                return 0
            # a template of this very frame, unless the entry has as many as it may
            # keep (other lengths, addresses or scaler structures of one shape)
            if e.tpls is None:
                e.tpls = []
            if len(e.tpls) < ENTRY_TEMPLATES:
                t = _Template()
                t.make(d, n, h.info_start, hdr, nodes, nn, els, nel,
                       _version_el(nodes, els, nel, flayout))
                t.owner = <PyObject*>e
                t.make_program(e.nout, e.el_of, e.col, nodes, els)
                e.tpls.append(t)
                self.templates.put(tkey, t)
            t = None  # this frame was walked: store it from its own nodes
            np = nodes
            ep = els
        plan = e.plan
        policy = e.policy
        # everything that may call back into Python or fail comes before the row
        if plan.i_meter_time >= 0:
            nd = &np[ep[e.el_of[plan.i_meter_time]].node]
            if nd.tag == T_OCTETS and nd.length == 12 and e.kind[plan.i_meter_time] == KIND_DATETIME:
                mt = _clock_us(d + nd.pos, plan.zone, policy)
        if hdr >= 0:
            ht = _clock_us(d + hdr, plan.zone, policy)
        c_version = self._text_code(0, "list_version", e, plan.i_version, d, np, ep, t)
        c_meter_id = self._text_code(1, "meter_id", e, plan.i_meter_id, d, np, ep, t)
        type_code = self._text_code(2, "meter_type", e, plan.i_meter_type, d, np, ep, t)
        sc_objs = plan.d_scalers
        dsc = e.dsc
        if e.per_type is not None:
            per = self._scalers_for(e, type_code)
            sc_objs = <list>per[0]
            dsc = (<carray.array>per[1]).data.as_ints
        r = self._row()
        self.pheader[r] = ht
        self.pmeter[r] = mt
        self.pcat[0][r] = e.profile_code
        self.pcat[1][r] = e.list_code
        self.pcat[2][r] = c_version
        self.pcat[3][r] = c_meter_id
        self.pcat[4][r] = type_code
        if t is not None:  # the template's store program
            return self._run_program(t, d, r, dsc, sc_objs)
        for j in range(e.nout):
            c = e.col[j]
            if c < 0:
                continue
            el = &ep[e.el_of[j]]
            self._put_node(c, r, &np[el.node], el.scaler if el.has_scaler else dsc[j],
                           el.scaler if el.has_scaler else sc_objs[j])
        return 1

    cdef int _put_node(self, int c, Py_ssize_t r, Node* nd, int sc, object sc_obj) except -1:
        """Store one number node (value, raw, scaler) into column ``c``, row ``r``."""
        cdef double v
        cdef long long iv
        cdef bint big = False
        if nd.tag == T_F32 or nd.tag == T_F64:
            v = nd.fval
            iv = RAW_MISSING_Q
        elif nd.is_unsigned:
            v = <double>nd.uval
            big = nd.uval > 9007199254740992ULL
            iv = <long long>nd.uval if nd.uval <= 9223372036854775807ULL else RAW_MISSING_Q
        else:
            iv = nd.ival
            v = <double>iv
            big = iv > 9007199254740992LL or iv < -9007199254740992LL
        if sc == SC_GENERIC or big or sc > 22 or sc < -22:
            v = float(_scale(_node_number(nd), sc_obj))  # the reference formula
            if sc == SC_GENERIC:
                sc = 0
        else:
            v = _pow10_scaled(v, sc)
        self._put(c, r, _meter_nan(v), iv, <signed char>sc if -128 <= sc <= 127 else 0)
        return 0

    cdef int _run_program(self, _Template t, const unsigned char* d, Py_ssize_t r, int* dsc,
                          list sc_objs) except -1:
        """The numeric columns of a frame matching template ``t``: each value
        read from its offset in ``d`` and stored; integers up to 32 bits with
        scalers |k| <= 22 need nothing else (the common case), anything else
        goes through _put_node on a copy of the node."""
        cdef int k, c, tag, sc, j
        cdef const unsigned char* p
        cdef long long iv
        cdef Node tmp
        for k in range(t.prog_n):
            c = t.prog_col[k]
            j = t.prog_j[k]
            sc = t.prog_sc[k]
            if sc == SC_FROM_PLAN:
                sc = dsc[j]
            p = d + t.prog_pos[k]
            tag = t.prog_tag[k]
            if tag == T_U8 or tag == T_ENUM:
                iv = p[0]
            elif tag == T_U16:
                iv = (p[0] << 8) | p[1]
            elif tag == T_I8:
                iv = <signed char>p[0]
            elif tag == T_I16:
                iv = <short>((p[0] << 8) | p[1])
            elif tag == T_I32:
                iv = <int>((<unsigned int>p[0] << 24) | (<unsigned int>p[1] << 16) | (<unsigned int>p[2] << 8) | p[3])
            elif tag == T_U32:
                iv = (<long long>p[0] << 24) | (p[1] << 16) | (p[2] << 8) | p[3]
            else:
                tag = -1  # 64-bit, floats: the general store
            if tag < 0 or sc < -22 or sc > 22:  # incl. SC_GENERIC: the reference formula
                tmp = t.tnodes[t.prog_node[k]]
                _reload(d, &tmp)
                self._put_node(c, r, &tmp, sc, sc_objs[j] if t.prog_sc[k] == SC_FROM_PLAN else sc)
                continue
            self._put(c, r, _pow10_scaled(<double>iv, sc), iv, <signed char>sc)
        return 1
