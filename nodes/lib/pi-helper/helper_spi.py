"""One SPI device through the spidev module (Raspberry Pi OS package python3-spidev).

Raspberry Pi OS installs python3-spidev in every image, Lite and desktop, 32 and 64-bit,
Bookworm and Trixie: it is in pi-gen's stage2/01-sys-tweaks/00-packages, the stage the Lite
image ends with and the desktop images build on (RPi-Distro/pi-gen tags
2026-06-18-raspios-bookworm-arm64/-armhf and 2026-06-18-raspios-trixie-arm64/-armhf).
"""
import errno
import os
import re

from helper_protocol import TRANSFER, SetupFailed


class SpiDevice:
    def __init__(self, path, speed_hz):
        try:
            import spidev
        except ImportError as err:
            raise SetupFailed('module', str(err), module='spidev', package='python3-spidev')
        if not os.path.exists(path):
            raise SetupFailed('no-device', path + ' does not exist', path=path)
        if not os.access(path, os.R_OK | os.W_OK):
            raise SetupFailed('permission', 'no read and write access to ' + path, path=path, group='spi')
        # SpiDev.open takes bus and chip-select numbers and opens /dev/spidev<bus>.<cs>
        # itself; open_path only came with py-spidev 3.8, so the numbers come from the name.
        match = re.search(r'spidev(\d+)\.(\d+)$', path)
        if not match:
            raise SetupFailed('failed', path + ' is not named /dev/spidev<bus>.<device>', path=path)
        self._spi = spidev.SpiDev()
        try:
            self._spi.open(int(match.group(1)), int(match.group(2)))
        except OSError as err:
            if err.errno in (errno.EACCES, errno.EPERM):
                raise SetupFailed('permission', str(err), path=path, group='spi')
            raise SetupFailed('failed', 'cannot open ' + path + ': ' + str(err), path=path)
        self._spi.mode = 0
        self._spi.max_speed_hz = speed_hz

    def describe(self):
        return {'backend': 'spidev'}

    def handle(self, kind, payload):
        if kind != TRANSFER:
            raise ValueError('an SPI device only does transfers')
        # xfer2 keeps chip select active for the whole message, as a multi-byte MFRC522
        # register access needs; the reply has as many bytes as were sent.
        return bytes(self._spi.xfer2(list(payload)))

    def close(self):
        self._spi.close()
