"""Every HDLC, M-Bus and payload-only capture of tests/corpus/frames.jsonl, and
the value-only / named-structure lists of issue 13.

* The walk: each record decodes (with its published key where it has one), or
  raises KeyRequiredError (encrypted, no key published), or is a negative case
  its own notes describe (a deliberately altered checksum, an incomplete
  block transfer or HDLC segment sequence, a vendor encoding amsparse does not
  read), with that error class.  Both backends give the same result.
* The lists: values against the record's asserted ``expected`` values where its
  source asserted any, else independent checks (voltages 180-260 V, a register
  total equal to the sum of its tariff registers, registers that do not fall
  between two captures of one meter, the header clock equal to the meter
  clock), and the profile each detection names.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import corpusdata
import pytest

import amsparse
from amsparse import ProfileMismatchError
from amsparse._batch import _decode_batch
from amsparse._errors import (
    ApduError,
    BlockTransferError,
    ChecksumError,
    DecodeError,
    KeyRequiredError,
    SegmentedFrameError,
)

RECORDS = [r for r in corpusdata.records() if r.get("framing") in ("hdlc", "mbus", "other")]
BY_ID = {r["id"]: r for r in RECORDS}


def _keys(r: dict[str, Any]) -> Any:
    if not r.get("key_hex"):
        return None
    return amsparse.Keys(r["key_hex"], authentication_key=r.get("auth_key_hex"))


def _expected_error(r: dict[str, Any]) -> type[DecodeError] | None:
    """The error class the record's own fields and notes call for, or None."""
    notes = r.get("notes", "")
    if r.get("marked_corrupt"):
        return ChecksumError
    if "the final block(s) are missing" in notes:
        return BlockTransferError            # lg-other-05: incomplete GBT message
    if "the continuation frame is not published" in notes:
        return SegmentedFrameError           # isk-other-01: first HDLC segment only
    if r.get("encrypted") and not r.get("key_hex"):
        return KeyRequiredError
    if "ciphertext has been replaced by the decrypted plaintext" in notes:
        return KeyRequiredError              # kfm-other-01: a ciphering header, no key
    return None


def _walk(impl: Any, r: dict[str, Any]) -> tuple[str, Any]:
    data = bytes.fromhex(r["hex"])
    keys = _keys(r)
    try:
        if r["framing"] == "other":
            f = impl.decode_apdu(data, keys=keys)
            return "ok", (f.profile_id, f.values())
        if r.get("marked_corrupt"):
            # one frame; in a capture a bad header checksum is skipped as noise
            f = impl.decode_frame(data, keys=keys)
            return "ok", ([f.profile_id], 1)
        table = _decode_batch(data, None, None, None, impl, keys=keys, framing="auto")
    except DecodeError as e:
        return "error", type(e)
    if table.rejected:
        err = next(iter(table.errors.values()))
        return "error", err.split(":", 1)[0]
    return "ok", (table.profile_id, len(table))


@pytest.mark.parametrize("fid", [r["id"] for r in RECORDS])
def test_every_capture_decodes_or_fails_as_its_notes_say(both: Any, fid: str) -> None:
    r = BY_ID[fid]
    c, py = both
    got = _walk(c, r)
    assert got == _walk(py, r)
    want = _expected_error(r)
    if want is None:
        assert got[0] == "ok", f"{fid}: {got}"
        if r["framing"] != "other":
            assert got[1][1] >= 1 and None not in got[1][0]
    else:
        name = got[1] if isinstance(got[1], str) else got[1].__name__
        assert got[0] == "error" and name == want.__name__, f"{fid}: {got}"


def test_walk_covers_every_kind() -> None:
    kinds = {(r["framing"], _expected_error(r)) for r in RECORDS}
    for k in [("hdlc", None), ("mbus", None), ("other", None), ("hdlc", ChecksumError),
              ("hdlc", KeyRequiredError), ("mbus", KeyRequiredError), ("hdlc", BlockTransferError),
              ("hdlc", SegmentedFrameError)]:
        assert k in kinds


# --------------------------------------------------------------------------- lists

def _frame(impl: Any, fid: str) -> amsparse.Frame:
    r = BY_ID[fid]
    data = bytes.fromhex(r["hex"])
    if r["framing"] == "other":
        return impl.decode_apdu(data)  # type: ignore[no-any-return]
    return impl.decode_frame(data)  # type: ignore[no-any-return]


PROFILE = {
    "isk-other-04": ("iskraemeco-am550-si", "values-18"),
    "isk-other-06": ("iskraemeco-am550-si", "values-18"),
    "isk-other-09": ("iskraemeco-am550-si", "values-18"),
    "isk-other-11": ("iskraemeco-am550-si", "values-12"),
    "isk-other-25": ("iskraemeco-am550-si", "values-9"),
    "isk-other-28": ("iskraemeco-am550-si", "values-10"),
    "isk-other-05": ("iskraemeco-am550-si-energy", "energy-12"),
    "isk-other-07": ("iskraemeco-am550-si-energy", "energy-12"),
    "isk-other-30": ("iskraemeco-am550-si-energy", "energy-12"),
    "isk-other-23": ("iskraemeco-am550-si-energy", "energy-4"),
    "isk-other-27": ("iskraemeco-am550-si-energy", "energy-4"),
    "isk-other-02": ("iskraemeco-ie5-hr", "values-33"),
    # the EVN / Netz NOe list is the same for Kaifa and Sagemcom: a neutral id
    "sag-other-01": ("at-evn-netz-noe", "evn"),
    # Kamstrup's Omnipower list is the same in Denmark and Switzerland
    "kam-list3-05": ("kamstrup-omnipower", "dk"),
    # named in place: the generic OBIS table reads them
    "kfm-other-02": ("generic", None),
    "kfm-other-05": ("generic", None),
    "ener-other-01": ("generic", None),
    # bare {class id, OBIS, attribute} descriptors, rewritten by _compact
    "sag-other-02": ("sagemcom-xt211-cz", "xt211"),
}


@pytest.mark.parametrize("fid", sorted(PROFILE))
def test_profile_detected(impl: Any, fid: str) -> None:
    f = _frame(impl, fid)
    assert (f.profile_id, f.list_name) == PROFILE[fid]


def test_evn_list_by_mbus_with_key(impl: Any) -> None:
    r = BY_ID["kfm-other-04"]
    t = _decode_batch(bytes.fromhex(r["hex"]), None, None, None, impl, keys=_keys(r), framing="mbus")
    assert t.rejected == 0 and t.profile_id == ["at-evn-netz-noe"]


# amsreader's golden names (its units: W, V, A) -> our reading names
AMSREADER = {
    "active_import_w": "active_power_import", "active_export_w": "active_power_export",
    "l1_voltage_v": "voltage_l1", "l2_voltage_v": "voltage_l2", "l3_voltage_v": "voltage_l3",
    "l1_current_a": "current_l1", "l2_current_a": "current_l2", "l3_current_a": "current_l3",
}


@pytest.mark.parametrize("fid", ["isk-other-04", "isk-other-06", "isk-other-09", "isk-other-11",
                                 "isk-other-25", "isk-other-28", "kfm-other-02", "sag-other-01"])
def test_values_as_amsreader_asserted(impl: Any, fid: str) -> None:
    exp = BY_ID[fid]["expected"]
    v = _frame(impl, fid).values()
    n = 0
    for key, name in AMSREADER.items():
        if name in v:
            assert v[name] == pytest.approx(exp[key]), (fid, name)
            n += 1
        else:  # the list has no such value; amsreader prints 0 for it
            assert exp[key] == 0, (fid, key)
    assert n >= 3
    if exp.get("active_import_kwh"):
        assert v["active_energy_import"] / 1000 == pytest.approx(exp["active_import_kwh"])
    if exp.get("meter_id") and "meter_id" in v:
        assert v["meter_id"] == exp["meter_id"]


def test_kfm_other_05_as_dlms_parser_asserted(impl: Any) -> None:
    exp = BY_ID["kfm-other-05"]["expected"]
    f = _frame(impl, "kfm-other-05")
    by_obis = {str(r.obis): r.value for r in f.readings if r.obis is not None}
    assert len(exp) == 14
    for code, value in exp.items():
        got = by_obis[code]
        assert got == (pytest.approx(value) if isinstance(value, float) else value), code


def test_sag_other_02_as_dlms_parser_asserted(impl: Any) -> None:
    """Sagemcom XT211 (CZ): every value the source asserts, by OBIS code."""
    exp = BY_ID["sag-other-02"]["expected"]
    f = _frame(impl, "sag-other-02")
    by_obis = {str(r.obis): r.value for r in f.readings if r.obis is not None}
    assert len(exp) == 22 and len(f.readings) == 22
    for code, value in exp.items():
        got = by_obis[code]
        assert type(got) is type(value) if isinstance(value, str) else isinstance(got, int), code
        assert got == value, code
    assert f.values()["tariff"] == "T2" and f.values()["active_energy_import"] == 4913794


def _xt211_error(impl: Any, data: bytes) -> tuple[str, int | None]:
    with pytest.raises(ApduError) as e:
        impl.decode_apdu(data)
    return str(e.value), e.value.offset


def test_sag_other_02_altered_keeps_the_a_xdr_error(both: Any) -> None:
    """A body that is not exactly the XT211 shape raises the A-XDR reader's own
    error (message and offset), in both backends."""
    data = bytes.fromhex(BY_ID["sag-other-02"]["hex"])
    bare = ("unknown or unsupported A-XDR tag 0x60", 18)  # 3rd byte of the first bare OBIS
    i = data.index(bytes.fromhex("020200030100010800ff"))  # the 1-0:1.8.0.255 entry
    for bad in [
        data[:-1],                                   # last value truncated
        data + b"\x00",                             # a byte after the last value
        data[:i] + data[i + 1 :],                    # an entry without its 02 02 header
        data[:i + 11] + b"\x02" + data[i + 12 :],   # a structure as an entry value
        data[:11] + b"\x17" + data[12:],             # 23 entries announced, 22 sent
    ]:
        for impl in both:
            assert _xt211_error(impl, bad) == bare, bad.hex()
    short = data[:6] + bytes.fromhex("020216010116")  # the header of the shape, no entries
    assert _xt211_error(both[0], short) == _xt211_error(both[1], short)
    assert _xt211_error(both[0], short)[0].startswith("22 elements announced")


def test_voltages_plausible(impl: Any) -> None:
    seen = 0
    for fid in PROFILE:
        for name, value in _frame(impl, fid).values().items():
            if name.startswith("voltage_l"):
                assert 180 <= value <= 260, (fid, name, value)
                seen += 1
    assert seen >= 20


@pytest.mark.parametrize("fid,groups", [
    ("isk-other-05", [("active_energy_import", "_t1", "_t2"), ("active_energy_export", "_t1", "_t2")]),
    ("isk-other-07", [("active_energy_import", "_t1", "_t2"), ("active_energy_export", "_t1", "_t2")]),
    ("isk-other-30", [("active_energy_import", "_t1", "_t2"), ("active_energy_export", "_t1", "_t2")]),
    ("isk-other-02", [("active_energy_import", "_t1", "_t2"), ("active_energy_export", "_t1", "_t2")]),
])
def test_register_total_is_sum_of_tariffs(impl: Any, fid: str, groups: list[tuple[str, str, str]]) -> None:
    v = _frame(impl, fid).values()
    for total, a, b in groups:
        assert v[total] == v[total + a] + v[total + b] > 0


def test_registers_do_not_fall_between_captures(impl: Any) -> None:
    # isk-other-05 and -07: one meter (same logical device name), -07 later
    a, b = _frame(impl, "isk-other-05"), _frame(impl, "isk-other-07")
    assert a.values()["logical_device_name"] == b.values()["logical_device_name"]
    assert a.timestamp < b.timestamp
    regs = [n for n in a.values() if "energy" in n]
    assert len(regs) == 8
    for n in regs:
        assert b.values()[n] >= a.values()[n], n


def test_per_phase_powers_add_up(impl: Any) -> None:
    for fid in ("isk-other-04", "isk-other-06", "isk-other-09", "isk-other-02"):
        v = _frame(impl, fid).values()
        phases = sum(v[f"active_power_import_l{k}"] for k in (1, 2, 3))
        assert abs(phases - v["active_power_import"]) <= 2, fid


def test_header_clock_equals_meter_clock(impl: Any) -> None:
    f = _frame(impl, "isk-other-02")  # time of day and date as octet strings
    v = f.values()
    hh, mm, ss, _ = v["meter_time_of_day"]
    date = v["meter_date"]
    year = int.from_bytes(date[:2], "big")
    assert f.timestamp.replace(tzinfo=None) == dt.datetime(year, date[2], date[3], hh, mm, ss)
    for fid in ("kfm-other-05", "kfm-other-02", "sag-other-01"):
        g = _frame(impl, fid)
        assert g.meter_time is not None and g.meter_time == HEADER[fid], fid


# the header clocks the corpus notes give (local time, deviation in minutes)
HEADER = {
    "kfm-other-05": dt.datetime(2022, 11, 12, 16, 54, tzinfo=dt.timezone(dt.timedelta(hours=1))),
    "kfm-other-02": dt.datetime(2023, 4, 25, 10, 59, 30, tzinfo=dt.timezone(dt.timedelta(hours=2))),
    "sag-other-01": dt.datetime(2024, 11, 15, 14, 45, 45, tzinfo=dt.timezone(dt.timedelta(hours=1))),
}


# --------------------------------------------------------------------------- unclaimed lists

def _retagged(fid: str, old: bytes, new: bytes) -> bytes:
    data = bytes.fromhex(BY_ID[fid]["hex"])
    assert data.count(old) == 1 and len(old) == len(new)
    return data.replace(old, new)


def test_value_only_list_no_rule_claims_is_a_mismatch(impl: Any) -> None:
    # isk-other-27 with its meter number made letters: the types still fit the
    # 4-value energy list, the first-value rule does not: nothing claims it
    data = _retagged("isk-other-27", b"77478586", b"ABCDEFGH")
    with pytest.raises(ProfileMismatchError):
        impl.decode_apdu(data)
    # isk-other-28 (ISK name, 10 values) with one u32 sent as i32: no list has
    # those types
    data = _retagged("isk-other-28", bytes.fromhex("060000011a"), bytes.fromhex("050000011a"))
    with pytest.raises(ProfileMismatchError):
        impl.decode_apdu(data)


def test_named_values_nobody_profiles_fall_back_to_generic(impl: Any) -> None:
    f = _frame(impl, "ener-other-01")
    assert f.profile_id == "generic"
    assert f.values()["logical_device_name"] == "EMR0222173608710"
    assert f.values()["obis_0_0_97_98_10_255"] == 65535
