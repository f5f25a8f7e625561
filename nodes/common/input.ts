// The one input path of every node: run the async handler, and on failure set a red
// status and hand the error to done() so Catch nodes see it. Nothing is thrown into
// Node-RED, so a bad message can never take the runtime down.
import type { Node } from 'node-red';
import { errorStatus, showStatus, shorten } from './status';
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
            fail(node, msg, err, done);
            return;
        }
        Promise.resolve(result).then(() => finish(node, msg, done), (err) => fail(node, msg, err, done));
    });
}

/**
 * For a node whose settings cannot work: says why (log and red status) and refuses every
 * message with that reason, so a Catch node sees it too. `code` makes it an InputError.
 */
export function refuseInput(node: Node, text: string, code?: string): void {
    node.error(text);
    showStatus(node, { fill: 'red', shape: 'ring', text: shorten(text) });
    handleInput(node, () => {
        throw code ? new InputError(text, code) : new Error(text);
    });
}

function fail(node: Node, msg: InputMessage, err: unknown, done: Done): void {
    showStatus(node, errorStatus(err));
    finish(node, msg, done, err instanceof Error ? err : new Error(String(err)));
}

/**
 * Ends the message. Node-RED copies a message for Catch and Complete nodes and reads it
 * with msg.hasOwnProperty(), so a message nested a few thousand levels deep (a JSON body
 * can be) or one with its own "hasOwnProperty" key makes done() throw. Thrown from here
 * that would be an unhandled rejection, which stops Node-RED; instead Catch nodes get
 * the error with a stand-in message that keeps the message id and topic.
 */
function finish(node: Node, msg: InputMessage, done: Done, err?: Error): void {
    try {
        done(err);
    } catch (runtimeErr) {
        const reason = err ?? new InputError(`Node-RED cannot pass this message on: ${(runtimeErr as Error).message}`, 'unusable-message');
        const standIn = { _msgid: msg._msgid, ...(typeof msg.topic === 'string' ? { topic: msg.topic } : {}) };
        try {
            node.error(reason, standIn);
        } catch {
            node.error(reason.message);
        }
    }
}
