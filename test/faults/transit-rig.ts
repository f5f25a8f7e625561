// A transit system in Node-RED for the fault tests: gates and sales terminals (direct
// {card, passType} mode) on one redis-iot-server, with every answer matched back to the
// tap or sale that caused it by its id, so a test can send many at once and time each.
import type Redis from 'ioredis';
import type { Node } from 'node-red';
import { FlowNode, helper, load, Msg, serverNode, SERVER_ID } from '../support/flow';

const serverModule = require('../../nodes/redis-iot-server/redis-iot-server');
const gateModule = require('../../nodes/transit-gate/transit-gate');
const saleModule = require('../../nodes/transit-sale/transit-sale');
const monitorModule = require('../../nodes/transit-monitor/transit-monitor');
const counterModule = require('../../nodes/redis-counter/redis-counter');

export const KEY_PREFIX = 'fault:pass:';
export const STREAM = 'fault:events';
export const TEN_TRIPS = 10;

let cards = 0;
/** A card id no other test uses (uppercase hex, as the gate normalises it). */
export function freshCard(): string {
    cards += 1;
    return `FA${process.pid.toString(16)}${Date.now().toString(16)}${cards.toString(16)}`.toUpperCase();
}

export type Outcome = 'ok' | 'fail' | 'unknown';

export interface Answer {
    outcome: Outcome;
    /** granted / no-pass / unavailable / sold / card-already-has-pass ... */
    detail: string;
    msg: Msg;
    ms: number;
}

export interface RigOptions {
    gates?: number;
    terminals?: number;
    /** Also deploy a transit-monitor ('monitor' -> 'events') and a redis-counter ('counter' -> 'count'). */
    monitorAndCounter?: { counterKey: string };
    server?: Record<string, unknown>;
}

export function transitFlow(port: number, options: RigOptions = {}): FlowNode[] {
    const flow: FlowNode[] = [
        { id: 'tab', type: 'tab' },
        { ...serverNode(port, options.server), z: 'tab' },
        { id: 'granted', type: 'helper', z: 'tab' },
        { id: 'denied', type: 'helper', z: 'tab' },
        { id: 'sold', type: 'helper', z: 'tab' },
        { id: 'refused', type: 'helper', z: 'tab' },
    ];
    for (let i = 0; i < (options.gates ?? 1); i++) {
        flow.push({ id: `gate${i}`, type: 'transit-gate', z: 'tab', server: SERVER_ID, gateId: `gate-${i}`, repeatWindow: 0,
            keyPrefix: KEY_PREFIX, stream: STREAM, wires: [['granted'], ['denied']] });
    }
    for (let i = 0; i < (options.terminals ?? 0); i++) {
        flow.push({ id: `terminal${i}`, type: 'transit-sale', z: 'tab', server: SERVER_ID, terminalId: `terminal-${i}`,
            keyPrefix: KEY_PREFIX, stream: STREAM, timeout: 0, wires: [[], ['sold'], ['refused']] });
    }
    if (options.monitorAndCounter) {
        flow.push(
            { id: 'monitor', type: 'transit-monitor', z: 'tab', server: SERVER_ID, stream: STREAM, group: 'fault-monitor', wires: [['events']] },
            { id: 'events', type: 'helper', z: 'tab' },
            { id: 'counter', type: 'redis-counter', z: 'tab', server: SERVER_ID, key: options.monitorAndCounter.counterKey, wires: [['count']] },
            { id: 'count', type: 'helper', z: 'tab' },
        );
    }
    return flow;
}

export const transitModules = [serverModule, gateModule, saleModule, monitorModule, counterModule];

/** Matches gate and terminal answers to their tap or sale by id. */
export class TransitRig {
    private readonly waiting = new Map<string, (msg: Msg) => void>();

    private constructor() {
        const on = (helperId: string, idOf: (msg: Msg) => unknown) =>
            (helper.getNode(helperId) as Node).on('input', (msg: Msg) => {
                const id = String(idOf(msg));
                const resolve = this.waiting.get(id);
                this.waiting.delete(id);
                resolve?.(msg);
            });
        on('granted', (m) => `tap:${m.tapId}`);
        on('denied', (m) => `tap:${m.tapId}`);
        on('sold', (m) => `sale:${m.saleId}`);
        on('refused', (m) => `sale:${m.saleId}`);
    }

    static async deploy(port: number, options: RigOptions = {}): Promise<TransitRig> {
        await load(transitModules, transitFlow(port, options));
        return new TransitRig();
    }

    tap(gate: number, card: string, tapId: string, timeoutMs = 10000): Promise<Answer> {
        return this.ask(`tap:${tapId}`, `gate${gate}`, { payload: card, tapId }, timeoutMs, (msg) => {
            if (msg.topic === 'granted') return { outcome: 'ok', detail: 'granted' };
            const reason = String((msg.payload as { reason?: string }).reason);
            return { outcome: reason === 'unavailable' ? 'unknown' : 'fail', detail: reason };
        });
    }

    sell(terminal: number, card: string, saleId: string, passType = 'TEN_TRIP', timeoutMs = 10000): Promise<Answer> {
        return this.ask(`sale:${saleId}`, `terminal${terminal}`, { payload: { card, passType }, saleId }, timeoutMs, (msg) => {
            if (msg.topic === 'sold') return { outcome: 'ok', detail: 'sold' };
            const reason = String((msg.payload as { reason?: string }).reason);
            return { outcome: reason === 'unavailable' ? 'unknown' : 'fail', detail: reason };
        });
    }

    private ask(key: string, nodeId: string, msg: Record<string, unknown>, timeoutMs: number,
        judge: (msg: Msg) => { outcome: Outcome; detail: string }): Promise<Answer> {
        if (this.waiting.has(key)) throw new Error(`${key} is already waiting for an answer`);
        const started = Date.now();
        return new Promise<Answer>((resolve, reject) => {
            const timer = setTimeout(() => {
                this.waiting.delete(key);
                reject(new Error(`${key}: no answer from ${nodeId} within ${timeoutMs} ms`));
            }, timeoutMs);
            this.waiting.set(key, (answer) => {
                clearTimeout(timer);
                resolve({ ...judge(answer), msg: answer, ms: Date.now() - started });
            });
            (helper.getNode(nodeId) as Node).receive(msg as never);
        });
    }
}

/** Script calls Redis has run so far (EVALSHA and its EVAL fallback). */
export async function scriptCalls(redis: Redis): Promise<number> {
    const info = await redis.info('commandstats');
    let calls = 0;
    for (const m of info.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1]);
    return calls;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
