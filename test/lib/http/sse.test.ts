import assert from 'assert';
import http from 'http';
import { once } from 'events';
import type { AddressInfo } from 'net';
import { SseStreams, sseFrame } from '../../../nodes/lib/http/sse';
import { openSse, SseBlock, SseConnection } from '../../support/sse';
import { waitFor } from '../../support/flow';

describe('SseStreams (nodes/lib/http/sse)', function () {
    let server: http.Server;
    let streams: SseStreams;
    let emptied: number;
    const open: SseConnection[] = [];

    async function start(options: { heartbeatMs?: number; cacheControl?: string } = {}) {
        emptied = 0;
        streams = new SseStreams({ retryMs: 1234, heartbeatMs: options.heartbeatMs ?? 60000, heartbeatComment: 'still here', cacheControl: options.cacheControl, onEmpty: () => emptied++ });
        server = http.createServer((req, res) => streams.open(req, res, [sseFrame('hello', 'first')]));
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
    }

    async function connect(): Promise<{ blocks: SseBlock[]; connection: SseConnection }> {
        const blocks: SseBlock[] = [];
        const connection = await openSse(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, (b) => blocks.push(b), 3000);
        open.push(connection);
        return { blocks, connection };
    }

    afterEach(async () => {
        open.splice(0).forEach((c) => c.close());
        streams.close();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
    });

    it('writes the headers, the retry field and the first frames, then each event to every stream', async function () {
        await start({ cacheControl: 'no-cache, no-transform' });
        const [a, b] = [await connect(), await connect()];
        assert.match(String(a.connection.response.headers['content-type']), /^text\/event-stream; charset=utf-8/);
        assert.strictEqual(a.connection.response.headers['cache-control'], 'no-cache, no-transform');
        assert.strictEqual(a.connection.response.headers['x-accel-buffering'], 'no');
        streams.send('count', '5');
        for (const { blocks } of [a, b]) {
            await waitFor(() => blocks.length === 3, 3000, 'three blocks');
            assert.deepStrictEqual(blocks, [{ retry: 1234 }, { event: 'hello', data: 'first' }, { event: 'count', data: '5' }]);
        }
        assert.strictEqual(streams.size, 2);
    });

    it('gives every line of the data its own field, so a line break cannot forge an event', function () {
        assert.strictEqual(sseFrame('image', 'a\nevent: count\r\ndata: 9'), 'event: image\ndata: a\ndata: event: count\ndata: data: 9\n\n');
    });

    it('keeps quiet streams open with a comment line', async function () {
        await start({ heartbeatMs: 50 });
        const { blocks } = await connect();
        await waitFor(() => blocks.filter((b) => b.comment === 'still here').length >= 2, 3000, 'two heartbeats');
    });

    it('forgets a stream that closes, says when none is left, and ends the rest on close()', async function () {
        await start();
        const [a, b] = [await connect(), await connect()];
        a.connection.close();
        await waitFor(() => streams.size === 1, 3000, 'one stream left');
        assert.strictEqual(emptied, 0);
        streams.send('count', '6');
        await waitFor(() => b.blocks.some((x) => x.data === '6'), 3000, 'the event on the stream left');
        streams.close();
        await waitFor(() => b.connection.ended, 3000, 'the stream ended by close()');
        assert.strictEqual(streams.size, 0);

        const c = await connect();
        await waitFor(() => streams.size === 1, 3000, 'a new stream');
        c.connection.close();
        await waitFor(() => emptied === 1, 3000, 'told that the last stream went');
    });
});
