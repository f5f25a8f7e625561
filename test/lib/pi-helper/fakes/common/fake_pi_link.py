"""The stand-in modules' line to the test process (a Unix socket named by FAKE_PI_SOCKET).

Each call is one frame (kind byte, 16-bit big-endian length, payload) and waits for the
answer, b'k' with a payload or b'e' with an errno name, so a level or a transfer has reached
the device model before the module call returns, as it would have reached the pins.
"""
import errno
import json
import os
import socket
import struct

_HEADER = struct.Struct('>cH')
_connection = None


class Refused(Exception):
    """The test refused the call; `code` is an errno name such as 'EBUSY'."""

    def __init__(self, code):
        super().__init__(code)
        self.code = code

    def os_error(self):
        number = getattr(errno, self.code, errno.EIO)
        return OSError(number, os.strerror(number))


def _read(count):
    data = b''
    while len(data) < count:
        chunk = _connection.recv(count - len(data))
        if not chunk:
            raise ConnectionError('the test process closed the fake hardware socket')
        data += chunk
    return data


def call(kind, payload=b''):
    global _connection
    if _connection is None:
        _connection = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        _connection.connect(os.environ['FAKE_PI_SOCKET'])
    _connection.sendall(_HEADER.pack(kind, len(payload)) + payload)
    status, length = _HEADER.unpack(_read(_HEADER.size))
    body = _read(length)
    if status == b'e':
        raise Refused(body.decode())
    return body


def call_json(kind, **facts):
    facts['pid'] = os.getpid()
    return call(kind, json.dumps(facts).encode())


def chip_name_and_label(path):
    """What opening /dev/gpiochipN tells both gpiod stand-ins: its name, and the label the test gave it."""
    name = os.path.basename(path)
    try:
        return name, call_json(b'I', chip=name).decode()
    except Refused as refused:
        raise refused.os_error()
