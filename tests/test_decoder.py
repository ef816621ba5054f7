"""amsparse.Decoder: options validated once, caches owned per decoder, the
module-level functions' ``decoder=``; both backends (fixture ``impl``)."""

from __future__ import annotations

import sys
import zoneinfo
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402
from tables import assert_same_tables  # noqa: E402

import amsparse  # noqa: E402
from amsparse import _batch  # noqa: E402
from amsparse._decoder import decoder_class  # noqa: E402
from amsparse._stream import FrameDecoded, FrameRejected, StreamDecoder  # noqa: E402


def _plain() -> list[bytes]:
    return [raw for _id, raw in corpusdata.hdlc_frames(corrupt=False)]


def _outcome(fn: Any, raw: bytes) -> Any:
    try:
        return fn(raw)
    except amsparse.DecodeError as e:
        return (type(e).__name__, str(e))


def _aidon() -> tuple[bytes, dict[str, Any]]:
    rec = corpusdata.by_id()["aid-aidon-27-01"]
    return bytes.fromhex(rec["hex"]), rec["expected"]


def test_values_match_the_meter_vendors_expectation(impl: Any) -> None:
    # expected values from the corpus record's source (amsreader-firmware's test data), not from amsparse
    raw, want = _aidon()
    d = decoder_class(impl)()
    f = d.decode_frame(raw)
    got = f.as_dict()
    assert got["active_power_import"] == want["active_import_w"]
    assert got["voltage_l1"] == pytest.approx(want["l1_voltage_v"])
    assert got["current_l3"] == pytest.approx(want["l3_current_a"])
    assert got["active_energy_import"] == pytest.approx(want["active_import_kwh"] * 1000)
    # the second decode comes from the decoder's caches on the compiled core: same frame
    assert d.decode_frame(raw) == f


def test_same_results_as_the_module_functions(impl: Any) -> None:
    d = decoder_class(impl)(tz="Europe/Oslo")
    for raw in _plain():
        want = _outcome(lambda r: impl.decode_frame(r, tz="Europe/Oslo"), raw)
        assert _outcome(d.decode_frame, raw) == want
        assert _outcome(lambda r: impl.decode_frame(r, decoder=d), raw) == want
        assert _outcome(d.decode_frame, raw) == want  # again: from the caches


def test_decode_apdu(impl: Any) -> None:
    raw, want = _aidon()
    dest, src, control, segmented, a, b = impl.parse_hdlc(raw)
    d = decoder_class(impl)()
    f = d.decode_apdu(raw[a:b], source=src)
    assert f.as_dict()["active_power_import"] == want["active_import_w"]
    assert f == impl.decode_apdu(raw[a:b], decoder=d, source=src)


@pytest.mark.parametrize(
    ("kw", "exc"),
    [
        ({"tz": "Mars/Olympus"}, zoneinfo.ZoneInfoNotFoundError),
        ({"tz": 3}, TypeError),
        ({"profile": "no-such-meter"}, ValueError),
        ({"profile": 7}, TypeError),
        ({"profiles": "builtin"}, TypeError),
    ],
)
def test_options_are_checked_when_built(impl: Any, kw: dict[str, Any], exc: type) -> None:
    kw = dict(kw)  # the parameter is shared by both backends' runs
    profiles = kw.pop("profiles", None)
    with pytest.raises(exc):
        decoder_class(impl)(profiles, **kw)


def test_options_and_attributes(impl: Any) -> None:
    d = decoder_class(impl)(profile="aidon-v0001", tz="UTC")
    assert d.profile is amsparse.builtin_profiles()["aidon-v0001"]
    assert d.profiles is amsparse.builtin_profiles()
    assert d.tz == "UTC" and d.keys is None and d.require_authentication is False
    assert "aidon-v0001" in repr(d) and impl.BACKEND in repr(d)


def test_decoder_excludes_other_options(impl: Any) -> None:
    raw, _ = _aidon()
    d = decoder_class(impl)()
    for kw in ({"tz": "UTC"}, {"profile": "aidon-v0001"}, {"keys": amsparse.Keys(bytes(16))},
               {"require_authentication": True}):
        with pytest.raises(TypeError, match="Decoder"):
            impl.decode_frame(raw, decoder=d, **kw)
        with pytest.raises(TypeError, match="Decoder"):
            StreamDecoder(decoder=d, **kw)
        with pytest.raises(TypeError, match="Decoder"):
            _batch._decode_batch(raw, kw.get("profiles"), kw.get("profile"), kw.get("tz"), impl,
                                 keys=kw.get("keys"), require_authentication=kw.get("require_authentication", False),
                                 decoder=d)
    with pytest.raises(TypeError, match="decoder must be"):
        impl.decode_frame(raw, decoder="utc")


def test_a_decoder_of_the_other_backend_is_refused(both: Any) -> None:
    c, py = both
    raw, _ = _aidon()
    with pytest.raises(TypeError):
        c.decode_frame(raw, decoder=decoder_class(py)())
    with pytest.raises(TypeError):
        py.decode_frame(raw, decoder=decoder_class(c)())


def test_caches_are_the_decoders_own(both: Any) -> None:
    c, _py = both
    frames = _plain()
    a, b = decoder_class(c)(), decoder_class(c)()
    assert a.cache_info() == {"plans": 0, "templates": 0}
    for raw in frames:
        _outcome(a.decode_frame, raw)
    info = a.cache_info()
    assert info["plans"] > 0 and info["templates"] > 0
    assert b.cache_info() == {"plans": 0, "templates": 0}  # nothing leaked into another decoder
    a.clear_caches()
    assert a.cache_info() == {"plans": 0, "templates": 0}


def test_time_zones_never_share_a_cache_entry(impl: Any) -> None:
    # a clock without deviation is read in the decoder's zone; two decoders, one
    # frame, alternating: each keeps its own zone (a shared plan would mix them)
    utc, oslo = decoder_class(impl)(tz="UTC"), decoder_class(impl)(tz="Europe/Oslo")
    seen = 0
    for raw in _plain():
        try:
            fu, fo = utc.decode_frame(raw), oslo.decode_frame(raw)
            fu2, fo2 = utc.decode_frame(raw), oslo.decode_frame(raw)
        except amsparse.DecodeError:
            continue
        assert (fu, fo) == (fu2, fo2)
        if fu.header_time is not None and fu.header_time.utcoffset() is not None and fu.header_time != fo.header_time:
            assert fu.header_time.utcoffset().total_seconds() == 0
            assert fo.header_time.utcoffset().total_seconds() in (3600, 7200)
            seen += 1
    assert seen > 10


def test_stream_uses_the_decoder(impl: Any) -> None:
    frames = _plain()
    capture = b"\x00junk" + b"".join(frames)
    d = decoder_class(impl)(tz="Europe/Oslo")
    s = d.stream(p1=False)
    assert isinstance(s, StreamDecoder)
    events = s.feed(capture) + s.flush()
    decoded = [e.frame for e in events if isinstance(e, FrameDecoded)]
    # the events of a stream given the same options, one frame at a time
    ref = StreamDecoder(tz="Europe/Oslo", p1=False)
    want = [ev for k in range(0, len(capture), 97) for ev in ref.feed(capture[k:k + 97])] + ref.flush()
    assert decoded == [e.frame for e in want if isinstance(e, FrameDecoded)]
    assert [e.raw for e in events if isinstance(e, FrameRejected)] == [
        e.raw for e in want if isinstance(e, FrameRejected)]
    assert len(decoded) > len(frames) // 2
    for f in decoded[:5]:  # and each frame as decode_frame gives it
        assert f in [_outcome(lambda r: impl.decode_frame(r, tz="Europe/Oslo"), raw) for raw in frames]
    if impl.BACKEND == "cython":
        assert d.cache_info()["plans"] > 0  # the stream's run loop filled this decoder's caches


def test_decode_batch_with_a_decoder(impl: Any) -> None:
    frames = _plain()
    capture = b"".join(frames)
    d = decoder_class(impl)(tz="Europe/Oslo")
    want = _batch._decode_batch(capture, None, None, "Europe/Oslo", impl)
    assert_same_tables(d.decode_batch(capture), want)
    assert_same_tables(d.decode_batch(frames), _batch._decode_batch(frames, None, None, "Europe/Oslo", impl))
    assert list(want.status).count(0) > 50


def test_public_functions_take_decoder() -> None:
    frames = _plain()
    capture = b"".join(frames)
    d = amsparse.Decoder(tz="Europe/Oslo")
    assert_same_tables(amsparse.decode_batch(capture, decoder=d), amsparse.decode_batch(capture, tz="Europe/Oslo"))
    batches = list(d.iter_batches(capture, rows=7))
    whole = amsparse.decode_batch(capture, tz="Europe/Oslo")
    assert sum(len(b) for b in batches) == len(whole) and len(batches) > 5
    assert [m for b in batches for m in b.meter_id] == whole.meter_id
    s = amsparse.StreamDecoder(decoder=d, p1=False)
    ref = amsparse.StreamDecoder(tz="Europe/Oslo", p1=False)
    got = [e.frame for e in s.feed(capture) + s.flush() if isinstance(e, FrameDecoded)]
    assert got == [e.frame for e in ref.feed(capture) + ref.flush() if isinstance(e, FrameDecoded)]
    assert len(got) > 50
