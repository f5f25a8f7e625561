// The helper as a child process: whatever it or its libraries print, however it dies, it
// must neither garble the frames nor throw in Node-RED, and it must not outlive close().
import assert from 'assert/strict';
import { spawn } from 'child_process';
import { HelperProcess, HelperStopped } from '../../../nodes/lib/pi-helper/helper-process';
import { encodeFrame, FrameReader } from '../../../nodes/lib/pi-helper/frames';
import { SimulatedMfrc522 } from '../../../nodes/lib/mfrc522/simulated-chip';
import { openSpiDevice, SpiBus } from '../../../nodes/lib/spi/spi-bus';
import { FakePi, onFakePi } from './fake-pi';

const VERSION = Buffer.from([0xee, 0]);
/** A READY frame, for stand-in helpers written in JavaScript. */
const READY = encodeFrame('R', Buffer.from('{}')).toString('base64');

describe('the hardware helper process', function () {
    let bus: SpiBus | undefined;
    const pis = onFakePi(async () => {
        await bus?.close();
        bus = undefined;
    });

    async function reader(env: Record<string, string> = {}): Promise<{ fake: FakePi; spi: SpiBus }> {
        const fake = await FakePi.start({ spiDevices: ['spidev0.0'], modules: ['spidev'] });
        pis.current = fake;
        fake.spi = new SimulatedMfrc522();
        Object.assign(fake.host.env ?? {}, env);
        const opened = await openSpiDevice(0, 0, 1_000_000, fake.host);
        assert.ok(opened);
        bus = opened;
        return { fake, spi: opened };
    }

    it('keeps its frames whole while a library prints to stdout, through sys.stdout or straight to fd 1', async () => {
        const { spi } = await reader({ FAKE_PI_CHATTY: '1' });
        for (let i = 0; i < 20; i++) assert.deepEqual(await spi.transfer(VERSION), Buffer.from([0, 0x92]));
    });

    it('reports a crash with the last thing the helper said on stderr', async () => {
        const { fake, spi } = await reader();
        fake.refuse.transfer = 'CRASH';
        const crashed = await spi.transfer(VERSION).then(() => undefined, (e: unknown) => e);
        assert.ok(crashed instanceof HelperStopped, String(crashed));
        assert.equal(crashed.message, 'the hardware helper stopped (exit code 7): spidev: fatal bus fault');
    });

    it('fails its requests, and ends the process, when it sends something that is no reply', async () => {
        // A stand-in that greets correctly, then answers a request with a frame of an unknown kind.
        const script = `process.stdout.write(Buffer.from('${READY}', 'base64'));
            process.stdin.once('data', () => process.stdout.write(Buffer.from('${encodeFrame('Z', Buffer.alloc(0)).toString('base64')}', 'base64')));
            setInterval(() => undefined, 1000);`;
        const child = spawn(process.execPath, ['-e', script], { stdio: 'pipe' });
        const helper = new HelperProcess(child, 200);
        await helper.started(5000);
        await assert.rejects(helper.request('T', VERSION), /unexpected 'Z' frame/);
        await assert.rejects(helper.request('T', VERSION), HelperStopped);
        await new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve(undefined) : child.once('exit', resolve)));
        assert.equal(child.signalCode, 'SIGTERM');
    });

    it('gives up on a helper that does not start in time, and ends it', async () => {
        const child = spawn(process.execPath, ['-e', 'setInterval(() => undefined, 1000)'], { stdio: 'pipe' });
        const helper = new HelperProcess(child, 200);
        await assert.rejects(helper.started(300), /did not start within 0.3 s/);
        await helper.close();
        assert.notEqual(child.signalCode ?? child.exitCode, null, 'the process is gone');
    });

    it('ends a helper that ignores the end of its input with SIGTERM, then SIGKILL', async () => {
        const script = `process.stdout.write(Buffer.from('${READY}', 'base64'));
            process.on('SIGTERM', () => undefined);
            setInterval(() => undefined, 1000);`;
        const child = spawn(process.execPath, ['-e', script], { stdio: 'pipe' });
        const helper = new HelperProcess(child, 150);
        await helper.started(5000);
        await helper.close();
        assert.equal(child.signalCode, 'SIGKILL');
    });

    it('splits and joins frames however the pipe cuts them', () => {
        const frames = Buffer.concat([encodeFrame('D', Buffer.from([1, 2, 3])), encodeFrame('E', Buffer.from('EIO')), encodeFrame('D', Buffer.alloc(0))]);
        const reader = new FrameReader();
        const got = [...frames].flatMap((byte) => reader.push(Buffer.from([byte])));
        assert.deepEqual(got.map((f) => [f.kind, [...f.payload]]), [['D', [1, 2, 3]], ['E', [...Buffer.from('EIO')]], ['D', []]]);
        assert.throws(() => encodeFrame('L', Buffer.alloc(0x10000)), /at most 65535 bytes/);
    });
});
