"""``amsparse.Decoder``: the decoding options, validated once, and the caches
that go with them (the msgspec ``Decoder`` pattern).

A :class:`Decoder` is built once and used for many frames.  It owns:

* the options: ``profiles``, ``profile``, ``tz``, ``keys`` and
  ``require_authentication``, checked when it is built
  (:mod:`amsparse._options`), never again per frame;
* the compiled core's caches for those options: the plans (one per shape of
  frame: which reading each element is, its scaler, its unit) and the frame
  templates (a frame equal to one seen before but for its numbers is decoded
  from the stored walk).  Nothing is shared with another ``Decoder``.

Per-stream state is not the Decoder's: HDLC segment reassembly, General Block
Transfer blocks, M-Bus multi-telegram messages, the replay guard's counters and
the P1 telegram hunter belong to a :class:`~amsparse.StreamDecoder`
(:meth:`Decoder.stream` gives one that decodes with this Decoder).

Threads: a Decoder may be shared.  Its plan cache is a dict read and replaced
one item at a time, its template table takes a mutex around each lookup and
store on free-threaded builds (no lock on GIL builds: the core never releases
the GIL inside one).  A :class:`~amsparse.StreamDecoder` holds a stream's bytes
and must be fed from one thread at a time.

The module-level :func:`amsparse.decode_frame`, :func:`~amsparse.decode_apdu`,
:class:`~amsparse.StreamDecoder`, :func:`~amsparse.decode_batch` and
:func:`~amsparse.iter_batches` take ``decoder=`` or build (and keep) a default
decoder per combination of their options.

Layer: this module sits between the stream/batch layer and the backends; it
imports those upper layers only inside :meth:`Decoder.stream`,
:meth:`Decoder.decode_batch` and :meth:`Decoder.iter_batches`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterator

from ._select import impl

if TYPE_CHECKING:
    from types import ModuleType

    from ._batch import FrameTable, Source
    from ._chunked import BatchSource, ProgressCallback
    from ._decode_py import DecoderCore as _Core
    from ._stream import StreamDecoder
else:
    _Core = impl.DecoderCore

__all__ = ["Decoder", "core_for", "decoder_class"]


def core_for(backend: ModuleType, profiles: Any, profile: Any, tz: str | None, keys: Any = None,
             require_authentication: bool = False, decoder: Any = None) -> Any:
    """The ``backend``'s decoder core for one call: ``decoder`` (then no other
    option may be given), else the backend's default core for these options,
    or a new core owning ``keys``.  Validates the options (TypeError,
    ValueError, ZoneInfoNotFoundError as :mod:`amsparse._options`)."""
    if decoder is not None:
        if not isinstance(decoder, backend.DecoderCore):
            raise TypeError(f"decoder must be an amsparse.Decoder of the {backend.BACKEND!r} backend, "
                            f"got {type(decoder).__name__}")
        if (profiles is not None or profile is not None or tz is not None or keys is not None
                or require_authentication):
            raise TypeError("give the options to the Decoder, not beside decoder=")
        return decoder
    if keys is not None or require_authentication:
        return backend.DecoderCore(profiles, profile=profile, tz=tz, keys=keys,
                                   require_authentication=require_authentication)
    return backend.default_core(profiles, profile, tz)


def backend_of(core: Any) -> ModuleType:
    """The backend module (``_decode_c`` or ``_decode_py``) of a decoder core."""
    import sys

    for cls in type(core).__mro__:
        if cls.__name__ == "DecoderCore":
            return sys.modules[cls.__module__]
    raise TypeError(f"not a decoder core: {type(core).__name__}")


class _DecoderMethods:
    """What :class:`Decoder` adds to a backend's ``DecoderCore`` (which brings
    the options as read-only attributes and ``decode_frame``/``decode_apdu``)."""

    __slots__ = ()
    _backend: ModuleType

    def stream(self, **options: Any) -> StreamDecoder:
        """A new :class:`~amsparse.StreamDecoder` decoding with this Decoder
        (``options``: its per-stream ones, e.g. ``max_frame_size``,
        ``framing``, ``replay_guard``, ``p1``)."""
        from ._stream import StreamDecoder

        return StreamDecoder(decoder=self, **options)

    def decode_batch(self, source: Source, *, max_frame_size: int = 2050, max_columns: int | None = None,
                     ) -> FrameTable:
        """:func:`amsparse.decode_batch` with this Decoder."""
        from ._batch import _capture_source, _decode_batch
        from ._spec import MAX_COLUMNS

        return _decode_batch(_capture_source(source), None, None, None, self._backend, max_frame_size,
                             MAX_COLUMNS if max_columns is None else max_columns, decoder=self)

    def iter_batches(self, source: BatchSource, rows: int = 65536, *, chunk_bytes: int = 1 << 20,
                     progress: ProgressCallback | None = None, max_frame_size: int = 2050,
                     ) -> Iterator[FrameTable]:
        """:func:`amsparse.iter_batches` with this Decoder."""
        from ._chunked import iter_batches

        if self._backend is not impl:
            raise ValueError("iter_batches runs on the selected backend only")
        return iter_batches(source, rows, chunk_bytes=chunk_bytes, progress=progress,
                            max_frame_size=max_frame_size, decoder=self)

    def __repr__(self) -> str:
        core: Any = self
        ids = ",".join(p.id for p in core.profiles)
        prof = core.profile.id if core.profile is not None else None
        return (f"<amsparse.Decoder backend={self._backend.BACKEND!r} profiles=[{ids}] profile={prof!r} "
                f"tz={core.tz!r} keys={'set' if core.keys is not None else None}>")


class Decoder(_DecoderMethods, _Core):
    """Decoding options validated once, and the caches built for them.

    ``Decoder(profiles=None, *, profile=None, tz=None, keys=None,
    require_authentication=False)``: the options of :func:`amsparse.decode_frame`.
    ``decode_frame(data)``, ``decode_apdu(data, source=-1)``, ``stream(**options)``,
    ``decode_batch(source)`` and ``iter_batches(source, rows)`` decode with them;
    ``cache_info()`` and ``clear_caches()`` show and empty the caches.  See
    docs/api.md ("Decoder") for when to build one."""

    __slots__ = ()
    _backend = impl


_CLASSES: dict[str, type[Any]] = {impl.BACKEND: Decoder}


def decoder_class(backend: ModuleType) -> type[Any]:
    """``Decoder`` for another backend module (``_decode_c`` or
    ``_decode_py``): the tests run both in one process."""
    cls = _CLASSES.get(backend.BACKEND)
    if cls is None:
        cls = _CLASSES[backend.BACKEND] = type(
            "Decoder", (_DecoderMethods, backend.DecoderCore),
            {"__slots__": (), "_backend": backend, "__doc__": Decoder.__doc__, "__module__": __name__})
    return cls
