// Card administration for staff: msg.topic names the command (lookup, block, unblock, void,
// refund, transfer), msg.payload the card. Each change is one script, atomic against gates
// and terminals (nodes/lib/transit/card-admin.ts); every answer carries the card's state
// after it (msg.lookup), so a dashboard panel always shows what Redis holds.
import type { NodeAPI, NodeDef } from 'node-red';
import { handleInput, InputError } from '../common/input';
import { startRedisNode } from '../common/redis-user';
import { showStatus } from '../common/status';
import type { InputMessage, NodeConstructorAny, RedisUser } from '../common/types';
import { InvalidCardError, normaliseCardId } from '../lib/card-id';
import { CARD_COMMANDS, CardAdmin, CardChange, CardCommand, CardRefusedError, cardText, checkText } from '../lib/transit/card-admin';
import { storeForConnection } from '../lib/transit/store';

interface CardsConfig extends NodeDef {
    server: string;
    keyPrefix?: string;
    cardKeys?: string;
    stream?: string;
    /** Who the changes are recorded as when neither the message nor the dashboard says. */
    operator?: string;
}

interface Command {
    command: CardCommand;
    card: string;
    reason?: string;
    to?: string;
}

/** The staff member a change is recorded as: msg.operator, the Dashboard 2.0 user, or the node's setting. */
function operatorOf(msg: InputMessage, fallback: string): string {
    if (msg.operator !== undefined) return checkText(msg.operator, 'msg.operator', 64);
    // Dashboard 2.0 puts the logged-in user (FlowFuse, or an auth plugin) on msg._client.user.
    const user = (msg._client as { user?: Record<string, unknown> } | undefined)?.user;
    const name = user && [user.username, user.name, user.email, user.userId].find((v) => typeof v === 'string' && v.trim());
    return typeof name === 'string' ? checkText(name, 'the dashboard user', 64) : fallback;
}

export = function register(RED: NodeAPI): void {
    function TransitCards(this: RedisUser, config: CardsConfig) {
        RED.nodes.createNode(this, config);
        const node = this;
        const redis = startRedisNode(RED, node, {
            type: 'transit-cards',
            server: config.server,
            settings: () => ({ operator: config.operator ? checkText(config.operator, 'operator', 64) : 'node-red' }),
            build: (connection, settings) => {
                const store = storeForConnection(connection, config);
                return { ...settings, store, admin: new CardAdmin(store) };
            },
        });

        const parse = (msg: InputMessage, cardId: (uid: string) => string): Command => {
            const command = msg.topic as CardCommand;
            if (!CARD_COMMANDS.includes(command)) {
                throw new InputError(RED._('transit-cards.errors.bad-command', { topic: String(msg.topic).slice(0, 40) }), 'bad-command');
            }
            // A lookup may be a bare card id, as a card reader sends it.
            const p = (command === 'lookup' && (typeof msg.payload === 'string' || typeof msg.payload === 'number')
                ? { card: msg.payload } : msg.payload) as Record<string, unknown> | null;
            if (!p || typeof p !== 'object') throw new InputError(RED._('transit-cards.errors.bad-payload'), 'bad-payload');
            const card = (value: unknown, what: string) => {
                try {
                    return cardId(normaliseCardId(value));
                } catch (err) {
                    if (err instanceof InvalidCardError) throw new InputError(RED._('transit-cards.errors.bad-card', { what, error: err.message }), 'invalid-card');
                    throw err;
                }
            };
            const parsed: Command = { command, card: card(p.card, 'card') };
            if (command === 'transfer') parsed.to = card(p.to, 'to');
            if (command === 'block' || command === 'void' || command === 'refund') {
                try {
                    parsed.reason = checkText(p.reason, 'reason');
                } catch (err) {
                    throw new InputError((err as Error).message, 'bad-reason');
                }
            }
            return parsed;
        };

        handleInput(node, async (msg, send) => {
            const { admin, store, operator: fallback } = redis.ready();
            const c = parse(msg, (uid) => store.cardId(uid));
            // A message retried through a Catch node keeps its id, so a change is made once.
            const op = `cards-${node.id}-${msg._msgid}`;
            let result: CardChange | undefined;
            try {
                if (c.command !== 'lookup') {
                    const operator = operatorOf(msg, fallback);
                    if (c.command === 'block') result = await admin.block(c.card, c.reason as string, operator, op);
                    else if (c.command === 'unblock') result = await admin.unblock(c.card, operator, op);
                    else if (c.command === 'transfer') result = await admin.transfer(c.card, c.to as string, operator, op);
                    else result = await admin.remove(c.command, c.card, c.reason as string, operator, op);
                }
            } catch (err) {
                if (err instanceof CardRefusedError) throw new InputError(err.message, err.code);
                throw err;
            }
            const lookup = await admin.lookup(c.command === 'transfer' ? c.to as string : c.card);
            msg.lookup = lookup;
            msg.payload = result ?? lookup;
            msg.text = cardText(c.command, result, lookup);
            showStatus(node, { fill: 'green', shape: 'dot', text: RED._(`transit-cards.status.${c.command}`, { card: c.card }) });
            send(msg);
        });
    }

    RED.nodes.registerType('transit-cards', TransitCards as unknown as NodeConstructorAny);
};
