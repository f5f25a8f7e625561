// The network fault tests are only as good as the proxy that plays the network: each
// mode is checked here against a real Redis with raw sockets.
import assert from 'node:assert/strict';
import net from 'net';
import Redis from 'ioredis';
import { sharedRedis } from '../support/global-redis';
import { waitFor } from '../support/flow';
import { TcpProxy } from '../support/tcp-proxy';
import { sleep } from './transit-rig';

/** A raw RESP connection: send inline commands, read whatever comes back. */
class RawClient {
    readonly socket: net.Socket;
    /** What arrived since the last ask(). */
    received = '';
    closed = false;
    error?: NodeJS.ErrnoException;

    private constructor(socket: net.Socket) {
        this.socket = socket;
        socket.on('data', (d) => { this.received += d.toString(); });
        socket.on('error', (err) => { this.error = err; });
        socket.on('close', () => { this.closed = true; });
    }

    static connect(port: number): Promise<RawClient> {
        return new Promise((resolve, reject) => {
            const socket = net.connect(port, '127.0.0.1');
            socket.once('connect', () => resolve(new RawClient(socket)));
            socket.once('error', reject);
        });
    }

    /** Sends a command and waits up to `ms` for a reply; '' when none came. */
    async ask(command: string, ms = 3000): Promise<string> {
        this.received = '';
        this.socket.write(`${command}\r\n`);
        const deadline = Date.now() + ms;
        while (Date.now() < deadline && !this.received.endsWith('\r\n')) await sleep(10);
        return this.received;
    }
}

describe('test support: the TCP proxy that plays the network', function () {
    let proxy: TcpProxy;
    let redis: Redis;
    const clients: RawClient[] = [];
    const connect = async () => {
        const c = await RawClient.connect(proxy.port);
        clients.push(c);
        return c;
    };
    /** The client addresses Redis sees: the proxy's upstream ports. */
    const redisClientPorts = async () =>
        ((await redis.client('LIST')) as string).split('\n').map((l) => /addr=127\.0\.0\.1:(\d+)/.exec(l)?.[1]).filter(Boolean).map(Number);

    beforeEach(async () => {
        proxy = await TcpProxy.start(sharedRedis().port);
        redis = new Redis(sharedRedis().port);
    });
    afterEach(() => {
        clients.splice(0).forEach((c) => c.socket.destroy());
        proxy.close();
        redis.disconnect();
    });

    it('passes bytes both ways and shows Redis the upstream port it reports', async function () {
        const c = await connect();
        assert.equal(await c.ask('PING'), '+PONG\r\n');
        const [link] = proxy.connections();
        assert.ok((await redisClientPorts()).includes(link.upstreamPort as number));
    });

    it('blackhole: drops every byte but keeps both sockets open, and the link stays dead after heal', async function () {
        const c = await connect();
        assert.equal(await c.ask('PING'), '+PONG\r\n');
        const [link] = proxy.connections();
        proxy.blackhole();
        assert.equal(await c.ask('PING', 700), '');
        assert.equal(c.closed, false, 'the client socket stays open');
        assert.ok((await redisClientPorts()).includes(link.upstreamPort as number), 'Redis still sees the client');
        proxy.heal();
        assert.equal(await c.ask('PING', 700), '', 'a half-open link never comes back');
        const fresh = await connect();
        assert.equal(await fresh.ask('PING'), '+PONG\r\n');
    });

    it('blackhole: a client that gives up on the connection hears nothing back, not even a FIN', async function () {
        const c = await connect();
        proxy.blackhole();
        c.socket.end();
        await sleep(700);
        assert.equal(c.closed, false, 'the client still waits for the other side to close');
    });

    it('cuts the connection that sends a given command, before the command gets through', async function () {
        const key = `proxy:cut:${Date.now()}`;
        const a = await connect();
        const b = await connect();
        const cut = proxy.cutOnCommand('SET');
        assert.equal(await a.ask('PING'), '+PONG\r\n');
        b.socket.write(`*3\r\n$3\r\nSET\r\n$${key.length}\r\n${key}\r\n$1\r\nx\r\n`);
        const link = await cut;
        assert.equal(link.id, proxy.connections()[1].id, 'the connection that sent SET');
        assert.equal(await b.ask('PING', 500), '');
        assert.equal(await redis.get(key), null);
        assert.equal(await a.ask('PING'), '+PONG\r\n', 'the other connection is untouched');
    });

    it('blackhole with a filter: only the chosen connection goes dark', async function () {
        const a = await connect();
        const b = await connect();
        await a.ask('PING');
        await b.ask('PING');
        const [first] = proxy.connections();
        proxy.blackhole((l) => l.id === first.id);
        assert.equal(await a.ask('PING', 500), '');
        assert.equal(await b.ask('PING'), '+PONG\r\n');
        assert.equal(await (await connect()).ask('PING'), '+PONG\r\n', 'new connections pass');
    });

    it('stall: holds commands and replies, and delivers them in order on heal', async function () {
        const key = `proxy:stall:${Date.now()}`;
        const c = await connect();
        proxy.stall();
        assert.equal(await c.ask(`SET ${key} late`, 500), '');
        assert.equal(await redis.get(key), null, 'the command has not reached Redis');
        const waiting = await connect();
        waiting.socket.write('PING\r\n');
        proxy.heal();
        await waitFor(async () => (await redis.get(key)) === 'late', 3000, 'the held SET');
        await waitFor(() => waiting.received !== '', 3000, 'the held PING answered');
        assert.equal(await c.ask('PING'), '+PONG\r\n');
        assert.equal(waiting.received, '+PONG\r\n', 'a connection made during the stall goes through');
    });

    it('stall: a close from the client waits behind the held bytes', async function () {
        const key = `proxy:stall-close:${Date.now()}`;
        const c = await connect();
        proxy.stall();
        c.socket.end(`SET ${key} after-close\r\n`);
        await sleep(300);
        assert.equal(await redis.get(key), null);
        proxy.heal();
        await waitFor(async () => (await redis.get(key)) === 'after-close', 3000, 'the held SET');
    });

    it('reset: resets every open connection at once', async function () {
        const c = await connect();
        await c.ask('PING');
        const [link] = proxy.connections();
        proxy.reset();
        await waitFor(() => c.closed, 3000, 'the client socket closed');
        assert.equal(c.error?.code, 'ECONNRESET');
        await waitFor(async () => !(await redisClientPorts()).includes(link.upstreamPort as number), 3000, 'Redis dropped the client too');
        assert.equal(await (await connect()).ask('PING'), '+PONG\r\n');
    });

    it('refuses new connections while open ones keep working, then accepts again', async function () {
        const c = await connect();
        proxy.refuseNew();
        await assert.rejects(RawClient.connect(proxy.port), /ECONNREFUSED/);
        assert.equal(await c.ask('PING'), '+PONG\r\n');
        await proxy.acceptNew();
        assert.equal(await (await connect()).ask('PING'), '+PONG\r\n');
    });
});
