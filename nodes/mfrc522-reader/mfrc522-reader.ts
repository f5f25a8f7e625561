// mfrc522-reader: an RC522 (MFRC522) RFID reader on the Pi's SPI bus. One message on
// output 1 per card presentation, one on output 2 when the card leaves. Without a reader
// (or in simulated mode) it runs the same driver against a simulated chip, and card ids
// sent to its input are presented to that chip as virtual cards.
import type { Node, NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { handleInput, refuseInput } from '../common/input';
import { errorStatus, shorten } from '../common/status';
import { normaliseCardId } from '../lib/card-id';
import { SetupProblem } from '../lib/pi-helper/setup-problem';
import { integerSetting } from '../lib/settings';
import { originalCardNumber, uidFromHex, uidHex } from '../lib/mfrc522/card-id';
import type { CardRead } from '../lib/mfrc522/reader';
import { ReaderSession, ReaderSettings } from '../lib/mfrc522/reader-session';
import type { SimulatedMfrc522 } from '../lib/mfrc522/simulated-chip';

interface ReaderDef extends NodeDef {
    bus: string | number;
    device: string | number;
    rstPin: string | number;
    /** Gone: ids are always the hex UID. `decimal`, in a flow saved before, is reported once at start. */
    idFormat?: string;
    pollInterval: string | number;
    mode: 'auto' | 'simulated';
}

interface ReaderNode extends Node {
    /** The simulated chip while running simulated; lets tests and diagnostics put cards on it. */
    readonly simulator: SimulatedMfrc522 | undefined;
}

type CardSource = 'reader' | 'simulated' | 'input';

interface CardInfo {
    uid: string | null;
    /** The number the original SimpleMFRC522 code read for this card. */
    number: string | null;
    uidLength: number | null;
    sak: number | null;
    atqa: number | null;
    source: CardSource;
}

function settingsFromConfig(config: ReaderDef): ReaderSettings {
    const rst = config.rstPin === undefined ? 25 : config.rstPin;
    return {
        bus: integerSetting(config.bus, 0, 0, 15, 'SPI bus'),
        device: integerSetting(config.device, 0, 0, 15, 'SPI device'),
        rstPin: rst === '' ? undefined : integerSetting(rst, 25, 0, 53, 'RST pin'),
        pollInterval: integerSetting(config.pollInterval, 50, 10, 60000, 'poll interval'),
        mode: config.mode === 'simulated' ? 'simulated' : 'auto',
        retryInterval: 1000,
    };
}

export = function register(RED: NodeAPI): void {
    function Mfrc522Reader(this: ReaderNode, config: ReaderDef) {
        RED.nodes.createNode(this, config);
        start(this, config);
    }

    function start(node: ReaderNode, config: ReaderDef): void {
        let settings: ReaderSettings;
        try {
            settings = settingsFromConfig(config);
        } catch (err) {
            refuseInput(node, RED._('mfrc522-reader.errors.bad-config', { error: (err as Error).message }));
            return;
        }

        // Readers once gave the original's numbers as ids; a gate could not tell "04111111"
        // the UID from 4111111 the number. Ids are now always the UID, and the gates and
        // terminals find the original's passes themselves (their "Card keys" setting).
        if (config.idFormat === 'decimal') node.warn(RED._('mfrc522-reader.errors.decimal-gone'));

        const session = new ReaderSession(settings);
        Object.defineProperty(node, 'simulator', { get: () => session.simulator });
        let faulted = false;
        let announced = false;

        const idleStatus = () => (session.simulated
            ? { fill: 'grey' as const, shape: 'dot' as const, text: RED._('mfrc522-reader.status.simulated') }
            : { fill: 'green' as const, shape: 'dot' as const, text: RED._('mfrc522-reader.status.ready') });

        const message = (topic: string, card: CardRead): NodeMessage & { card: CardInfo } => ({
            topic,
            payload: uidHex(card.uid),
            card: {
                uid: uidHex(card.uid),
                number: originalCardNumber(card.uid),
                uidLength: card.uid.length,
                sak: card.sak,
                atqa: card.atqa.readUInt16LE(0),
                source: session.simulated ? 'simulated' : 'reader',
            },
        });

        session.on('ready', (info) => {
            if (faulted) node.log(RED._('mfrc522-reader.log.recovered'));
            faulted = false;
            if (!announced) {
                announced = true;
                if (info.simulated) node.log(RED._('mfrc522-reader.log.simulated', { reason: info.reason ?? '' }));
                else node.log(RED._('mfrc522-reader.log.found', { chip: info.name }));
            }
            node.status(idleStatus());
        });
        session.on('present', (card) => {
            const msg = message('card', card);
            // The colour still tells real (green) from simulated (grey); the text is the card.
            node.status({ ...idleStatus(), text: shorten(String(msg.payload)) });
            node.send([msg, null]);
        });
        session.on('removed', (card) => {
            node.status(idleStatus());
            node.send([null, message('removed', card)]);
        });
        session.on('fault', (err) => {
            // One log line per outage; the session keeps retrying on its own. A missing
            // prerequisite shows its fix as the status (errorStatus), and in the log.
            if (!faulted) {
                node.error(err instanceof SetupProblem
                    ? RED._('mfrc522-reader.errors.setup', { problem: err.problem, fix: err.fix })
                    : RED._('mfrc522-reader.errors.reader', { error: err.message }));
            }
            faulted = true;
            node.status(errorStatus(err));
        });
        session.on('unreadable', (err) => node.trace(`card not read: ${err.message}`));
        session.on('rst-unavailable', (pin, reason) => node.warn(RED._('mfrc522-reader.errors.rst', { pin, reason })));
        session.start();

        handleInput(node, async (msg, send) => {
            const id = normaliseCardId(msg.payload);
            const uid = uidFromHex(id);
            await session.opened;
            if (uid && session.simulated) {
                // Through the real driver path: the card sits on the simulated reader long enough for a few polls.
                await session.presentCard(uid, Math.max(300, settings.pollInterval * 3));
                return;
            }
            msg.topic = 'card';
            msg.payload = id;
            msg.card = {
                uid: uid ? uidHex(uid) : null, number: uid ? originalCardNumber(uid) : null, uidLength: uid ? uid.length : null, sak: null, atqa: null, source: 'input',
            } satisfies CardInfo;
            send([msg, null]);
        });

        node.on('close', (_removed: boolean, done: () => void) => {
            session.close().then(() => {
                node.status({});
                done();
            }, () => done());
        });
    }

    RED.nodes.registerType('mfrc522-reader', Mfrc522Reader);
};
