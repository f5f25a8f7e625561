// Sales terminal: drives the original tap / choose / tap-again workflow (session mode)
// or sells at once ({card, passType}, direct mode). The terminal's logic lives in
// nodes/lib/transit/sales-terminal.ts; this adapter turns messages into its requests and
// what it says into messages on four outputs and a status.
import type { NodeAPI, NodeDef, NodeMessage } from 'node-red';
import { handleInput, InputError } from '../common/input';
import { startRedisNode } from '../common/redis-user';
import type { InputMessage, NodeConstructorAny, ProductsNode, RedisUser, Send } from '../common/types';
import { MAX_TIMER_MS, numberSetting } from '../lib/settings';
import { normaliseCardId } from '../lib/card-id';
import { ORIGINAL_PRODUCTS, Product } from '../lib/transit/products';
import { saleText } from '../lib/transit/decision-text';
import { SaleEvent } from '../lib/transit/sale-session';
import { BadSaleIdError, SaleRequest, SalesTerminal, TerminalOutput } from '../lib/transit/sales-terminal';
import { checkOperationId, storeForConnection } from '../lib/transit/store';

interface SaleConfig extends NodeDef {
    server: string;
    /** A transit-products config node; none: the original three passes. */
    products?: string;
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
        // Where the answers to the message being handled go; the timeout's go to node.send.
        const sends = new WeakMap<InputMessage, Send>();
        const redis = startRedisNode(RED, node, {
            type: 'transit-sale',
            server: config.server,
            settings: () => ({
                terminalId: checkOperationId(config.terminalId || node.id, 'terminal id'),
                timeoutMs: numberSetting(config.timeout, 'timeout (seconds)', { fallback: 30, min: 0, max: MAX_TIMER_MS / 1000 }) * 1000,
                catalogue: catalogueOf(RED, config.products),
            }),
            build: (connection, settings) => {
                const store = storeForConnection(connection, config);
                const terminal = new SalesTerminal<InputMessage>({ store, ...settings },
                    (output, origin) => answer(output, origin), (err) => node.error(err));
                return { store, terminal, terminalId: settings.terminalId };
            },
            stop: ({ terminal }) => terminal.close(),
        });
        node.transitId = redis.parts?.terminalId;

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
        const out = (msg: InputMessage, port: 0 | 1 | 2 | 3, fields: Record<string, unknown>): NodeMessage[] => {
            const copy = copyOf(msg);
            Object.assign(copy, fields);
            const ports: Array<NodeMessage | null> = [null, null, null, null];
            ports[port] = copy;
            return ports as NodeMessage[];
        };

        function answer(output: TerminalOutput, origin: InputMessage | undefined): void {
            const msg = origin ?? ({ _msgid: RED.util.generateId() } as InputMessage);
            const send: Send = (origin && sends.get(origin)) || ((m) => node.send(m));
            switch (output.kind) {
                case 'prompt': {
                    const { prompt, text, card, passType } = output;
                    return send(out(msg, 0, { topic: 'prompt', payload: prompt, text, card, passType }));
                }
                case 'sold':
                    node.status({ fill: 'green', shape: 'dot', text: RED._('transit-sale.status.sold', { passType: output.pass.passType }) });
                    return send(out(msg, 1, { topic: 'sold', payload: output.pass, saleId: output.saleId, text: saleText(true, output.pass) }));
                case 'refused': {
                    const down = output.reason === 'unavailable';
                    node.status({ fill: down ? 'red' : 'yellow', shape: down ? 'ring' : 'dot',
                        text: RED._('transit-sale.status.refused', { reason: output.reason }) });
                    const payload = { card: output.card, reason: output.reason };
                    return send(out(msg, 2, { topic: 'refused', payload, text: saleText(false, payload) }));
                }
                case 'waiting':
                    return node.status(output.step === 'tap-card-first'
                        ? { fill: 'grey', shape: 'ring', text: RED._('transit-sale.status.tap-card-first') }
                        : { fill: 'blue', shape: 'dot', text: RED._(`transit-sale.status.${output.step}`) });
            }
        }

        handleInput(node, async (msg, send) => {
            copyOf(msg);
            const { terminal: t, store: s, terminalId } = redis.ready();
            if (msg.topic === 'products') {
                // For a dashboard's pass buttons: the catalogue, in its order.
                send(out(msg, 3, { payload: t.catalogue.map(({ id, label }) => ({ id, label })) }));
                return;
            }
            sends.set(msg, send);
            const saleId = typeof msg.saleId === 'string' && msg.saleId ? msg.saleId : `${terminalId}-${msg._msgid}`;
            const cardOf = (value: unknown) => s.cardId(normaliseCardId(value));
            try {
                await t.submit(msg, () => toRequest(msg, saleId, cardOf, (value) => t.product(value)));
            } catch (err) {
                // A sale id that cannot be part of a key is the flow's mistake: Catch nodes get
                // it, and the customer is not told that the system is unavailable.
                if (err instanceof BadSaleIdError) {
                    throw new InputError(RED._('transit-sale.errors.bad-sale-id', { error: err.message }), 'bad-sale-id');
                }
                throw err;
            }
        });
    }

    RED.nodes.registerType('transit-sale', TransitSale as unknown as NodeConstructorAny);
};

/** The products a terminal sells: its transit-products node's, else the original three. */
function catalogueOf(RED: NodeAPI, id: string | undefined): readonly Product[] {
    if (!id) return ORIGINAL_PRODUCTS;
    const products = RED.nodes.getNode(id) as ProductsNode | null;
    if (!products) throw new Error('its pass products node is missing');
    if (!products.catalogue) throw new Error(`its pass products are invalid: ${products.problem?.message ?? 'unknown fault'}`);
    return products.catalogue;
}

/**
 * What a message asks of the terminal. `cardOf` turns a card id into the one its passes are
 * stored under (see TransitStore.cardId); `productOf` finds a product in the catalogue.
 */
function toRequest(msg: InputMessage, saleId: string, cardOf: (value: unknown) => string, productOf: (value: unknown) => Product): SaleRequest {
    const direct = directSale(msg.payload);
    if (direct) return { type: 'direct', card: cardOf(direct.card), product: productOf(direct.passType), saleId };
    return { type: 'session', event: toEvent(msg, cardOf, productOf), saleId };
}

function directSale(payload: unknown): { card: unknown; passType: unknown } | undefined {
    if (payload === null || typeof payload !== 'object' || Buffer.isBuffer(payload)) return undefined;
    const p = payload as Record<string, unknown>;
    if (!Object.prototype.hasOwnProperty.call(p, 'card')) return undefined;
    return { card: p.card, passType: p.passType };
}

function toEvent(msg: InputMessage, cardOf: (value: unknown) => string, productOf: (value: unknown) => Product): SaleEvent {
    switch (msg.topic) {
        case 'card':
            return { type: 'card', card: cardOf(msg.payload) };
        case 'select':
            return { type: 'select', passType: productOf(msg.payload).id };
        case 'cancel':
            return { type: 'cancel' };
        default:
            // Named by its type unless it is text: String() throws for an object without a usable toString.
            throw new InputError(
                `msg.topic must be "card", "select", "cancel" or "products" (or msg.payload {card, passType}), not ${
                    typeof msg.topic === 'string' ? JSON.stringify(msg.topic.slice(0, 40)) : msg.topic === null ? 'null' : `a ${typeof msg.topic}`}`,
                'unknown-topic');
    }
}
