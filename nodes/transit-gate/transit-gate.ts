// Entry gate: one tap in, one decision out (granted on output 1, denied on output 2),
// decided and charged by one Lua script so that gates racing on a card never grant
// more entries than the pass holds. While Redis is away, its offline policy decides
// (see offline-gate.ts): deny everyone, decide from a copy of the passes, or let everyone in.
import os from 'os';
import path from 'path';
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
import { journalFile } from '../lib/transit/journal';
import { OfflineDecision, offlinePolicy } from '../lib/transit/offline';
import { OfflineGate, ReplayProgress } from '../lib/transit/offline-gate';
import { PassReplica } from '../lib/transit/replica';

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
    /** deny (the default), known-passes or open: see OfflinePolicy. */
    offlinePolicy?: string;
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
                    policy: offlinePolicy(config.offlinePolicy),
                };
            },
            build: (connection, settings) => {
                const store = storeForConnection(connection, config);
                const { policy, gateId, repeatWindowMs } = settings;
                if (policy === 'deny') return { ...settings, store, offline: undefined, replica: undefined };
                const replica = policy === 'known-passes' ? PassReplica.acquire(connection, { keyPrefix: store.keyPrefix, layout: store.layout }) : undefined;
                let offline: OfflineGate;
                try {
                    // The journal lives with the flows, where a Pi's Node-RED keeps what must survive it.
                    const userDir = RED.settings.userDir || path.join(os.homedir(), '.node-red');
                    const common = { gateId, repeatWindowMs, journalFile: journalFile(userDir, gateId), store, connection };
                    offline = new OfflineGate(replica ? { ...common, policy: 'known-passes', replica } : { ...common, policy: 'open' });
                } catch (err) {
                    void replica?.release();
                    throw err;
                }
                offline.on('progress', showProgress);
                offline.on('error', (err) => node.error(RED._('transit-gate.errors.replay', { error: err.message })));
                return { ...settings, store, offline, replica };
            },
            stop: async ({ offline, replica }) => {
                await offline?.close();
                await replica?.release();
            },
        });
        node.transitId = redis.parts?.gateId;

        // The replay's progress, on the status and for the operations page; an offline
        // decision shows its own status (decideOffline), and the connection's state shows
        // between replays.
        let wasReplaying = false;
        function showProgress(progress: ReplayProgress): void {
            node.transitJournal = progress;
            if (progress.replaying) {
                showStatus(node, { fill: 'blue', shape: 'dot', text: RED._('transit-gate.status.replaying', { pending: progress.pending, replayed: progress.replayed }) });
            } else if (wasReplaying && progress.pending === 0) {
                showStatus(node, { fill: progress.overused ? 'yellow' : 'green', shape: 'dot',
                    text: RED._('transit-gate.status.replayed', { replayed: progress.replayed, overused: progress.overused }) });
            }
            wasReplaying = progress.replaying;
        }
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

        // status: an offline denial's own (a ring), in place of the online one, so a Status
        // node never hears a dot in between (the shipped gate's light would leave yellow).
        const deny = (msg: InputMessage, send: Send, card: string | null, reason: DenyReason, extra = {}, status?: NodeStatus) => {
            msg.topic = 'denied';
            msg.payload = { card, reason, ...extra };
            msg.text = gateDecisionText(false, { card, reason, ...extra });
            showStatus(node, status ?? statusFor(`denied:${reason}`, () => ({ fill: reason === 'unavailable' ? 'red' : 'yellow',
                shape: reason === 'unavailable' ? 'ring' : 'dot', text: RED._('transit-gate.status.denied', { reason }) })));
            send([null, msg]);
        };

        // A decision the gate takes alone: journaled before it is answered; a yellow ring, as
        // the connection's own status, keeps the gate's light yellow (Redis away).
        const decideOffline = async (offline: OfflineGate, msg: InputMessage, send: Send, card: string, tapId: string) => {
            let decision: OfflineDecision;
            try {
                ({ decision } = await offline.decide(card, tapId));
            } catch (err) {
                // Not journaled, so not granted: the tap could never be charged.
                deny(msg, send, card, 'unavailable');
                throw new InputError(RED._('transit-gate.errors.journal', { error: (err as Error).message }), 'journal');
            }
            msg.offline = true;
            const pending = offline.progress.pending;
            if (!decision.granted) {
                return deny(msg, send, card, decision.reason as DenyReason, { offline: true },
                    { fill: 'yellow', shape: 'ring', text: RED._('transit-gate.status.offline-denied', { reason: decision.reason ?? '', pending }) });
            }
            msg.topic = 'granted';
            const payload = { ...grantPayload({ ...decision, card }), offline: true };
            msg.payload = payload;
            msg.text = gateDecisionText(true, payload);
            showStatus(node, { fill: 'yellow', shape: 'ring', text: RED._('transit-gate.status.offline-granted', { passType: decision.passType ?? '', pending }) });
            send([msg, null]);
        };

        handleInput(node, async (msg, send) => {
            const { store, gateId, repeatWindowMs, source, offline } = redis.ready();
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
            // Redis known away: decided at once, without waiting for a command to fail. Redis back
            // with taps still to replay: this one joins them, so a card's rides count in order and
            // the answer never waits for the replay (a few seconds at most: see the bench).
            if (offline && (!redis.connection?.ready || offline.behind)) return decideOffline(offline, msg, send, card, tapId);
            let decision: TapDecision;
            try {
                decision = await store.tap(card, gateId, tapId, repeatWindowMs);
            } catch (err) {
                // With an offline policy the gate decides alone, under the same tap id: if
                // Redis did decide (its answer was lost), the replay gets that decision back.
                if (offline && isUnavailableError(err)) return decideOffline(offline, msg, send, card, tapId);
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

type Grant = Pick<TapDecision, 'card' | 'passType' | 'label' | 'remainingTrips' | 'remainingTime' | 'activated'>;

function grantPayload(d: Grant): Grant {
    const payload: Grant = { card: d.card };
    // The open policy lets a rider in without reading a pass: no pass type to say.
    if (d.passType !== undefined) payload.passType = d.passType;
    if (d.label !== undefined) payload.label = d.label;
    if (d.remainingTrips !== undefined) payload.remainingTrips = d.remainingTrips;
    if (d.remainingTime !== undefined) payload.remainingTime = d.remainingTime;
    if (d.activated !== undefined) payload.activated = d.activated;
    return payload;
}
