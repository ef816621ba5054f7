# DecoderCore: the decoding state one amsparse.Decoder owns (included by _decode_c.pyx).
#
# The options are validated once, when it is built (amsparse._options.prepare,
# shared with the twin); the plans (C signature and HDLC source -> _Plan) and
# the object path's frame templates live here, not in module globals, so two
# decoders with different profiles, time zones or keys never share a cache
# entry and nothing is keyed by id().  A DecoderCore may be used by several
# threads: the plan dict is only read and replaced item by item (atomic under
# the GIL, per-object locked on free-threaded builds) and the template table
# takes its PyMutex around each lookup and store on free-threaded builds.
# Module-level decode_frame/decode_apdu use a default core per option
# combination (_default_core).

from ._options import prepare as _options_prepare


cdef class DecoderCore:
    """Validated options and caches of one decoder (see amsparse.Decoder)."""
    cdef readonly object profiles       # the ProfileSet in use (built-in set when None was given)
    cdef readonly object profile        # the forced CompiledProfile, or None (automatic matching)
    cdef readonly object tz             # IANA zone name for clocks without a deviation, or None
    cdef readonly object keys           # amsparse.Keys for ciphered frames, or None
    cdef readonly bint require_authentication
    cdef object ps, prof                # = profiles, profile (the names the core's functions use)
    cdef dict plans                     # (signature bytes, source) -> _Plan
    cdef _TemplateTable templates       # frame key -> _Template (the object path's)

    def __init__(self, profiles=None, *, profile=None, tz=None, keys=None, require_authentication=False):
        self.ps, self.prof = _options_prepare(profiles, profile, tz)
        self.profiles = self.ps
        self.profile = self.prof
        self.tz = tz
        self.keys = keys
        self.require_authentication = bool(require_authentication)
        self.plans = {}
        self.templates = _TemplateTable(True)

    def decode_frame(self, data):
        """Decode exactly one frame (see :func:`amsparse.decode_frame`)."""
        return _decode_one(_as_bytes(data), self, self.keys, self.require_authentication)

    def decode_apdu(self, data, source=-1):
        """Decode one APDU without HDLC framing (see :func:`amsparse.decode_apdu`)."""
        return _decode_apdu(_as_bytes(data), self, source, self.keys, self.require_authentication)

    def clear_caches(self):
        """Forget the plans and templates learnt so far (they are rebuilt on
        demand).  Call it while no other thread decodes with this decoder: the
        template table is replaced, not emptied in place."""
        self.plans.clear()
        self.templates = _TemplateTable(True)

    def cache_info(self):
        """``{"plans": n, "templates": n}``: the entries cached so far."""
        return {"plans": len(self.plans), "templates": len(self.templates.owned)}


cdef dict _DEFAULT_CORES = {}   # (profiles, profile, tz) -> DecoderCore, for the module-level functions
cdef enum:
    DEFAULT_CORES_MAX = 64


cdef DecoderCore _default_core(object profiles, object profile, object tz, object decoder):
    """The core a module-level call uses: ``decoder`` when given (then no other
    option may be), else one core per option combination (the objects
    themselves are the key: ProfileSet and CompiledProfile hash by identity)."""
    cdef DecoderCore dc
    if decoder is not None:
        if type(decoder) is not DecoderCore and not isinstance(decoder, DecoderCore):
            raise TypeError(f"decoder must be an amsparse.Decoder, got {type(decoder).__name__}")
        if profiles is not None or profile is not None or tz is not None:
            raise TypeError("give the options to the Decoder, not beside decoder=")
        return <DecoderCore>decoder
    try:
        key = (profiles, profile, tz)
        dc = _DEFAULT_CORES.get(key)
    except TypeError:  # an unhashable option: let the validation name it
        key = None
        dc = None
    if dc is None:
        dc = DecoderCore(profiles, profile=profile, tz=tz)
        if key is not None:
            if len(_DEFAULT_CORES) >= DEFAULT_CORES_MAX:
                _DEFAULT_CORES.clear()
            _DEFAULT_CORES[key] = dc
    return dc


cdef tuple _decoder_keys(DecoderCore dc, object keys, object require_authentication):
    """The keys of a call given ``decoder=``: the decoder's (no others beside it)."""
    if keys is not None or require_authentication:
        raise TypeError("give keys and require_authentication to the Decoder, not beside decoder=")
    return dc.keys, dc.require_authentication


def default_core(profiles=None, profile=None, tz=None):
    """The core the module-level functions use for these options (validated)."""
    return _default_core(profiles, profile, tz, None)
