"""Frames between Node-RED and the hardware helper, and how the helper says it cannot start.

Every frame, both ways, is one kind byte, a 16-bit big-endian payload length, then the
payload. Node-RED sends TRANSFER (SPI bytes to clock out) or LEVELS (pin, level byte
pairs); the helper answers each request, in order, with DONE (the bytes clocked in, or
nothing) or ERROR (a UTF-8 message, after which it carries on). Before any request it sends
READY or FATAL (a JSON object), and after FATAL it exits. End of input means Node-RED is
done or gone: the helper releases the device and exits.

Binary rather than JSON lines: a register transfer of the MFRC522 is two bytes, and a
measured round trip through the pipes costs about 20 us either way on an x86 VM, so the
encoding is not the cost; binary just needs no hex and no escaping for byte payloads.
"""
import json
import os
import struct
import sys

HEADER = struct.Struct('>cH')
MAX_PAYLOAD = 0xFFFF

TRANSFER = b'T'
LEVELS = b'L'
READY = b'R'
FATAL = b'F'
DONE = b'D'
ERROR = b'E'


class SetupFailed(Exception):
    """Why the device cannot be opened, as a problem name plus details Node-RED turns into advice."""

    def __init__(self, problem, detail, **facts):
        super().__init__(detail)
        self.report = dict(facts, problem=problem, detail=detail)


class Channel:
    """The frame stream on stdin and stdout."""

    def __init__(self):
        # Frames keep the real stdout to themselves: anything printed later, by this code or
        # by a library (C code included), lands on stderr, where Node-RED only keeps the gist.
        self._out = os.fdopen(os.dup(1), 'wb')
        os.dup2(2, 1)
        sys.stdout = sys.stderr
        self._in = sys.stdin.buffer

    def send(self, kind, payload=b''):
        self._out.write(HEADER.pack(kind, len(payload)) + payload)
        self._out.flush()

    def send_json(self, kind, value):
        self.send(kind, json.dumps(value).encode('utf-8')[:MAX_PAYLOAD])

    def requests(self):
        """Yields (kind, payload) until the other end closes the pipe."""
        while True:
            header = self._in.read(HEADER.size)
            if len(header) < HEADER.size:
                return
            kind, length = HEADER.unpack(header)
            payload = self._in.read(length)
            if len(payload) < length:
                return
            yield kind, payload
