// A property the user picked with a typedInput (msg, flow, global, ...), read for one
// message with Node-RED's evaluateNodeProperty in its callback form, so that a flow or
// global context kept in a store that answers asynchronously (a file or Redis context
// store) is read too.
import type { Node, NodeAPI, NodeMessage } from 'node-red';

export function readNodeProperty(RED: NodeAPI, node: Node, property: string, type: string, msg: NodeMessage): Promise<unknown> {
    return new Promise<unknown>((resolve, reject) => {
        try {
            RED.util.evaluateNodeProperty(property, type, node, msg, (err: Error | null, value: unknown) => (err ? reject(err) : resolve(value)));
        } catch (err) {
            reject(err); // a msg path through something that is not an object throws instead of calling back
        }
    });
}
