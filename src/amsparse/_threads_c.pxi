# decode_batch(threads=N): one capture decoded on several threads, GIL released.
#
# Included at the end of _decode_c.pyx (it uses TableWriter, _Template, _Entry,
# the clock cache and the template hashing defined there).
#
# 1. scan: the capture (after the writer's serial warm-up, which builds the
#    templates) is cut into N contiguous byte ranges; each is scanned on its own
#    thread without the GIL (_scan_c.scan_items).  A range other than the first
#    starts blind, maybe inside a frame; the seams are stitched serially: the
#    previous range's scan is continued from where it stopped until it emits a
#    frame the next range's scan emitted too (same start, end and shared flag:
#    from there on both scanners are in the same state), else the next range is
#    scanned again from there.  The items are then exactly the serial scan's.
# 2. decode: the items are cut into N contiguous runs; each run's rows are known
#    (one per frame or rejected candidate), so each thread writes its rows
#    straight into the columns, without the GIL, for every frame that matches a
#    template of a C snapshot of the writer's, with every clock hour, category
#    code and scaler already cached (snapshots too: read-only while the threads
#    run).  Anything else -- a new shape, a new meter, a new hour, an error, a
#    rejected candidate -- is left for
# 3. the serial pass: those rows, in capture order, through the writer's usual
#    path (the one threads=1 uses), so new columns, category codes and
#    templates are made in the same order as without threads.
#
# Rows written in step 2 are those the fast path of threads=1 would write (same
# template, same store program, same caches); tests/test_threads_batch.py checks
# the tables equal, both backends.

# The per-frame GIL-free decoder (TplC, OffC, TextC, Cols, _frame_c) is in
# _nogil_frame_c.pxi, included just before this file.

cdef class _Parallel:
    """The state of one decode_batch(threads=N) run over buf[start:]."""
    cdef bytes buf
    cdef const unsigned char* b
    cdef Py_ssize_t start, end, maxfs
    cdef int nthreads
    cdef bint shared0, final
    cdef Py_ssize_t resume       # where the stitched scan stopped, and its shared flag
    cdef bint shared_out
    # step 1: per range
    cdef ItemBuf* ranges
    cdef Py_ssize_t* rstart
    cdef Py_ssize_t* rend
    cdef Py_ssize_t* rresume
    cdef bint* rshared
    cdef int* rfail
    # the stitched items
    cdef ItemBuf all
    # step 2: per run
    cdef Py_ssize_t* ifrom
    cdef Py_ssize_t* row0
    cdef Py_ssize_t** fb        # fallback item indices
    cdef Py_ssize_t* nfb
    cdef Py_ssize_t* cfb
    cdef Py_ssize_t* disc
    cdef int* dfail
    cdef TplC* tpl
    cdef OffC* off
    cdef TextC* text
    cdef Cols cols
    cdef Py_ssize_t first_row
    cdef list keep               # the templates and entries the snapshot points into
    cdef int rescanned           # seams where no common frame was found

    def __cinit__(self):
        self.ranges = NULL
        self.all.items = NULL
        self.all.n = self.all.cap = 0
        self.rstart = self.rend = self.rresume = NULL
        self.rshared = NULL
        self.rfail = self.dfail = NULL
        self.ifrom = self.row0 = self.nfb = self.cfb = self.disc = NULL
        self.fb = NULL
        self.tpl = NULL
        self.off = NULL
        self.text = NULL
        self.nthreads = 0

    def __dealloc__(self):
        cdef int k
        if self.ranges != NULL:
            for k in range(self.nthreads):
                free(self.ranges[k].items)
        if self.fb != NULL:
            for k in range(self.nthreads):
                free(self.fb[k])
        free(self.ranges)
        free(self.all.items)
        free(self.rstart)
        free(self.rend)
        free(self.rresume)
        free(self.rshared)
        free(self.rfail)
        free(self.dfail)
        free(self.ifrom)
        free(self.row0)
        free(self.fb)
        free(self.nfb)
        free(self.cfb)
        free(self.disc)
        if self.tpl != NULL:
            for k in range(TEMPLATE_SLOTS * TEMPLATE_WAYS):
                free(self.tpl[k].pt_code)
                free(self.tpl[k].pt_dsc)
        free(self.tpl)
        free(self.off)
        free(self.text)

    cdef int setup(self, bytes buf, Py_ssize_t start, Py_ssize_t end, Py_ssize_t maxfs, bint shared,
                   bint final, int nthreads) except -1:
        cdef int k, m = nthreads
        cdef Py_ssize_t span
        self.buf = buf
        self.b = <const unsigned char*>PyBytes_AS_STRING(buf)
        self.start = start
        self.end = end
        self.maxfs = maxfs
        self.shared0 = shared
        self.final = final
        self.ranges = <ItemBuf*>calloc(m, sizeof(ItemBuf))
        self.nthreads = m
        self.rstart = <Py_ssize_t*>calloc(m, sizeof(Py_ssize_t))
        self.rend = <Py_ssize_t*>calloc(m, sizeof(Py_ssize_t))
        self.rresume = <Py_ssize_t*>calloc(m, sizeof(Py_ssize_t))
        self.rshared = <bint*>calloc(m, sizeof(bint))
        self.rfail = <int*>calloc(m, sizeof(int))
        self.dfail = <int*>calloc(m, sizeof(int))
        self.ifrom = <Py_ssize_t*>calloc(m + 1, sizeof(Py_ssize_t))
        self.row0 = <Py_ssize_t*>calloc(m + 1, sizeof(Py_ssize_t))
        self.fb = <Py_ssize_t**>calloc(m, sizeof(Py_ssize_t*))
        self.nfb = <Py_ssize_t*>calloc(m, sizeof(Py_ssize_t))
        self.cfb = <Py_ssize_t*>calloc(m, sizeof(Py_ssize_t))
        self.disc = <Py_ssize_t*>calloc(m, sizeof(Py_ssize_t))
        if (self.ranges == NULL or self.rstart == NULL or self.rend == NULL or self.rresume == NULL
                or self.rshared == NULL or self.rfail == NULL or self.dfail == NULL or self.ifrom == NULL
                or self.row0 == NULL or self.fb == NULL or self.nfb == NULL or self.cfb == NULL
                or self.disc == NULL):
            raise MemoryError()
        span = (self.end - start) // m
        for k in range(m):
            self.rstart[k] = start + k * span
            self.rend[k] = start + (k + 1) * span if k < m - 1 else self.end
        return 0

    def scan_range(self, int k):
        """Step 1 for range ``k`` (any thread)."""
        with nogil:
            self.rfail[k] = scan_items(self.b, self.rstart[k], self.rend[k], self.maxfs,
                                       self.shared0 if k == 0 else False,
                                       self.final and k == self.nthreads - 1,
                                       &self.ranges[k], &self.rresume[k], &self.rshared[k])

    cdef int _append(self, ScanItem* items, Py_ssize_t n) except -1:
        cdef Py_ssize_t cap
        cdef ScanItem* p
        if self.all.n + n > self.all.cap:
            cap = self.all.cap * 2
            if cap < self.all.n + n:
                cap = self.all.n + n
            p = <ScanItem*>realloc(self.all.items, <size_t>cap * sizeof(ScanItem))
            if p == NULL:
                raise MemoryError()
            self.all.items = p
            self.all.cap = cap
        memcpy(self.all.items + self.all.n, items, <size_t>n * sizeof(ScanItem))
        self.all.n += n
        return 0

    cdef int stitch(self) except -1:
        """The serial scan's items, from the ranges' (see the top of this file)."""
        cdef int k, rc
        cdef ItemBuf cont
        cdef Py_ssize_t r, w_end, ci, ki, ni
        cdef bint s, found
        cdef ScanItem* x
        cdef ScanItem* y
        for k in range(self.nthreads):
            if self.rfail[k]:
                raise MemoryError()
        if self.nthreads == 1:   # nothing to stitch: take range 0's items as they are
            self.all = self.ranges[0]
            self.ranges[0].items = NULL
            self.ranges[0].n = self.ranges[0].cap = 0
        else:
            self._append(self.ranges[0].items, self.ranges[0].n)
        r = self.rresume[0]
        s = self.rshared[0]
        for k in range(1, self.nthreads):
            # continue the previous scan past the seam until it meets range k's
            cont.items = NULL
            cont.n = cont.cap = 0
            w_end = self.rstart[k] + 8 * self.maxfs + 4096
            if w_end < r:
                w_end = r
            if w_end >= self.end:
                w_end = self.end
            try:
                with nogil:
                    rc = scan_items(self.b, r, w_end, self.maxfs, s, self.final and w_end == self.end,
                                    &cont, &r, &s)
                if rc:
                    raise MemoryError()
                found = False
                ki = 0
                ni = self.ranges[k].n
                for ci in range(cont.n):
                    x = &cont.items[ci]
                    if x.kind != 1:
                        continue
                    while ki < ni and self.ranges[k].items[ki].start < x.start:
                        ki += 1
                    if ki >= ni:
                        break
                    y = &self.ranges[k].items[ki]
                    if y.kind == 1 and y.start == x.start and y.stop == x.stop and y.aux == x.aux:
                        found = True
                        break
                if found:
                    self._append(cont.items, ci)
                    self._append(self.ranges[k].items + ki, ni - ki)
                    r = self.rresume[k]
                    s = self.rshared[k]
                else:
                    # no common frame near the seam: the previous scan goes on over
                    # range k, serially (always right, only slower)
                    self.rescanned += 1
                    self._append(cont.items, cont.n)
                    free(cont.items)
                    cont.items = NULL
                    cont.n = cont.cap = 0
                    if r < self.rend[k]:
                        w_end = self.rend[k]
                        with nogil:
                            rc = scan_items(self.b, r, w_end, self.maxfs, s,
                                            self.final and k == self.nthreads - 1, &cont, &r, &s)
                        if rc:
                            raise MemoryError()
                        self._append(cont.items, cont.n)
            finally:
                free(cont.items)
        self.resume = r
        self.shared_out = s
        return 0

    cdef int snapshot(self, TableWriter w) except -1:
        """C copies of what the threads read: the writer's templates (with
        their entries and plans), its text-code cache, the hour-offset cache."""
        cdef int k, q
        cdef _Template t
        cdef _Entry e
        cdef _Plan plan
        cdef TplC* c
        self.tpl = <TplC*>calloc(TEMPLATE_SLOTS * TEMPLATE_WAYS, sizeof(TplC))
        self.off = <OffC*>malloc(self.nthreads * sizeof(OffC))
        self.text = <TextC*>malloc(sizeof(TextC))
        if self.tpl == NULL or self.off == NULL or self.text == NULL:
            raise MemoryError()
        self.keep = []
        for k in range(TEMPLATE_SLOTS * TEMPLATE_WAYS):
            if w.templates.ptrs[k] == NULL:
                continue
            t = <_Template>w.templates.ptrs[k]
            e = <_Entry>t.owner
            plan = e.plan
            self.keep.append((t, e))
            c = &self.tpl[k]
            c.key = w.templates.keys[k]
            c.valid = 1
            c.tn = t.tn
            c.tbytes = t.tbytes
            c.tmask = t.tmask
            c.tnodes = t.tnodes
            c.tels = t.tels
            c.prog_n = t.prog_n
            c.prog_col = t.prog_col
            c.prog_j = t.prog_j
            c.prog_sc = t.prog_sc
            c.prog_node = t.prog_node
            c.prog_tag = t.prog_tag
            c.prog_pos = t.prog_pos
            for q in range(3):
                c.tc_hint[q] = t.tc_hint[q]
            c.el_of = e.el_of
            c.kind = e.kind
            c.dsc = e.dsc
            c.profile_code = e.profile_code
            c.list_code = e.list_code
            c.policy = e.policy
            c.per_type = e.per_type is not None
            if e.per_type:
                c.pt_code = <int*>malloc(len(e.per_type) * sizeof(int))
                c.pt_dsc = <int**>malloc(len(e.per_type) * sizeof(int*))
                if c.pt_code == NULL or c.pt_dsc == NULL:
                    raise MemoryError()
                for code, per in e.per_type.items():
                    self.keep.append(per)
                    c.pt_code[c.pt_n] = code
                    c.pt_dsc[c.pt_n] = (<carray.array>(<tuple>per)[1]).data.as_ints
                    c.pt_n += 1
            c.i_meter_time = plan.i_meter_time
            c.i_version = plan.i_version
            c.i_meter_id = plan.i_meter_id
            c.i_meter_type = plan.i_meter_type
            c.zone = <void*>plan.zone
        memcpy(self.text.txt, w.tc_txt, sizeof(w.tc_txt))
        memcpy(self.text.len, w.tc_len, sizeof(w.tc_len))
        memcpy(self.text.code, w.tc_code, sizeof(w.tc_code))
        memcpy(self.text.kind, w.tc_kind, sizeof(w.tc_kind))
        for q in range(3):
            self.text.last[q] = w.tc_last[q]
        ams_lock_offsets()
        memcpy(self.off.key, _off_key, sizeof(_off_key))
        memcpy(self.off.val, _off_val, sizeof(_off_val))
        memcpy(self.off.zone, _off_zone, sizeof(_off_zone))
        memcpy(self.off.tag, _off_tag, sizeof(_off_tag))
        memcpy(self.off.state, _off_state, sizeof(_off_state))
        ams_unlock_offsets()
        for q in range(1, self.nthreads):   # each thread adds the hours it meets to its own
            memcpy(&self.off[q], &self.off[0], sizeof(OffC))
        return 0

    cdef int plan_runs(self, TableWriter w) except -1:
        """Rows for every item, the writer's columns sized for all of them,
        the items cut into runs of about equal size."""
        cdef Py_ssize_t i, rows = 0, per, stop
        cdef int k, q, c
        for c in range(w.ncols):   # rows before ours: emptied where not written
            w._fill(c, w.rows)
        for i in range(self.all.n):
            if self.all.items[i].kind != 0:
                rows += 1
        self.first_row = w.rows
        if w.rows + rows > w.cap:   # geometric: a capture is decoded in several segments
            w._resize_all(max(w.rows + rows, w.cap + w.cap // 2))
        self.cols.pd = w.pd
        self.cols.pq = w.pq
        self.cols.pb = w.pb
        self.cols.ncols = w.ncols
        self.cols.pstatus = w.pstatus
        self.cols.pheader = w.pheader
        self.cols.pmeter = w.pmeter
        for q in range(5):
            self.cols.pcat[q] = w.pcat[q]
        per = self.all.n // self.nthreads
        rows = w.rows
        i = 0
        for k in range(self.nthreads):
            self.ifrom[k] = i
            self.row0[k] = rows
            stop = self.all.n if k == self.nthreads - 1 else (k + 1) * per
            while i < stop:
                if self.all.items[i].kind != 0:
                    rows += 1
                i += 1
        self.ifrom[self.nthreads] = self.all.n
        self.row0[self.nthreads] = rows
        return 0

    def decode_run(self, int k):
        """Step 2 for run ``k`` (any thread)."""
        cdef Py_ssize_t i, r, r0, r1, c
        cdef ScanItem* it
        cdef int rc = 0
        with nogil:
            r0 = self.row0[k]
            r1 = self.row0[k + 1]
            for c in range(self.cols.ncols):   # the run's rows of every existing column: empty
                for r in range(r0, r1):
                    self.cols.pd[c][r] = _MISSING_D   # FrameTable nulls (amsparse._spec.MISSING)
                    self.cols.pq[c][r] = RAW_MISSING_Q
                    self.cols.pb[c][r] = 0
            r = r0
            for i in range(self.ifrom[k], self.ifrom[k + 1]):
                it = &self.all.items[i]
                if it.kind == 0:
                    self.disc[k] += it.stop - it.start
                    continue
                if it.kind != 1 or not _frame_c(self.tpl, &self.off[k], self.text, &self.cols,
                                                self.b + it.start, it.stop - it.start, r):
                    rc |= _push_idx(&self.fb[k], &self.nfb[k], &self.cfb[k], i)
                r += 1
            self.dfail[k] = rc

    cdef int serial(self, TableWriter w, reject_hdlc) except -1:
        """Step 3: the rows the threads left, in order, through the writer."""
        cdef int k, c, ncols0 = self.cols.ncols
        cdef Py_ssize_t f, i, r, last, total = self.row0[self.nthreads]
        cdef ScanItem* it
        for k in range(self.nthreads):
            if self.dfail[k]:
                raise MemoryError()
            w.table.bytes_discarded += self.disc[k]
        w.sbuf = self.buf
        w.sreject = reject_hdlc
        w.sdiscarded = 0
        try:
            for k in range(self.nthreads):
                r = self.row0[k]
                last = self.ifrom[k]
                for f in range(self.nfb[k]):
                    i = self.fb[k][f]
                    while last < i:   # the row of item i
                        if self.all.items[last].kind != 0:
                            r += 1
                        last += 1
                    it = &self.all.items[i]
                    w.rows = r
                    for c in range(ncols0):   # written (or emptied) by the threads
                        w.filled[c] = r
                    w._item(it.kind, it.start, it.stop)
        finally:
            w.sbuf = None
            w.sreject = None
            w.rows = total
            for c in range(ncols0):
                w.filled[c] = total
        return 0


#: decode_parallel's account, summed over its calls until cleared (a test and
#: benchmark hook; decode_batch clears it): items, rows, rows left to the
#: serial pass, seams scanned again, seconds per step
PARALLEL_STATS = {}


def decode_parallel(TableWriter w, bytes buf, Py_ssize_t start, Py_ssize_t end, Py_ssize_t max_frame_size,
                    bint shared, bint final, int threads, reject_hdlc, pool):
    """Scan and decode ``buf[start:end]`` into ``w`` on ``threads`` threads
    (``pool.submit`` runs ``threads - 1`` of them, the calling thread one;
    ``pool`` may be None for one thread), as ``w.add_scan(buf, start, end,
    max_frame_size, shared, final, reject_hdlc)`` would: the same rows, and
    its ``(resume, shared)``.  Templates, category codes and clock hours
    come from what ``w`` has seen before (decode_batch decodes the first
    window with add_scan)."""
    cdef _Parallel p = _Parallel()
    cdef int k
    cdef Py_ssize_t nfb = 0
    from time import perf_counter
    t0 = perf_counter()
    if start < 0 or end > PyBytes_GET_SIZE(buf) or start > end:
        raise IndexError("scan range outside the buffer")
    if threads < 1:
        raise ValueError("threads must be at least 1")
    p.setup(buf, start, end, max_frame_size, shared, final, threads)
    futures = [pool.submit(p.scan_range, k) for k in range(1, threads)]
    p.scan_range(0)
    for fut in futures:
        fut.result()
    t1 = perf_counter()
    p.stitch()
    p.snapshot(w)
    p.plan_runs(w)
    t2 = perf_counter()
    futures = [pool.submit(p.decode_run, k) for k in range(1, threads)]
    p.decode_run(0)
    for fut in futures:
        fut.result()
    t3 = perf_counter()
    p.serial(w, reject_hdlc)
    for k in range(threads):
        nfb += p.nfb[k]
    for key, value in (("items", p.all.n), ("rows", p.row0[threads] - p.first_row), ("serial_rows", nfb),
                       ("rescanned", p.rescanned), ("scan_s", t1 - t0), ("prepare_s", t2 - t1),
                       ("decode_s", t3 - t2), ("serial_s", perf_counter() - t3)):
        PARALLEL_STATS[key] = PARALLEL_STATS.get(key, 0) + value
    return p.resume, p.shared_out


def p1_start(bytes buf):
    """Offset of the first ``/`` followed by three ASCII letters (where a P1
    telegram may start: ``re.search(rb"/[A-Za-z]{3}", buf)``), or -1.  A
    memchr loop: decode_batch asks this of every capture before choosing its
    path, and the regular expression took about as long as the FCS floor."""
    cdef const unsigned char* b = <const unsigned char*>PyBytes_AS_STRING(buf)
    cdef Py_ssize_t n = PyBytes_GET_SIZE(buf), i = 0, k, found = -1
    cdef const void* hit
    cdef unsigned char c
    with nogil:
        while i + 4 <= n:
            hit = memchr(b + i, 0x2F, <size_t>(n - 3 - i))
            if hit == NULL:
                break
            i = <const unsigned char*>hit - b
            k = 1
            while k < 4:
                c = b[i + k] | 0x20
                if c < 0x61 or c > 0x7A:
                    break
                k += 1
            if k == 4:
                found = i
                break
            i += 1
    return found
