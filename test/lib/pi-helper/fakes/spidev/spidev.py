"""Stand-in for py-spidev's SpiDev: open(bus, device), mode, max_speed_hz, xfer2, close."""
import fake_pi_link as link


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
        try:
            return list(link.call(b'S', bytes(values)))
        except link.Refused as refused:
            raise refused.os_error()

    def close(self):
        link.call_json(b'X', device=self._device)
