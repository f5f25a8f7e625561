// The statuses a real Node-RED shows under its nodes, read as its editor reads them: over
// the comms WebSocket, where the runtime keeps each node's latest status as a retained
// message (status/<id>) and sends every change after it. A status node cannot stand in for
// this: Flow.start wires a flow's status nodes only after it has built all of its nodes, so
// a status set while a node is built (audio-prompt's "no player", for one) never reaches them.
import { once } from 'events';
import WebSocket from 'ws';

export interface NodeStatus {
    fill?: string;
    shape?: string;
    text?: string;
}

interface CommsMessage {
    topic?: string;
    data?: unknown;
}

const STATUS_TOPIC = /^status\/(.+)$/;

export class NodeStatuses {
    private readonly latest = new Map<string, NodeStatus>();

    private constructor(private readonly socket: WebSocket) {
        socket.on('message', (data) => this.take(String(data)));
    }

    /** Connects to the editor comms of a Node-RED without adminAuth (the anonymous user's). */
    static async connect(baseUrl: string): Promise<NodeStatuses> {
        const socket = new WebSocket(`${baseUrl.replace(/^http/, 'ws')}/comms`);
        await once(socket, 'open');
        const statuses = new NodeStatuses(socket);
        // Subscribing makes the runtime send every retained status at once, then the changes.
        socket.send(JSON.stringify({ subscribe: 'status/#' }));
        return statuses;
    }

    /** The status the editor would show under this node; undefined when it shows none. */
    of(id: string): NodeStatus | undefined {
        return this.latest.get(id);
    }

    async close(): Promise<void> {
        if (this.socket.readyState === WebSocket.CLOSED) return;
        const closed = once(this.socket, 'close');
        this.socket.close();
        await closed;
    }

    /** The runtime sends batches: JSON arrays of {topic, data}. */
    private take(text: string): void {
        let batch: unknown;
        try {
            batch = JSON.parse(text);
        } catch {
            return;
        }
        for (const message of (Array.isArray(batch) ? batch : [batch]) as CommsMessage[]) {
            const id = STATUS_TOPIC.exec(message.topic ?? '')?.[1];
            if (id === undefined) continue;
            const status = (message.data ?? {}) as NodeStatus;
            // A node that clears its status sends {}.
            if (status.fill === undefined && status.shape === undefined && status.text === undefined) this.latest.delete(id);
            else this.latest.set(id, { fill: status.fill, shape: status.shape, text: status.text });
        }
    }
}
