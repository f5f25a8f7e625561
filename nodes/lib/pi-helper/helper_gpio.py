"""A few output lines of the Raspberry Pi's 40-pin header, through lgpio or libgpiod's gpiod.

What Raspberry Pi OS installs (pi-gen stage2/01-sys-tweaks/00-packages, which every image,
Lite and desktop, 32 and 64-bit, contains; RPi-Distro/pi-gen tags
2026-06-18-raspios-{bookworm,trixie}-{arm64,armhf}):
- python3-rpi-lgpio, which depends on python3-lgpio (the module lgpio). Bookworm images
  before September 2024 had python3-rpi.gpio instead (pi-gen 674c30e8, 2024-09-18).
- python3-libgpiod (the module gpiod) since the first Bookworm image (pi-gen 5b15e14f,
  2023-09-25): the v1 API on Bookworm (Debian 1.6.3), the v2 API on Trixie (Debian 2.2.1).
lgpio is tried first (gpiozero's default on Bookworm and the Pi 5), then gpiod in either API.

Lines are open-drain with the pull-up where the kernel allows it (level 1 releases the line
to the pull-ups, as a two-wire bus expects), without the pull-up where it refuses bias.
"""
import errno
import os
import re
import time

from helper_protocol import LEVELS, SetupFailed

CONSUMER = 'redis-iot-node-red'


class LgpioLibrary:
    name = 'lgpio'

    def __init__(self, lgpio):
        self._lg = lgpio

    def label(self, chip):
        handle = self._lg.gpiochip_open(chip.number)
        try:
            return self._lg.gpio_get_chip_info(handle)[3]
        finally:
            self._lg.gpiochip_close(handle)

    def claim(self, chip, pins, initial):
        lg = self._lg
        handle = lg.gpiochip_open(chip.number)
        claimed = []
        pull_up = True
        try:
            for pin in pins:
                try:
                    lg.gpio_claim_output(handle, pin, initial, lg.SET_OPEN_DRAIN | lg.SET_PULL_UP)
                except lg.error:
                    lg.gpio_claim_output(handle, pin, initial, lg.SET_OPEN_DRAIN)
                    pull_up = False
                claimed.append(pin)
        except Exception:
            for pin in claimed:
                lg.gpio_free(handle, pin)
            lg.gpiochip_close(handle)
            raise

        def release():
            for pin in claimed:
                lg.gpio_free(handle, pin)
            lg.gpiochip_close(handle)

        return Claimed(lambda pin, level: lg.gpio_write(handle, pin, level), release, pull_up)


class GpiodV1Library:
    name = 'gpiod (libgpiod v1)'

    def __init__(self, gpiod):
        self._gpiod = gpiod

    def label(self, chip):
        opened = self._gpiod.Chip(chip.path)
        try:
            return opened.label()
        finally:
            opened.close()

    def claim(self, chip, pins, initial):
        gpiod = self._gpiod
        opened = gpiod.Chip(chip.path)
        lines = {}
        pull_up = True
        try:
            for pin in pins:
                line = opened.get_line(pin)
                try:
                    line.request(consumer=CONSUMER, type=gpiod.LINE_REQ_DIR_OUT,
                                 flags=gpiod.LINE_REQ_FLAG_OPEN_DRAIN | gpiod.LINE_REQ_FLAG_BIAS_PULL_UP,
                                 default_val=initial)
                except OSError:
                    line.request(consumer=CONSUMER, type=gpiod.LINE_REQ_DIR_OUT,
                                 flags=gpiod.LINE_REQ_FLAG_OPEN_DRAIN, default_val=initial)
                    pull_up = False
                lines[pin] = line
        except Exception:
            for line in lines.values():
                line.release()
            opened.close()
            raise

        def release():
            for line in lines.values():
                line.release()
            opened.close()

        return Claimed(lambda pin, level: lines[pin].set_value(level), release, pull_up)


class GpiodV2Library:
    name = 'gpiod (libgpiod v2)'

    def __init__(self, gpiod):
        self._gpiod = gpiod
        from gpiod.line import Bias, Direction, Drive, Value
        self._line = (Bias, Direction, Drive, Value)

    def label(self, chip):
        opened = self._gpiod.Chip(chip.path)
        try:
            return opened.get_info().label
        finally:
            opened.close()

    def claim(self, chip, pins, initial):
        gpiod = self._gpiod
        bias, direction, drive, value = self._line

        def request(pull):
            settings = gpiod.LineSettings(direction=direction.OUTPUT, drive=drive.OPEN_DRAIN, bias=pull,
                                          output_value=value.ACTIVE if initial else value.INACTIVE)
            return gpiod.request_lines(chip.path, consumer=CONSUMER, config={tuple(pins): settings})

        pull_up = True
        try:
            lines = request(bias.PULL_UP)
        except OSError:
            lines = request(bias.AS_IS)
            pull_up = False
        return Claimed(lambda pin, level: lines.set_value(pin, value.ACTIVE if level else value.INACTIVE),
                       lines.release, pull_up)


class Claimed:
    def __init__(self, write, release, pull_up):
        self.write = write
        self.release = release
        self.pull_up = pull_up


class Chip:
    def __init__(self, path, number):
        self.path = path
        self.number = number
        self.name = os.path.basename(path)


def load_library():
    lgpio_failed = None
    try:
        import lgpio
        return LgpioLibrary(lgpio)
    except ImportError:
        pass
    except Exception as err:  # installed, but it could not start (its notification pipe): gpiod may do
        lgpio_failed = err
    try:
        import gpiod
    except ImportError as err:
        if lgpio_failed:
            raise SetupFailed('failed', 'lgpio: ' + str(lgpio_failed))
        raise SetupFailed('module', str(err), module='lgpio', package='python3-lgpio')
    if hasattr(gpiod, 'request_lines'):
        return GpiodV2Library(gpiod)
    return GpiodV1Library(gpiod)


def chips_in(dev_dir):
    found = []
    for name in os.listdir(dev_dir):
        match = re.match(r'^gpiochip(\d+)$', name)
        if match:
            found.append(Chip(os.path.join(dev_dir, name), int(match.group(1))))
    return sorted(found, key=lambda chip: chip.number)


def is_denied(err):
    return isinstance(err, OSError) and err.errno in (errno.EACCES, errno.EPERM)


def header_chip(library, chips, labels):
    """The chip whose label comes first in `labels` (chip numbers change between kernels, labels do not)."""
    seen = {}
    denied = []
    for chip in chips:
        if not os.access(chip.path, os.R_OK | os.W_OK):
            denied.append(chip)
            continue
        try:
            seen[library.label(chip)] = chip
        except Exception as err:  # a chip this library cannot open is no header chip
            if is_denied(err):
                denied.append(chip)
    for label in labels:
        if label in seen:
            return seen[label]
    if denied:
        raise SetupFailed('permission', 'no read and write access to ' + denied[0].path, path=denied[0].path, group='gpio')
    raise SetupFailed('no-chip', 'labels found: ' + (', '.join(sorted(seen)) or 'none'), seen=sorted(seen))


def spin(microseconds):
    """time.sleep cannot wait a few microseconds (it oversleeps by 50 us or more); spinning can."""
    until = time.perf_counter_ns() + microseconds * 1000
    while time.perf_counter_ns() < until:
        pass


class GpioLines:
    def __init__(self, dev_dir, labels, pins, initial, edge_us):
        self._library = load_library()
        self._chip = header_chip(self._library, chips_in(dev_dir), labels)
        self._pins = set(pins)
        self._edge_us = edge_us
        try:
            self._lines = self._library.claim(self._chip, pins, initial)
        except Exception as err:
            if is_denied(err):
                raise SetupFailed('permission', str(err), path=self._chip.path, group='gpio')
            busy = (isinstance(err, OSError) and err.errno == errno.EBUSY) or 'busy' in str(err).lower()
            where = 'GPIO ' + ' and '.join(str(pin) for pin in pins) + ' on ' + self._chip.name
            raise SetupFailed('busy' if busy else 'failed', 'cannot use ' + where + ': ' + str(err))

    def describe(self):
        return {'backend': self._library.name, 'chip': self._chip.name, 'pullUp': self._lines.pull_up}

    def handle(self, kind, payload):
        if kind != LEVELS or len(payload) % 2:
            raise ValueError('a GPIO port takes (pin, level) byte pairs')
        pairs = [(payload[i], payload[i + 1]) for i in range(0, len(payload), 2)]
        strangers = {pin for pin, _ in pairs} - self._pins
        if strangers:
            raise ValueError('GPIO ' + ', '.join(map(str, sorted(strangers))) + ' is not part of this port')
        # In order, each held for edge_us: the TM1637 samples DIO on CLK's rising edge and
        # needs each phase to last a few microseconds.
        for pin, level in pairs:
            self._lines.write(pin, 1 if level else 0)
            spin(self._edge_us)
        return b''

    def close(self):
        self._lines.release()
