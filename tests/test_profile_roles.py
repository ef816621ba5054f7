"""Profile roles (docs/profiles.md "Roles"): list_version, meter_id, meter_type and
meter_time are given to profile fields, not found by reading name.  A user profile
that gives them to fields with other names (and the name ``meter_id`` to a field
with another role) decodes with the right Frame attributes on both backends, in
decode_frame, StreamDecoder and decode_batch tables; schema errors are
ProfileErrors naming the profile and key."""

from __future__ import annotations

import copy
import datetime as dt
import sys
import zoneinfo
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))
import corpusdata  # noqa: E402

import amsparse  # noqa: E402
from amsparse import ProfileError, _select  # noqa: E402
from amsparse._builtin_profiles import PROFILES  # noqa: E402
from amsparse._decoder import decoder_class  # noqa: E402
from amsparse._profiles import ProfileSet, builtin_profiles, compile_profile  # noqa: E402
from amsparse._stream import FrameDecoded  # noqa: E402

REC = "kam-list3-02"  # Kamstrup_V0001 hourly list: version, meter id, meter type, clock


def _kamstrup() -> dict[str, Any]:
    return copy.deepcopy(next(d for path, d in PROFILES if d["id"] == "kamstrup-v0001"))


def _renamed() -> dict[str, Any]:
    """kamstrup-v0001 with the role fields renamed; the name "meter_id" now
    belongs to the meter *type* field, "meter_time" to nothing."""
    d = _kamstrup()
    d["id"] = "user-kamstrup-roles"
    objs = d["objects"]
    new = {}
    for name, spec in objs.items():
        spec = dict(spec)
        if name == "list_version":
            name, spec["role"] = "version_text", "list_version"
        elif name == "meter_id":
            name, spec["role"] = "gs1_number", "meter_id"
        elif name == "meter_type":
            name, spec["role"] = "meter_id", "meter_type"
        elif name == "meter_time":
            name, spec["role"] = "clock", "meter_time"
        new[name] = spec
    d["objects"] = new
    return d


def _profiles() -> ProfileSet:
    return ProfileSet([compile_profile(_renamed(), "<test>/roles.toml"), *builtin_profiles()])


def _want() -> tuple[bytes, str, str, tuple[int, ...]]:
    """The frame, its meter id (the corpus record's source), its meter type and
    clock wall time (read from the frame's bytes here, not by amsparse)."""
    rec = corpusdata.by_id()[REC]
    raw = bytes.fromhex(rec["hex"])
    at = raw.index(bytes.fromhex("09060101600101ff0a"))  # 1-1:96.1.1.255, visible-string
    n = raw[at + 9]
    meter_type = raw[at + 10:at + 10 + n].decode("ascii")
    at = raw.index(bytes.fromhex("09060001010000ff090c"))  # 0-1:1.0.0.255, octet-string(12)
    c = raw[at + 10:at + 22]
    wall = (int.from_bytes(c[0:2], "big"), c[2], c[3], c[5], c[6], c[7])
    return raw, rec["expected"]["meter_id"], meter_type, wall


def _check(f: Any, meter_id: str, meter_type: str, wall: tuple[int, ...]) -> None:
    assert f.profile_id == "user-kamstrup-roles"
    assert f.list_version == "Kamstrup_V0001"
    assert f.meter_id == meter_id
    assert f.meter_type == meter_type
    assert f.value("meter_id") == meter_type  # the name says nothing, the role decides
    assert f.value("gs1_number") == meter_id
    t = f.meter_time
    assert t is not None and t == f.value("clock")
    local = t.astimezone(zoneinfo.ZoneInfo("Europe/Oslo"))  # November: standard time is local time
    assert (local.year, local.month, local.day, local.hour, local.minute, local.second) == wall
    assert "meter_time" not in f


def test_roles_compiled() -> None:
    p = compile_profile(_renamed(), "<test>")
    assert {r: p.names[i] for r, i in p.roles.items()} == {
        "list_version": "version_text", "meter_id": "gs1_number",
        "meter_type": "meter_id", "meter_time": "clock",
    }
    assert p.role_at[p.names.index("meter_id")] == "meter_type"
    # a profile that declares no role: each goes to the field of its name
    k = compile_profile(_kamstrup(), "<test>")
    assert {r: k.names[i] for r, i in k.roles.items()} == {
        "list_version": "list_version", "meter_id": "meter_id",
        "meter_type": "meter_type", "meter_time": "meter_time",
    }


def test_decode_frame(impl: Any) -> None:
    raw, meter_id, meter_type, wall = _want()
    d = decoder_class(impl)(_profiles())
    for _ in range(3):  # the first decode builds the plan, the later ones reuse it
        _check(d.decode_frame(raw), meter_id, meter_type, wall)


def test_backends_agree_and_pickle(both: Any) -> None:
    import pickle

    raw = _want()[0]
    c, py = both
    fc = decoder_class(c)(_profiles()).decode_frame(raw)
    fp = decoder_class(py)(_profiles()).decode_frame(raw)
    assert fc == fp
    g = pickle.loads(pickle.dumps(fc))
    assert g == fc and g.meter_time == fc.meter_time is not None


def test_stream(impl: Any) -> None:
    raw, meter_id, meter_type, wall = _want()
    d = decoder_class(impl)(_profiles())
    s = d.stream()
    events = [e for chunk in (raw[:40], raw[40:] + raw, raw) for e in s.feed(chunk)]
    frames = [e.frame for e in events if isinstance(e, FrameDecoded)]
    assert len(frames) == 3
    for f in frames:
        _check(f, meter_id, meter_type, wall)


def test_batch(impl: Any) -> None:
    _check_table(impl, decoder_class(impl)(_profiles()).decode_batch(_want()[0] * 40), 40)


def test_batch_threads() -> None:  # the selected backend's segments decoded without the GIL
    n = 8000  # 2.4 MB: past the first window, segments of >= 256 KiB per thread
    _check_table(_select.impl, amsparse.decode_batch(_want()[0] * n, _profiles(), threads=2), n)


def _check_table(impl: Any, t: Any, n: int) -> None:
    raw, meter_id, meter_type, wall = _want()
    frame = decoder_class(impl)(_profiles()).decode_frame(raw)
    assert len(t) == n
    assert t.meter_id == [meter_id] * n
    assert t.meter_type == [meter_type] * n
    assert t.list_version == ["Kamstrup_V0001"] * n
    assert frame.meter_time is not None
    us = (frame.meter_time - dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)) // dt.timedelta(microseconds=1)
    assert list(t.meter_time) == [us] * n


@pytest.mark.parametrize(
    ("edit", "key", "message"),
    [
        (lambda o: o["meter_id"].update(role="serial"), "objects.meter_id.role", "unknown role"),
        (lambda o: (o["meter_id"].update(role="meter_id"), o["meter_type"].update(role="meter_id")),
         "objects.meter_type.role", "already given to 'meter_id'"),
        (lambda o: o["active_power_import"].update(role="meter_time"),
         "objects.active_power_import.role", "needs a field of type 'datetime'"),
        (lambda o: o["meter_time"].update(role="meter_id"), "objects.meter_time.role",
         "needs a field of type 'string'"),
        (lambda o: o["meter_id"].update(role=1), "objects.meter_id.role", "must be str"),
    ],
)
def test_schema_errors(edit: Any, key: str, message: str) -> None:
    d = _kamstrup()
    edit(d["objects"])
    with pytest.raises(ProfileError) as e:
        compile_profile(d, "<test>/bad.toml")
    assert e.value.source == "<test>/bad.toml"
    assert e.value.key == key
    assert message in str(e.value)


def test_declared_role_wins_over_a_field_name() -> None:
    d = _kamstrup()
    d["objects"]["meter_type"]["role"] = "meter_id"  # the field named meter_id keeps no role
    p = compile_profile(d, "<test>")
    assert p.roles["meter_id"] == p.names.index("meter_type")
    assert "meter_type" not in p.roles  # its field of that name already has a role
    assert p.role_at[p.names.index("meter_id")] is None


def test_generic_needs_a_list_version_role() -> None:
    d = copy.deepcopy(next(d for path, d in PROFILES if d["id"] == "generic"))
    spec = dict(d["objects"].pop("list_version"))
    spec.pop("role", None)
    d["objects"]["version_string"] = spec  # no field has the role, none has its name
    with pytest.raises(ProfileError, match="list_version role"):
        compile_profile(d, "<test>/generic.toml")
    spec["role"] = "list_version"
    p = compile_profile(d, "<test>/generic.toml")
    assert p.names[p.roles["list_version"]] == "version_string"
