// Sales terminal: drives the original tap / choose / tap-again workflow (session mode)
// or sells at once ({card, passType}, direct mode). The sale itself is one Lua script
// that refuses a card that already has a pass.
import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { handleInput, InputError } from '../common/input';
import { attachToServer, showSettingsError } from '../common/redis-user';
import type { InputMessage, NodeConstructorAny, RedisUser, Send } from '../common/types';
import { promptText } from '../lib/audio/prompts';
import { isUnavailableError } from '../lib/redis/connection';
import { MAX_TIMER_MS, numberSetting } from '../lib/settings';
import { InvalidCardError, normaliseCardId } from '../lib/card-id';
import { PASS_SLUG, parsePassType, PassType } from '../lib/transit/pass-types';
import { RefuseReason, SaleAction, SaleEvent, SaleSession } from '../lib/transit/sale-session';
import { checkOperationId, storeForConnection, TransitStore } from '../lib/transit/store';

interface SaleConfig extends NodeDef {
    server: string;
    keyPrefix?: string;
    /** How passes are named: see keyLayout (nodes/lib/transit/keys.ts). */
    cardKeys?: string;
    stream?: string;
    terminalId?: string;
    timeout?: string | number;
}

export = function register(RED: NodeAPI): void {
    function TransitSale(this: RedisUser, config: SaleConfig) {
        RED.nodes.createNode(this, config);
        const node = this;
        const session = new SaleSession();
        let timeoutMs = 0;
        let timer: NodeJS.Timeout | undefined;
        // Events are handled one after another: a tap arriving while the previous one
        // is still being checked in Redis must see the state that check leaves.
        let queue: Promise<void> = Promise.resolve();
        let terminalId = node.id;
        let store: TransitStore | undefined;
        let settingsError: Error | undefined;

        const connection = attachToServer(RED, node, config.server);
        try {
            terminalId = checkOperationId(config.terminalId || node.id, 'terminal id');
            timeoutMs = numberSetting(config.timeout, 'timeout (seconds)', { fallback: 30, min: 0, max: MAX_TIMER_MS / 1000 }) * 1000;
            if (connection) {
                store = storeForConnection(connection, config);
            }
        } catch (err) {
            settingsError = err as Error;
            showSettingsError(RED, node, 'transit-sale', settingsError);
        }

        // Every answer is a copy of the message. One nested thousands of levels deep overflows
        // the copy: it is refused, with the code nodes/common/input.ts uses for messages
        // Node-RED cannot pass on, before anything is sold (see the input handler below).
        const copyOf = (msg: InputMessage): InputMessage => {
            try {
                return RED.util.cloneMessage(msg) as InputMessage;
            } catch (err) {
                throw new InputError(`Node-RED cannot copy this message: ${(err as Error).message}`, 'unusable-message');
            }
        };
        const out = (msg: InputMessage, port: 0 | 1 | 2, fields: Record<string, unknown>): NodeMessage[] => {
            const copy = copyOf(msg);
            Object.assign(copy, fields);
            const ports: Array<NodeMessage | null> = [null, null, null];
            ports[port] = copy;
            return ports as NodeMessage[];
        };
        const prompt = (msg: InputMessage, send: Send, id: string, extra: Record<string, unknown> = {}) =>
            send(out(msg, 0, { topic: 'prompt', payload: id, text: promptText(id), ...extra }));
        const refuse = (msg: InputMessage, send: Send, card: string | null, reason: RefuseReason | 'invalid-card') => {
            node.status({ fill: reason === 'unavailable' ? 'red' : 'yellow', shape: reason === 'unavailable' ? 'ring' : 'dot',
                text: RED._('transit-sale.status.refused', { reason }) });
            send(out(msg, 2, { topic: 'refused', payload: { card, reason } }));
        };
        const unavailable = (msg: InputMessage, send: Send, card: string, err: unknown) => {
            session.reset();
            prompt(msg, send, 'system-unavailable', { card });
            refuse(msg, send, card, 'unavailable');
            if (!isUnavailableError(err)) throw err;
        };

        const sell = async (msg: InputMessage, send: Send, card: string, passType: PassType) => {
            const saleId = typeof msg.saleId === 'string' && msg.saleId ? msg.saleId : `${terminalId}-${msg._msgid}`;
            try {
                checkOperationId(saleId, 'sale id');
            } catch (err) {
                // A sale id that cannot be part of a key is the flow's mistake: Catch nodes get
                // it, and the customer is not told that the system is unavailable.
                throw new InputError(RED._('transit-sale.errors.bad-sale-id', { error: (err as Error).message }), 'bad-sale-id');
            }
            let sale;
            try {
                sale = await (store as TransitStore).sell(card, passType, saleId, terminalId);
            } catch (err) {
                return unavailable(msg, send, card, err);
            }
            if (!sale.sold) {
                prompt(msg, send, 'card-already-has-pass', { card });
                return refuse(msg, send, card, 'card-already-has-pass');
            }
            prompt(msg, send, `thank-you-${PASS_SLUG[passType]}-pass`, { card, passType });
            const pass: Record<string, unknown> = { card, passType, issuedAt: sale.issuedAt };
            if (sale.tripsRemaining !== undefined) pass.tripsRemaining = sale.tripsRemaining;
            node.status({ fill: 'green', shape: 'dot', text: RED._('transit-sale.status.sold', { passType }) });
            send(out(msg, 1, { topic: 'sold', payload: pass, saleId }));
        };

        const perform = async (msg: InputMessage, send: Send, actions: SaleAction[]): Promise<void> => {
            for (const a of actions) {
                switch (a.action) {
                    case 'check': {
                        let has: boolean;
                        try {
                            has = await (store as TransitStore).hasPass(a.card);
                        } catch (err) {
                            return unavailable(msg, send, a.card, err);
                        }
                        await perform(msg, send, session.checked(a.card, has));
                        break;
                    }
                    case 'prompt':
                        prompt(msg, send, a.prompt, { card: a.card, passType: a.passType });
                        if (a.prompt === 'select-a-pass' || a.prompt === 'tap-card-to-confirm') {
                            node.status({ fill: 'blue', shape: 'dot', text: RED._(`transit-sale.status.${a.prompt}`) });
                        }
                        break;
                    case 'sell':
                        await sell(msg, send, a.card, a.passType);
                        break;
                    case 'refuse':
                        refuse(msg, send, a.card, a.reason);
                        break;
                    case 'ignore':
                        node.status({ fill: 'grey', shape: 'ring', text: RED._('transit-sale.status.tap-card-first') });
                        break;
                }
            }
        };

        const restartTimer = () => {
            if (timer) clearTimeout(timer);
            timer = undefined;
            if (!session.busy || timeoutMs === 0) return;
            timer = setTimeout(() => {
                const msg = { _msgid: RED.util.generateId() } as InputMessage;
                const send: Send = (m) => node.send(m);
                queue = queue.then(() => perform(msg, send, session.handle({ type: 'timeout' })))
                    .catch((err) => node.error(err));
            }, timeoutMs);
        };

        handleInput(node, (msg, send) => {
            copyOf(msg);
            const run = async () => {
                if (!store) throw new Error(RED._('transit-sale.errors.not-ready', { error: settingsError?.message ?? 'no Redis server' }));
                const s = store;
                const cardOf = (value: unknown) => s.cardId(normaliseCardId(value));
                try {
                    const direct = directSale(msg.payload);
                    if (direct) {
                        await sell(msg, send, cardOf(direct.card), parsePassType(direct.passType));
                        return;
                    }
                    await perform(msg, send, session.handle(toEvent(msg, cardOf)));
                } catch (err) {
                    // A screen wants to show an unreadable card as a refusal; the flow's
                    // Catch node still gets the error.
                    if (err instanceof InvalidCardError) refuse(msg, send, null, 'invalid-card');
                    throw err;
                }
            };
            const step = queue.then(run).finally(restartTimer);
            queue = step.catch(() => undefined);
            return step;
        });

        node.on('close', (_removed: boolean, done: () => void) => {
            if (timer) clearTimeout(timer);
            session.reset();
            done();
        });
    }

    RED.nodes.registerType('transit-sale', TransitSale as unknown as NodeConstructorAny);
};

function directSale(payload: unknown): { card: unknown; passType: unknown } | undefined {
    if (payload === null || typeof payload !== 'object' || Buffer.isBuffer(payload)) return undefined;
    const p = payload as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(p, 'card')) return undefined;
    return { card: p.card, passType: p.passType };
}

/** `cardOf` turns a card id into the one its passes are stored under (see TransitStore.cardId). */
function toEvent(msg: InputMessage, cardOf: (value: unknown) => string): SaleEvent {
    switch (msg.topic) {
        case 'card':
            return { type: 'card', card: cardOf(msg.payload) };
        case 'select':
            return { type: 'select', passType: parsePassType(msg.payload) };
        case 'cancel':
            return { type: 'cancel' };
        default:
            // Named by its type unless it is text: String() throws for an object without a usable toString.
            throw new InputError(
                `msg.topic must be "card", "select" or "cancel" (or msg.payload {card, passType}), not ${
                    typeof msg.topic === 'string' ? JSON.stringify(msg.topic.slice(0, 40)) : msg.topic === null ? 'null' : `a ${typeof msg.topic}`}`,
                'unknown-topic');
    }
}
