"""Stand-in for libgpiod v2's Python bindings (Trixie): Chip.get_info, request_lines, LineRequest."""
import os

import fake_pi_link as link
from gpiod.line import Bias, Direction, Drive, Value


class ChipInfo:
    def __init__(self, name, label):
        self.name = name
        self.label = label
        self.num_lines = 54


class Chip:
    def __init__(self, path):
        self._name, self._label = link.chip_name_and_label(path)

    def get_info(self):
        return ChipInfo(self._name, self._label)

    def close(self):
        pass


class LineSettings:
    def __init__(self, direction=Direction.AS_IS, drive=Drive.PUSH_PULL, bias=Bias.AS_IS, output_value=Value.INACTIVE):
        self.direction = direction
        self.drive = drive
        self.bias = bias
        self.output_value = output_value


class LineRequest:
    def __init__(self, chip, offsets):
        self._chip = chip
        self._offsets = offsets

    def set_value(self, offset, value):
        if not isinstance(value, Value):
            raise TypeError('set_value takes a gpiod.line.Value')
        link.call(b'G', bytes([offset, value.value]))

    def release(self):
        for offset in self._offsets:
            link.call_json(b'X', chip=self._chip, pin=offset)


def request_lines(path, consumer=None, config=None):
    chip = os.path.basename(path)
    offsets = []
    try:
        for lines, settings in config.items():
            if settings.direction != Direction.OUTPUT:
                raise ValueError('the stand-in only requests outputs')
            for offset in lines:
                link.call_json(b'C', library='gpiod v2', chip=chip, pin=offset, initial=settings.output_value.value,
                               consumer=consumer, openDrain=settings.drive == Drive.OPEN_DRAIN,
                               pullUp=settings.bias == Bias.PULL_UP)
                offsets.append(offset)
    except link.Refused as refused:
        LineRequest(chip, offsets).release()  # the kernel grants all lines of a request or none
        raise refused.os_error()
    return LineRequest(chip, offsets)
