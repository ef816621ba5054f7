"""amsparse: fast, typed decoding of smart-meter HAN port data (DLMS/COSEM).

Quick start::

    import amsparse
    frame = amsparse.decode_frame(bytes.fromhex("7ea0..."))
    frame.as_dict()        # {"active_power_import": 1234, ...} in W, A, V, Wh...

``amsparse.BACKEND`` says whether the compiled Cython core ("cython") or the
pure-Python twin ("python") is in use.
"""

from __future__ import annotations

from typing import Literal

from ._batch import FrameTable, Status, decode_batch
from ._chunked import iter_batches
from ._dataset import DatasetError, DatasetSummary, dataset_schema, write_dataset
from ._decoder import Decoder
from ._errors import (
    AmsparseError,
    ApduError,
    BlockTransferError,
    ChecksumError,
    DecodeError,
    DecryptionError,
    FrameError,
    IncompleteFrameError,
    KeyRequiredError,
    ProfileError,
    ProfileMismatchError,
    ReplayError,
    SegmentedFrameError,
    TelegramError,
    UnexpectedError,
    UnsupportedApduError,
)
from ._model import CosemDate, CosemDateTime, CosemTime, Frame, ObisCode, Reading, Unit
from ._p1_profiles import P1Profile, P1ProfileSet, builtin_p1_profiles, load_p1_profiles
from ._profiles import CompiledProfile, ProfileSet, builtin_profiles, compile_profile, load_profiles
from ._security import Keys, Security
from ._select import BACKEND as _BACKEND
from ._select import impl as _impl
from ._select import p1_impl as _p1_impl
from ._stream import BytesDiscarded, FrameDecoded, FrameRejected, StreamDecoder, iter_events, iter_frames
from ._version import __version__

BACKEND: Literal["cython", "python"] = _BACKEND  # type: ignore[assignment]

fcs16 = _impl.fcs16
decode_frame = _impl.decode_frame
decode_apdu = _impl.decode_apdu
decode_telegram = _p1_impl.decode_telegram

__all__ = [
    "BACKEND",
    "BytesDiscarded",
    "Decoder",
    "FrameDecoded",
    "FrameRejected",
    "StreamDecoder",
    "iter_events",
    "iter_frames",
    "AmsparseError",
    "ApduError",
    "BlockTransferError",
    "DecryptionError",
    "KeyRequiredError",
    "Keys",
    "ReplayError",
    "Security",
    "ChecksumError",
    "CompiledProfile",
    "CosemDate",
    "CosemDateTime",
    "CosemTime",
    "DecodeError",
    "Frame",
    "FrameTable",
    "FrameError",
    "IncompleteFrameError",
    "ObisCode",
    "ProfileError",
    "ProfileMismatchError",
    "ProfileSet",
    "Reading",
    "SegmentedFrameError",
    "Status",
    "TelegramError",
    "P1Profile",
    "P1ProfileSet",
    "builtin_p1_profiles",
    "load_p1_profiles",
    "decode_telegram",
    "Unit",
    "UnexpectedError",
    "UnsupportedApduError",
    "__version__",
    "builtin_profiles",
    "compile_profile",
    "decode_apdu",
    "decode_batch",
    "decode_frame",
    "fcs16",
    "iter_batches",
    "write_dataset",
    "dataset_schema",
    "DatasetError",
    "DatasetSummary",
    "load_profiles",
]
