// HTTP routes of nodes under the test helper. The helper gives nodes an Express app as
// RED.httpNode but serves it nowhere: a pseudo node module captures it (pass it to load()
// with the node modules), and serve() puts it on a loopback port of its own.
import http from 'http';
import { once } from 'events';
import type { AddressInfo } from 'net';
import type { NodeAPI } from 'node-red';

/** RED.httpNode as the tests use it: a request listener, an Express app underneath. */
export type HttpApp = http.RequestListener & {
    set(name: string, value: unknown): void;
    /** Express 4's route table (one layer per route). */
    _router: { stack: Array<{ route?: { path: string } }> };
};

export interface ServedHttpNode {
    port: number;
    /** `http://127.0.0.1:<port><path>`. */
    url(path: string): string;
    close(): Promise<void>;
}

export interface HttpNodeCapture {
    /** A node module for load(): it keeps the RED.httpNode of that load. */
    readonly module: (RED: NodeAPI) => void;
    /** The app the last load gave the nodes. */
    readonly app: HttpApp;
    /** Serves the captured app on a free loopback port. */
    serve(): Promise<ServedHttpNode>;
}

export function httpNodeModule(): HttpNodeCapture {
    let captured: HttpApp | undefined;
    const app = (): HttpApp => {
        if (!captured) throw new Error('no RED.httpNode captured: pass the module to load()');
        return captured;
    };
    return {
        module: (RED: NodeAPI) => {
            captured = RED.httpNode as unknown as HttpApp;
        },
        get app() {
            return app();
        },
        async serve(): Promise<ServedHttpNode> {
            const server = http.createServer(app()).listen(0, '127.0.0.1');
            await once(server, 'listening');
            const port = (server.address() as AddressInfo).port;
            return {
                port,
                url: (path) => `http://127.0.0.1:${port}${path}`,
                close: () => new Promise((resolve) => server.close(() => resolve())),
            };
        },
    };
}

export interface Reply { status: number; headers: http.IncomingHttpHeaders; body: Buffer }

/**
 * One GET as raw as Node's client allows: fetch would normalise ../ path tricks before they
 * reach the server. Fails if no answer comes within 10 s.
 */
export function rawGet(port: number, path: string, headers: Record<string, string> = {}, agent?: http.Agent): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, path, headers, agent }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        });
        req.on('error', reject);
        req.setTimeout(10000, () => req.destroy(new Error(`no answer to ${path.slice(0, 200)}`)));
        req.end();
    });
}
