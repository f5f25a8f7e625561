import assert from 'assert/strict';
import { PinChange, SimulatedGpioPort } from '../../../nodes/lib/gpio/gpio-port';
import { chipsFromGpiodetect, pickHeaderChip } from '../../../nodes/lib/gpio/header-chip';

describe('simulated gpio port', () => {
    it('hands each level change to the watcher at once and skips levels that do not change', () => {
        const seen: PinChange[] = [];
        const port = new SimulatedGpioPort([23, 24], (change) => seen.push(change));
        port.set(23, 0);
        port.set(23, 0);
        port.set(24, 1); // already high: idle level
        port.set(24, 0);
        assert.deepEqual(seen, [{ pin: 23, level: 0 }, { pin: 24, level: 0 }]);
        assert.equal(port.level(23), 0);
        assert.throws(() => port.set(25, 1), /not part of this port/);
    });

    it('resolves flush on a later turn of the event loop, or rejects with an injected failure', async () => {
        const port = new SimulatedGpioPort([23]);
        let flushed = false;
        const flush = port.flush().then(() => { flushed = true; });
        await Promise.resolve();
        assert.equal(flushed, false);
        await flush;
        port.failure = new Error('wire cut');
        await assert.rejects(port.flush(), /wire cut/);
        await port.close();
        assert.throws(() => port.set(23, 0), /closed/);
    });
});

describe('header chip by label', () => {
    it('prefers the Pi 5 RP1, then the Pi 4 and older SoC chips, whatever their numbers', () => {
        assert.equal(pickHeaderChip([{ name: 'gpiochip0', label: 'pinctrl-bcm2835' }, { name: 'gpiochip4', label: 'pinctrl-rp1' }]), 'gpiochip4');
        assert.equal(pickHeaderChip([{ name: 'gpiochip1', label: 'raspberrypi-exp-gpio' }, { name: 'gpiochip0', label: 'pinctrl-bcm2711' }]), 'gpiochip0');
        assert.equal(pickHeaderChip([{ name: 'gpiochip0', label: 'gpio-mockup-A' }]), undefined);
        assert.deepEqual(chipsFromGpiodetect('gpiochip0 [pinctrl-rp1] (54 lines)\n\ngpiochip10 [gpio-brcmstb@107d508500] (32 lines)\n'), [
            { name: 'gpiochip0', label: 'pinctrl-rp1' }, { name: 'gpiochip10', label: 'gpio-brcmstb@107d508500' },
        ]);
    });
});
