"""Content-Encoding decoded by us, a bounded piece at a time.

httpx unpacks each chunk it reads in one go, and stacked encodings (``gzip, gzip``) without any
limit: 1.8 KB on the wire became 1 GiB in memory before a size cap counted it. Here every layer
hands on at most ``OUT_CHUNK`` bytes per step (zlib's ``max_length``) and no layer may produce
more than the cap, so memory stays near the cap whatever the server sends.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable, Iterator

ACCEPT_ENCODING = "gzip, deflate"
MAX_LAYERS = 3  # more than this many stacked encodings is not a real server
OUT_CHUNK = 64 * 1024

_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


class UndecodableBody(ValueError):
    """The body's Content-Encoding is unknown, stacked too deep, or the data is corrupt."""


class LayerTooLarge(ValueError):
    """One decoding layer produced more than the cap."""


def encodings(header: str) -> list[str]:
    """The encodings of a Content-Encoding value, in the order they were applied."""
    names = [name.strip().lower() for name in header.split(",")]
    return [name for name in names if name and name != "identity"]


def decoded(raw: Iterable[bytes], content_encoding: str, limit: int) -> Iterator[bytes]:
    """The decoded body as pieces of at most OUT_CHUNK bytes. Raises UndecodableBody, or
    LayerTooLarge as soon as any layer passes ``limit`` bytes."""
    names = encodings(content_encoding)
    if len(names) > MAX_LAYERS:
        raise UndecodableBody(f"{len(names)} stacked content-encodings ({content_encoding})")
    stream: Iterator[bytes] = iter(raw)
    for name in reversed(names):  # the last one applied is undone first
        if name not in _WBITS:
            raise UndecodableBody(f"unsupported content-encoding {name!r}")
        stream = _capped(_inflate(stream, name), limit)
    return stream


def _capped(pieces: Iterator[bytes], limit: int) -> Iterator[bytes]:
    produced = 0
    for piece in pieces:
        produced += len(piece)
        if produced > limit:
            raise LayerTooLarge(f"a decoding layer passed {limit} bytes")
        yield piece


def _inflate(chunks: Iterator[bytes], name: str) -> Iterator[bytes]:
    wbits = _WBITS[name]
    inflater = zlib.decompressobj(wbits)
    started = False
    for chunk in chunks:
        data = chunk
        while True:
            try:
                out = inflater.decompress(data, OUT_CHUNK)
            except zlib.error as exc:
                if name == "deflate" and not started:
                    # servers send raw deflate as often as the zlib format the RFC asks for
                    inflater, wbits, started = zlib.decompressobj(-zlib.MAX_WBITS), -15, True
                    continue
                raise UndecodableBody(f"corrupt {name} data: {exc}") from exc
            started = True
            if out:
                yield out
            data = inflater.unconsumed_tail
            if inflater.eof:
                rest = inflater.unused_data
                if not rest or not name.endswith("gzip"):
                    break  # trailing bytes after a deflate stream are ignored, like httpx does
                inflater, data = zlib.decompressobj(wbits), rest  # another gzip member
                continue
            if not data and len(out) < OUT_CHUNK:
                break  # this chunk is used up and nothing is pending


__all__ = ["ACCEPT_ENCODING", "LayerTooLarge", "UndecodableBody", "decoded", "encodings"]
