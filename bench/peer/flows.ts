// The two sides of the peer benchmark as Node-RED flows, for the test helper and for a
// real Node-RED process alike: ours (redis-iot-server, redis-counter, transit-gate) and
// what a Node-RED user would build instead with node-red-contrib-redis 1.3.9.
//
// Theirs, counter: redis-in subscribed to the key's keyspace channel, a change node, a
// redis-command GET. The change node is needed: redis-in sends the channel as msg.topic
// and the event ("incr") as msg.payload, which redis-command would take as GET's key and
// an extra argument (ERR wrong number of arguments). Keyspace notifications must be on
// (K$); ours switches them on itself, theirs needs the bench (or redis.conf) to.
//
// Theirs, gate: redis-lua-script running our own TAP_SCRIPT text, stored (SCRIPT LOAD,
// then EVALSHA, as our gate does), so the Lua is identical and only the nodes differ. Its
// msg.payload must be the script's keys and arguments as one array; the bench hands it
// that array ready-made rather than building it in a function or change node, so their
// figure leaves out a node a real flow would need.
//
// Theirs, gate as a user builds it: the same script behind the nodes a flow needs to turn a
// card into a decision, as ours does in one node: a function node that builds the keys and
// arguments from the card (msg.payload), the redis-lua-script node, a json node (the reply
// is the decision as JSON text) and a switch on payload.granted, granted to output 1 and
// denied to output 2.
import { cardKeys } from '../../nodes/lib/transit/keys';
import { TWO_HOUR_MS } from '../../nodes/lib/transit/pass-types';
import { TAP_SCRIPT } from '../../nodes/lib/transit/scripts';
import { DEFAULT_RECORD_TTL_MS, DEFAULT_STREAM_LENGTH } from '../../nodes/lib/transit/store';
import type { FlowNode } from '../../test/support/flow';

export const PEER_PACKAGE = 'node-red-contrib-redis';

/** The Redis names one side uses, so that the two never touch each other's keys. */
export interface SideNames {
    counterKey: string;
    passPrefix: string;
    stream: string;
    gateId: string;
}

export const OURS: SideNames = { counterKey: 'peerbench:ours:counter', passPrefix: 'peerbench:ours:', stream: 'peerbench:ours:events', gateId: 'ours' };
export const THEIRS: SideNames = { counterKey: 'peerbench:theirs:counter', passPrefix: 'peerbench:theirs:', stream: 'peerbench:theirs:events', gateId: 'theirs' };

/** Node ids the bench sends to and listens on; `outputs` are absent in a real Node-RED (nothing listens). */
export const IDS = { counter: 'counter', counterOut: 'counter-out', gate: 'gate', gateOut: 'gate-out', gateAsBuilt: 'gate-as-built' };

const id = (side: string, name: string) => `${side}-${name}`;

/** Where a side's counter and gate send: helper nodes in the test helper, nowhere in a real Node-RED. */
export interface Outputs { counter: string[]; gate: string[] }

export function oursFlow(port: number, names: SideNames, outputs: Outputs): FlowNode[] {
    const tab = id('ours', 'tab');
    const server = id('ours', 'server');
    return [
        { id: tab, type: 'tab', label: 'ours' },
        { id: server, type: 'redis-iot-server', z: tab, host: '127.0.0.1', port, db: 0, mode: 'standalone', timeout: 250 },
        { id: id('ours', IDS.counter), type: 'redis-counter', z: tab, server, key: names.counterKey, wires: [outputs.counter] },
        // Granted and denied both go to the same place: the bench waits for either.
        { id: id('ours', IDS.gate), type: 'transit-gate', z: tab, server, gateId: names.gateId, repeatWindow: 0,
            keyPrefix: names.passPrefix, stream: names.stream, wires: [outputs.gate, outputs.gate] },
    ];
}

export function theirsFlow(port: number, names: SideNames, outputs: Outputs): FlowNode[] {
    const tab = id('theirs', 'tab');
    const server = id('theirs', 'server');
    const change = id('theirs', 'counter-change');
    const get = id('theirs', 'counter-get');
    return [
        { id: tab, type: 'tab', label: 'theirs' },
        // The package's own defaults: the name "Local", options as JSON (ioredis's).
        { id: server, type: 'redis-config', name: 'Local', cluster: false,
            options: JSON.stringify({ host: '127.0.0.1', port, db: 0 }), optionsType: 'json' },
        { id: id('theirs', IDS.counter), type: 'redis-in', z: tab, server, command: 'subscribe',
            topic: `__keyspace@0__:${names.counterKey}`, obj: false, timeout: 0, wires: [[change]] },
        { id: change, type: 'change', z: tab, rules: [
            { t: 'delete', p: 'topic', pt: 'msg' },
            { t: 'delete', p: 'payload', pt: 'msg' },
        ], wires: [[get]] },
        { id: get, type: 'redis-command', z: tab, server, command: 'GET', topic: names.counterKey, params: '[]',
            paramsType: 'json', payloadType: 'json', block: false, wires: [outputs.counter] },
        { id: id('theirs', IDS.gate), type: 'redis-lua-script', z: tab, server, func: TAP_SCRIPT, keyval: 5,
            stored: true, block: false, wires: [outputs.gate] },
        ...theirGateAsBuilt(tab, server, names, outputs),
    ];
}

/** Their gate as a flow: card in (msg.payload), decision out of output 1 (granted) or 2 (denied) of the switch. */
function theirGateAsBuilt(tab: string, server: string, names: SideNames, outputs: Outputs): FlowNode[] {
    const [lua, json, decide] = ['gate-lua', 'gate-json', 'gate-switch'].map((name) => id('theirs', name));
    const q = JSON.stringify;
    const func = [
        '// The tap script\'s keys, then its arguments (card, gate, tap id, repeat window,',
        '// stream length, record TTL, two hours, deadline), as redis-lua-script takes them.',
        'const card = String(msg.payload).trim().toUpperCase();',
        `const pass = ${q(names.passPrefix)} + card;`,
        `msg.tapId = msg.tapId || ${q(names.gateId)} + '-' + msg._msgid;`,
        `msg.payload = [pass, '{' + pass + '}:op:tap:' + msg.tapId, '{' + pass + '}:gate:' + ${q(names.gateId)}, '{' + pass + '}:deny', ${q(names.stream)},`,
        `    card, ${q(names.gateId)}, msg.tapId, 0, ${DEFAULT_STREAM_LENGTH}, ${DEFAULT_RECORD_TTL_MS}, ${TWO_HOUR_MS}, 0];`,
        'return msg;',
    ].join('\n');
    return [
        { id: id('theirs', IDS.gateAsBuilt), type: 'function', z: tab, name: 'tap script arguments', func, outputs: 1, wires: [[lua]] },
        { id: lua, type: 'redis-lua-script', z: tab, server, func: TAP_SCRIPT, keyval: 5, stored: true, block: false, wires: [[json]] },
        { id: json, type: 'json', z: tab, property: 'payload', action: 'obj', wires: [[decide]] },
        { id: decide, type: 'switch', z: tab, property: 'payload.granted', propertyType: 'msg',
            rules: [{ t: 'true' }, { t: 'else' }], checkall: 'false', outputs: 2, wires: [outputs.gate, outputs.gate] },
    ];
}

/** The node id of a side's counter input, gate, or the helper nodes listening to them. */
export function nodeId(side: 'ours' | 'theirs', name: keyof typeof IDS): string {
    return id(side, IDS[name]);
}

/** redis-lua-script's msg.payload for one tap: TAP_SCRIPT's five keys, then its arguments as our store passes them. */
export function tapPayload(names: SideNames, card: string, tapId: string): Array<string | number> {
    const keys = cardKeys(names.passPrefix, card);
    return [keys.pass, keys.record(`tap:${tapId}`), keys.repeat(names.gateId), keys.deny, names.stream,
        card, names.gateId, tapId, 0, DEFAULT_STREAM_LENGTH, DEFAULT_RECORD_TTL_MS, TWO_HOUR_MS, 0];
}
