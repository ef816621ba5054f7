"""Vendor profiles: shipped set, generated module drift, user profiles, errors."""

from __future__ import annotations

import importlib.util
import json
import textwrap
from pathlib import Path

import corpusdata
import pytest

import amsparse
from amsparse import ObisCode, ProfileError, Unit, builtin_profiles, load_profiles
from amsparse._profiles import (
    CLOCK_DEVIATION,
    CLOCK_LOCAL,
    CLOCK_STANDARD,
    LAYOUT_OBIS,
    LAYOUT_POSITIONAL,
    LAYOUT_PUSHLIST,
)


def _toml():  # type: ignore[no-untyped-def]
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10: the test extra installs tomli
        import tomli as tomllib  # type: ignore[no-redef]
    return tomllib

ROOT = Path(__file__).resolve().parent.parent
FRAMES = corpusdata.by_id()


def _bytes(fid: str) -> bytes:
    return bytes.fromhex(FRAMES[fid]["hex"])


SHIPPED = {
    "aidon-v0001": ("Aidon", LAYOUT_OBIS, CLOCK_LOCAL, "Europe/Oslo"),
    "aidon-se": ("Aidon", LAYOUT_OBIS, CLOCK_LOCAL, "Europe/Stockholm"),
    "no-han-list1": ("Aidon or Landis+Gyr", LAYOUT_OBIS, CLOCK_LOCAL, "Europe/Oslo"),
    "kaifa-kfm001": ("Kaifa", LAYOUT_POSITIONAL, CLOCK_DEVIATION, "Europe/Oslo"),
    "kaifa-kfm001-se": ("Kaifa", LAYOUT_OBIS, CLOCK_DEVIATION, "Europe/Stockholm"),
    "kamstrup-v0001": ("Kamstrup", LAYOUT_OBIS, CLOCK_STANDARD, "Europe/Oslo"),
    "kamstrup-v0001-se": ("Kamstrup", LAYOUT_OBIS, CLOCK_STANDARD, "Europe/Stockholm"),
    "landis-gyr-embriq-v1-1": ("Landis+Gyr", LAYOUT_OBIS, CLOCK_LOCAL, "Europe/Oslo"),
    "kamstrup-omnipower": ("Kamstrup", LAYOUT_OBIS, CLOCK_STANDARD, "Europe/Copenhagen"),
    "landis-gyr-pushlist": ("Landis+Gyr", LAYOUT_PUSHLIST, CLOCK_DEVIATION, "Europe/Zurich"),
    "landis-gyr-e450-at": ("Landis+Gyr", LAYOUT_POSITIONAL, CLOCK_DEVIATION, "Europe/Vienna"),
    "at-evn-netz-noe": ("Kaifa/Sagemcom", LAYOUT_OBIS, CLOCK_DEVIATION, "Europe/Vienna"),
    "iskraemeco-am550-at": ("Iskraemeco", LAYOUT_POSITIONAL, CLOCK_DEVIATION, "Europe/Vienna"),
    "iskraemeco-am550-si": ("Iskraemeco", LAYOUT_POSITIONAL, CLOCK_DEVIATION, "Europe/Ljubljana"),
    "iskraemeco-am550-si-energy": ("Iskraemeco", LAYOUT_POSITIONAL, CLOCK_DEVIATION, "Europe/Ljubljana"),
    "iskraemeco-ie5-hr": ("Iskraemeco", LAYOUT_POSITIONAL, CLOCK_DEVIATION, "Europe/Zagreb"),
    "sagemcom-xt211-cz": ("Sagemcom", LAYOUT_OBIS, CLOCK_DEVIATION, "Europe/Prague"),
}


# --------------------------------------------------------------------------- shipped

def test_builtin_profiles_load() -> None:
    ps = builtin_profiles()
    assert isinstance(ps, amsparse.ProfileSet)
    assert {p.id for p in ps} == set(SHIPPED)
    assert len(ps) == len(SHIPPED)
    assert ps.generic.id == "generic"
    assert ps["generic"] is ps.generic
    for pid, (vendor, layout, clock, tz) in SHIPPED.items():
        p = ps[pid]
        assert isinstance(p, amsparse.CompiledProfile)
        assert (p.vendor, p.layout, p.clock_policy, p.timezone) == (vendor, layout, clock, tz)
        assert p.source.startswith("<builtin>/")
        assert len(p.names) == len(p.obis) == len(p.units) == len(p.scalers) == len(p.kinds)
    assert builtin_profiles() is ps  # cached


def test_builtin_profile_tables() -> None:
    ps = builtin_profiles()
    kam = ps["kamstrup-v0001"]
    i = kam.field_index("active_energy_import")
    assert kam.obis[i] == ObisCode.parse("1-1:1.8.0.255").to_int()
    assert kam.scalers[i] == 1 and kam.units[i] == Unit.WH
    assert ps["kamstrup-v0001-se"].scalers[ps["kamstrup-v0001-se"].field_index("active_energy_import")] == 0
    assert sorted(kam.lists) == [11, 15, 17, 25, 27, 35]
    kfm = ps["kaifa-kfm001"]
    assert kfm.lists[1][0] == "list1"
    name, fields = kfm.lists[13]
    assert name == "list2-3p"
    assert [kfm.names[j] for j in fields][7:10] == ["current_l1", "current_l2", "current_l3"]
    assert kfm.scalers[kfm.field_index("current_l1")] == -3
    assert kfm.scalers[kfm.field_index("voltage_l1")] == -1
    assert ps.by_version["KFM_001"][0].id in {"kaifa-kfm001", "kaifa-kfm001-se"}
    # -se never auto; the Danish list by its element count (65), after the Norwegian profile
    assert [p.id for p in ps.by_version["Kamstrup_V0001"]] == ["kamstrup-v0001", "kamstrup-omnipower"]


def _load_generator():  # type: ignore[no-untyped-def]
    path = ROOT / "tools" / "gen_builtin_profiles.py"
    spec = importlib.util.spec_from_file_location("_gen_builtin_profiles", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_generated_module_matches_vendor_profiles() -> None:
    """Drift test: _builtin_profiles.py must be what the tool renders from vendor_profiles/."""
    gen = _load_generator()
    rendered = gen.render(ROOT / "vendor_profiles")
    current = (ROOT / "src" / "amsparse" / "_builtin_profiles.py").read_text(encoding="utf-8")
    assert current == rendered, "run: python tools/gen_builtin_profiles.py"
    from amsparse._builtin_profiles import P1_PROFILES, PROFILES

    tomls = sorted(p.relative_to(ROOT / "vendor_profiles").as_posix()
                   for p in (ROOT / "vendor_profiles").rglob("*.toml"))
    assert [path for path, _ in PROFILES] == [t for t in tomls if not t.startswith("p1/")]
    assert [path for path, _ in P1_PROFILES] == [t for t in tomls if t.startswith("p1/")]


def test_every_vendor_toml_compiles() -> None:
    tomllib = _toml()

    for path in sorted((ROOT / "vendor_profiles").rglob("*.toml")):
        if path.parent.name == "p1":  # P1 telegram profiles: tests/test_p1.py
            continue
        p = amsparse.compile_profile(tomllib.loads(path.read_text(encoding="utf-8")), str(path))
        assert p.id


# --------------------------------------------------------------------------- user profiles

KAM_OVERRIDE = """
schema = 1
id = "my-kamstrup"
vendor = "Kamstrup"
layout = "obis"
list_versions = ["Kamstrup_V0001"]
timezone = "UTC"
[clock]
policy = "deviation"
[[lists]]
name = "ten-second"
elements = 25
[objects]
list_version = { obis = "1-1:0.2.129.255", type = "string" }
meter_id = { obis = "1-1:0.0.5.255", type = "string" }
meter_type = { obis = "1-1:96.1.1.255", type = "string" }
p_in = { obis = "1-1:1.7.0.255", unit = "W", scaler = -3 }
u1 = { obis = "1-1:32.7.0.255", unit = "V" }
"""


def _write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def test_user_profile_takes_precedence(impl, tmp_path: Path) -> None:
    _write(tmp_path / "profiles", "mine/kam.toml", KAM_OVERRIDE)
    ps = load_profiles(tmp_path / "profiles")
    assert ps.profiles[0].id == "my-kamstrup"
    assert "kamstrup-v0001" in ps.by_id  # built-ins still there, after
    f = impl.decode_frame(_bytes("kam-list2-01"), ps)
    assert f.profile_id == "my-kamstrup"
    assert f.list_name == "ten-second"
    d = f.as_dict()
    assert d["p_in"] == pytest.approx(6.265)  # 0x1879 = 6265, user scaler -3
    assert d["u1"] == 232
    assert f["p_in"].scaler == -3 and f["p_in"].unit is Unit.W
    assert "active_power_import" not in d
    # objects the user profile does not name fall back to the generic OBIS table (C.D.E match)
    assert d["current_l1"] == 1165
    # timezone UTC + deviation policy: header 2021-11-24 11:06:30, deviation unspecified
    assert f.header_time.utcoffset().total_seconds() == 0
    assert f.header_time.hour == 11
    # the built-in set alone is unaffected
    assert impl.decode_frame(_bytes("kam-list2-01")).profile_id == "kamstrup-v0001"


def test_load_profiles_without_builtins(tmp_path: Path) -> None:
    path = _write(tmp_path, "kam.toml", KAM_OVERRIDE)
    ps = load_profiles(path, include_builtin=False)
    assert [p.id for p in ps] == ["my-kamstrup"]
    assert ps.generic.id == "generic"


def _crc_x25(data: bytes) -> int:
    """CRC-16/X.25 written out here, independent of amsparse.fcs16."""
    crc = 0xFFFF
    for b in data:
        crc ^= b
        for _ in range(8):
            crc = (crc >> 1) ^ 0x8408 if crc & 1 else crc >> 1
    return crc ^ 0xFFFF


def test_crc_helper_check_value() -> None:
    assert _crc_x25(b"123456789") == 0x906E
    data = _bytes("kfm-list2-02")
    assert _crc_x25(data[1:-3]) == data[-3] | (data[-2] << 8)


def _kaifa_with_version(version: bytes) -> bytes:
    """kfm-list2-02 with its 7-byte list version replaced and the FCS redone."""
    data = bytearray(_bytes("kfm-list2-02"))
    i = data.index(b"KFM_001")
    assert len(version) == 7
    data[i : i + 7] = version
    fcs = _crc_x25(bytes(data[1:-3]))
    data[-3] = fcs & 0xFF
    data[-2] = fcs >> 8
    return bytes(data)


POSITIONAL = """
schema = 1
id = "acme-v1"
vendor = "ACME"
layout = "positional"
list_versions = ["ACME_V1"]
timezone = "Europe/Oslo"
[[lists]]
name = "acme-list"
elements = 13
fields = ["version", "ident", "model", "p_plus", "p_minus", "q_plus", "q_minus",
          "i1", "i2", "i3", "u1", "u2", "u3"]
[objects]
version = { type = "string" }
ident = { type = "string" }
model = { type = "string" }
p_plus = { unit = "W", scaler = 1 }
p_minus = { unit = "W" }
q_plus = { unit = "var" }
q_minus = { unit = "var" }
i1 = { unit = "A", scaler = -2 }
i2 = { unit = "A", scaler = -2 }
i3 = { unit = "A", scaler = -2 }
u1 = { unit = "V", scaler = -1 }
u2 = { unit = "V", scaler = -1 }
u3 = { unit = "V", scaler = -1 }
"""


def test_positional_user_profile_for_new_list_version(impl, tmp_path: Path) -> None:
    frame = _kaifa_with_version(b"ACME_V1")
    # no profile knows ACME_V1 ... (the HDLC source 02 01 still says Kaifa, and
    # the Kaifa profile has a 13-element list, so it may be picked by address)
    ps = load_profiles(_write(tmp_path, "acme.toml", POSITIONAL))
    f = impl.decode_frame(frame, ps)
    assert f.profile_id == "acme-v1"
    assert f.list_name == "acme-list"
    assert f.list_version is None  # the profile names the field "version", not list_version
    d = f.as_dict()
    assert d["version"] == "ACME_V1"
    assert d["ident"] == "6970631409168767"
    assert d["p_plus"] == 22690  # 0x08DD = 2269, scaler +1
    assert d["i1"] == pytest.approx(70.87)  # 7087 x 10^-2
    assert d["u1"] == pytest.approx(236.7)
    assert f["p_plus"].obis is None


def test_unknown_positional_list_raises_mismatch(impl) -> None:
    frame = _kaifa_with_version(b"ACME_V1")
    empty = amsparse.ProfileSet([])  # only the generic table: nothing names bare values
    with pytest.raises(amsparse.ProfileMismatchError) as ei:
        impl.decode_frame(frame, empty)
    assert ei.value.element_count == 13
    assert ei.value.list_version == "ACME_V1"


# --------------------------------------------------------------------------- errors

GOOD_MIN = """
schema = 1
id = "t"
vendor = "T"
layout = "obis"
[objects]
a = { obis = "1-0:1.7.0.255", unit = "W" }
"""

BAD = {
    "missing id": ("""
        schema = 1
        vendor = "T"
        layout = "obis"
        [objects]
        a = { obis = "1-0:1.7.0.255" }
        """, "id"),
    "bad layout": (GOOD_MIN.replace('layout = "obis"', 'layout = "columns"'), "layout"),
    "unknown unit": (GOOD_MIN.replace('unit = "W"', 'unit = "kW"'), "objects.a.unit"),
    "bad obis": (GOOD_MIN.replace("1-0:1.7.0.255", "1-0:1.7.300.255"), "objects.a.obis"),
    "bad obis text": (GOOD_MIN.replace("1-0:1.7.0.255", "one.seven"), "objects.a.obis"),
    "duplicate obis": (GOOD_MIN + 'b = { obis = "1-0:1.7.0.255" }\n', "objects.b.obis"),
    "bad timezone": (GOOD_MIN.replace('layout = "obis"', 'layout = "obis"\ntimezone = "Europe/Atlantis"'),
                     "timezone"),
    "unknown key": (GOOD_MIN.replace('vendor = "T"', 'vendor = "T"\ncolour = "red"'), "colour"),
    "unknown object key": (GOOD_MIN.replace('unit = "W"', 'unit = "W", scale = 2'), "objects.a.scale"),
    "bad clock policy": (GOOD_MIN + '', None),  # replaced below
    "unknown field in lists.fields": ("""
        schema = 1
        id = "t"
        vendor = "T"
        layout = "positional"
        [[lists]]
        name = "l"
        elements = 2
        fields = ["a", "nope"]
        [objects]
        a = { unit = "W" }
        """, "lists[0].fields[1]"),
    "fields count != elements": ("""
        schema = 1
        id = "t"
        vendor = "T"
        layout = "positional"
        [[lists]]
        name = "l"
        elements = 3
        fields = ["a", "a"]
        [objects]
        a = { unit = "W" }
        """, "lists[0].fields"),
    "positional without lists": (GOOD_MIN.replace('layout = "obis"', 'layout = "positional"'), "lists"),
    "wrong type": (GOOD_MIN.replace("schema = 1", 'schema = "1"'), "schema"),
}
BAD["bad clock policy"] = (GOOD_MIN.replace("[objects]", '[clock]\npolicy = "sundial"\n[objects]'),
                           "clock.policy")


def test_good_minimal_profile_loads(tmp_path: Path) -> None:
    ps = load_profiles(_write(tmp_path, "t.toml", GOOD_MIN), include_builtin=False)
    assert ps["t"].names == ("a",)
    assert ps["t"].timezone == "UTC"


@pytest.mark.parametrize("case", sorted(BAD))
def test_bad_profile_raises_profile_error(tmp_path: Path, case: str) -> None:
    text, key = BAD[case]
    path = _write(tmp_path, "bad.toml", text)
    with pytest.raises(ProfileError) as ei:
        load_profiles(path)
    e = ei.value
    assert e.source == str(path)
    assert str(path) in str(e)
    assert e.key == key
    assert key in str(e)
    assert not isinstance(e, amsparse.DecodeError)


def test_bad_toml_syntax(tmp_path: Path) -> None:
    path = _write(tmp_path, "broken.toml", GOOD_MIN + "[objects\n")
    with pytest.raises(ProfileError) as ei:
        load_profiles(tmp_path)
    assert ei.value.source == str(path)
    assert "broken.toml" in str(ei.value)
    assert "TOML" in str(ei.value)


def test_duplicate_profile_id_across_files(tmp_path: Path) -> None:
    _write(tmp_path, "a.toml", GOOD_MIN)
    second = _write(tmp_path, "b.toml", GOOD_MIN)
    with pytest.raises(ProfileError) as ei:
        load_profiles(tmp_path)
    assert ei.value.key == "id" and ei.value.source == str(second)


def test_missing_profile_path(tmp_path: Path) -> None:
    with pytest.raises(ProfileError) as ei:
        load_profiles(tmp_path / "nothing-here")
    assert "nothing-here" in str(ei.value)


def test_json_profile(tmp_path: Path) -> None:
    tomllib = _toml()

    path = tmp_path / "t.json"
    path.write_text(json.dumps(tomllib.loads(GOOD_MIN)), encoding="utf-8")
    assert load_profiles(path, include_builtin=False)["t"].vendor == "T"


# --------------------------------------------------------------------------- forced profile

def test_swedish_kamstrup_profile_gives_wh(impl) -> None:
    data = _bytes("kam-list3-04")
    no = impl.decode_frame(data).as_dict()
    se = impl.decode_frame(data, profile="kamstrup-v0001-se")
    assert se.profile_id == "kamstrup-v0001-se"
    assert se.list_name == "list3"
    d = se.as_dict()
    # A+ register 01 E8 7F 4E = 32014158: Wh in Sweden (amsreader #239), 10 Wh in Norway
    assert d["active_energy_import"] == 32014158
    assert no["active_energy_import"] == 320141580
    for k in ("active_energy_import", "active_energy_export", "reactive_energy_import",
              "reactive_energy_export"):
        assert no[k] == 10 * d[k]
    assert d["reactive_energy_export"] == 1073187
    assert d["active_power_import"] == no["active_power_import"] == 2269
    # Stockholm and Oslo are both CET: same instant
    assert se.meter_time == no["meter_time"]


def test_forced_profile_object(impl) -> None:
    ps = builtin_profiles()
    f = impl.decode_frame(_bytes("kam-list3-04"), ps, profile=ps["kamstrup-v0001-se"])
    assert f.profile_id == "kamstrup-v0001-se"


def test_unknown_profile_id_raises_value_error(impl) -> None:
    with pytest.raises(ValueError, match="no-such"):
        impl.decode_frame(_bytes("kam-list3-04"), profile="no-such")
