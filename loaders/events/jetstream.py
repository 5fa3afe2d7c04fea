"""What both stream consumers (the lake's and the features') share about JetStream."""

from __future__ import annotations


async def ensure_stream(js, stream: str, subject: str) -> None:
    """Create the stream when it does not exist yet."""
    from nats.js.errors import NotFoundError

    try:
        await js.stream_info(stream)
    except NotFoundError:
        await js.add_stream(name=stream, subjects=[subject])
