// The one input path of every node: run the async handler, and on failure set a red
// status and hand the error to done() so Catch nodes see it. Nothing is thrown into
// Node-RED, so a bad message can never take the runtime down.
import type { Node } from 'node-red';
import { errorStatus } from './status';
import type { Done, InputMessage, Send } from './types';

/** An error whose message is meant for the user, with an i18n-free code for flows. */
export class InputError extends Error {
    constructor(message: string, readonly code: string) {
        super(message);
        this.name = 'InputError';
    }
}

export function handleInput(node: Node, handler: (msg: InputMessage, send: Send) => Promise<void> | void): void {
    node.on('input', (msg: InputMessage, send: Send, done: Done) => {
        let result: Promise<void> | void;
        try {
            result = handler(msg, send);
        } catch (err) {
            fail(node, err, done);
            return;
        }
        Promise.resolve(result).then(() => done(), (err) => fail(node, err, done));
    });
}

function fail(node: Node, err: unknown, done: Done): void {
    node.status(errorStatus(err));
    done(err instanceof Error ? err : new Error(String(err)));
}
