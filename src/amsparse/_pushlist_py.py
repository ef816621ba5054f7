"""Push lists beyond the Nordic layouts: self-describing lists, code/value/scaler
triples, and detection of a profile by OBIS codes and structure.

Two parts:

* :func:`flatten_pushlist` is the pure-Python twin of ``_flatten_pushlist`` in
  ``_pushlist_c.pxi``: it recognises two more body shapes before the Nordic
  ones (``_flatten`` in each backend) are tried:

  - **self-describing** (Landis+Gyr E450/E360/E570, Austria/Switzerland): a
    structure whose first element is the push object list, an array of
    ``{class id u16, logical name octet-string(6), attribute i8, data index u16}``
    with one entry per element of the structure; entry 0 is the push setup
    object's own attribute 2 (class 40), i.e. the array itself.  Each value of
    attribute 2 is named by its entry's OBIS code; an attribute 3 (scaler_unit)
    of a register in the same list scales that register's value; the other
    attributes (logical names echoed back, ...) are not readings and are left
    out.  Layout :data:`~._profiles.LAYOUT_PUSHLIST`.
  - **triples** (Kaifa MA309M for EVN / Netz Niederoesterreich): a structure of
    ``OBIS code, value, {scaler i8, unit enum}`` triples with bare values (no
    OBIS code) before and/or after them.  Layout OBIS; the bare values are
    named by the profile's ``fields`` for that list (:func:`settle`).

* :func:`detect_profile` and :func:`settle` are shared by both backends (as
  ``_transport`` is): they run once per list shape (the compiled core caches
  the resulting plan), choose a profile by OBIS codes and structure when no
  list version or HDLC source named one, and give the bare values of an OBIS
  list the OBIS codes of the profile fields that name them.  Nothing here
  guesses: a list no rule matches decodes by the generic OBIS table, or raises
  :class:`~amsparse.ProfileMismatchError`.
"""

from __future__ import annotations

from typing import Any

from ._errors import ProfileMismatchError
from ._profile_detect import first_value_matches
from ._profiles import CompiledProfile, ProfileSet
from ._spec import LAYOUT_OBIS, LAYOUT_POSITIONAL, LAYOUT_PUSHLIST

__all__ = ["detect_profile", "flatten_more", "flatten_pushlist", "settle"]

T_NULL = 0x00
T_ARRAY = 0x01
T_STRUCT = 0x02
T_OCTETS = 0x09
T_VISIBLE = 0x0A
T_UTF8 = 0x0C
T_I8 = 0x0F
T_U16 = 0x12
T_ENUM = 0x16

CLASS_PUSH_SETUP = 40
LDN_OBIS = 0x00002A0000FF  # 0-0:42.0.0.255 COSEM logical device name


def _is_obis(item: tuple[int, Any]) -> bool:
    return item[0] == T_OCTETS and len(item[1]) == 6


def _is_scaler_unit(item: tuple[int, Any]) -> bool:
    t, v = item
    return t == T_STRUCT and len(v) == 2 and v[0][0] == T_I8 and v[1][0] == T_ENUM


def _descriptor(item: tuple[int, Any]) -> tuple[int, int, int, int] | None:
    t, v = item
    if t != T_STRUCT or len(v) not in (4, 6):
        return None
    (ct, cid), (lt, ln), (at, attr), (dt, di) = v[:4]
    if ct != T_U16 or lt != T_OCTETS or len(ln) != 6 or at != T_I8 or dt != T_U16:
        return None
    if len(v) == 6 and (v[4][0] != T_STRUCT or v[5][0] != T_ARRAY):
        # the six-element capture-object form (Energomera): ..., restriction
        # {type enum, value}, columns array; only the first four name the value
        return None
    return cid, int.from_bytes(ln, "big"), attr, di


def _self_describing(items: list) -> list | None:  # type: ignore[type-arg]
    n = len(items)
    t0, lst = items[0]
    if t0 != T_ARRAY or len(lst) != n:
        return None
    entries = []
    for it in lst:
        d = _descriptor(it)
        if d is None:
            return None
        entries.append(d)
    if entries[0][0] != CLASS_PUSH_SETUP or entries[0][2] != 2:
        return None
    out: list[Any] = []
    at: dict[int, int] = {}  # OBIS -> index in out of its attribute-2 value
    for i in range(1, n):
        cid, obis, attr, _ = entries[i]
        if attr == 2:
            t, v = items[i]
            at.setdefault(obis, len(out))
            out.append((obis, t, v, None, None))
    if not out:
        return None
    for i in range(1, n):
        cid, obis, attr, _ = entries[i]
        if attr == 3 and cid in (3, 4) and obis in at and _is_scaler_unit(items[i]):
            j = at[obis]
            sv = items[i][1]
            o, t, v, _, _ = out[j]
            out[j] = (o, t, v, sv[0][1], sv[1][1])
    return out


def _triples(items: list) -> list | None:  # type: ignore[type-arg]
    n = len(items)
    i = 0
    while i < n and not _is_obis(items[i]):
        i += 1
    lead = i
    triples = 0
    while i + 2 < n and _is_obis(items[i]) and _is_scaler_unit(items[i + 2]):
        triples += 1
        i += 3
    if triples < 2:
        return None
    rest = items[i:]
    bare = items[:lead] + rest
    if any(t in (T_ARRAY, T_STRUCT) or _is_obis((t, v)) for t, v in bare):
        return None
    out = [(-1, t, v, None, None) for t, v in items[:lead]]
    for k in range(lead, i, 3):
        vt, vv = items[k + 1]
        sv = items[k + 2][1]
        out.append((int.from_bytes(items[k][1], "big"), vt, vv, sv[0][1], sv[1][1]))
    out.extend((-1, t, v, None, None) for t, v in rest)
    return out


def _named_structs(items: list) -> list | None:  # type: ignore[type-arg]
    """A structure whose every value is named in place (Kaifa MA309M for Salzburg
    Netz / Vorarlberg): ``{OBIS, value}`` and ``{OBIS, value, {scaler, unit}}``
    structures, and ``OBIS code, value`` pairs written flat (the clock first).
    At least two nested structures, and nothing left unnamed, or None."""
    n = len(items)
    out = []
    nested = 0
    i = 0
    while i < n:
        t, v = items[i]
        if _is_obis(items[i]):
            if i + 1 >= n:
                return None
            vt, vv = items[i + 1]
            if vt in (T_ARRAY, T_STRUCT) or _is_obis(items[i + 1]):
                return None
            out.append((int.from_bytes(v, "big"), vt, vv, None, None))
            i += 2
            continue
        if t != T_STRUCT or len(v) not in (2, 3) or not _is_obis(v[0]):
            return None
        vt, vv = v[1]
        if vt in (T_ARRAY, T_STRUCT):
            return None
        if len(v) == 3:
            if not _is_scaler_unit(v[2]):
                return None
            out.append((int.from_bytes(v[0][1], "big"), vt, vv, v[2][1][0][1], v[2][1][1][1]))
        else:
            out.append((int.from_bytes(v[0][1], "big"), vt, vv, None, None))
        nested += 1
        i += 1
    return out if nested >= 2 else None


def flatten_more(tag: int, val: Any) -> tuple[int, list] | None:  # type: ignore[type-arg]
    """The body shapes both backends read with this shared code after their own
    self-describing and triples readers found nothing: the six-element
    capture-object form of a self-describing list, and structures of named
    values.  ``(layout, elements)`` or None."""
    if tag != T_STRUCT or len(val) < 2:
        return None
    out = _self_describing(val)
    if out is not None:
        return LAYOUT_PUSHLIST, out
    out = _named_structs(val)
    if out is not None:
        return LAYOUT_OBIS, out
    return None


def flatten_pushlist(tag: int, val: Any) -> tuple[int, list] | None:  # type: ignore[type-arg]
    """``(layout, elements)`` for a self-describing or triples body, else None
    (the backend's ``_flatten`` then reads the Nordic shapes)."""
    if tag != T_STRUCT or len(val) < 2:
        return None
    out = _self_describing(val)
    if out is not None:
        return LAYOUT_PUSHLIST, out
    out = _triples(val)
    if out is not None:
        return LAYOUT_OBIS, out
    # flatten_more's remaining shape (it would try _self_describing again, for the
    # compiled backend whose own reader knows only the four-element form)
    out = _named_structs(val)
    if out is not None:
        return LAYOUT_OBIS, out
    return None


# --------------------------------------------------------------------------- shared

def _ldn(elements: list) -> str | None:  # type: ignore[type-arg]
    for obis, tag, value, _, _ in elements:
        if obis == LDN_OBIS:
            if tag in (T_VISIBLE, T_UTF8):
                return value  # type: ignore[no-any-return]
            if tag == T_OCTETS:
                return value.decode("latin-1")  # type: ignore[no-any-return]
    return None


def _bare(elements: list) -> list[int]:  # type: ignore[type-arg]
    return [i for i, el in enumerate(elements) if el[0] < 0]


def detect_profile(
    profiles: ProfileSet, layout: int, elements: list, count: int, source: int,  # type: ignore[type-arg]
) -> CompiledProfile | None:
    """The first profile whose ``[detect]`` rules all hold for this list, or None.

    * positional: the list's declared ``types`` equal the values' A-XDR tags and,
      with ``first_value_obis``, the first value is that OBIS code;
    * obis: every ``detect.obis`` code is in the list and the list's bare values
      are as many as its ``fields``;
    * pushlist: every ``detect.obis`` code is in the list and the logical device
      name (0-0:42.0.0.255) starts with ``detect.logical_device_name``.

    A profile without such a rule is never chosen here; ``hdlc_source`` still
    has to match when the profile gives it.
    """
    codes = None
    for p in profiles.profiles:
        if p.layout != layout:
            continue
        if p.hdlc_sources and source not in p.hdlc_sources:
            continue
        if layout == LAYOUT_POSITIONAL:
            types = p.list_types.get(count)
            if types is None or len(types) != len(elements):
                continue
            if any(el[1] != t for el, t in zip(elements, types)):
                continue
            if p.detect_first >= 0:
                t, v = elements[0][1], elements[0][2]
                if not (t == T_OCTETS and len(v) == 6 and int.from_bytes(v, "big") == p.detect_first):
                    continue
            if p.detect_pattern is not None and not first_value_matches(p.detect_pattern, elements[0]):
                continue
            return p
        if codes is None:
            codes = {el[0] for el in elements if el[0] >= 0}
        if layout == LAYOUT_PUSHLIST:
            if p.detect_ldn is None or not p.detect_obis <= codes:
                continue
            name = _ldn(elements)
            if name is None or not name.startswith(p.detect_ldn):
                continue
            return p
        if not p.detect_obis or not p.detect_obis <= codes or count not in p.lists:
            continue
        fields = p.lists[count][1]
        if len(_bare(elements)) != (len(fields) if fields is not None else 0):
            continue
        return p
    return None


def settle(
    profiles: ProfileSet,
    layout: int,
    elements: list,  # type: ignore[type-arg]
    count: int,
    source: int,
    prof: CompiledProfile | None,
    version: str | None,
    offset: int,
) -> tuple[CompiledProfile | None, list]:  # type: ignore[type-arg]
    """After the backend's own choice (``prof``, None if none): detect a profile
    by structure, and give the bare values of an OBIS-coded list the OBIS codes
    of the profile fields that name them."""
    if prof is None:
        prof = detect_profile(profiles, layout, elements, count, source)
    if layout == LAYOUT_POSITIONAL:
        return prof, elements
    bare = _bare(elements)
    entry = prof.lists.get(count) if prof is not None and prof.layout != LAYOUT_POSITIONAL else None
    fields = entry[1] if entry is not None else None
    if fields is None:
        if len(bare) > 1 or (bare and bare[0] != 0):
            raise ProfileMismatchError(
                f"{len(bare)} values without OBIS codes among {count} elements and no profile "
                "names them", version, count, offset,
            )
        return prof, elements
    assert prof is not None
    if len(fields) != len(bare):
        raise ProfileMismatchError(
            f"profile {prof.id!r} names {len(fields)} values without OBIS codes in its "
            f"{count}-element list; this one has {len(bare)}", version, count, offset,
        )
    out = list(elements)
    for k, i in enumerate(bare):
        _, t, v, s, u = out[i]
        out[i] = (prof.obis[fields[k]], t, v, s, u)
    return prof, out
