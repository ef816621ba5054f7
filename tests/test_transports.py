"""Transports and security: ciphered APDUs, General Block Transfer, M-Bus.

Real captures (tests/corpus, with the keys their sources published) and
frames built by tests/encoder.py (encrypted with ``cryptography`` there, not by
the decoder's code) on both backends.
"""

from __future__ import annotations

import pickle
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402
import encoder as E  # noqa: E402
import strategies as S  # noqa: E402

import amsparse  # noqa: E402
from amsparse import Keys  # noqa: E402

RECS = corpusdata.by_id()
LLC = b"\xe6\xe7\x00"


def _keys(rec: dict, auth: bool = True) -> Keys:
    return Keys(rec["key_hex"], rec.get("auth_key_hex") if auth else None)


def _input(rec: dict) -> bytes:
    """What one decode_frame/decode_apdu call takes for this capture: the bytes
    as published, or for a multi-frame GBT push the blocks of its frames."""
    data = bytes.fromhex(rec["hex"])
    if rec["framing"] == "hdlc" and len(corpusdata.hdlc_pieces(data)) > 1:
        infos = [corpusdata.hdlc_info(p) for p in corpusdata.hdlc_pieces(data)]
        return b"".join(i[3:] if i[:3] == LLC else i for i in infos)
    return data


def _decode(impl, rec: dict, **kw):  # type: ignore[no-untyped-def]
    data = _input(rec)
    if data[0] in (0x7E, 0x68):
        return impl.decode_frame(data, **kw)
    return impl.decode_apdu(data, **kw)


def _plain(rec: dict) -> bytes:
    """The decrypted APDU, as the decoder's security layer yields it."""
    from amsparse._security import keyring
    from amsparse._transport import unwrap

    data = _input(rec)
    if data[0] == 0x68:
        from amsparse._mbus import join_segments
        data = join_segments(data)
    elif data[0] == 0x7E:
        data = corpusdata.hdlc_info(data)
    if data[:3] == LLC:
        data = data[3:]
    plain, _ = unwrap(data, 0, len(data), keyring(_keys(rec)), False)
    return plain


KEYED = sorted(r for r, rec in RECS.items() if rec.get("key_hex"))
ENCRYPTED = sorted(r for r, rec in RECS.items() if rec.get("encrypted") and not rec.get("marked_corrupt"))


def test_corpus_has_the_transport_captures() -> None:
    assert len(KEYED) >= 6
    assert {RECS[r]["framing"] for r in ENCRYPTED} == {"hdlc", "mbus"}
    assert any(RECS[r]["framing"] == "mbus" and RECS[r]["hex"][2:4] == "01" for r in ENCRYPTED)  # Sagemcom L quirk


# --------------------------------------------------------------------------- real captures

@pytest.mark.parametrize("rid", ENCRYPTED)
def test_encrypted_capture_without_key_names_its_system_title(impl, rid: str) -> None:
    rec = RECS[rid]
    with pytest.raises(amsparse.KeyRequiredError) as ei:
        _decode(impl, rec)
    title = bytes.fromhex(rec["system_title"])
    assert ei.value.system_title == title
    assert title.hex() in str(ei.value) and title[:3].decode() in str(ei.value)


@pytest.mark.parametrize("rid", KEYED)
def test_keyed_capture_decrypts_equal_in_both_backends(both, rid: str) -> None:
    rec = RECS[rid]
    results = []
    for impl in both:
        try:
            results.append(_decode(impl, rec, keys=_keys(rec)))
        except amsparse.ProfileMismatchError as e:  # value-only list without a profile yet
            results.append((type(e), e.args, e.element_count))
    assert results[0] == results[1]
    sc = int(rec["security_control"], 16)
    if isinstance(results[0], amsparse.Frame):
        sec = results[0].security
        assert sec.system_title == bytes.fromhex(rec["system_title"])
        assert sec.encrypted and sec.security_control == sc
        assert sec.authenticated == bool(sc & 0x10 and rec.get("auth_key_hex"))
        assert pickle.loads(pickle.dumps(results[0])) == results[0]


@pytest.mark.parametrize("rid", KEYED)
def test_keyed_capture_plaintext_matches_its_provenance(rid: str) -> None:
    """The decrypted APDU is a data-notification whose header clock is the one
    the corpus notes record for this capture (found by the corpus builder)."""
    rec = RECS[rid]
    plain = _plain(rec)
    assert plain[0] == 0x0F
    m = re.search(r"header date-time [^=]*= (\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)", rec["notes"])
    assert m, rec["notes"]
    y, mo, d, h, mi, s = map(int, m.groups())
    hdr = plain[6:18] if plain[5] == 0x0C else plain[7:19]
    assert (int.from_bytes(hdr[0:2], "big"), hdr[2], hdr[3], hdr[5], hdr[6], hdr[7]) == (y, mo, d, h, mi, s)


def test_kamstrup_omnipower_values_are_plausible(impl) -> None:
    rec = RECS["kam-list3-08"]
    f = _decode(impl, rec, keys=_keys(rec))
    assert f.profile_id.startswith("kamstrup") and f.list_version == "Kamstrup_V0001"
    assert f.security.authenticated and f.security.manufacturer == "KAM"
    for ph in (1, 2, 3):
        assert 200 <= f.value(f"voltage_l{ph}") <= 260
        assert 0 <= f.value(f"current_l{ph}") < 100
    assert f.header_time is not None and (f.header_time.year, f.header_time.month) == (2026, 3)
    # without the authentication key: same values, not authenticated
    g = _decode(impl, rec, keys=_keys(rec, auth=False))
    assert g.security.authenticated is False and g.as_dict() == f.as_dict()
    with pytest.raises(amsparse.DecryptionError, match="not authenticated"):
        _decode(impl, rec, keys=_keys(rec, auth=False), require_authentication=True)
    assert _decode(impl, rec, keys=_keys(rec), require_authentication=True) == f


@pytest.mark.parametrize("rid", KEYED)
def test_wrong_keys_never_yield_values(impl, rid: str) -> None:
    rec = RECS[rid]
    key = bytes.fromhex(rec["key_hex"])
    wrong = bytes(b ^ 0x5A for b in key)
    with pytest.raises(amsparse.DecryptionError) as ei:
        _decode(impl, rec, keys=Keys(wrong, rec.get("auth_key_hex")))
    for k in (key, wrong):
        assert k.hex() not in str(ei.value).lower() and k.hex() not in repr(ei.value).lower()
    if rec.get("auth_key_hex"):
        ak = bytes.fromhex(rec["auth_key_hex"])
        with pytest.raises(amsparse.DecryptionError, match="does not verify"):
            _decode(impl, rec, keys=Keys(key, bytes(b ^ 1 for b in ak)))


def test_keys_are_matched_by_system_title(impl) -> None:
    rec = RECS["kam-list3-08"]
    title = bytes.fromhex(rec["system_title"])
    other = Keys(bytes(16), system_title=b"KAM\x00\x00\x00\x00\x01")
    good = Keys(rec["key_hex"], rec["auth_key_hex"], system_title=title.hex())
    assert _decode(impl, rec, keys=[other, good]).security.authenticated
    with pytest.raises(amsparse.KeyRequiredError):
        _decode(impl, rec, keys=[other])
    assert repr(good) == f"<Keys system_title={title.hex()} authentication_key=set>"
    assert rec["key_hex"] not in repr(good)


def test_gbt_capture_first_frame_alone_is_a_segment(impl) -> None:
    pieces = corpusdata.hdlc_pieces(bytes.fromhex(RECS["lg-other-15"]["hex"]))
    with pytest.raises(amsparse.SegmentedFrameError):
        impl.decode_frame(pieces[0], keys=_keys(RECS["lg-other-15"]))


def test_gbt_capture_with_a_block_missing_or_repeated_is_rejected_whole(impl) -> None:
    rec = RECS["lg-other-15"]
    infos = [corpusdata.hdlc_info(p) for p in corpusdata.hdlc_pieces(bytes.fromhex(rec["hex"]))]
    blocks = [i[3:] if i[:3] == LLC else i for i in infos]
    for bad in (blocks[:2] + blocks[3:], blocks[:2] + blocks[1:], [blocks[1], blocks[0]] + blocks[2:],
                blocks[:-1]):
        with pytest.raises(amsparse.BlockTransferError):
            impl.decode_apdu(b"".join(bad), keys=_keys(rec))


@pytest.mark.parametrize("rid", sorted(r for r, rec in RECS.items() if rec["framing"] == "mbus"))
def test_mbus_capture_mutations(impl, rid: str) -> None:
    data = bytes.fromhex(RECS[rid]["hex"])
    with pytest.raises(amsparse.KeyRequiredError):  # framing, checksum and segments hold
        impl.decode_frame(data)
    cs = len(data) - 2
    with pytest.raises(amsparse.ChecksumError):
        impl.decode_frame(data[:cs] + bytes((data[cs] ^ 1,)) + data[cs + 1 :])
    with pytest.raises(amsparse.DecodeError):
        impl.decode_frame(data[:-1])
    with pytest.raises(amsparse.DecodeError):
        impl.decode_frame(data + b"\x00")


# --------------------------------------------------------------------------- encoder round trips

def _outcome(fn, *a, **kw):  # type: ignore[no-untyped-def]
    try:
        return fn(*a, **kw)
    except amsparse.DecodeError as e:
        return (type(e), e.args)


KEY = bytes(range(16))
AK = bytes(range(16, 32))
TITLE = b"XYZ\x01\x02\x03\x04\x05"


@given(case=S.any_case(), sc=st.sampled_from([0x20, 0x30, 0x10, 0x21, 0x31]), ic=st.integers(0, 2**32 - 1),
       ded=st.booleans(), gbt=st.one_of(st.none(), st.integers(1, 300)),
       transport=st.sampled_from(["apdu", "llc", "hdlc", "mbus"]), give_ak=st.booleans())
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
def test_any_transport_gives_what_the_plain_apdu_gives(impl, case, sc, ic, ded, gbt, transport, give_ak) -> None:  # type: ignore[no-untyped-def]
    msg = E.ciphered(case.apdu, KEY, TITLE, ic, sc, AK, 0xDC if ded else 0xDB)
    if gbt is not None:
        msg = b"".join(E.gbt_blocks(msg, gbt))
    keys = Keys(KEY, AK if give_ak else None, TITLE)
    kw = {"profile": case.profile_arg}
    if transport == "mbus":
        want = _outcome(impl.decode_apdu, case.apdu, **kw)
        got = _outcome(impl.decode_frame, b"".join(E.mbus_frames(LLC + msg, 200)), keys=keys, **kw)
    elif transport == "hdlc" and len(msg) < 1900:
        want = _outcome(impl.decode_frame, case.frame, **kw)
        frame = E.encode_frame(msg, case.dest, case.src, case.control)
        got = _outcome(impl.decode_frame, frame, keys=keys, **kw)
        again = _outcome(impl.decode_frame, frame, keys=keys, **kw)  # the compiled core's cached templates
        assert again == got if isinstance(got, amsparse.Frame) else again[0] is got[0]
    else:
        want = _outcome(impl.decode_apdu, case.apdu, **kw)
        got = _outcome(impl.decode_apdu, (LLC if transport == "llc" else b"") + msg, keys=keys, **kw)
    if isinstance(want, amsparse.Frame):
        assert got.security == amsparse.Security(TITLE, ic, bool(sc & 0x20), bool(sc & 0x10 and give_ak), sc)
        assert got._key()[:15] == want._key()[:15]  # everything but security, address included
    else:  # a list the plain decode refuses (no profile...) is refused the same way
        assert got[0] is want[0]
    if sc & 0x10 and give_ak:  # a flipped bit anywhere in the ciphertext or tag is caught
        bad = bytearray(E.ciphered(case.apdu, KEY, TITLE, ic, sc, AK))
        bad[-1 - ic % 12] ^= 0x01
        with pytest.raises(amsparse.DecryptionError):
            impl.decode_apdu(bytes(bad), profile=case.profile_arg, keys=keys)


@given(apdu_len=st.integers(1, 700), size=st.integers(1, 250), overflow=st.booleans())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_mbus_segments_rejoin(impl, apdu_len: int, size: int, overflow: bool) -> None:
    from amsparse._mbus import join_segments

    apdu = bytes((i * 7 + 3) & 0xFF for i in range(apdu_len))
    frames = E.mbus_frames(apdu, size if not overflow else 252, overflow)
    assert join_segments(b"".join(frames)) == apdu
    if len(frames) > 1:
        with pytest.raises(amsparse.FrameError):  # a segment missing
            join_segments(b"".join(frames[:1] + frames[2:]))


def test_sagemcom_overflowed_length_is_accepted() -> None:
    from amsparse._mbus import join_segments

    apdu = bytes(range(256)) + bytes(range(100))
    first = E.mbus_long(apdu[:252], 0x00, overflow=True)  # C..data = 257 bytes, L = 0x01
    assert first[1] == 0x01
    assert join_segments(first + E.mbus_long(apdu[252:], 0x11)) == apdu


def test_plain_apdu_through_gbt(impl) -> None:
    rec = RECS["kam-list3-05"]
    plain = bytes.fromhex(rec["hex"])
    want = impl.decode_apdu(plain)
    got = impl.decode_apdu(b"".join(E.gbt_blocks(plain, 64)))
    assert got == want and got.security is None


def test_security_header_errors(impl) -> None:
    rec = RECS["kam-list3-05"]
    plain = bytes.fromhex(rec["hex"])
    msg = E.ciphered(plain, KEY, TITLE, 7, 0x30, AK)
    keys = Keys(KEY, AK)
    for bad in (msg[:-1], msg + b"\x00", msg[:20], bytes((0xDB, 7)) + msg[2:]):
        with pytest.raises(amsparse.DecryptionError):
            impl.decode_apdu(bad, keys=keys)
    with pytest.raises(amsparse.UnsupportedApduError):  # suite 2 (AES-256) is not AES-128-GCM
        impl.decode_apdu(E.ciphered(plain, KEY, TITLE, 7, 0x32, AK), keys=keys)


def test_import_does_not_load_cryptography_and_missing_extra_is_explained(tmp_path) -> None:
    rec = RECS["kam-list3-08"]
    code = textwrap.dedent(f"""
        import sys
        sys.modules["cryptography"] = None  # as if the extra were not installed
        import amsparse
        assert not any(m.startswith("cryptography.") for m in sys.modules)
        data = bytes.fromhex({rec["hex"]!r})
        try:
            amsparse.decode_frame(data, keys=amsparse.Keys({rec["key_hex"]!r}))
        except amsparse.DecodeError as e:
            print(type(e).__name__, e)
        print(amsparse.decode_apdu(bytes.fromhex({RECS["kam-list3-05"]["hex"]!r})).profile_id)
    """)
    src = Path(amsparse.__file__).resolve().parent.parent
    out = subprocess.run([sys.executable, "-c", code], check=False, capture_output=True, text=True,
                         env={"PYTHONPATH": str(src), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert out.returncode == 0, out.stderr
    assert 'pip install "amsparse[crypto]"' in out.stdout and "UnsupportedApduError" in out.stdout
    assert "kamstrup" in out.stdout


# --------------------------------------------------------------------------- StreamDecoder

def _stream(impl_name: str, data: bytes, **kw):  # type: ignore[no-untyped-def]
    dec = amsparse.StreamDecoder(**kw)
    events = []
    for i in range(0, len(data), 37):  # odd chunks: frames cut anywhere
        events += dec.feed(data[i : i + 37])
    return dec, events + dec.flush()


def test_stream_applies_keys_joins_gbt_and_guards_replays() -> None:
    gbt = RECS["lg-other-15"]
    kam = RECS["kam-list3-08"]
    plain = bytes.fromhex(RECS["aid-list2-01"]["hex"]) if "aid-list2-01" in RECS else b""
    keys = [Keys(r["key_hex"], r.get("auth_key_hex"), r["system_title"]) for r in (kam, gbt)]
    data = bytes.fromhex(kam["hex"]) + plain + bytes.fromhex(gbt["hex"]) + bytes.fromhex(kam["hex"])
    _, events = _stream("", data, keys=keys, replay_guard=True)
    kinds = [type(e).__name__ for e in events if not isinstance(e, amsparse.BytesDiscarded)]
    want = ["FrameDecoded"] + (["FrameDecoded"] if plain else []) + ["FrameDecoded", "FrameRejected"]
    assert kinds == want
    first = events[0].frame
    assert first.security.authenticated and first.address == (0x41, 0x03, 0x13)
    dec = [e for e in events if isinstance(e, amsparse.FrameDecoded)]
    rej = [e for e in events if isinstance(e, amsparse.FrameRejected)]
    # the GBT push: five frames, one event, decrypted, its self-describing list named by OBIS code
    assert dec[-1].raw == bytes.fromhex(gbt["hex"]) and dec[-1].frame.profile_id == "landis-gyr-pushlist"
    assert dec[-1].frame.as_dict() == amsparse.decode_apdu(_input(gbt), keys=_keys(gbt)).as_dict()
    assert isinstance(rej[0].error, amsparse.ReplayError)
    # without keys: each ciphered push is one KeyRequiredError event
    _, events = _stream("", data)
    errs = [type(e.error) for e in events if isinstance(e, amsparse.FrameRejected)]
    assert errs == [amsparse.KeyRequiredError] * 3


def test_stream_gbt_message_equals_the_plain_apdu(impl) -> None:  # type: ignore[no-untyped-def]
    """Encoder-built GBT blocks (ciphered message) over several HDLC frames: the
    stream's one Frame is the plain APDU's, with the first frame's address."""
    plain = bytes.fromhex(RECS["kam-list3-05"]["hex"])
    blocks = E.gbt_blocks(E.ciphered(plain, KEY, TITLE, 3, 0x30, AK), 100)
    frames = [E.encode_frame(blocks[0])] + [E.hdlc_frame(b) for b in blocks[1:]]
    data = b"".join(frames)
    events = _stream("", data, keys=Keys(KEY, AK, TITLE))[1]
    got = [e for e in events if not isinstance(e, amsparse.BytesDiscarded)]
    assert len(got) == 1 and isinstance(got[0], amsparse.FrameDecoded) and got[0].raw == data
    want = amsparse.decode_apdu(plain)
    f = got[0].frame
    assert f._key()[:8] == want._key()[:8] and f._key()[9:15] == want._key()[9:15]
    assert f.address == (0x41, 0x0883, 0x13) and f.security.authenticated


def test_stream_rejects_a_gbt_message_with_a_missing_block_whole() -> None:
    gbt = RECS["lg-other-15"]
    pieces = corpusdata.hdlc_pieces(bytes.fromhex(gbt["hex"]))
    data = b"".join(pieces[:2] + pieces[3:])
    _, events = _stream("", data, keys=_keys(gbt))
    out = [e for e in events if not isinstance(e, amsparse.BytesDiscarded)]
    assert not any(isinstance(e, amsparse.FrameDecoded) for e in out)
    assert any(isinstance(e.error, amsparse.BlockTransferError) for e in out)


# --------------------------------------------------------------------------- CLI

def test_cli_key_options(capsys, tmp_path) -> None:  # type: ignore[no-untyped-def]
    import json as _json

    from amsparse._cli import main

    kam, kfm = RECS["kam-list3-08"], RECS["kam-list3-08"]
    assert main(["decode", kam["hex"], "--key", kam["key_hex"], "--auth-key", kam["auth_key_hex"], "--json"]) == 0
    out = _json.loads(capsys.readouterr().out)
    assert out["security"] == {"system_title": kam["system_title"], "invocation_counter": out["security"]["invocation_counter"],
                               "encrypted": True, "authenticated": True, "security_control": 0x30}
    assert 200 <= out["values"]["voltage_l1"] <= 260
    # no key: the system title the grid company needs, exit status 1
    assert main(["decode", kam["hex"]]) == 1
    err = capsys.readouterr().err
    assert "KeyRequiredError" in err and kam["system_title"] in err
    # a keys file, matched by system title; a raw binary capture goes through the stream decoder
    toml = tmp_path / "keys.toml"
    toml.write_text(
        "[[meter]]\nsystem_title = \"4b414d0000000000\"\nencryption_key = \"" + "00" * 16 + "\"\n"
        f"[[meter]]\nsystem_title = \"{kfm['system_title']}\"\nencryption_key = \"{kfm['key_hex']}\"\n"
        f"authentication_key = \"{kfm['auth_key_hex']}\"\n")
    cap = tmp_path / "capture.bin"
    cap.write_bytes(bytes.fromhex(kam["hex"]) * 2)
    assert main(["decode", str(cap), "--keys", str(toml), "--require-authentication", "--json"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and all(_json.loads(x)["security"]["authenticated"] for x in lines)
    for secret in (kam["key_hex"], kam["auth_key_hex"]):
        assert secret not in "".join(lines)
    # a bad key is an error message, not a traceback, and does not echo the value
    with pytest.raises(SystemExit) as ei:
        main(["decode", kam["hex"], "--key", "abcd"])
    assert ei.value.code == 2 and "abcd" not in capsys.readouterr().err


def _feed_all(dec, data: bytes, step: int = 50):  # type: ignore[no-untyped-def]
    events = []
    for i in range(0, len(data), step):
        events += dec.feed(data[i : i + step])
    return events + dec.flush()


@pytest.mark.parametrize("framing", ["mbus", "auto"])
def test_stream_mbus(framing: str) -> None:
    kfm = RECS["kfm-other-04"]
    one, sag = bytes.fromhex(kfm["hex"]), bytes.fromhex(RECS["sag-encrypted-01"]["hex"])
    ack, short = b"\xe5", b"\x10\x5b\xfe\x59\x16"
    data = ack + short + one + sag + b"noise" + one[:40]
    keys = Keys(kfm["key_hex"], system_title=kfm["system_title"])
    # p1=False: with keys, "auto" (like "hdlc") hands what no frame takes to the
    # ciphered-P1 hunter, which would reject the cut-short frame's DB 08 bytes
    dec = amsparse.StreamDecoder(framing=framing, keys=keys, p1=False)
    events = _feed_all(dec, data)
    kinds = [(type(e).__name__, type(getattr(e, "error", None)).__name__) for e in events]
    assert kinds[:3] == [
        ("BytesDiscarded", "NoneType"),          # ack + short frame: no data
        ("FrameDecoded", "NoneType"),            # decrypted: Kaifa MA309M triples (at-evn-netz-noe)
        ("FrameRejected", "KeyRequiredError"),   # Sagemcom (L = 01 quirk), no key for its title
    ]
    assert {k for k, _ in kinds[3:]} == {"BytesDiscarded"}  # noise, a message cut short at flush
    assert events[0].count == 6 and events[1].raw == one and events[2].raw == sag
    assert dec.bytes_fed == len(data) == dec.bytes_discarded + len(one) + len(sag)
    # a damaged segment rejects the message, and the next one decodes again
    bad = bytearray(sag)
    bad[-3] ^= 0xFF  # the second segment's data
    events = _feed_all(amsparse.StreamDecoder(framing=framing), bytes(bad) + sag)
    errs = [type(e.error).__name__ for e in events if isinstance(e, amsparse.FrameRejected)]
    assert errs[0] == "ChecksumError" and errs[-1] == "KeyRequiredError"


def test_stream_mbus_message_equals_decode_frame(impl) -> None:  # type: ignore[no-untyped-def]
    """An M-Bus message through the stream gives what decode_frame gives (encoder-built, plain)."""
    plain = bytes.fromhex(RECS["kam-list3-05"]["hex"])
    msg = b"".join(E.mbus_frames(LLC + E.ciphered(plain, KEY, TITLE, 9, 0x30, AK), 120))
    keys = Keys(KEY, AK, TITLE)
    events = _feed_all(amsparse.StreamDecoder(framing="mbus", keys=keys, replay_guard=True), msg + msg, 33)
    assert [type(e).__name__ for e in events] == ["FrameDecoded", "FrameRejected"]
    assert events[0].frame == amsparse.decode_frame(msg, keys=keys) and events[0].raw == msg
    assert isinstance(events[1].error, amsparse.ReplayError)


# --------------------------------------------------------------------------- decode_batch

def test_batch_applies_keys(impl) -> None:  # type: ignore[no-untyped-def]
    from amsparse._batch import _decode_batch

    kam = RECS["kam-list3-08"]
    raw = bytes.fromhex(kam["hex"])
    plain = bytes.fromhex(RECS["aid-list2-01"]["hex"])
    keys = Keys(kam["key_hex"], kam["auth_key_hex"], kam["system_title"])
    want = impl.decode_frame(raw, keys=keys)
    for source in ([raw, plain, raw], raw + plain + raw):
        table = _decode_batch(source, None, None, None, impl, keys=keys)
        assert len(table) == 3 and all(table.status[i] == 0 for i in range(3))
        assert table.columns["voltage_l1"][0] == want.value("voltage_l1")
        table = _decode_batch(source, None, None, None, impl)  # no key: rejected rows, never values
        assert [table.status[i] != 0 for i in range(3)] == [True, False, True]
        assert "KeyRequiredError" in table.errors[0]
    with pytest.raises(TypeError):
        amsparse.decode_batch([raw], keys=keys, bogus=1)  # type: ignore[call-arg]


def test_stream_auto_memory_is_bounded() -> None:
    """Noise with no valid frame: 'auto' holds at most PROBE_MAX bytes, then
    reads the stream as HDLC (and discards the noise)."""
    from amsparse._stream import PROBE_MAX

    dec = amsparse.StreamDecoder(framing="auto")
    noise = bytes((i * 37 + 11) & 0xFF for i in range(3 * PROBE_MAX)).replace(b"\x7e", b"\x00").replace(b"\x68", b"\x01")
    for i in range(0, len(noise), 100):
        dec.feed(noise[i : i + 100])
        assert dec.buffered <= 2050 + 517  # one HDLC candidate and one M-Bus candidate at most
    dec.flush()
    assert dec.bytes_discarded == dec.bytes_fed == len(noise)
