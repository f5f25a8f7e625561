// A Raspberry Pi for the hardware helper to run against, made of a temporary directory (a
// device-tree model, spidev and gpiochip device files) and the stand-in Python modules in
// ./fakes, which forward every call to a Unix socket served here. There the real device
// models answer: SPI transfers go to a SimulatedMfrc522, line writes to whatever watches
// `onLevel` (a SimulatedTm1637). So the real helper and the real drivers run end to end.
import assert from 'assert';
import fs from 'fs';
import net from 'net';
import os from 'os';
import path from 'path';
import { findOnPath } from '../../../nodes/lib/child-process';
import type { PinChange } from '../../../nodes/lib/gpio/gpio-port';
import type { SimulatedMfrc522 } from '../../../nodes/lib/mfrc522/simulated-chip';
import { encodeFrame, Frame, FrameReader } from '../../../nodes/lib/pi-helper/frames';
import { PiHost, piHost } from '../../../nodes/lib/pi-helper/pi-host';
import { REPO_ROOT } from '../../../scripts/demo/paths';

const FAKES = path.join(REPO_ROOT, 'test', 'lib', 'pi-helper', 'fakes');

export type FakeModule = 'spidev' | 'lgpio' | 'gpiod-v1' | 'gpiod-v2';

export interface FakePiOptions {
    /** The stand-in modules the helper can import; every other one it uses is missing. */
    modules?: FakeModule[];
    /** The device-tree model; null makes the machine no Raspberry Pi. */
    model?: string | null;
    /** spidev device files to create, e.g. ['spidev0.0']. */
    spiDevices?: string[];
    /** gpiochip device files to create, with the label each chip reports. */
    chips?: Record<string, string>;
}

/** A line request as the stand-in module made it. */
export interface Claim {
    library: string;
    chip: string;
    pin: number;
    initial: number;
    openDrain: boolean;
    pullUp: boolean;
    consumer?: string;
}

/** What the test makes the stand-in modules refuse, by errno name ('EACCES', 'EBUSY'...). */
export interface Refusals {
    spiOpen?: string;
    transfer?: string;
    /** Chips (by device name) that cannot be opened. */
    chips?: Record<string, string>;
    /** Pins whose claim is refused. */
    pins?: Record<number, string>;
    /** Refuse claims that ask for the pull-up, as a kernel that cannot set bias does. */
    pullUp?: string;
}

export const PI_5 = { gpiochip0: 'pinctrl-rp1', gpiochip10: 'gpio-brcmstb@107d508500', gpiochip11: 'gpio-brcmstb@107d517c00' };

export class FakePi {
    /** The chip behind every spidev device. */
    spi: SimulatedMfrc522 | undefined;
    /** Called with every line write, once it is made. */
    onLevel: ((change: PinChange) => void) | undefined;
    readonly refuse: Refusals = {};
    readonly claims: Claim[] = [];
    readonly released: Array<{ chip?: string; pin?: number; device?: string }> = [];
    readonly spiSettings: Record<string, unknown> = {};
    /** Every line write, in order. */
    readonly writes: PinChange[] = [];
    /** The helper processes that used a stand-in module. */
    readonly pids = new Set<number>();
    readonly host: PiHost;

    private constructor(readonly root: string, private readonly server: net.Server, private readonly chips: Record<string, string>,
        private readonly modules: FakeModule[]) {
        this.host = {
            modelFile: path.join(root, 'model'),
            devDir: path.join(root, 'dev'),
            // TMPDIR: the helpers make their working directories here, where a test can see them.
            env: { ...process.env, PYTHONPATH: this.pythonPath(), FAKE_PI_SOCKET: path.join(root, 'socket'), TMPDIR: path.join(root, 'tmp') },
        };
    }

    static async start(options: FakePiOptions = {}): Promise<FakePi> {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-pi-'));
        const dev = path.join(root, 'dev');
        fs.mkdirSync(dev);
        fs.mkdirSync(path.join(root, 'tmp'));
        const model = options.model === undefined ? 'Raspberry Pi 5 Model B Rev 1.0' : options.model;
        if (model !== null) fs.writeFileSync(path.join(root, 'model'), `${model}\0`);
        const chips = options.chips ?? PI_5;
        for (const file of [...(options.spiDevices ?? []), ...Object.keys(chips)]) fs.writeFileSync(path.join(dev, file), '');
        const server = net.createServer();
        const pi = new FakePi(root, server, chips, [...(options.modules ?? ['spidev', 'lgpio'])]);
        const connections = new Set<net.Socket>();
        server.on('connection', (socket) => {
            connections.add(socket);
            socket.on('close', () => connections.delete(socket));
            pi.serve(socket);
        });
        server.on('close', () => connections.forEach((s) => s.destroy()));
        await new Promise<void>((resolve) => server.listen(path.join(root, 'socket'), resolve));
        return pi;
    }

    /** Makes a stand-in module importable by the helpers started from now on, as `apt install` would. */
    install(module: FakeModule): void {
        this.modules.push(module);
        if (this.host.env) this.host.env.PYTHONPATH = this.pythonPath();
    }

    /** Creates a spidev device file, as enabling SPI does. */
    addSpiDevice(name: string): void {
        fs.writeFileSync(path.join(this.host.devDir, name), '');
    }

    /**
     * Points the nodes' shared piHost at this machine until the returned function puts it
     * back, for node tests (the nodes open their hardware through piHost).
     */
    useAsPiHost(): () => void {
        const saved = { ...piHost };
        Object.assign(piHost, this.host);
        return () => {
            delete piHost.env;
            delete piHost.searchPath;
            Object.assign(piHost, saved);
        };
    }

    private pythonPath(): string {
        return [...this.modules.map((m) => path.join(FAKES, m)), path.join(FAKES, 'common'), path.join(FAKES, 'missing')].join(path.delimiter);
    }

    /** Kills every helper that used a stand-in module, as a crash would. */
    killHelpers(): void {
        for (const pid of this.pids) {
            try {
                process.kill(pid, 'SIGKILL');
            } catch {
                // gone already
            }
        }
    }

    /** The helpers' working directories that exist now. */
    helperDirs(): string[] {
        return fs.readdirSync(path.join(this.root, 'tmp'));
    }

    /** The helpers still running. */
    runningHelpers(): number[] {
        return [...this.pids].filter((pid) => {
            try {
                process.kill(pid, 0);
                return true;
            } catch {
                return false;
            }
        });
    }

    async close(): Promise<void> {
        await new Promise((resolve) => this.server.close(resolve));
        fs.rmSync(this.root, { recursive: true, force: true });
    }

    private serve(socket: net.Socket): void {
        const reader = new FrameReader();
        let turn = Promise.resolve();
        socket.on('error', () => undefined); // a killed helper resets its end
        socket.on('data', (chunk: Buffer) => {
            for (const frame of reader.push(chunk)) {
                // One call at a time per helper: each waits for its answer, and the chip models are not re-entrant.
                turn = turn.then(() => this.answer(frame)).then(
                    (reply) => { socket.write(encodeFrame('k', reply)); },
                    (err: Error) => { socket.write(encodeFrame('e', Buffer.from(err.message))); },
                );
            }
        });
    }

    private async answer(frame: Frame): Promise<Buffer> {
        const facts = frame.kind === 'S' || frame.kind === 'G' ? {} : JSON.parse(frame.payload.toString()) as Record<string, unknown>;
        if (typeof facts.pid === 'number') this.pids.add(facts.pid);
        switch (frame.kind) {
            case 'O':
                return refusedOr(this.refuse.spiOpen);
            case 'P':
                this.spiSettings[String(facts.name)] = facts.value;
                return Buffer.alloc(0);
            case 'S':
                if (this.refuse.transfer) throw new Error(this.refuse.transfer);
                if (!this.spi) throw new Error('ENODEV');
                return this.spi.transfer(frame.payload);
            case 'I': {
                const chip = String(facts.chip);
                if (this.refuse.chips?.[chip]) throw new Error(this.refuse.chips[chip]);
                if (!(chip in this.chips)) throw new Error('ENOENT');
                return Buffer.from(this.chips[chip]);
            }
            case 'C': {
                const claim = facts as unknown as Claim;
                if (this.refuse.pins?.[claim.pin]) throw new Error(this.refuse.pins[claim.pin]);
                if (claim.pullUp && this.refuse.pullUp) throw new Error(this.refuse.pullUp);
                this.claims.push({ library: claim.library, chip: claim.chip, pin: claim.pin, initial: claim.initial,
                    openDrain: claim.openDrain, pullUp: claim.pullUp, ...(claim.consumer ? { consumer: claim.consumer } : {}) });
                return Buffer.alloc(0);
            }
            case 'G': {
                const change: PinChange = { pin: frame.payload[0], level: frame.payload[1] ? 1 : 0 };
                this.writes.push(change);
                this.onLevel?.(change);
                return Buffer.alloc(0);
            }
            case 'X':
                this.released.push(facts as { chip?: string; pin?: number; device?: string });
                return Buffer.alloc(0);
            default:
                throw new Error(`EINVAL: unknown call ${frame.kind}`);
        }
    }
}

function refusedOr(code: string | undefined): Buffer {
    if (code) throw new Error(code);
    return Buffer.alloc(0);
}

/**
 * These tests run the real helper, so they need python3: without it they fail under
 * CI=true, and are skipped elsewhere, saying why.
 */
export function python3OrSkip(context: Mocha.Context): void {
    if (findOnPath('python3')) return;
    const message = "python3 not found on PATH: install it with 'sudo apt-get install python3'";
    if (process.env.CI === 'true') throw new Error(message);
    console.warn(`      skipping the hardware helper tests: ${message}`);
    context.skip();
}

/**
 * The mocha hooks of a suite on a fake Pi: it is skipped without python3 (see python3OrSkip),
 * and after each test what the test opened is released (`release`), the fake Pi the test put
 * in `current` is closed, and no helper may have outlived the test.
 */
export function onFakePi(release: () => Promise<void> | void = () => undefined): { current?: FakePi } {
    const pis: { current?: FakePi } = {};
    before(function () {
        python3OrSkip(this);
    });
    afterEach(async () => {
        await release();
        const left = pis.current?.runningHelpers() ?? [];
        await pis.current?.close();
        pis.current = undefined;
        assert.deepEqual(left, [], 'no helper outlives the test');
    });
    return pis;
}

/** A PATH with no python3 on it, for the tests of its absence. */
export function pathWithoutPython(root: string): string {
    const dir = path.join(root, 'empty-bin');
    fs.mkdirSync(dir, { recursive: true });
    return dir;
}
