import assert from 'assert/strict';
import { openGpioPort } from '../../../nodes/lib/gpio/open-port';
import { SetupProblem } from '../../../nodes/lib/pi-helper/setup-problem';
import { FakePi, pathWithoutPython, python3OrSkip } from '../pi-helper/fake-pi';

describe('choosing a gpio port', function () {
    let pi: FakePi | undefined;

    before(function () {
        python3OrSkip(this);
    });

    afterEach(async () => {
        await pi?.close();
        pi = undefined;
    });

    it('runs nothing off a Raspberry Pi and says why, so the display runs simulated', async () => {
        pi = await FakePi.start({ model: null });
        const opening = await openGpioPort([23, 24], 1, pi.host);
        assert.match(opening.reason ?? '', /^not a Raspberry Pi/);
        const laptop = await FakePi.start({ model: 'Dell Inc. XPS 13' });
        const onLaptop = await openGpioPort([23, 24], 1, laptop.host).finally(() => laptop.close());
        assert.match(onLaptop.reason ?? '', /^not a Raspberry Pi/);
        assert.equal(pi.pids.size, 0);
    });

    it('drives the lines through the hardware helper on a Raspberry Pi', async () => {
        pi = await FakePi.start({ model: 'Raspberry Pi 3 Model B Plus Rev 1.3', chips: { gpiochip0: 'pinctrl-bcm2835' } });
        const opening = await openGpioPort([23, 24], 0, pi.host);
        assert.equal(opening.port?.backend, 'python3 lgpio');
        assert.deepEqual(pi.claims.map((c) => c.initial), [0, 0]);
        await opening.port?.close();
    });

    it('names the fix on a Raspberry Pi that cannot run the helper', async () => {
        pi = await FakePi.start();
        const err = await openGpioPort([23, 24], 1, { ...pi.host, searchPath: pathWithoutPython(pi.root) }).catch((e: unknown) => e);
        assert.ok(err instanceof SetupProblem, String(err));
        assert.equal(err.statusText, 'sudo apt install python3');
    });
});
