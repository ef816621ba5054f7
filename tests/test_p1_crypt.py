"""Ciphered P1 telegrams (Luxembourg Smarty): a general-glo-ciphering frame
whose plaintext is a telegram, in decode_telegram (both backends),
StreamDecoder, decode_batch and the CLI.

Expectations come from outside the code under test:

* a real Smarty frame published with its key (``sag-p1-lu-01`` in
  ``tests/corpus/telegrams.jsonl``), decrypted here with ``cryptography``'s
  GCM (tag checked) to get the plaintext, and the values its sources state;
* frames sealed here with ``cryptography``'s AESGCM (IV = system title ‖
  invocation counter, AAD = SC ‖ AK, 12-byte tag) around the real plain
  telegrams of the corpus: decoding one must give what decode_telegram gives
  for the plaintext, plus ``Frame.security``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path
from typing import Any

import corpusdata
import pytest

pytest.importorskip("cryptography", reason='the crypto extra (pip install "amsparse[crypto]")')

from conftest import _no_c  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

import amsparse  # noqa: E402
from amsparse import (  # noqa: E402
    BytesDiscarded,
    DecodeError,
    DecryptionError,
    FrameDecoded,
    FrameRejected,
    IncompleteFrameError,
    KeyRequiredError,
    Keys,
    ObisCode,
    StreamDecoder,
)

VECTOR = corpusdata.telegrams("p1-ciphered")[0]
SMARTY = bytes.fromhex(VECTOR["hex"])
SMARTY_EK = bytes.fromhex(VECTOR["key_hex"])
SMARTY_AK = bytes.fromhex(VECTOR["auth_key_hex"])
PLAIN = [bytes.fromhex(r["hex"]) for r in corpusdata.telegrams("p1") if r["crc_ok"] and not r["id"].startswith("esy")]
EK = bytes(range(0x10, 0x20))
AK = bytes(range(0xA0, 0xB0))
TITLE = b"SAG\x67\x70\x01\x02\x03"
WRONG = bytes(16)


@pytest.fixture(params=["cython", "python"])
def p1(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    if request.param == "cython" and _no_c(request.config):
        pytest.skip("compiled core disabled on purpose")
    return importlib.import_module("amsparse._p1_c" if request.param == "cython" else "amsparse._p1_py")


def axdr_length(n: int) -> bytes:
    if n < 0x80:
        return bytes((n,))
    if n < 0x100:
        return bytes((0x81, n))
    return bytes((0x82,)) + n.to_bytes(2, "big")


def seal(plain: bytes, sc: int = 0x30, ek: bytes = EK, ak: bytes = AK, title: bytes = TITLE, ic: int = 0x1234) -> bytes:
    """A general-glo-ciphering frame around ``plain``, as a Smarty meter sends it."""
    icb = ic.to_bytes(4, "big")
    iv = title + icb
    aead = AESGCM(ek)
    if sc & 0x20:
        out = aead.encrypt(iv, plain, bytes((sc,)) + ak if sc & 0x10 else None)
        body = out[:-16] + (out[-16:-4] if sc & 0x10 else b"")  # GCM tag truncated to 12 bytes
    else:  # authentication only: the plaintext, then the tag over SC ‖ AK ‖ plaintext
        body = plain + aead.encrypt(iv, b"", bytes((sc,)) + ak + plain)[:12]
    rest = bytes((sc,)) + icb + body
    return b"\xdb\x08" + title + axdr_length(len(rest)) + rest


def open_vector(frame: bytes, ek: bytes, ak: bytes) -> bytes:
    """The plaintext of a SC 0x30 frame, by cryptography's GCM with the 12-byte tag checked."""
    head = 13 if frame[10] == 0x82 else 12 if frame[10] == 0x81 else 11
    sc = frame[head]
    iv = frame[2:10] + frame[head + 1 : head + 5]
    dec = Cipher(algorithms.AES(ek), modes.GCM(iv, frame[-12:], min_tag_length=12)).decryptor()
    dec.authenticate_additional_data(bytes((sc,)) + ak)
    return dec.update(frame[head + 5 : -12]) + dec.finalize()


def without_security(f: amsparse.Frame) -> tuple[Any, ...]:
    return f._key()[:-1]


# --------------------------------------------------------------------------- the published Smarty frame

def test_published_smarty_frame(p1) -> None:  # type: ignore[no-untyped-def]
    plain = open_vector(SMARTY, SMARTY_EK, SMARTY_AK)
    assert plain.startswith(b"/Lux5\\253663629_D\r\n") and plain.endswith(b"!CFDE\r\n")
    f = p1.decode_telegram(SMARTY, keys=Keys(SMARTY_EK, SMARTY_AK), require_authentication=True)
    assert without_security(f) == without_security(p1.decode_telegram(plain))
    sec = f.security
    assert sec.system_title == bytes.fromhex(VECTOR["system_title"]) and sec.manufacturer == "SAG"
    assert sec.invocation_counter == VECTOR["invocation_counter"] == 0x0005A8E3
    assert sec.encrypted and sec.authenticated and sec.security_control == 0x30
    assert f.profile_id == "lu-smarty" and f.list_name == "p1"
    exp = VECTOR["expected"]
    assert f[ObisCode.parse("1-0:1.8.0")].decimal() == Decimal(str(exp["1-0:1.8.0 kWh"])) * 1000
    assert f[ObisCode.parse("1-0:2.8.0")].decimal() == Decimal(str(exp["1-0:2.8.0 kWh"])) * 1000
    assert f[ObisCode.parse("0-0:1.0.0")].value == dt.datetime.fromisoformat(exp["0-0:1.0.0"])
    assert f[ObisCode.parse("0-0:42.0.0")].raw == exp["0-0:42.0.0"]


def test_published_frame_encryption_key_only(p1) -> None:  # type: ignore[no-untyped-def]
    f = p1.decode_telegram(SMARTY, keys=SMARTY_EK.hex())  # hex text of the EK, as the public API takes it
    assert f.security.encrypted and not f.security.authenticated
    assert f[ObisCode.parse("1-0:1.8.0")].value == 6695
    with pytest.raises(DecryptionError, match="not authenticated"):
        p1.decode_telegram(SMARTY, keys=Keys(SMARTY_EK), require_authentication=True)


def test_published_frame_without_or_with_wrong_keys(p1) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(KeyRequiredError) as ei:
        p1.decode_telegram(SMARTY)
    assert "534147677001bd54" in str(ei.value) and "SAG" in str(ei.value)
    assert ei.value.system_title == bytes.fromhex("534147677001bd54")
    bad_ek = bytes.fromhex("d491470f47126332b07d1923b3504100")
    for keys in (Keys(bad_ek, SMARTY_AK), Keys(SMARTY_EK, WRONG), Keys(bad_ek)):
        with pytest.raises(DecryptionError) as ei:
            p1.decode_telegram(SMARTY, keys=keys)
        text = str(ei.value).lower()
        for k in (bad_ek, SMARTY_EK, SMARTY_AK):
            assert k.hex() not in text
    # keys of another meter only: no key for this one
    with pytest.raises(KeyRequiredError):
        p1.decode_telegram(SMARTY, keys=[Keys(SMARTY_EK, system_title=TITLE)])


# --------------------------------------------------------------------------- frames sealed here

@pytest.mark.parametrize("sc", [0x30, 0x20, 0x10])
def test_sealed_corpus_telegrams(p1, sc: int) -> None:  # type: ignore[no-untyped-def]
    keys = Keys(EK, AK, system_title=TITLE)
    for i, plain in enumerate(PLAIN):
        frame = seal(plain, sc, ic=i + 1)
        f = p1.decode_telegram(frame, keys=keys, require_authentication=bool(sc & 0x10))
        assert without_security(f) == without_security(p1.decode_telegram(plain))
        assert f.security == amsparse.Security(TITLE, i + 1, bool(sc & 0x20), bool(sc & 0x10), sc)


def test_lengths_short_one_and_two_byte(p1) -> None:  # type: ignore[no-untyped-def]
    for body in ("1-0:1.8.0(000001.000*kWh)\r\n", "1-0:1.8.0(000001.000*kWh)\r\n" * 5, "1-0:1.8.0(000001.000*kWh)\r\n" * 12):
        text = ("/XYZ5test\r\n\r\n" + body + "!").encode()
        crc = 0
        for b in text:
            crc ^= b
            for _ in range(8):
                crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        plain = text + b"%04X\r\n" % crc
        frame = seal(plain, 0x30)
        f = p1.decode_telegram(frame, keys=Keys(EK, AK))
        assert f.security.authenticated and f["active_energy_import"].value == 1000
    assert {seal(b"/" * n)[10] for n in (40, 120, 400)} == {40 + 17, 0x81, 0x82}


def test_bad_frames(p1) -> None:  # type: ignore[no-untyped-def]
    plain = PLAIN[0]
    good = seal(plain, 0x30)
    keys = Keys(EK, AK)
    # truncated tag: one byte missing (the length says more), or the length fixed to match
    with pytest.raises(DecryptionError, match="cut short"):
        p1.decode_telegram(good[:-1], keys=keys)
    head = 13
    n = int.from_bytes(good[11:13], "big") - 1
    refit = good[:11] + n.to_bytes(2, "big") + good[head:-1]
    with pytest.raises(DecryptionError, match="does not verify"):
        p1.decode_telegram(refit, keys=keys)
    # every tampered ciphertext byte is refused: by the tag, or (no AK, or SC 0x20) by the telegram's check
    for frame, k in ((good, keys), (good, Keys(EK)), (seal(plain, 0x20), Keys(EK))):
        for i in range(head + 5, len(frame) - (12 if frame[head] & 0x10 else 0), 37):
            bad = bytearray(frame)
            bad[i] ^= 0x04
            with pytest.raises(DecryptionError):
                p1.decode_telegram(bytes(bad), keys=k)
    # unauthenticated frames under require_authentication
    with pytest.raises(DecryptionError, match="not authenticated"):
        p1.decode_telegram(seal(plain, 0x20), keys=keys, require_authentication=True)
    # header damage
    for bad in (b"\xdb", b"\xdb\x08abc", b"\xdb\x07" + good[2:], good[:10] + b"\x85" + good[11:],
                good[:13] + b"\xb0" + good[14:], good[:13] + b"\x32" + good[14:]):
        with pytest.raises(DecodeError):
            p1.decode_telegram(bad, keys=keys)
    # a plaintext that is itself a ciphered frame is refused, not unwrapped again
    with pytest.raises(DecodeError, match="itself ciphered"):
        p1.decode_telegram(seal(good, 0x30), keys=keys)


def test_backends_agree_on_mutations() -> None:
    if os.environ.get("AMSPARSE_NO_EXTENSIONS") or amsparse.BACKEND != "cython":
        pytest.skip("compiled core not in use")
    c = importlib.import_module("amsparse._p1_c")
    py = importlib.import_module("amsparse._p1_py")
    frames = [SMARTY, seal(PLAIN[1], 0x30), seal(PLAIN[2], 0x20), seal(PLAIN[3], 0x10)]
    keysets = [None, Keys(SMARTY_EK, SMARTY_AK), [Keys(EK, AK), Keys(SMARTY_EK, SMARTY_AK, system_title=SMARTY[2:10])]]

    def run(mod: Any, data: bytes, keys: Any) -> Any:
        try:
            return ("ok", mod.decode_telegram(data, keys=keys))
        except DecodeError as e:
            return ("err", type(e), e.args, e.offset)

    import random

    rnd = random.Random(7)
    for frame in frames:
        for _ in range(40):
            b = bytearray(frame)
            i = rnd.randrange(len(b))
            op = rnd.randrange(3)
            if op == 0:
                b[i] ^= 1 << rnd.randrange(8)
            elif op == 1:
                del b[i:]
            else:
                b[i:i] = b"\x00"
            for keys in keysets:
                assert run(c, bytes(b), keys) == run(py, bytes(b), keys)


# --------------------------------------------------------------------------- stream

def events_of(dec: StreamDecoder, data: bytes, chunk: int) -> list[tuple[Any, ...]]:
    out: list[Any] = []
    for i in range(0, len(data), chunk):
        out += dec.feed(data[i : i + chunk])
    out += dec.flush()
    summary = []
    for ev in out:
        if isinstance(ev, FrameDecoded):
            summary.append(("ok", ev.raw, ev.frame))
        elif isinstance(ev, FrameRejected):
            summary.append(("rejected", ev.raw, type(ev.error)))
    return summary


def test_stream_back_to_back_with_noise_and_resync() -> None:
    f1, f2, f3 = seal(PLAIN[0], ic=1), seal(PLAIN[1], ic=2), seal(PLAIN[2], ic=3)
    keys = Keys(EK, AK)
    # noise (with a false DB 08 start), three frames back to back, a lone DB, a frame
    # cut short and followed by a whole one, then a frame the input ends inside
    stream = (b"noise\xdb\x08\x00" + f1 + f2 + SMARTY + b"\xdb" + f3[:200] + f3 + f1[:300])
    want = [("ok", f1), ("ok", f2), ("ok", SMARTY), ("rejected", f3[:200]), ("ok", f3), ("rejected", f1[:300])]
    results = []
    for chunk in (1, 5, 64, len(stream)):
        dec = StreamDecoder(keys=[keys, Keys(SMARTY_EK, SMARTY_AK, system_title=SMARTY[2:10])])
        got = events_of(dec, stream, chunk)
        assert [(k, raw) for k, raw, _ in got] == want, chunk
        assert [e for k, _, e in got if k == "rejected"] == [IncompleteFrameError, IncompleteFrameError]
        for k, raw, frame in got:
            if k == "ok":
                assert frame == amsparse.decode_telegram(raw, keys=dec._tx.keys)
        assert dec.frames_decoded == 4 and dec.telegram_buffered == 0
        results.append((got, dec.bytes_discarded, dict(dec.frames_rejected)))
    assert all(r == results[0] for r in results)
    assert results[0][1] == len(b"noise\xdb\x08\x00") + 1


def test_stream_with_text_telegrams_and_hdlc_frames() -> None:
    hdlc = corpusdata.hdlc_frames(corrupt=False)[0][1]
    f1 = seal(PLAIN[0], ic=1)
    stream = PLAIN[1] + f1 + hdlc + f1 + PLAIN[2] + f1[:100] + hdlc
    dec = StreamDecoder(keys=Keys(EK, AK))
    got = events_of(dec, stream, 7)
    assert [(k, raw) for k, raw, _ in got] == [
        ("ok", PLAIN[1]), ("ok", f1), ("ok", hdlc), ("ok", f1), ("ok", PLAIN[2]), ("rejected", f1[:100]), ("ok", hdlc)]
    assert got[5][2] is IncompleteFrameError  # a ciphered telegram interrupted by an HDLC frame


def test_stream_bounds_and_no_keys() -> None:
    f1 = seal(PLAIN[0])
    # no keys: DB frames are not hunted (their bytes are discarded, or rejected as false starts)
    dec = StreamDecoder()
    evs = dec.feed(f1 * 3) + dec.flush()
    assert evs and not any(isinstance(e, FrameDecoded) for e in evs)
    # a header claiming more than max_telegram_size is noise, never buffered
    huge = b"\xdb\x08" + TITLE + b"\x82\xff\xff\x30" + bytes(4) + bytes(200)
    dec = StreamDecoder(keys=Keys(EK, AK), max_telegram_size=4096)
    evs = dec.feed(huge + f1) + dec.flush()
    assert [e.raw for e in evs if isinstance(e, FrameDecoded)] == [f1]
    assert not any(isinstance(e, FrameRejected) for e in evs)
    # a frame longer than max_telegram_size is not taken either
    dec = StreamDecoder(keys=Keys(EK, AK), max_telegram_size=len(f1) - 1)
    for i in range(0, len(f1) * 2, 50):
        evs = dec.feed((f1 * 2)[i : i + 50])
        assert dec.telegram_buffered < len(f1)
        assert not any(isinstance(e, FrameDecoded) for e in evs)
    assert all(isinstance(e, (BytesDiscarded, FrameRejected)) for e in dec.flush())


# --------------------------------------------------------------------------- batch and CLI

def test_decode_batch_iterable_and_capture() -> None:
    f1, f2 = seal(PLAIN[0], ic=1), seal(PLAIN[1], ic=2)
    keys = Keys(EK, AK)
    table = amsparse.decode_batch([f1, f2, f1[:-1], SMARTY], keys=[keys, Keys(SMARTY_EK, SMARTY_AK, system_title=SMARTY[2:10])])
    assert len(table) == 4 and len(table.errors) == 1
    assert table["active_energy_import"][3] == 6695
    assert table["active_power_import"][0] == amsparse.decode_telegram(PLAIN[0])["active_power_import"].value
    # without keys every ciphered item is an error row (KeyRequiredError), not an exception
    t2 = amsparse.decode_batch([f1, SMARTY])
    assert len(t2) == 2 and len(t2.errors) == 2
    # a raw capture of back-to-back frames, as read off the port
    t3 = amsparse.decode_batch(b"\x00" + f1 + f2 + f1, keys=keys)
    assert len(t3) == 3 and not t3.errors
    assert list(t3["active_power_import"]) == [
        amsparse.decode_telegram(p)["active_power_import"].value for p in (PLAIN[0], PLAIN[1], PLAIN[0])]


def test_cli_decode_with_key(tmp_path: Path) -> None:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in sys.path if p)
    hexfile = tmp_path / "smarty.hex"
    hexfile.write_text(SMARTY.hex() + "\n", encoding="ascii")
    raw = tmp_path / "smarty.bin"
    raw.write_bytes(SMARTY + SMARTY)
    ek, ak = SMARTY_EK.hex(), SMARTY_AK.hex()
    cmd = [sys.executable, "-m", "amsparse", "decode"]
    r = subprocess.run(cmd + [str(hexfile), "--key", ek, "--auth-key", ak, "--json", "--require-authentication"],
                       capture_output=True, env=env, timeout=60)
    assert r.returncode == 0, r.stderr
    import json

    row = json.loads(r.stdout)
    assert row["profile"] == "lu-smarty" and row["values"]["active_energy_import"] == 6695
    r = subprocess.run(cmd + [str(raw), "--key", ek, "--auth-key", ak], capture_output=True, env=env, timeout=60)
    assert r.returncode == 0 and b"2 frame(s) decoded, 0 rejected." in r.stdout, r.stderr
    r = subprocess.run(cmd + [str(hexfile)], capture_output=True, env=env, timeout=60)
    assert r.returncode == 1 and b"KeyRequiredError" in r.stderr and b"534147677001bd54" in r.stderr
    r = subprocess.run(cmd + [str(hexfile), "--key", "00" * 16], capture_output=True, env=env, timeout=60)
    assert r.returncode == 1 and b"DecryptionError" in r.stderr
    for out in (r.stdout, r.stderr):
        assert ek.encode() not in out.lower() and ak.encode() not in out.lower()


def test_stream_replay_guard() -> None:
    """replay_guard=True: a ciphered telegram's invocation counter must grow per
    system title (as for DLMS pushes); a repeat or an older counter is one
    rejected event naming both counters, and the stream goes on."""
    other = b"SAG\x67\x70\x09\x09\x09"
    f1, f2, f3 = seal(PLAIN[0], ic=10), seal(PLAIN[1], ic=11), seal(PLAIN[2], ic=12)
    g5 = seal(PLAIN[0], ic=5, title=other)  # another meter: its own counter
    stale = seal(PLAIN[1], ic=9)           # sealed afresh, older counter
    stream = f1 + f2 + g5 + f2 + stale + f3 + g5 + PLAIN[0]
    for chunk in (3, len(stream)):
        dec = StreamDecoder(keys=Keys(EK, AK), replay_guard=True)
        got = events_of(dec, stream, chunk)
        assert [(k, raw) for k, raw, _ in got] == [
            ("ok", f1), ("ok", f2), ("ok", g5), ("rejected", f2), ("rejected", stale), ("ok", f3),
            ("rejected", g5), ("ok", PLAIN[0])]
        assert [e for k, _, e in got if k == "rejected"] == [amsparse.ReplayError] * 3
        assert [f.security.invocation_counter for k, _, f in got if k == "ok" and f.security] == [10, 11, 5, 12]
        assert dec.frames_rejected == {"ReplayError": 3}
    dec = StreamDecoder(keys=Keys(EK, AK), replay_guard=True)
    events = dec.feed(f2 + f1) + dec.flush()
    msg = str(events[1].error)
    assert "invocation counter 10" in msg and "(last 11)" in msg and TITLE.hex() in msg and "replay" in msg
    assert EK.hex() not in msg and AK.hex() not in msg
    # without the guard the same stream decodes every telegram
    dec = StreamDecoder(keys=Keys(EK, AK))
    assert [k for k, _, _ in events_of(dec, stream, 64)] == ["ok"] * 8
