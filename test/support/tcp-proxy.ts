// A loopback TCP proxy that a test puts between Node-RED and Redis to play the network:
// pass bytes, drop them while keeping both sockets open (a half-open connection),
// hold them and deliver them late, reset every connection, or refuse new ones.
//
// What each mode does to a connection:
// - pass:      bytes flow both ways; a close on one side closes the other.
// - blackhole: bytes are dropped both ways and closes are not passed on, for good. Like
//              a cut cable or a NAT that forgot the mapping: neither end ever hears from
//              the other again, and only an application round trip can tell.
// - stall:     bytes are held, in order, and delivered when the proxy heals, like TCP
//              retransmitting across an outage; a close waits behind the held bytes.
// New connections made during a blackhole or a stall are accepted and stalled: they go
// through once the proxy heals, like SYNs retransmitted until the path is back.
import net from 'net';
import { freePort } from './redis-process';

export type LinkMode = 'pass' | 'blackhole' | 'stall';

export interface LinkInfo {
    id: number;
    mode: LinkMode;
    /** The client's port, as the proxy sees it. */
    clientPort: number;
    /** The proxy's own port towards Redis: what Redis shows as the client's address. */
    upstreamPort: number | undefined;
    open: boolean;
}

class Link {
    mode: LinkMode;
    readonly upstream: net.Socket;
    private readonly heldUp: Buffer[] = [];
    private readonly heldDown: Buffer[] = [];
    private upstreamConnected = false;
    /** A side sent its FIN: passed on in order, after what was held, unless blackholed. */
    private clientEnded = false;
    private upstreamEnded = false;
    private clientClosed = false;
    private upstreamClosed = false;
    /** Looks at each chunk from the client first; true drops it (the link was just cut). */
    inspect?: (data: Buffer) => boolean;

    // Both sockets allow half-open: Node must not answer a FIN by itself, or a blackholed
    // connection would still close when its client gives up on it, which a dead network
    // never does (ioredis then has to destroy the socket after its disconnectTimeout).
    constructor(readonly id: number, readonly client: net.Socket, target: { host: string; port: number }, mode: LinkMode) {
        this.mode = mode;
        this.upstream = net.connect({ port: target.port, host: target.host, allowHalfOpen: true });
        this.upstream.on('connect', () => {
            this.upstreamConnected = true;
            if (this.mode === 'pass') this.flush();
        });
        client.on('data', (data: Buffer) => this.fromClient(data));
        this.upstream.on('data', (data: Buffer) => this.fromUpstream(data));
        // Errors (ECONNRESET, ECONNREFUSED) end a side like a close does.
        client.on('error', () => undefined);
        this.upstream.on('error', () => undefined);
        client.on('end', () => {
            this.clientEnded = true;
            if (this.mode === 'pass') this.flush();
        });
        this.upstream.on('end', () => {
            this.upstreamEnded = true;
            if (this.mode === 'pass') this.flush();
        });
        // A side gone for good (closed, reset) takes the other with it, once nothing is held.
        client.on('close', () => {
            this.clientClosed = true;
            if (this.mode === 'pass' && this.heldUp.length === 0) this.upstream.destroy();
        });
        this.upstream.on('close', () => {
            this.upstreamClosed = true;
            if (this.mode === 'pass' && this.heldDown.length === 0) this.client.destroy();
        });
    }

    get open(): boolean {
        return !this.clientClosed || !this.upstreamClosed;
    }

    info(): LinkInfo {
        return { id: this.id, mode: this.mode, clientPort: this.client.remotePort ?? 0, upstreamPort: this.upstream.localPort, open: this.open };
    }

    setMode(mode: LinkMode): void {
        // A blackholed connection stays dead: its peer has forgotten it.
        if (this.mode === 'blackhole') return;
        this.mode = mode;
        if (mode === 'blackhole') {
            this.heldUp.length = 0;
            this.heldDown.length = 0;
        }
        if (mode === 'pass') this.flush();
    }

    reset(): void {
        this.mode = 'blackhole';
        for (const socket of [this.client, this.upstream]) {
            if (!socket.destroyed) socket.resetAndDestroy();
        }
    }

    destroy(): void {
        this.client.destroy();
        this.upstream.destroy();
    }

    private fromClient(data: Buffer): void {
        if (this.mode === 'blackhole') return;
        if (this.inspect?.(data)) return;
        if (this.mode === 'pass' && this.upstreamConnected && this.heldUp.length === 0) this.upstream.write(data);
        else this.heldUp.push(data);
    }

    private fromUpstream(data: Buffer): void {
        if (this.mode === 'blackhole') return;
        if (this.mode === 'pass' && this.heldDown.length === 0) this.client.write(data);
        else this.heldDown.push(data);
    }

    // Delivers what was held, then passes on a FIN or a close that waited behind it.
    private flush(): void {
        if (this.upstreamConnected && !this.upstream.destroyed) {
            for (const data of this.heldUp.splice(0)) this.upstream.write(data);
            if (this.clientEnded || this.clientClosed) this.upstream.end();
        }
        if (!this.client.destroyed) {
            for (const data of this.heldDown.splice(0)) this.client.write(data);
            if (this.upstreamEnded || this.upstreamClosed) this.client.end();
        }
    }
}

export class TcpProxy {
    // A fresh server each time the proxy listens again: a closed net.Server only reports
    // 'close' once its connections are gone, and the open ones must stay.
    private server?: net.Server;
    private readonly links = new Set<Link>();
    private nextId = 1;
    private modeForNew: LinkMode = 'pass';
    /** Set by cutOnCommand(): sees each client chunk before it is passed on. */
    private onClientData?: (data: Buffer, link: Link) => boolean;

    private constructor(readonly port: number, private readonly target: { host: string; port: number }) {}

    /** A proxy on a free loopback port that forwards to `targetPort` (pass mode). */
    static async start(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
        const proxy = new TcpProxy(await freePort(), { host: targetHost, port: targetPort });
        await proxy.acceptNew();
        return proxy;
    }

    /** Every connection the proxy has carried, open or not, oldest first. */
    connections(): LinkInfo[] {
        return [...this.links].map((l) => l.info());
    }

    /** Bytes flow again: stalled connections deliver what they held; blackholed ones stay dead. */
    heal(): void {
        this.modeForNew = 'pass';
        for (const link of this.links) link.setMode('pass');
    }

    /**
     * Drops every byte of the matching open connections (all by default) from now on,
     * keeping their sockets open. Without a filter, new connections stall until heal().
     */
    blackhole(which?: (link: LinkInfo) => boolean): void {
        if (!which) this.modeForNew = 'stall';
        for (const link of this.links) if (link.open && (!which || which(link.info()))) link.setMode('blackhole');
    }

    /** Holds every byte of every connection, current and new, until heal(). */
    stall(): void {
        this.modeForNew = 'stall';
        for (const link of this.links) if (link.open) link.setMode('stall');
    }

    /**
     * Cuts the first connection that sends `command` (a RESP command name), before the
     * command gets through: the connection goes half-open for good, or is reset. Like a
     * cable pulled at the worst moment. Resolves with the connection once it happened.
     */
    cutOnCommand(command: string, how: 'blackhole' | 'reset' = 'blackhole'): Promise<LinkInfo> {
        const needle = `\r\n${command.toUpperCase()}\r\n`;
        return new Promise((resolve) => {
            this.onClientData = (data, link) => {
                if (!data.toString('latin1').toUpperCase().includes(needle)) return false;
                this.onClientData = undefined;
                if (how === 'reset') link.reset();
                else link.setMode('blackhole');
                resolve(link.info());
                return true;
            };
        });
    }

    /** Resets (RST) the matching open connections (all by default); new ones are accepted as before. */
    reset(which?: (link: LinkInfo) => boolean): void {
        for (const link of this.links) if (link.open && (!which || which(link.info()))) link.reset();
    }

    /** Stops listening: new connections are refused (ECONNREFUSED); open ones are untouched. */
    refuseNew(): void {
        this.server?.close();
        this.server = undefined;
    }

    /** Listens (again) on the proxy's port. */
    async acceptNew(): Promise<void> {
        if (this.server) return;
        const server = net.createServer({ allowHalfOpen: true }, (client) => this.accept(client));
        await new Promise<void>((resolve, reject) => {
            server.once('error', reject);
            server.listen(this.port, '127.0.0.1', () => {
                server.off('error', reject);
                resolve();
            });
        });
        this.server = server;
    }

    close(): void {
        this.refuseNew();
        for (const link of this.links) link.destroy();
    }

    private accept(client: net.Socket): void {
        const link = new Link(this.nextId++, client, this.target, this.modeForNew);
        link.inspect = (data) => this.onClientData?.(data, link) ?? false;
        this.links.add(link);
    }
}
