// Entry gate: one tap in, one decision out (granted on output 1, denied on output 2),
// decided and charged by one Lua script so that gates racing on a card never grant
// more entries than the pass holds.
import type { NodeAPI, NodeDef, NodeStatus } from 'node-red';
import { handleInput, InputError } from '../common/input';
import { readNodeProperty } from '../common/property';
import { startRedisNode } from '../common/redis-user';
import { showStatus, skipRepeatedStatus } from '../common/status';
import type { InputMessage, NodeConstructorAny, RedisUser, Send } from '../common/types';
import { isUnavailableError } from '../lib/redis/errors';
import { numberSetting } from '../lib/settings';
import { InvalidCardError, normaliseCardId } from '../lib/card-id';
import { gateDecisionText } from '../lib/transit/decision-text';
import { checkOperationId, DenyReason, TapDecision, storeForConnection } from '../lib/transit/store';

interface GateConfig extends NodeDef {
    server: string;
    keyPrefix?: string;
    /** How passes are named: see keyLayout (nodes/lib/transit/keys.ts). */
    cardKeys?: string;
    stream?: string;
    gateId?: string;
    repeatWindow?: string | number;
    /** Where the card id is read: a property of the message, flow or global context (typedInput). */
    card?: string;
    cardType?: string;
}

/** A property of the message itself ("payload"), not a path into it. */
const TOP_LEVEL = /^[A-Za-z_][A-Za-z0-9_]*$/;

interface CardSource {
    property: string;
    type: 'msg' | 'flow' | 'global';
    /**
     * The message property to read directly, when that is all the expression says: what
     * Node-RED's getMessageProperty gives, without parsing the expression and waiting for
     * a callback on every tap.
     */
    direct?: string;
}

/** Where a gate reads the card id: msg.payload unless the flow says otherwise (flows saved before the setting do not). */
function cardSource(config: GateConfig): CardSource {
    const type = config.cardType || 'msg';
    if (type !== 'msg' && type !== 'flow' && type !== 'global') throw new Error(`the card id cannot be read from a ${type}`);
    const property = config.card || 'payload';
    return { property, type, direct: type === 'msg' && TOP_LEVEL.test(property) ? property : undefined };
}

/** How many statuses a gate keeps made (see statusFor): a pass type is whatever Redis holds, so the count is bounded. */
const KEPT_STATUSES = 64;

export = function register(RED: NodeAPI): void {
    function TransitGate(this: RedisUser, config: GateConfig) {
        RED.nodes.createNode(this, config);
        const node = this;
        skipRepeatedStatus(node);
        const redis = startRedisNode(RED, node, {
            type: 'transit-gate',
            server: config.server,
            settings: () => {
                const source = cardSource(config);
                // Node-RED's own check of a property expression ("a.b[0]"): a bad one is refused at deploy.
                RED.util.normalisePropertyExpression(source.property);
                return {
                    gateId: checkOperationId(config.gateId || node.id, 'gate id'),
                    repeatWindowMs: numberSetting(config.repeatWindow, 'repeat window (seconds)', { fallback: 10, min: 0 }) * 1000,
                    source,
                };
            },
            build: (connection, settings) => ({ ...settings, store: storeForConnection(connection, config) }),
        });
        node.transitId = redis.parts?.gateId;
        // The few statuses a gate shows, each made (and translated) once, not once per decision.
        const statuses = new Map<string, NodeStatus>();
        const statusFor = (key: string, make: () => NodeStatus): NodeStatus => {
            let status = statuses.get(key);
            if (!status) {
                if (statuses.size >= KEPT_STATUSES) statuses.clear();
                status = make();
                statuses.set(key, status);
            }
            return status;
        };

        const deny = (msg: InputMessage, send: Send, card: string | null, reason: DenyReason, extra = {}) => {
            msg.topic = 'denied';
            msg.payload = { card, reason, ...extra };
            msg.text = gateDecisionText(false, { card, reason });
            showStatus(node, statusFor(`denied:${reason}`, () => ({ fill: reason === 'unavailable' ? 'red' : 'yellow',
                shape: reason === 'unavailable' ? 'ring' : 'dot', text: RED._('transit-gate.status.denied', { reason }) })));
            send([null, msg]);
        };

        handleInput(node, async (msg, send) => {
            const { store, gateId, repeatWindowMs, source } = redis.ready();
            let card: string;
            try {
                card = store.cardId(normaliseCardId(source.direct !== undefined ? msg[source.direct] : await readNodeProperty(RED, node, source.property, source.type, msg)));
            } catch (err) {
                if (err instanceof InvalidCardError) return deny(msg, send, null, 'invalid-card', { error: err.message });
                throw err;
            }
            // A message retried through a Catch/delay loop keeps its _msgid, so it keeps its
            // tap id and cannot be charged twice; a new tap of the card is a new message.
            const tapId = typeof msg.tapId === 'string' && msg.tapId ? msg.tapId : `${gateId}-${msg._msgid}`;
            try {
                checkOperationId(tapId, 'tap id');
            } catch (err) {
                // A tap id that cannot be part of a key is the flow's mistake, not the passenger's:
                // Catch nodes get it, and the gate does not answer "unavailable" for it.
                throw new InputError(RED._('transit-gate.errors.bad-tap-id', { error: (err as Error).message }), 'bad-tap-id');
            }
            msg.tapId = tapId;
            msg.gateId = gateId;
            let decision: TapDecision;
            try {
                decision = await store.tap(card, gateId, tapId, repeatWindowMs);
            } catch (err) {
                // The passenger gets an answer either way; only a non-availability error
                // (an ACL refusal, say) is also a configuration problem for Catch nodes.
                deny(msg, send, card, 'unavailable');
                if (isUnavailableError(err)) return;
                throw err;
            }
            if (!decision.granted) return deny(msg, send, card, decision.reason as DenyReason);
            msg.topic = 'granted';
            msg.payload = grantPayload(decision);
            msg.text = gateDecisionText(true, decision);
            const passType = decision.passType ?? '';
            showStatus(node, statusFor(`granted:${passType}`, () => ({ fill: 'green', shape: 'dot', text: RED._('transit-gate.status.granted', { passType }) })));
            send([msg, null]);
        });
    }

    RED.nodes.registerType('transit-gate', TransitGate as unknown as NodeConstructorAny);
};

function grantPayload(d: TapDecision): Record<string, unknown> {
    const payload: Record<string, unknown> = { card: d.card, passType: d.passType };
    if (d.label !== undefined) payload.label = d.label;
    if (d.remainingTrips !== undefined) payload.remainingTrips = d.remainingTrips;
    if (d.remainingTime !== undefined) payload.remainingTime = d.remainingTime;
    if (d.activated !== undefined) payload.activated = d.activated;
    return payload;
}
