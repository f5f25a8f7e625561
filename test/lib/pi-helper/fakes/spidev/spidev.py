"""Stand-in for py-spidev's SpiDev: open(bus, device), mode, max_speed_hz, xfer2, close.

With FAKE_PI_CHATTY set it prints to stdout on import and at every transfer, from Python and
below it, as a noisy library might. A transfer the test refuses with CRASH ends the process
with a last word on stderr, as a crashing library would. With FAKE_PI_SPI_LOCAL set,
transfers answer zeros here instead of going to the test process: the benchmark uses that
to time the helper's own round trip.
"""
import os
import sys

import fake_pi_link as link

CHATTY = bool(os.environ.get('FAKE_PI_CHATTY'))
LOCAL = bool(os.environ.get('FAKE_PI_SPI_LOCAL'))


def chatter(text):
    if CHATTY:
        print(text)
        sys.stdout.flush()
        os.write(1, (text + ' (from below Python)\n').encode())


chatter('spidev stand-in loaded')


class SpiDev:
    def __init__(self):
        object.__setattr__(self, '_device', None)

    def open(self, bus, device):
        name = 'spidev%d.%d' % (bus, device)
        try:
            link.call_json(b'O', device=name)
        except link.Refused as refused:
            raise refused.os_error()
        object.__setattr__(self, '_device', name)

    def __setattr__(self, name, value):
        if name not in ('mode', 'max_speed_hz'):
            raise AttributeError('the stand-in spidev has no ' + name)
        link.call_json(b'P', device=self._device, name=name, value=value)
        object.__setattr__(self, name, value)

    def xfer2(self, values):
        chatter('xfer2 %r' % (values,))
        if LOCAL:
            return [0] * len(values)
        try:
            return list(link.call(b'S', bytes(values)))
        except link.Refused as refused:
            if refused.code == 'CRASH':
                os.write(2, b'spidev: fatal bus fault\n')
                os._exit(7)
            raise refused.os_error()

    def close(self):
        link.call_json(b'X', device=self._device)
