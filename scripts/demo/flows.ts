// The six systems are the package's top-level examples (examples/*.json, offered by the
// editor's Import > Examples; each node's own small example sits in examples/<type>/), and
// the demo's flows.json is all of them merged. The files share their config nodes (the
// Redis connection, the dashboard base and theme) under the same ids so each file imports
// on its own; merging keeps one copy of each.
import { createHash } from 'crypto';
import fs from 'fs';
import path from 'path';
import type { RedisTarget } from './redis-url';

export interface FlowNode {
    id: string;
    type: string;
    z?: string;
    [property: string]: unknown;
}

/** The config node every shipped flow uses; the launcher points it at the demo's Redis. */
export const SHARED_REDIS_ID = 'redis-iot-local';

export function readFlowFile(file: string): FlowNode[] {
    const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
    if (!Array.isArray(parsed)) throw new Error(`${file}: a flow file must be a JSON array of nodes`);
    parsed.forEach((node: unknown, index) => {
        const candidate = node as Partial<FlowNode> | null;
        if (typeof candidate !== 'object' || candidate === null
            || typeof candidate.id !== 'string' || typeof candidate.type !== 'string') {
            throw new Error(`${file}: entry ${index} is not a node with a string id and type`);
        }
    });
    return parsed as FlowNode[];
}

/** The folder of the package's examples, which the editor's Import > Examples offers. */
export function examplesDir(repoRoot: string): string {
    return path.join(repoRoot, 'examples');
}

/** The systems' flow files: the top-level examples/*.json, by name. */
export function systemFlowFiles(repoRoot: string): string[] {
    return flowFilesIn(examplesDir(repoRoot));
}

/** Every *.json in dir, sorted by name so the tabs come out in a stable order. */
export function flowFilesIn(dir: string): string[] {
    return fs.readdirSync(dir)
        .filter((name) => name.endsWith('.json'))
        .sort()
        .map((name) => path.join(dir, name));
}

function isConfigNode(node: FlowNode): boolean {
    return node.type !== 'tab' && node.type !== 'subflow' && (node.z === undefined || node.z === '');
}

/**
 * Concatenates flow files. A config node that appears in several files is kept once
 * (the first copy; `conflicts` lists ids whose copies differ). Two flow nodes with the
 * same id would silently replace each other in Node-RED, so that is an error.
 */
export function mergeFlows(files: FlowNode[][]): { flows: FlowNode[]; conflicts: string[] } {
    const seen = new Map<string, FlowNode>();
    const conflicts: string[] = [];
    const flows: FlowNode[] = [];
    for (const file of files) {
        for (const node of file) {
            const earlier = seen.get(node.id);
            if (!earlier) {
                seen.set(node.id, node);
                flows.push(node);
                continue;
            }
            if (!isConfigNode(node) || !isConfigNode(earlier)) {
                throw new Error(`node id ${node.id} (${node.type}) is used twice in the flow files`);
            }
            if (JSON.stringify(earlier) !== JSON.stringify(node) && !conflicts.includes(node.id)) conflicts.push(node.id);
        }
    }
    return { flows, conflicts };
}

/** A copy of flows with the shared redis-iot-server config node aimed at target. */
export function pointAtRedis(flows: FlowNode[], target: RedisTarget, id = SHARED_REDIS_ID): FlowNode[] {
    return flows.map((node) => (node.id === id && node.type === 'redis-iot-server'
        ? { ...node, mode: 'standalone', host: target.host, port: target.port, db: target.db, tls: target.tls }
        : node));
}

export function hashFlows(flows: FlowNode[]): string {
    return createHash('sha256').update(JSON.stringify(flows)).digest('hex');
}
