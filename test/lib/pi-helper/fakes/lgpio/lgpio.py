"""Stand-in for lgpio: the chip and output calls the hardware helper makes, errors as lgpio.error.

Like lgpio, it makes its notification pipe when imported: its C part in LG_WD (else the
working directory), its Python part then opening '.lgd-nfy0' in the working directory. So
it fails, as lgpio does, where that directory is not writable or LG_WD points elsewhere.
"""
import os

import fake_pi_link as link

os.mkfifo(os.path.join(os.environ.get('LG_WD', '.'), '.lgd-nfy0'))
_notify = os.open('.lgd-nfy0', os.O_RDONLY | os.O_NONBLOCK)

SET_OPEN_DRAIN = 8
SET_PULL_UP = 32

# lgpio's texts for the codes the tests use (lgpio error_text).
_TEXTS = {'EBUSY': 'GPIO busy', 'EINVAL': 'bad GPIO line flags'}

_chips = {}


class error(Exception):
    pass


def gpiochip_open(gpiochip):
    name = 'gpiochip%d' % gpiochip
    try:
        label = link.call_json(b'I', chip=name).decode()
    except link.Refused:
        raise error('can not open gpiochip')
    handle = len(_chips) + 1
    _chips[handle] = (name, label)
    return handle


def gpio_get_chip_info(handle):
    name, label = _chips[handle]
    return [0, 54, name, label]


def gpiochip_close(handle):
    _chips.pop(handle)


def gpio_claim_output(handle, gpio, level=0, lFlags=0):
    try:
        link.call_json(b'C', library='lgpio', chip=_chips[handle][0], pin=gpio, initial=level,
                       openDrain=bool(lFlags & SET_OPEN_DRAIN), pullUp=bool(lFlags & SET_PULL_UP))
    except link.Refused as refused:
        raise error(_TEXTS.get(refused.code, refused.code))


def gpio_write(handle, gpio, level):
    link.call(b'G', bytes([gpio, level]))


def gpio_free(handle, gpio):
    link.call_json(b'X', chip=_chips[handle][0], pin=gpio)
