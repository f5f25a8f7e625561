// RFID reader: what one SPI transfer costs through the hardware helper (a python3 process
// per device, one frame each way per transfer), with no Raspberry Pi: the stand-in spidev
// of the tests forwards each transfer over a Unix socket to the simulated MFRC522 here. Beside
// it, the helper's own round trip (the stand-in answering in Python, where a real spidev
// would make its ioctl) and the simulated chip in Node with no helper at all (the floor);
// then what a whole poll costs in transfers and time, against the 50 ms poll interval.
import { Mfrc522 } from '../nodes/lib/mfrc522/driver';
import { Mfrc522CardReader } from '../nodes/lib/mfrc522/reader';
import { SimulatedMfrc522 } from '../nodes/lib/mfrc522/simulated-chip';
import { SimulatedPicc } from '../nodes/lib/mfrc522/simulated-picc';
import { findOnPath } from '../nodes/lib/child-process';
import { openSpiDevice, SpiBus } from '../nodes/lib/spi/spi-bus';
import { FakePi } from '../test/lib/pi-helper/fake-pi';
import { measure, progress, Summary } from './stats';
import { ms, row, TableRow, times } from './table';

const SYSTEM = 'RFID reader';
const VERSION_READ = Buffer.from([0x80 | (0x37 << 1), 0]);
const POLL_INTERVAL_MS = 50;

export interface HardwareBench {
    results: Record<string, unknown>;
    rows: TableRow[];
}

/** A bus that counts its transfers. */
function counted(bus: SpiBus): SpiBus & { transfers: number } {
    const wrapper = {
        transfers: 0,
        transfer: (tx: Buffer) => {
            wrapper.transfers++;
            return bus.transfer(tx);
        },
        close: () => bus.close(),
    };
    return wrapper;
}

async function throughHelper(pi: FakePi, n: number): Promise<Summary> {
    const bus = await openSpiDevice(0, 0, 1_000_000, pi.host);
    if (!bus) throw new Error('the fake Pi has no SPI device');
    try {
        return await measure(n, 1, () => bus.transfer(VERSION_READ));
    } finally {
        await bus.close();
    }
}

/** One poll as the presence monitor makes it, with no card and with a 4-byte card, through the helper. */
async function polls(pi: FakePi, n: number): Promise<{ idle: Summary; card: Summary; idleTransfers: number; cardTransfers: number }> {
    const opened = await openSpiDevice(0, 0, 1_000_000, pi.host);
    if (!opened) throw new Error('the fake Pi has no SPI device');
    const bus = counted(opened);
    try {
        const reader = new Mfrc522CardReader(new Mfrc522(bus), { healthCheckInterval: Infinity });
        await reader.init();
        const perPoll = async (op: () => Promise<unknown>) => {
            const before = bus.transfers;
            await op();
            return bus.transfers - before;
        };
        const idleTransfers = await perPoll(() => reader.readCard());
        const idle = await measure(n, 1, () => reader.readCard());
        pi.spi?.placeCard(new SimulatedPicc(Buffer.from('DEADBEEF', 'hex')));
        const cardTransfers = await perPoll(() => reader.readCard());
        const card = await measure(n, 1, () => reader.readCard());
        return { idle, card, idleTransfers, cardTransfers };
    } finally {
        await bus.close();
    }
}

export async function benchHardware(n = 5000): Promise<HardwareBench> {
    if (!findOnPath('python3')) {
        progress('hardware: skipped, python3 is not on PATH');
        return { results: { skipped: 'python3 is not on PATH' }, rows: [] };
    }
    const pi = await FakePi.start({ spiDevices: ['spidev0.0'], modules: ['spidev'] });
    try {
        pi.spi = new SimulatedMfrc522();
        progress('hardware: SPI transfers through the hardware helper');
        const full = await throughHelper(pi, n);
        const local = await FakePi.start({ spiDevices: ['spidev0.0'], modules: ['spidev'] });
        Object.assign(local.host.env ?? {}, { FAKE_PI_SPI_LOCAL: '1' });
        const helperOnly = await throughHelper(local, n).finally(() => local.close());
        const chip = new SimulatedMfrc522();
        const floor = await measure(n, 1, () => chip.transfer(VERSION_READ));
        progress('hardware: MFRC522 polls through the hardware helper');
        const poll = await polls(pi, Math.ceil(n / 20));
        const rows = [
            row(SYSTEM, 'one SPI transfer through the helper and stand-in spidev: p50 / p99', times(full),
                'simulated chip in Node, no helper (the floor)', times(floor)),
            row(SYSTEM, 'one SPI transfer, the helper\'s own round trip: p50 / p99', times(helperOnly),
                'with the stand-in\'s socket to the chip model', times(full)),
            row(SYSTEM, `poll without a card (${poll.idleTransfers} transfers): p50 / p99`, times(poll.idle),
                'the poll interval', ms(POLL_INTERVAL_MS)),
            row(SYSTEM, `poll reading a 4-byte card (${poll.cardTransfers} transfers): p50 / p99`, times(poll.card),
                'the poll interval', ms(POLL_INTERVAL_MS)),
        ];
        return {
            results: {
                transfer: { helperAndStandIn: full, helperOnly, simulatedInNode: floor },
                poll: { idle: poll.idle, idleTransfers: poll.idleTransfers, card: poll.card, cardTransfers: poll.cardTransfers },
            },
            rows,
        };
    } finally {
        await pi.close();
    }
}
