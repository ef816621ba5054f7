DISCARD: int
FRAME: int
REJECT: int

def scan(
    buf: bytes | bytearray | memoryview,
    start: int,
    end: int,
    max_frame_size: int,
    shared: bool,
    final: bool,
) -> tuple[list[tuple[int, int, int, int]], int, bool, int]: ...
