// tm1637-display: a TM1637 4-digit 7-segment module on two GPIO lines (CLK and DIO). Each
// message's number, text or segment bytes are written as one frame, and the message is sent
// on once that frame is on the bus (or a newer message replaced it first: bursts collapse to
// the latest value). Without GPIO, or in simulated mode, the same driver writes to a
// simulated TM1637 whose decoded display the node exposes as `simulator`.
import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import { handleInput, InputError, refuseInput } from '../common/input';
import { errorStatus, shorten } from '../common/status';
import { DisplayInputError, OVERFLOW_POLICIES, OverflowPolicy } from '../lib/tm1637/content';
import { DisplaySession, DisplaySettings } from '../lib/tm1637/display-session';
import type { SimulatedTm1637 } from '../lib/tm1637/simulated-chip';
import { SetupProblem } from '../lib/pi-helper/setup-problem';
import { integerSetting } from '../lib/settings';

interface DisplayDef extends NodeDef {
    clk: string | number;
    dio: string | number;
    brightness: string | number;
    overflow: string;
    clearOnClose: boolean | string;
    mode: 'auto' | 'simulated';
}

interface DisplayNode extends Node {
    /** The simulated TM1637 while running simulated: what it decodes is what the display shows. */
    readonly simulator: SimulatedTm1637 | undefined;
}

/** Value statuses are coalesced like the frames: at most one every STATUS_INTERVAL_MS. */
const STATUS_INTERVAL_MS = 200;

function settingsFromConfig(config: DisplayDef): DisplaySettings {
    const overflow = (config.overflow || 'clamp') as OverflowPolicy;
    if (!OVERFLOW_POLICIES.includes(overflow)) throw new Error(`invalid overflow policy: ${config.overflow}`);
    const settings: DisplaySettings = {
        clk: integerSetting(config.clk, 23, 0, 53, 'CLK pin'),
        dio: integerSetting(config.dio, 24, 0, 53, 'DIO pin'),
        brightness: integerSetting(config.brightness, 0, 0, 7, 'brightness'),
        overflow,
        mode: config.mode === 'simulated' ? 'simulated' : 'auto',
    };
    if (settings.clk === settings.dio) throw new Error('CLK and DIO must be different pins');
    return settings;
}

export = function register(RED: NodeAPI): void {
    function Tm1637Display(this: DisplayNode, config: DisplayDef) {
        RED.nodes.createNode(this, config);
        start(this, config);
    }

    function start(node: DisplayNode, config: DisplayDef): void {
        let settings: DisplaySettings;
        try {
            settings = settingsFromConfig(config);
        } catch (err) {
            refuseInput(node, RED._('tm1637-display.errors.bad-config', { error: (err as Error).message }));
            return;
        }
        const clearOnClose = config.clearOnClose !== false && config.clearOnClose !== 'false';
        const session = new DisplaySession(settings);
        Object.defineProperty(node, 'simulator', { get: () => session.simulator });
        let faulted = false;
        let statusTimer: NodeJS.Timeout | undefined;
        // Monotonic (performance.now): a wall clock stepped back would freeze the status.
        let lastValueStatus = -Infinity;
        let latestValue = '';

        const idle = (text: string): NodeStatus => ({ fill: session.simulated ? 'grey' : 'green', shape: 'dot', text });

        const cancelValueStatus = () => {
            clearTimeout(statusTimer);
            statusTimer = undefined;
        };
        // The status shows what the display shows, e.g. "simulated: 42"; a counter at full
        // speed would otherwise send the editor thousands of status updates a second.
        const showValue = (text: string) => {
            latestValue = text.trim() === '' ? RED._('tm1637-display.status.blank') : text.trim();
            if (statusTimer) return;
            statusTimer = setTimeout(() => {
                statusTimer = undefined;
                lastValueStatus = performance.now();
                const label = session.simulated ? `${shorten(RED._('tm1637-display.status.simulated'), 20)}: ` : '';
                node.status(idle(label + latestValue));
            }, Math.max(0, lastValueStatus + STATUS_INTERVAL_MS - performance.now()));
        };

        session.on('ready', (info) => {
            if (!info.simulated) {
                node.log(RED._('tm1637-display.log.found', { backend: info.backend, clk: settings.clk, dio: settings.dio }));
                node.status(idle(RED._('tm1637-display.status.ready')));
                return;
            }
            node.log(RED._('tm1637-display.log.simulated', { reason: info.reason ?? '' }));
            node.status(idle(RED._('tm1637-display.status.simulated')));
        });
        session.on('fault', (err) => {
            // One log line per outage; the next frame tries the lines again. A missing
            // prerequisite shows its fix as the status (errorStatus), and in the log.
            if (!faulted) {
                node.error(err instanceof SetupProblem
                    ? RED._('tm1637-display.errors.setup', { problem: err.problem, fix: err.fix })
                    : RED._('tm1637-display.errors.display', { error: err.message }));
            }
            faulted = true;
            cancelValueStatus();
            node.status(errorStatus(err));
        });
        session.on('recovered', () => {
            faulted = false;
            node.log(RED._('tm1637-display.log.recovered'));
        });
        void session.start();

        handleInput(node, async (msg, send) => {
            let result;
            try {
                result = await session.show({ payload: msg.payload, brightness: msg.brightness, colon: msg.colon });
            } catch (err) {
                cancelValueStatus();
                if (err instanceof DisplayInputError) {
                    throw new InputError(RED._(`tm1637-display.errors.${err.code}`, { value: err.value }), err.code);
                }
                throw err;
            }
            if (result.outcome === 'dropped') return; // the node is closing
            if (result.outcome === 'written') showValue(result.text);
            msg.display = {
                segments: result.segments, text: result.text, brightness: result.brightness, colon: result.colon,
                shown: result.outcome === 'written',
            };
            send(msg);
        });

        node.on('close', (_removed: boolean, done: () => void) => {
            cancelValueStatus();
            session.close(clearOnClose).then(() => {
                node.status({});
                done();
            }, () => done());
        });
    }

    RED.nodes.registerType('tm1637-display', Tm1637Display);
};
