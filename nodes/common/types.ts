// Shapes shared by the runtime files of every node: what a node sees of the Redis
// config node, and the Node-RED callback signatures we use.
import type { Node, NodeAPI, NodeMessage, NodeMessageInFlow } from 'node-red';
import type { ConnectionState } from '../lib/redis/connection-state';
import type { RedisConnection } from '../lib/redis/connection';
import type { ReplayProgress } from '../lib/transit/offline-gate';
import type { Product } from '../lib/transit/products';

export type Send = (msg: NodeMessage | Array<NodeMessage | NodeMessage[] | null>) => void;
export type Done = (err?: Error) => void;
export type InputMessage = NodeMessageInFlow & Record<string, unknown>;

/** A node that uses a redis-iot-server; the server pushes connection changes to it. */
export interface RedisUser extends Node {
    /** Called on every connection change; startRedisNode makes it show the state as the status. */
    onRedisState?(state: ConnectionState, detail: string): void;
    /** Called each time the connection becomes ready (again): resubscribe, replay, re-read. */
    onRedisReady?(): void;
    /** A gate's or terminal's id in events (its stream entries' source), for an operations view. */
    transitId?: string;
    /** The connection state it was last told (startRedisNode records it); undefined before any. */
    redisState?: ConnectionState;
    /** A gate's journal of offline decisions (see transit-gate): for an operations view. */
    transitJournal?: JournalProgress;
}

/** How far a gate's journal of offline decisions is from being charged in Redis. */
export type JournalProgress = ReplayProgress;

export interface RedisServerNode extends Node {
    readonly connection: RedisConnection | undefined;
    register(user: RedisUser): RedisConnection;
    deregister(user: RedisUser, done: () => void): void;
}

/** A transit-products config node, as transit-sale sees it. */
export interface ProductsNode extends Node {
    /** The checked catalogue, or undefined when `problem` says what is wrong with it. */
    catalogue?: readonly Product[];
    problem?: Error;
}

/**
 * registerType's parameter type, for constructors whose `this` carries our own fields
 * (the @types/node-red typings cannot express a node that extends Node).
 */
export type NodeConstructorAny = Parameters<NodeAPI['nodes']['registerType']>[1];
