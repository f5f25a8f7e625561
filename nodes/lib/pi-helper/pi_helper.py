"""The hardware helper of @redis-iot/node-red: one process per opened SPI device or GPIO port.

    python3 pi_helper.py spi --device /dev/spidev0.0 --speed 1000000
    python3 pi_helper.py gpio --dev-dir /dev --labels pinctrl-rp1,... --pins 23,24 --initial 1 --edge-us 10

It drives the hardware through the Python modules Raspberry Pi OS already installs, so the
package needs no native addon: nothing to compile at install and nothing to rebuild when
Node.js is upgraded. The frames it speaks are described in helper_protocol.py.
"""
import argparse
import os
import shutil
import signal
import sys
import tempfile

from helper_protocol import DONE, ERROR, FATAL, READY, Channel, SetupFailed


def arguments(argv):
    parser = argparse.ArgumentParser(prog='pi_helper.py')
    kinds = parser.add_subparsers(dest='kind', required=True)
    spi = kinds.add_parser('spi')
    spi.add_argument('--device', required=True)
    spi.add_argument('--speed', type=int, default=1000000)
    gpio = kinds.add_parser('gpio')
    gpio.add_argument('--dev-dir', default='/dev')
    gpio.add_argument('--labels', required=True)
    gpio.add_argument('--pins', required=True)
    gpio.add_argument('--initial', type=int, choices=(0, 1), default=1)
    gpio.add_argument('--edge-us', type=int, default=10)
    return parser.parse_args(argv)


def open_device(args):
    if args.kind == 'spi':
        from helper_spi import SpiDevice
        return SpiDevice(args.device, args.speed)
    from helper_gpio import GpioLines
    pins = [int(pin) for pin in args.pins.split(',')]
    return GpioLines(args.dev_dir, args.labels.split(','), pins, args.initial, args.edge_us)


def main(argv):
    args = arguments(argv)
    channel = Channel()
    # SIGTERM (Node-RED's second try at ending us) unwinds like end of input: device released.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    # lgpio makes a named pipe in the working directory when it is imported (and its C part in
    # LG_WD), and fails where that is not writable, as Node-RED's may not be (joan2937/lg#22,
    # gpiozero#1106). A directory of our own is writable, and shared with no other helper.
    workdir = tempfile.mkdtemp(prefix='redis-iot-helper-')
    os.environ['LG_WD'] = workdir
    os.chdir(workdir)
    try:
        return serve(args, channel)
    finally:
        os.chdir('/')
        shutil.rmtree(workdir, ignore_errors=True)


def serve(args, channel):
    try:
        device = open_device(args)
    except SetupFailed as failed:
        channel.send_json(FATAL, failed.report)
        return 3
    except Exception as err:  # anything unforeseen still reaches Node-RED as a reason, not a traceback
        channel.send_json(FATAL, {'problem': 'failed', 'detail': type(err).__name__ + ': ' + str(err)})
        return 3
    try:
        channel.send_json(READY, device.describe())
        for kind, payload in channel.requests():
            try:
                reply = device.handle(kind, payload)
            except Exception as err:  # a failed transfer or write fails that request only
                channel.send(ERROR, (str(err) or type(err).__name__).encode('utf-8', 'replace'))
            else:
                channel.send(DONE, reply)
    except BrokenPipeError:
        pass  # Node-RED went away mid-reply; release the device all the same
    finally:
        device.close()
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
