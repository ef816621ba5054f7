"""Hypothesis strategies: readings for every shipped vendor profile, encoded
the way that vendor does it (see the Norwegian HAN list reference, han-lists.md, "Encoding
differences at a glance").

Every strategy yields a :class:`Case`: the frame bytes plus what a correct
decoder must report, written down *before* encoding, independently of the
decoders (no import from ``amsparse`` internals except the public model
classes used to spell the expected raw clock).
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Callable

import encoder as E
from hypothesis import strategies as st

# --------------------------------------------------------------------------- expectations

W, VAR, WH, VARH, A, V = 27, 29, 30, 32, 33, 35
NO_UNIT = -1


def obis_int(text: str) -> int:
    parts = text.replace("-", ".").replace(":", ".").split(".")
    return int.from_bytes(bytes(int(p) for p in parts), "big")


@dataclass(frozen=True)
class Clock:
    """The 12 fields of a COSEM date-time as generated (``None`` = wildcard)."""

    year: int | None
    month: int | None
    day: int | None
    weekday: int | None
    hour: int | None
    minute: int | None
    second: int | None
    hundredths: int | None
    deviation: int | None
    status: int | None

    def encode(self) -> bytes:
        return E.cosem_datetime(
            self.year, self.month, self.day, self.weekday, self.hour, self.minute,
            self.second, self.hundredths, self.deviation, self.status,
        )


@dataclass
class Expect:
    """One reading a correct decoder reports."""

    name: str
    obis: int
    kind: str  # "number" | "string" | "clock"
    raw: Any  # int / str / Clock
    scaler: int = 0
    unit: int = NO_UNIT


@dataclass
class Case:
    profile_id: str
    list_name: str
    zone: str
    policy: str  # "local" | "deviation" | "standard"
    list_version: str | None
    meter_id: str | None
    meter_type: str | None
    header: Clock | None
    invoke_id: int
    address: tuple[int, int, int]
    readings: list[Expect]
    apdu: bytes
    frame: bytes
    profile_arg: str | None = None  # pass profile= (never auto-selected profiles)
    dest: bytes = b""
    src: bytes = b""
    control: int = 0
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- primitives

def edge_int(tag: int, lo: int | None = None, hi: int | None = None) -> st.SearchStrategy[int]:
    """Integers of an A-XDR type, biased to 0, the type's min/max and small values."""
    tmin, tmax = E.int_range(tag)
    lo = tmin if lo is None else lo
    hi = tmax if hi is None else hi
    edges = sorted({x for x in (0, 1, lo, hi, -1) if lo <= x <= hi})
    return st.one_of(
        st.sampled_from(edges),
        st.integers(lo, hi),
        st.integers(max(lo, -5000), min(hi, 5000)),
    )


def digits(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text("0123456789", min_size=min_size, max_size=max_size)


def printable(min_size: int, max_size: int) -> st.SearchStrategy[str]:
    return st.text(
        st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=min_size, max_size=max_size
    )


@st.composite
def clocks(
    draw: Callable,  # type: ignore[type-arg]
    *,
    deviation: st.SearchStrategy[int | None],
    status: st.SearchStrategy[int | None],
    sunday_zero: bool = False,
    hundredths: st.SearchStrategy[int | None] = st.one_of(st.none(), st.integers(0, 99)),
) -> Clock:
    """Mostly plausible clocks; sometimes odd ones (wildcards, impossible dates,
    invalid status, out-of-range deviation, year 1/9999...)."""
    roll = draw(st.integers(0, 39))
    if roll == 0:  # the ends of datetime's range (offset arithmetic may leave it)
        y, mo, d, h = draw(st.sampled_from([(1, 1, 1, 0), (9999, 12, 31, 23)]))
        return Clock(y, mo, d, draw(st.integers(1, 7)), h, draw(st.integers(0, 59)), 0,
                     draw(hundredths), draw(deviation), draw(status))
    odd = roll < 5
    if not odd:
        d = draw(st.datetimes(_dt.datetime(2001, 1, 1), _dt.datetime(2037, 12, 31, 23, 59, 59)))
        wd = d.isoweekday()
        if sunday_zero and wd == 7:
            wd = 0
        return Clock(d.year, d.month, d.day, wd, d.hour, d.minute, d.second,
                     draw(hundredths), draw(deviation), draw(status))

    def maybe(s: st.SearchStrategy[int]) -> int | None:
        return draw(st.one_of(st.none(), s)) if draw(st.booleans()) else draw(s)

    dev = draw(st.one_of(deviation, st.integers(-0x7FFF, 0x7FFF), st.sampled_from([-841, 841, -840, 840])))
    return Clock(
        maybe(st.sampled_from([0, 1, 2000, 2024, 9999, 0xFFFE])),
        maybe(st.integers(0, 0xFE)),
        maybe(st.integers(0, 0xFE)),
        maybe(st.integers(0, 7)),
        maybe(st.integers(0, 0xFE)),
        maybe(st.integers(0, 0xFE)),
        maybe(st.integers(0, 0xFE)),
        maybe(st.integers(0, 0xFE)),
        dev,
        draw(st.one_of(status, st.integers(0, 0xFE), st.none())),
    )


def aidon_clocks() -> st.SearchStrategy[Clock]:
    # 6534: deviation 00 00, status 00; 6525 / Swedish list: 80 00 and FF
    return st.one_of(
        clocks(deviation=st.just(0), status=st.just(0), sunday_zero=True),
        clocks(deviation=st.none(), status=st.none(), sunday_zero=True),
    )


# --------------------------------------------------------------------------- object tables

@dataclass(frozen=True)
class Obj:
    name: str
    obis: str
    kind: str  # number / string / clock
    tag: int = E.T_U32
    scaler: int = 0  # documented scaler
    unit: int = NO_UNIT


def _std_objects(a_b: str, cur_tag: int, volt_tag: int, cur_s: int, volt_s: int, en_s: int,
                 meter_id_obis: str, meter_type_obis: str, version_obis: str,
                 clock_obis: str) -> dict[str, Obj]:
    e = a_b  # "1-0" or "1-1"
    objs = [
        Obj("list_version", version_obis, "string"),
        Obj("meter_id", meter_id_obis, "string"),
        Obj("meter_type", meter_type_obis, "string"),
        Obj("active_power_import", f"{e}:1.7.0.255", "number", E.T_U32, 0, W),
        Obj("active_power_export", f"{e}:2.7.0.255", "number", E.T_U32, 0, W),
        Obj("reactive_power_import", f"{e}:3.7.0.255", "number", E.T_U32, 0, VAR),
        Obj("reactive_power_export", f"{e}:4.7.0.255", "number", E.T_U32, 0, VAR),
        Obj("current_l1", f"{e}:31.7.0.255", "number", cur_tag, cur_s, A),
        Obj("current_l2", f"{e}:51.7.0.255", "number", cur_tag, cur_s, A),
        Obj("current_l3", f"{e}:71.7.0.255", "number", cur_tag, cur_s, A),
        Obj("voltage_l1", f"{e}:32.7.0.255", "number", volt_tag, volt_s, V),
        Obj("voltage_l2", f"{e}:52.7.0.255", "number", volt_tag, volt_s, V),
        Obj("voltage_l3", f"{e}:72.7.0.255", "number", volt_tag, volt_s, V),
        Obj("meter_time", clock_obis, "clock"),
        Obj("active_energy_import", f"{e}:1.8.0.255", "number", E.T_U32, en_s, WH),
        Obj("active_energy_export", f"{e}:2.8.0.255", "number", E.T_U32, en_s, WH),
        Obj("reactive_energy_import", f"{e}:3.8.0.255", "number", E.T_U32, en_s, VARH),
        Obj("reactive_energy_export", f"{e}:4.8.0.255", "number", E.T_U32, en_s, VARH),
    ]
    return {o.name: o for o in objs}


AIDON = _std_objects("1-0", E.T_I16, E.T_U16, -1, -1, 1, "0-0:96.1.0.255", "0-0:96.1.7.255",
                     "1-1:0.2.129.255", "0-0:1.0.0.255")
LG = _std_objects("1-0", E.T_I16, E.T_U16, -2, -1, 0, "0-0:96.1.0.255", "0-0:96.1.7.255",
                  "1-1:0.2.129.255", "0-0:1.0.0.255")
KAIFA = _std_objects("1-0", E.T_U32, E.T_U32, -3, -1, 0, "0-0:96.1.0.255", "0-0:96.1.7.255",
                     "1-1:0.2.129.255", "0-0:1.0.0.255")
KAIFA_SE = _std_objects("1-0", E.T_U32, E.T_U32, -3, -1, 0, "0-0:96.1.0.255", "0-0:96.1.7.255",
                        "1-0:0.2.129.255", "0-0:1.0.0.255")
KAMSTRUP = _std_objects("1-1", E.T_U32, E.T_U16, -2, 0, 1, "1-1:0.0.5.255", "1-1:96.1.1.255",
                        "1-1:0.2.129.255", "0-1:1.0.0.255")

LIST2 = ["list_version", "meter_id", "meter_type", "active_power_import", "active_power_export",
         "reactive_power_import", "reactive_power_export", "current_l1", "current_l2",
         "current_l3", "voltage_l1", "voltage_l2", "voltage_l3"]
LIST3_EXTRA = ["meter_time", "active_energy_import", "active_energy_export",
               "reactive_energy_import", "reactive_energy_export"]
DROP_1P = {"current_l2", "current_l3", "voltage_l2", "voltage_l3"}
DROP_3W = {"current_l2"}
Q_ONLY_1Q = {"active_power_export", "reactive_power_import", "reactive_power_export",
             "active_energy_export", "reactive_energy_import", "reactive_energy_export"}

AIDON_SE_ORDER = [
    ("meter_time", "0-0:1.0.0.255", "clock", 0, 0, NO_UNIT),
    ("active_power_import", "1-0:1.7.0.255", "number", E.T_U32, 0, W),
    ("active_power_export", "1-0:2.7.0.255", "number", E.T_U32, 0, W),
    ("reactive_power_import", "1-0:3.7.0.255", "number", E.T_U32, 0, VAR),
    ("reactive_power_export", "1-0:4.7.0.255", "number", E.T_U32, 0, VAR),
    ("current_l1", "1-0:31.7.0.255", "number", E.T_I16, -1, A),
    ("current_l2", "1-0:51.7.0.255", "number", E.T_I16, -1, A),
    ("current_l3", "1-0:71.7.0.255", "number", E.T_I16, -1, A),
    ("voltage_l1", "1-0:32.7.0.255", "number", E.T_U16, -1, V),
    ("voltage_l2", "1-0:52.7.0.255", "number", E.T_U16, -1, V),
    ("voltage_l3", "1-0:72.7.0.255", "number", E.T_U16, -1, V),
] + [
    (f"{q}_l{ph}", f"1-0:{base + off}.7.0.255", "number", E.T_U32, 0, unit)
    for ph, base in ((1, 20), (2, 40), (3, 60))
    for off, q, unit in (
        (1, "active_power_import", W), (2, "active_power_export", W),
        (3, "reactive_power_import", VAR), (4, "reactive_power_export", VAR),
    )
] + [
    ("active_energy_import", "1-0:1.8.0.255", "number", E.T_U32, 0, WH),
    ("active_energy_export", "1-0:2.8.0.255", "number", E.T_U32, 0, WH),
    ("reactive_energy_import", "1-0:3.8.0.255", "number", E.T_U32, 0, VARH),
    ("reactive_energy_export", "1-0:4.8.0.255", "number", E.T_U32, 0, VARH),
]
assert len(AIDON_SE_ORDER) == 27


def _addr_int(raw: bytes) -> int:
    return int.from_bytes(raw, "big")


# --------------------------------------------------------------------------- Aidon / L+G

def _aidon_like_value(draw: Callable, o: Obj, scaler_choices: list[int],  # type: ignore[type-arg]
                      strings: dict[str, str], clock: Clock | None) -> tuple[bytes, Expect]:
    code = E.obis(o.obis)
    if o.kind == "string":
        text = strings[o.name]
        return (E.structure([code, E.visible_string(text)]),
                Expect(o.name, obis_int(o.obis), "string", text, 0, NO_UNIT))
    if o.kind == "clock":
        assert clock is not None
        return (E.structure([code, E.octet_string(clock.encode())]),
                Expect(o.name, obis_int(o.obis), "clock", clock))
    raw = draw(edge_int(o.tag))
    scaler = draw(st.sampled_from(scaler_choices))
    return (E.structure([code, E.integer_of(o.tag, raw), E.scaler_unit(scaler, o.unit)]),
            Expect(o.name, obis_int(o.obis), "number", raw, scaler, o.unit))


def _finish(draw: Callable, case: dict[str, Any], body: bytes, *, invoke_id: int,  # type: ignore[type-arg]
            header: Clock | None, header_encoding: str | None, dest: bytes, src: bytes,
            control: int) -> Case:
    apdu = E.data_notification(body, invoke_id, header.encode() if header else None, header_encoding)
    frame = E.encode_frame(apdu, dest, src, control)
    return Case(
        header=header, invoke_id=invoke_id, address=(_addr_int(dest), _addr_int(src), control),
        apdu=apdu, frame=frame, dest=dest, src=src, control=control, **case,
    )


@st.composite
def aidon_v0001(draw: Callable, variant: str | None = None) -> Case:  # type: ignore[type-arg]
    variant = variant or draw(st.sampled_from(VARIANTS["aidon-v0001"]))
    if variant == "list1":
        o = AIDON["active_power_import"]
        item, exp = _aidon_like_value(draw, o, [0, 0, 0, -1, 3], {}, None)
        body = E.array([item])
        return _finish(draw, dict(
            profile_id="no-han-list1", list_name="list1", zone="Europe/Oslo", policy="local",
            list_version=None, meter_id=None, meter_type=None, readings=[exp],
        ), body, invoke_id=0x40000000, header=None, header_encoding=None,
            dest=b"\x41", src=b"\x08\x83", control=0x13)
    phases = variant.split("-")[1]
    names = list(LIST2) + (LIST3_EXTRA if variant.startswith("list3") else [])
    drop = DROP_1P if phases == "1p" else DROP_3W if phases == "3w" else set()
    names = [n for n in names if n not in drop]
    meter_type = {"1p": "6515", "3w": draw(st.sampled_from(["6525", "6540"])),
                  "3p": draw(st.sampled_from(["6534", "6550"]))}[phases]
    strings = {"list_version": "AIDON_V0001", "meter_id": draw(digits(0, 16)),
               "meter_type": meter_type}
    clock = draw(aidon_clocks())
    items, exps = [], []
    for n in names:
        o = AIDON[n]
        item, exp = _aidon_like_value(draw, o, [o.scaler, o.scaler, o.scaler, 0, -2, 2], strings, clock)
        items.append(item)
        exps.append(exp)
    body = E.array(items)
    return _finish(draw, dict(
        profile_id="aidon-v0001", list_name=variant, zone="Europe/Oslo", policy="local",
        list_version="AIDON_V0001", meter_id=strings["meter_id"], meter_type=meter_type,
        readings=exps,
    ), body, invoke_id=0x40000000, header=None, header_encoding=None,
        dest=b"\x41", src=b"\x08\x83", control=0x13)


@st.composite
def aidon_se(draw: Callable, variant: str | None = None) -> Case:  # type: ignore[type-arg]
    clock = draw(clocks(deviation=st.none(), status=st.none(), sunday_zero=True))
    items, exps = [], []
    for name, code, kind, tag, scaler, unit in AIDON_SE_ORDER:
        o = Obj(name, code, kind, tag or E.T_U32, scaler, unit)
        item, exp = _aidon_like_value(draw, o, [scaler, scaler, 0], {}, clock)
        items.append(item)
        exps.append(exp)
    return _finish(draw, dict(
        profile_id="aidon-se", list_name="se-27", zone="Europe/Stockholm", policy="local",
        list_version=None, meter_id=None, meter_type=None, readings=exps,
    ), E.array(items), invoke_id=0x40000000, header=None, header_encoding=None,
        dest=b"\x41", src=b"\x08\x83", control=0x13)


@st.composite
def landis_gyr(draw: Callable, variant: str | None = None) -> Case:  # type: ignore[type-arg]
    variant = variant or draw(st.sampled_from(VARIANTS["landis-gyr-embriq-v1-1"]))
    names = list(LIST2) + (LIST3_EXTRA if variant == "list3" else [])
    meter_id = draw(digits(1, 8))
    raw_id = meter_id + "\x00" * draw(st.sampled_from([0, 8]))  # E350 pads with NULs
    strings = {"list_version": "EMBRIQ_V1_1", "meter_id": raw_id,
               "meter_type": draw(st.sampled_from(["ZFF1", "ZMF1", "E350 ZMF100"]))}
    clock = draw(aidon_clocks())
    items, exps = [], []
    for n in names:
        o = LG[n]
        item, exp = _aidon_like_value(draw, o, [o.scaler, o.scaler, 0], strings, clock)
        items.append(item)
        exps.append(exp)
    return _finish(draw, dict(
        profile_id="landis-gyr-embriq-v1-1", list_name=variant, zone="Europe/Oslo",
        policy="local", list_version="EMBRIQ_V1_1", meter_id=meter_id,
        meter_type=strings["meter_type"], readings=exps,
    ), E.array(items), invoke_id=0x40000000, header=None, header_encoding=None,
        dest=b"\x41", src=b"\x08\x83", control=0x13)


# --------------------------------------------------------------------------- Kaifa

def kaifa_clocks(swedish: bool) -> st.SearchStrategy[Clock]:
    return clocks(deviation=st.just(-60) if swedish else st.none(), status=st.just(0),
                  hundredths=st.none())


@st.composite
def kaifa_kfm001(draw: Callable, variant: str | None = None) -> Case:  # type: ignore[type-arg]
    variant = variant or draw(st.sampled_from(VARIANTS["kaifa-kfm001"]))
    swedish = draw(st.integers(0, 4)) == 0
    src = b"\x00\x01" if swedish else b"\x02\x01"
    header = draw(kaifa_clocks(swedish))
    if variant == "list1":
        raw = draw(edge_int(E.T_U32))
        o = KAIFA["active_power_import"]
        exps = [Expect(o.name, obis_int(o.obis), "number", raw, o.scaler, o.unit)]
        return _finish(draw, dict(
            profile_id="kaifa-kfm001", list_name="list1", zone="Europe/Oslo", policy="deviation",
            list_version=None, meter_id=None, meter_type=None, readings=exps,
        ), E.structure([E.double_long_unsigned(raw)]), invoke_id=0x40000000, header=header,
            header_encoding=E.HEADER_090C, dest=b"\x01", src=src, control=0x10)
    phases = variant.split("-")[1]
    names = list(LIST2) + (LIST3_EXTRA if variant.startswith("list3") else [])
    if phases == "1p":
        names = [n for n in names if n not in DROP_1P]
    meter_type = draw(st.sampled_from(["MA105H2E"] if phases == "1p" else
                                      ["MA304H3E", "MA304H4", "MA304T3", "MA304T4"]))
    strings = {"list_version": "KFM_001", "meter_id": draw(digits(16, 16)), "meter_type": meter_type}
    energy_tag = E.T_U64 if meter_type == "MA304T4" and draw(st.booleans()) else E.T_U32
    items, exps = [], []
    for n in names:
        o = KAIFA[n]
        if o.kind == "string":
            items.append(E.octet_string(strings[n].encode("latin-1")))
            exps.append(Expect(n, obis_int(o.obis), "string", strings[n]))
        elif o.kind == "clock":
            items.append(E.octet_string(header.encode()))  # list-3 clock = header time
            exps.append(Expect(n, obis_int(o.obis), "clock", header))
        else:
            tag = energy_tag if "energy" in n else o.tag
            raw = draw(edge_int(tag))
            items.append(E.integer_of(tag, raw))
            exps.append(Expect(n, obis_int(o.obis), "number", raw, o.scaler, o.unit))
    return _finish(draw, dict(
        profile_id="kaifa-kfm001", list_name=variant, zone="Europe/Oslo", policy="deviation",
        list_version="KFM_001", meter_id=strings["meter_id"], meter_type=meter_type, readings=exps,
    ), E.structure(items), invoke_id=0x40000000, header=header, header_encoding=E.HEADER_090C,
        dest=b"\x01", src=src, control=0x10)


@st.composite
def kaifa_kfm001_se(draw: Callable, variant: str | None = None) -> Case:  # type: ignore[type-arg]
    clock = draw(kaifa_clocks(True))
    strings = {"list_version": "KFM_001", "meter_id": draw(digits(16, 16)),
               "meter_type": draw(st.sampled_from(["MA304H4", "MA304H4PSE"]))}
    items, exps = [], []
    for n in LIST2 + LIST3_EXTRA:
        o = KAIFA_SE[n]
        items.append(E.obis(o.obis))
        if o.kind == "string":
            items.append(E.octet_string(strings[n].encode("latin-1")))
            exps.append(Expect(n, obis_int(o.obis), "string", strings[n]))
        elif o.kind == "clock":
            items.append(E.octet_string(clock.encode()))
            exps.append(Expect(n, obis_int(o.obis), "clock", clock))
        else:
            raw = draw(edge_int(o.tag))
            items.append(E.integer_of(o.tag, raw))
            exps.append(Expect(n, obis_int(o.obis), "number", raw, o.scaler, o.unit))
    assert len(items) == 36
    return _finish(draw, dict(
        profile_id="kaifa-kfm001-se", list_name="se-obis", zone="Europe/Stockholm",
        policy="deviation", list_version="KFM_001", meter_id=strings["meter_id"],
        meter_type=strings["meter_type"], readings=exps,
    ), E.structure(items), invoke_id=0x40000000, header=None, header_encoding=None,
        dest=b"\x01", src=b"\x00\x01", control=0x10)


# --------------------------------------------------------------------------- Kamstrup

KAMSTRUP_VARIANTS = {
    # variant: (list name, element count, names present, pad 1-phase with nulls)
    "list2": ("list2", 25),
    "list3": ("list3", 35),
    "list2-1p-padded": ("list2", 25),
    "list3-1p-padded": ("list3", 35),
    "list2-1p": ("list2-1p", 17),
    "list3-1p": ("list3-1p", 27),
    "list2-1p-1q": ("list2-1p-1q", 11),
    "list3-1p-1q": ("list3-1p-1q", 15),
}


@st.composite
def kamstrup(draw: Callable, se: bool = False, variant: str | None = None) -> Case:  # type: ignore[type-arg]
    variant = variant or draw(st.sampled_from(sorted(KAMSTRUP_VARIANTS)))
    list_name, count = KAMSTRUP_VARIANTS[variant]
    names = list(LIST2) + (LIST3_EXTRA if variant.startswith("list3") else [])
    one_phase = "1p" in variant
    padded = variant.endswith("padded")
    one_q = variant.endswith("1q")
    if one_phase:
        prefix = "686"
    else:
        prefix = draw(st.sampled_from(["684", "685"]))  # 685: CT meter, currents in mA
    meter_type = prefix + draw(st.sampled_from(["1121BN243101040", "1131BN243101040",
                                                "1111BN242101040"]))
    strings = {"list_version": "Kamstrup_V0001", "meter_id": draw(digits(16, 16)),
               "meter_type": meter_type}
    header = draw(clocks(deviation=st.none(), status=st.sampled_from([0, 0, 0x80, 0x01])))
    # the hourly clock element is the generation time (hh:00:00), header the send time
    clock = draw(st.one_of(st.just(header),
                           clocks(deviation=st.none(), status=st.sampled_from([0, 0x80]))))
    header_encoding = draw(st.sampled_from([E.HEADER_0C, E.HEADER_0C, E.HEADER_090C]))
    energy_scaler = 0 if se else 1
    items = [E.visible_string("Kamstrup_V0001")]
    exps = [Expect("list_version", obis_int(KAMSTRUP["list_version"].obis), "string",
                   "Kamstrup_V0001")]
    for n in names[1:]:
        o = KAMSTRUP[n]
        absent = (one_phase and n in DROP_1P) or (one_q and n in Q_ONLY_1Q)
        if absent:
            if padded:
                items += [E.null(), E.null()]
            continue
        items.append(E.obis(o.obis))
        if o.kind == "string":
            items.append(E.visible_string(strings[n]))
            exps.append(Expect(n, obis_int(o.obis), "string", strings[n]))
        elif o.kind == "clock":
            items.append(E.octet_string(clock.encode()))
            exps.append(Expect(n, obis_int(o.obis), "clock", clock))
        else:
            raw = draw(edge_int(o.tag))
            items.append(E.integer_of(o.tag, raw))
            scaler = o.scaler
            if "energy" in n:
                scaler = energy_scaler
            if n.startswith("current") and prefix == "685":
                scaler = -3
            exps.append(Expect(n, obis_int(o.obis), "number", raw, scaler, o.unit))
    assert len(items) == count, (variant, len(items), count)
    return _finish(draw, dict(
        profile_id="kamstrup-v0001-se" if se else "kamstrup-v0001", list_name=list_name,
        zone="Europe/Stockholm" if se else "Europe/Oslo", policy="standard",
        list_version="Kamstrup_V0001", meter_id=strings["meter_id"], meter_type=meter_type,
        readings=exps, profile_arg="kamstrup-v0001-se" if se else None,
    ), E.structure(items), invoke_id=0, header=header, header_encoding=header_encoding,
        dest=b"\x2B", src=b"\x21", control=0x13)


# --------------------------------------------------------------------------- registry

#: the list variants each profile's strategy can produce (one test id each)
VARIANTS: dict[str, list[str]] = {
    "aidon-v0001": ["list2-1p", "list2-3w", "list2-3p", "list3-1p", "list3-3w", "list3-3p"],
    "no-han-list1": ["list1"],  # Aidon's list 1 (Landis+Gyr E350 sends the same bytes)
    "aidon-se": ["se-27"],
    "kaifa-kfm001": ["list1", "list2-1p", "list2-3p", "list3-1p", "list3-3p"],
    "kaifa-kfm001-se": ["se-obis"],
    "kamstrup-v0001": sorted(KAMSTRUP_VARIANTS),
    "kamstrup-v0001-se": sorted(KAMSTRUP_VARIANTS),
    "landis-gyr-embriq-v1-1": ["list2", "list3"],
}


def case_for(profile_id: str, variant: str) -> st.SearchStrategy[Case]:
    """Cases of one profile and one list variant."""
    if profile_id.startswith("kamstrup"):
        return kamstrup(se=profile_id.endswith("-se"), variant=variant)
    return _BUILDERS[profile_id](variant=variant)


_BUILDERS = {
    "aidon-v0001": aidon_v0001, "no-han-list1": aidon_v0001, "aidon-se": aidon_se, "kaifa-kfm001": kaifa_kfm001,
    "kaifa-kfm001-se": kaifa_kfm001_se, "landis-gyr-embriq-v1-1": landis_gyr,
}


PROFILE_CASES: dict[str, st.SearchStrategy[Case]] = {
    "aidon-v0001": aidon_v0001(),
    "no-han-list1": aidon_v0001(variant="list1"),
    "aidon-se": aidon_se(),
    "kaifa-kfm001": kaifa_kfm001(),
    "kaifa-kfm001-se": kaifa_kfm001_se(),
    "kamstrup-v0001": kamstrup(),
    "kamstrup-v0001-se": kamstrup(se=True),
    "landis-gyr-embriq-v1-1": landis_gyr(),
}


def any_case() -> st.SearchStrategy[Case]:
    return st.one_of(*PROFILE_CASES.values())


def valid_frames() -> st.SearchStrategy[bytes]:
    return any_case().map(lambda c: c.frame)


# --------------------------------------------------------------------------- mutations

@st.composite
def mutations(draw: Callable, frame: bytes) -> tuple[str, bytes]:  # type: ignore[type-arg]
    """One mutation of ``frame``: truncation, HDLC length change, bit flip,
    byte insertion or deletion, or an overwritten byte."""
    kind = draw(st.sampled_from(["truncate", "length", "flip", "insert", "delete", "set"]))
    n = len(frame)
    b = bytearray(frame)
    if kind == "truncate":
        return kind, bytes(b[: draw(st.integers(0, n - 1))])
    if kind == "length":
        new = draw(st.integers(0, 0x7FF).filter(lambda x: x != n - 2))
        b[1] = (b[1] & 0xF8) | (new >> 8)
        b[2] = new & 0xFF
        return kind, bytes(b)
    if kind == "flip":
        i = draw(st.integers(0, n - 1))
        b[i] ^= 1 << draw(st.integers(0, 7))
        return kind, bytes(b)
    if kind == "insert":
        i = draw(st.integers(0, n))
        b[i:i] = draw(st.binary(min_size=1, max_size=4))
        return kind, bytes(b)
    if kind == "delete":
        i = draw(st.integers(0, n - 1))
        del b[i : i + draw(st.integers(1, 4))]
        return kind, bytes(b)
    i = draw(st.integers(0, n - 1))
    b[i] = draw(st.integers(0, 255))
    return kind, bytes(b)


# --------------------------------------------------------------------------- raw A-XDR values

@st.composite
def axdr_values(draw: Callable, depth: int = 0) -> tuple[bytes, int, Any]:  # type: ignore[type-arg]
    """``(encoded, tag, expected raw)`` for one A-XDR value of any type the
    decoder reads.  Expected raw is what the decoder reports for that value:
    containers are lists of ``(tag, value)``."""
    from amsparse import CosemDate, CosemDateTime, CosemTime  # public model classes

    choices = ["int", "null", "bool", "bits", "octets", "visible", "utf8", "bcd",
               "f32", "f64", "datetime", "date", "time"]
    if depth < 2:
        choices += ["array", "struct"]
    kind = draw(st.sampled_from(choices))
    form = draw(st.sampled_from([None, None, None, 1, 2, 4]))  # 0x81/0x82/0x84 length forms
    if kind == "int":
        tag = draw(st.sampled_from(sorted(E.INT_TYPES)))
        v = draw(edge_int(tag))
        return E.integer_of(tag, v), tag, v
    if kind == "null":
        return E.null(), E.T_NULL, None
    if kind == "bool":
        v = draw(st.integers(0, 255))
        return E.boolean(v), E.T_BOOL, v != 0
    if kind == "bits":
        bits = draw(st.text("01", max_size=40))
        return E.bit_string(bits, form), E.T_BITS, bits
    if kind == "octets":
        v = draw(st.binary(max_size=300))
        if form is not None and len(v) >= 256**form:
            form = None  # does not fit that length form
        return E.octet_string(v, form), E.T_OCTETS, v
    if kind == "visible":
        v = draw(st.text(st.characters(max_codepoint=0xFF), max_size=140))
        return E.visible_string(v, form), E.T_VISIBLE, v
    if kind == "utf8":
        v = draw(st.text(st.characters(blacklist_categories=("Cs",)), max_size=40))
        return E.utf8_string(v, form), E.T_UTF8, v
    if kind == "bcd":
        v = draw(st.integers(0, 99))
        return E.bcd(v), E.T_BCD, v
    if kind == "f32":
        v = draw(st.floats(width=32, allow_nan=False))
        return E.float32(v), E.T_F32, v
    if kind == "f64":
        v = draw(st.floats(allow_nan=False))
        return E.float64(v), E.T_F64, v
    if kind == "datetime":
        c = draw(clocks(deviation=st.one_of(st.none(), st.integers(-840, 840)),
                        status=st.one_of(st.none(), st.integers(0, 0xFE)),
                        hundredths=st.one_of(st.none(), st.integers(0, 99), st.integers(100, 0xFE))))
        raw = CosemDateTime(c.year, c.month, c.day, c.weekday, c.hour, c.minute, c.second,
                            c.hundredths, c.deviation, c.status)
        return E.date_time(c.encode()), E.T_DATETIME, (raw, c)
    if kind == "date":
        f = [draw(st.one_of(st.none(), s)) for s in
             (st.integers(0, 0xFFFE), st.integers(0, 0xFE), st.integers(0, 0xFE), st.integers(0, 0xFE))]
        return E.date(E.cosem_date(*f)), E.T_DATE, CosemDate(*f)
    if kind == "time":
        f = [draw(st.one_of(st.none(), st.integers(0, 0xFE))) for _ in range(4)]
        return E.time(E.cosem_time(*f)), E.T_TIME, CosemTime(*f)
    children = draw(st.lists(axdr_values(depth + 1), max_size=4))
    enc = (E.array if kind == "array" else E.structure)([c[0] for c in children], form)
    tag = E.T_ARRAY if kind == "array" else E.T_STRUCT
    return enc, tag, [(c[1], c[2][0] if c[1] == E.T_DATETIME else c[2]) for c in children]
