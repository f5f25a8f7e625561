"""Stand-in for libgpiod v1's Python bindings (Bookworm): Chip, Line.request/set_value/release."""
import fake_pi_link as link

LINE_REQ_DIR_OUT = 3
LINE_REQ_FLAG_OPEN_DRAIN = 1
LINE_REQ_FLAG_BIAS_PULL_UP = 32


class Chip:
    def __init__(self, path):
        self._name, self._label = link.chip_name_and_label(path)

    def label(self):
        return self._label

    def get_line(self, offset):
        return Line(self._name, offset)

    def close(self):
        pass


class Line:
    def __init__(self, chip, offset):
        self._chip = chip
        self._offset = offset

    def request(self, consumer, type, flags=0, default_val=0):
        if type != LINE_REQ_DIR_OUT:
            raise ValueError('the stand-in only requests outputs')
        try:
            link.call_json(b'C', library='gpiod v1', chip=self._chip, pin=self._offset, initial=default_val,
                           consumer=consumer, openDrain=bool(flags & LINE_REQ_FLAG_OPEN_DRAIN),
                           pullUp=bool(flags & LINE_REQ_FLAG_BIAS_PULL_UP))
        except link.Refused as refused:
            raise refused.os_error()

    def set_value(self, value):
        link.call(b'G', bytes([self._offset, value]))

    def release(self):
        link.call_json(b'X', chip=self._chip, pin=self._offset)
