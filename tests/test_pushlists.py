"""Self-describing push lists, OBIS/value/scaler triples, value-only lists of
Austrian meters, and profile detection by OBIS codes and structure.

Real captures (tests/corpus, decrypted with the keys their sources published)
are checked against the values the corpus records for them where it has any
(``expected``, asserted by the source's own test), else against physical
bounds; frames built by tests/encoder.py check the naming and scaling rules
with values computed here.  Every case runs on both backends (``impl``) and,
for the captures, compares the two.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402
import encoder as E  # noqa: E402

import amsparse  # noqa: E402
from amsparse import Keys, ObisCode  # noqa: E402

RECS = corpusdata.by_id()
PUSH_CAPTURES = ["kfm-other-04", "isk-other-14", "isk-other-20", "lg-other-01", "lg-other-02", "lg-other-15"]
LLC = b"\xe6\xe7\x00"


def _decode(impl, rid: str):  # type: ignore[no-untyped-def]
    rec = RECS[rid]
    keys = Keys(rec["key_hex"], rec.get("auth_key_hex"))
    data = bytes.fromhex(rec["hex"])
    if rec["framing"] == "hdlc" and len(corpusdata.hdlc_pieces(data)) > 1:  # GBT blocks over several frames
        infos = [corpusdata.hdlc_info(p) for p in corpusdata.hdlc_pieces(data)]
        return impl.decode_apdu(b"".join(i[3:] if i[:3] == LLC else i for i in infos), keys=keys)
    return impl.decode_frame(data, keys=keys)


def test_the_push_captures_are_in_the_corpus() -> None:
    for rid in PUSH_CAPTURES:
        assert RECS[rid]["key_hex"] and RECS[rid]["source"]


@pytest.mark.parametrize("rid", PUSH_CAPTURES)
def test_push_capture_decodes_equal_in_both_backends(both, rid: str) -> None:
    c, p = (_decode(impl, rid) for impl in both)
    assert c == p and c.as_dict() == p.as_dict()
    assert c.security is not None and c.security.system_title == bytes.fromhex(RECS[rid]["system_title"])
    # the same capture again: the compiled core's cached plans give the same frame
    assert _decode(both[0], rid) == c


def _phys(f: amsparse.Frame) -> None:
    """Bounds every reading of a low-voltage meter obeys, whatever its scaling."""
    for r in f.readings:
        if r.name.startswith("voltage_l") and r.value:
            assert 180 <= r.value <= 260, r
        if r.name.startswith("current_l"):
            assert 0 <= r.value < 100, r
        if r.name.startswith("power_factor"):
            assert -1 <= r.value <= 1, r
        if r.name.startswith(("active_power", "reactive_power")):
            assert 0 <= r.value < 50_000, r
        if r.name.startswith(("active_energy", "reactive_energy")):
            assert 0 <= r.value < 10**9, r  # Wh/varh: < 1 GWh


def test_kaifa_ma309_triples_match_the_asserted_values(impl) -> None:
    rec = RECS["kfm-other-04"]
    f = _decode(impl, "kfm-other-04")
    assert f.profile_id == "at-evn-netz-noe" and f.list_name == "evn"
    assert rec["expected"]
    for text, want in rec["expected"].items():
        got = f.value(ObisCode.parse(text))
        assert got == (pytest.approx(want) if isinstance(want, float) else want), text
    # the bare leading value is the meter clock (the header's, per the corpus notes)
    assert f.meter_id == "181220000009"
    assert f.value("meter_time") == f.header_time and f.header_time.isoformat() == "2021-09-27T09:47:15+02:00"
    _phys(f)


def test_iskraemeco_am550_value_only(impl) -> None:
    a, b = _decode(impl, "isk-other-14"), _decode(impl, "isk-other-20")
    for f in (a, b):
        assert f.profile_id == "iskraemeco-am550-at" and f.list_name == "values-12"
        assert f.meter_id == "1121378381199"
        _phys(f)
    # the header clocks are the ones the corpus notes give; 17 days apart
    assert a.header_time.isoformat() == "2024-05-07T21:11:19+02:00"
    assert b.header_time.isoformat() == "2024-05-24T21:50:13+02:00"
    # the meter's own time and date values agree with its header clock
    assert a.value("meter_time_of_day")[:3] == bytes((21, 11, 19))
    assert a.value("meter_date")[:4] == bytes((0x07, 0xE8, 5, 7))
    # registers only grow; by less than a 60 A 3-phase connection could in 17 days
    for name in ("active_energy_import", "active_energy_export", "reactive_energy_import", "reactive_energy_export"):
        assert 0 <= b.value(name) - a.value(name) < 17 * 24 * 41_400, name
    assert a.value("push_setup") == bytes((0, 6, 25, 9, 0, 255))


def test_landis_gyr_e450_value_only(impl) -> None:
    a, b = _decode(impl, "lg-other-01"), _decode(impl, "lg-other-02")
    for f in (a, b):
        assert f.profile_id == "landis-gyr-e450-at" and f.list_name == "values-14"
        assert f.meter_id == "30137181"
        _phys(f)
        assert f["current_l3"].scaler == -2 and f["current_l3"].unit == amsparse.Unit.A
    assert a.value("voltage_l1") == 236 and a.value("current_l3") == pytest.approx(0.26)
    # five seconds apart: the energy registers did not move, the clock did
    assert a.value("active_energy_import") == b.value("active_energy_import")
    assert (b.header_time - a.header_time).total_seconds() == 5


def test_landis_gyr_self_describing_push(impl) -> None:
    f = _decode(impl, "lg-other-15")
    assert f.profile_id == "landis-gyr-pushlist" and f.list_name is None
    assert f.value("logical_device_name") == "LGZ1030769231253"
    assert f.value("meter_time") == f.header_time
    assert f.header_time.isoformat() == "2024-03-13T09:02:45+01:00"  # the corpus notes' header clock
    assert f.value(ObisCode.parse("1-1:1.8.0.255")) == f.value("active_energy_import") > 0
    assert f["power_factor"].raw == 1000 and f.value("power_factor") == 1.0
    assert f["current_l1"].scaler == -2  # no scaler on the wire: the profile's default
    # the push setup (entry 0: its own list; entry 1: its logical name) is not a reading
    assert ObisCode.parse("0-8:25.9.0.255") not in f
    assert len(f) == 16
    _phys(f)


PLAIN_GBT = ["lg-other-03", "lg-other-12", "lg-other-16", "lg-other-17"]


def _stream_frame(rid: str, **kw):  # type: ignore[no-untyped-def]
    dec = amsparse.StreamDecoder(**kw)
    events = dec.feed(bytes.fromhex(RECS[rid]["hex"])) + dec.flush()
    frames = [e.frame for e in events if isinstance(e, amsparse.FrameDecoded)]
    assert len(frames) == 1, events
    return frames[0]


@pytest.mark.parametrize("rid", PLAIN_GBT)
def test_plain_self_describing_captures(rid: str) -> None:
    """Unencrypted L+G GBT pushes (Switzerland): self-describing lists; the ones
    with a logical device name LGZ... get the L+G profile, the others the generic
    table, unscaled, unless the profile is named."""
    f = _stream_frame(rid)
    if rid == "lg-other-17":
        # KNOWN LIMITATION (docs/profiles.md): this E570 sends active power in a finer
        # unit than the W the profile assumes (E450 captures are in W): 258874 against
        # U*I of about 2.75 kVA.  Pinned here so a fix of the scaling updates this test.
        s_va = sum(f.value(f"voltage_l{k}") * f.value(f"current_l{k}") for k in (1, 2, 3))
        assert 80 < f.value("active_power_import") / s_va < 100
        for r in f.readings:
            if r.name != "active_power_import":
                assert r.name.startswith(("logical", "active_energy", "reactive", "active_power", "voltage",
                                          "current")), r
        assert all(180 <= f.value(f"voltage_l{k}") <= 260 for k in (1, 2, 3))
        assert all(0 <= f.value(f"current_l{k}") < 100 for k in (1, 2, 3))
    elif f.value("logical_device_name"):
        assert f.profile_id == "landis-gyr-pushlist" and f.value("logical_device_name").startswith("LGZ")
        _phys(f)
    else:
        assert f.profile_id == "generic"
        g = _stream_frame(rid, profile="landis-gyr-pushlist")
        assert g.profile_id == "landis-gyr-pushlist"
        for k in (1, 2, 3):
            r = g[f"current_l{k}"]
            assert r.scaler == -2 and r.raw == f[f"current_l{k}"].raw and r.value == pytest.approx(r.raw / 100)
        _phys(g)
    assert f.header_time is not None


@pytest.mark.parametrize("rid", ["kam-list3-05", "kam-list3-08"])
def test_kamstrup_omnipower_dk_list(both, rid: str) -> None:
    """The Danish 65-element list: chosen by its element count; per-phase
    energies in 10 Wh like the totals (the phases add up to about the total), power
    factors in 0.01."""
    rec = RECS[rid]
    data = bytes.fromhex(rec["hex"])
    kw = {"keys": Keys(rec["key_hex"], rec.get("auth_key_hex"))} if rec.get("key_hex") else {}
    c, p = (impl.decode_frame(data, **kw) if data[0] == 0x7E else impl.decode_apdu(data, **kw) for impl in both)
    assert c == p and c.profile_id == "kamstrup-omnipower" and c.list_name == "dk"
    f = c
    for d in ("import", "export"):
        total = f.value(f"active_energy_{d}")
        phases = sum(f.value(f"active_energy_{d}_l{k}") for k in (1, 2, 3))
        # the total is balanced over the phases, the phase registers are not: their sum is
        # at least the total (less three 10 Wh roundings) and within 10 % of it
        # here, never 10 times off
        assert total - 30 <= phases <= 1.10 * total + 30, (d, total, phases)
    for k in (1, 2, 3):  # raw 0..100: a power factor only in 0.01
        assert 0 <= f.value(f"power_factor_l{k}") <= 1 and f[f"power_factor_l{k}"].raw > 1
    _phys(f)


# --------------------------------------------------------------------------- encoder-built

CLOCK = E.cosem_datetime(2025, 1, 15, 3, 12, 30, 0, 0, 0x8000, 0)
ENTRIES = [(1, "0-0:42.0.0.255", 2), (8, "0-0:1.0.0.255", 2), (3, "1-0:32.7.0.255", 2),
           (3, "1-0:31.7.0.255", 2), (3, "1-0:31.7.0.255", 3), (40, "0-8:25.9.0.255", 1),
           (3, "1-1:1.8.0.255", 2)]


def _values(ldn: bytes) -> list[bytes]:
    return [E.octet_string(ldn), E.octet_string(CLOCK), E.long_unsigned(2301), E.long_unsigned(1234),
            E.scaler_unit(-3, 33), E.octet_string(bytes((0, 8, 25, 9, 0, 255))), E.long64_unsigned(5_000_000)]


def _apdu(body: bytes) -> bytes:
    return E.data_notification(body, header=CLOCK, header_encoding=E.HEADER_0C)


def test_self_describing_naming_and_wire_scalers(impl) -> None:
    f = impl.decode_apdu(_apdu(E.self_describing(ENTRIES, _values(b"LGZ0001"))))
    assert f.profile_id == "landis-gyr-pushlist"
    assert tuple(r.name for r in f.readings) == ("logical_device_name", "meter_time", "voltage_l1", "current_l1", "active_energy_import")
    assert f.value("voltage_l1") == 2301  # profile default: volts as sent
    # the list's own attribute 3 (scaler_unit) of the current register wins over the profile's -2
    assert f["current_l1"].scaler == -3 and f.value("current_l1") == pytest.approx(1.234)
    assert f.value("active_energy_import") == 5_000_000
    # another maker's logical device name: the generic OBIS table names it, nothing is scaled
    g = impl.decode_apdu(_apdu(E.self_describing(ENTRIES, _values(b"XYZ0001"))))
    assert g.profile_id == "generic" and [r.name for r in g.readings] == [r.name for r in f.readings]
    assert g.value("voltage_l1") == 2301 and g.value("current_l1") == pytest.approx(1.234)


def test_self_describing_shape_checks(both) -> None:
    good = E.self_describing(ENTRIES, _values(b"LGZ0001"))
    lst = E.array([E.push_entry(40, "0-8:25.9.0.255")] + [E.push_entry(c, o, a) for c, o, a in ENTRIES])
    bad_bodies = [
        E.structure([lst] + _values(b"LGZ0001")[:-1]),  # one value short of the list
        E.structure([E.array([E.push_entry(1, "0-8:25.9.0.255")] + [E.push_entry(c, o, a) for c, o, a in ENTRIES])]
                    + _values(b"LGZ0001")),  # entry 0 is not the push setup's list
        E.structure([E.array([E.push_entry(40, "0-8:25.9.0.255")] + [E.structure([E.long_unsigned(1)])] * 7)]
                    + _values(b"LGZ0001")),  # entries are not {class, name, attribute, index}
    ]
    for body in [good] + bad_bodies:
        out = []
        for impl in both:
            try:
                out.append(impl.decode_apdu(_apdu(body)))
            except amsparse.DecodeError as e:
                out.append((type(e), e.args))
        assert out[0] == out[1]
    for body in bad_bodies:  # not self-describing: a value-only list no profile names
        with pytest.raises(amsparse.ProfileMismatchError):
            both[1].decode_apdu(_apdu(body))


def _triples_body(lead: list[bytes], trail: list[bytes], n: int = 11) -> bytes:
    return E.triples(lead, TRIPLES[:n], trail)


TRIPLES = [
        ("1-0:1.8.0.255", E.double_long_unsigned(12937), 0, 30),
        ("1-0:2.8.0.255", E.double_long_unsigned(5), 0, 30),
        ("1-0:1.7.0.255", E.double_long_unsigned(0), 0, 27),
        ("1-0:2.7.0.255", E.double_long_unsigned(0), 0, 27),
        ("1-0:32.7.0.255", E.long_unsigned(2337), -1, 35),
        ("1-0:52.7.0.255", E.long_unsigned(2301), -1, 35),
        ("1-0:72.7.0.255", E.long_unsigned(2299), -1, 35),
        ("1-0:31.7.0.255", E.long_unsigned(123), -2, 33),
        ("1-0:51.7.0.255", E.long_unsigned(0), -2, 33),
        ("1-0:71.7.0.255", E.long_unsigned(7), -2, 33),
        ("1-0:13.7.0.255", E.long_unsigned(998), -3, 255),
]


def test_triples_detection_and_bare_values(impl) -> None:
    body = _triples_body([E.octet_string(CLOCK)], [E.octet_string(b"181220000010")])
    f = impl.decode_apdu(_apdu(body))
    assert f.profile_id == "at-evn-netz-noe" and f.meter_id == "181220000010"
    assert f.value("voltage_l2") == pytest.approx(230.1) and f.value("current_l1") == pytest.approx(1.23)
    assert f.value("power_factor") == pytest.approx(0.998) and f.value("active_energy_import") == 12937
    # deviation unspecified (80 00): local wall time of the profile zone, Vienna (CET in January)
    assert f.value("meter_time").isoformat() == "2025-01-15T12:30:00+01:00"
    # two bare values but no profile for a list of this length: refused, not guessed
    short = E.triples([E.octet_string(CLOCK)], [("1-0:1.8.0.255", E.double_long_unsigned(1), 0, 30),
                                                ("1-0:2.8.0.255", E.double_long_unsigned(2), 0, 30)],
                      [E.octet_string(b"1")])
    with pytest.raises(amsparse.ProfileMismatchError, match="without OBIS codes"):
        impl.decode_apdu(_apdu(short))
    # one leading bare value only (like Kamstrup's version string): the generic table decodes it
    g = impl.decode_apdu(_apdu(E.triples([E.visible_string("V1")], [
        ("1-0:1.8.0.255", E.double_long_unsigned(1), 3, 30), ("1-0:2.8.0.255", E.double_long_unsigned(2), 0, 30)], [])))
    assert g.profile_id == "generic" and g.value("active_energy_import") == 1000 and g.list_version == "V1"
    # an explicit profile whose 35-element list names 2 bare values, given 5: refused
    body = _triples_body([E.octet_string(CLOCK)], [E.octet_string(b"%d" % i) for i in range(4)], 10)
    with pytest.raises(amsparse.ProfileMismatchError, match="names 2 values"):
        impl.decode_apdu(_apdu(body), profile="at-evn-netz-noe")


def test_value_only_detection_is_by_exact_types(impl) -> None:
    vals = [E.long_unsigned(v) for v in (230, 231, 232, 100, 0, 7)] + \
        [E.double_long_unsigned(v) for v in (500, 0, 123456, 0)] + [E.octet_string(b"12345678")]
    f = impl.decode_apdu(_apdu(E.structure(vals)))
    assert f.profile_id == "landis-gyr-e450-at" and f.list_name == "values-11"
    assert f.value("current_l1") == pytest.approx(1.0) and f.value("active_energy_import") == 123456
    # the same count with one value of another type: no profile claims it
    wrong = list(vals)
    wrong[0] = E.double_long_unsigned(230)
    with pytest.raises(amsparse.ProfileMismatchError):
        impl.decode_apdu(_apdu(E.structure(wrong)))
    # Iskraemeco's 12 values need the push setup OBIS code first
    isk = [E.octet_string(bytes((0, 6, 25, 9, 0, 255))), E.octet_string(b"1"), E.octet_string(b"\x01\x02\x03\x00"),
           E.octet_string(b"\x07\xe9\x01\x0f\x03")] + [E.double_long_unsigned(i) for i in range(6)] + \
        [E.octet_string(b""), E.octet_string(b"")]
    assert impl.decode_apdu(_apdu(E.structure(isk))).profile_id == "iskraemeco-am550-at"
    isk[0] = E.octet_string(bytes((0, 0, 25, 9, 0, 255)))
    with pytest.raises(amsparse.ProfileMismatchError):
        impl.decode_apdu(_apdu(E.structure(isk)))


# --------------------------------------------------------------------------- APDU tags

@pytest.mark.parametrize(("tag", "name"), [(0xDD, "general-ciphering"), (0xDF, "general-signing"),
                                           (0xD8, "exception-response")])
def test_unsupported_apdu_tags_are_named_by_dlms(both, tag: int, name: str) -> None:
    """0xDF is general-signing and 0xDD general-ciphering (IEC 62056-5-3 APDU
    tags; 0xDC is general-ded-ciphering, which both backends decrypt)."""
    apdu = bytes((tag,)) + bytes(20)
    out = []
    for impl in both:
        for data in (apdu, LLC + apdu):
            with pytest.raises(amsparse.UnsupportedApduError) as ei:
                impl.decode_apdu(data)
            assert name in str(ei.value) and "ded-ciphering" not in str(ei.value)
            out.append((type(ei.value), ei.value.args, ei.value.tag))
        frame = E.encode_frame(apdu)
        with pytest.raises(amsparse.UnsupportedApduError, match=name):
            impl.decode_frame(frame)
    assert out[:2] == out[2:]


# --------------------------------------------------------------------------- profile schema

@pytest.mark.parametrize(("patch", "key"), [
    ({"lists": [{"name": "a", "elements": 2, "fields": ["x", "y"], "types": ["u16", "u17"]}]}, "lists[0].types[1]"),
    ({"lists": [{"name": "a", "elements": 2, "fields": ["x", "y"], "types": ["u16"]}]}, "lists[0].types"),
    ({"detect": {"first_value_obis": "1-0:1.8"}}, "detect.first_value_obis"),
    ({"detect": {"logical_device_name": "LGZ"}}, "detect.logical_device_name"),
    ({"layout": "obis", "lists": [{"name": "a", "elements": 2, "fields": ["y"]}]}, "lists[0].fields[0]"),
])
def test_profile_schema_for_detection(patch: dict, key: str) -> None:
    base = {"schema": 1, "id": "t", "vendor": "v", "layout": "positional",
            "lists": [{"name": "a", "elements": 2, "fields": ["x", "y"]}],
            "objects": {"x": {"obis": "1-0:1.8.0.255"}, "y": {}}}
    with pytest.raises(amsparse.ProfileError) as ei:
        amsparse.compile_profile({**base, **patch}, "t.toml")
    assert key in str(ei.value)
