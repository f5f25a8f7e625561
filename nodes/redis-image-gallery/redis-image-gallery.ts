// redis-image-gallery: serves a picture gallery and its JSON API on Node-RED's httpNode
// (so httpNodeAuth, httpNodeCors and httpNodeRoot apply as to any http-in node). Routes
// are added at deploy and removed again on close, so a redeploy never stacks them.
// An input message asks it to adopt images the original capture script wrote since.
import fs from 'fs';
import path from 'path';
import type { Request, Response } from 'express';
import type { NodeAPI, NodeDef } from 'node-red';
import { watchCaptureScript } from '../common/capture-script';
import { handleInput } from '../common/input';
import { startRedisNode } from '../common/redis-user';
import type { NodeConstructorAny, RedisUser } from '../common/types';
import type { RedisConnection } from '../lib/redis/connection';
import { GalleryApi } from '../lib/images/gallery-api';
import { DEFAULT_INDEX, DEFAULT_KEY_PREFIX, imageKeys } from '../lib/images/ids';
import { MAX_PAGE } from '../lib/images/list';
import { adoptLegacy } from '../lib/images/store';
import { numberSetting } from '../lib/settings';

interface GalleryConfig extends NodeDef {
    server: string;
    path?: string;
    keyPrefix?: string;
    index?: string;
    pageSize?: string | number;
}

type Handler = (req: Request, res: Response) => unknown;
interface Layer { route?: { stack: Array<{ handle: unknown }> } }

const PATH = /^(\/[A-Za-z0-9._~-]+)+$/;
const PAGE_DIR = path.join(__dirname, 'page');
const STATIC: Record<string, string> = { 'gallery.js': 'text/javascript', 'gallery.css': 'text/css' };
const CSP = "default-src 'none'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'self'";

function escapeAttribute(text: string): string {
    return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export = function register(RED: NodeAPI): void {
    // Which gallery serves which path in this Node-RED: a second one on the same path is an error.
    const owners = new Map<string, string>();

    function RedisImageGallery(this: RedisUser, config: GalleryConfig) {
        RED.nodes.createNode(this, config);
        const node = this;
        const base = (config.path || '/gallery').replace(/\/+$/, '');
        startRedisNode(RED, node, {
            type: 'redis-image-gallery',
            server: config.server,
            settings: () => {
                if (!PATH.test(base)) throw new Error(`path must look like /gallery, not ${JSON.stringify(base.slice(0, 40))}`);
                const owner = owners.get(base);
                if (owner && owner !== node.id) throw new Error(RED._('redis-image-gallery.errors.path-in-use', { error: owner, path: base }));
                const keyPrefix = config.keyPrefix ?? DEFAULT_KEY_PREFIX;
                const index = config.index || DEFAULT_INDEX;
                imageKeys(keyPrefix, index);
                return { keyPrefix, index, pageSize: numberSetting(config.pageSize, 'page size', { fallback: 24, min: 1, max: MAX_PAGE, integer: true }) };
            },
            build: (connection, settings) => serve(connection, settings),
            stop: (stopServing) => stopServing(),
        });

        /** Serves the gallery on its path until the returned function stops it. */
        function serve(connection: RedisConnection, { keyPrefix, index, pageSize }: { keyPrefix: string; index: string; pageSize: number }): () => Promise<void> {
            owners.set(base, node.id);
            const keys = imageKeys(keyPrefix, index, connection.mode === 'cluster');

            const api = new GalleryApi(connection.command, keys, { pageSize, onError: (err) => node.debug(err.message) });
            const template = fs.readFileSync(path.join(PAGE_DIR, 'index.html'), 'utf8');
            const page: Handler = (req, res) => {
                const full = `${req.baseUrl}${base}`;
                res.set({ 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
                res.type('text/html').send(template.replace(/\{\{BASE\}\}/g, escapeAttribute(full)).replace(/\{\{PAGE_SIZE\}\}/g, String(pageSize)));
            };
            const asset: Handler = (req, res) => {
                const file = String(req.params.file);
                const type = Object.prototype.hasOwnProperty.call(STATIC, file) ? STATIC[file] : undefined;
                if (!type) {
                    res.status(404).type('text/plain').send('Not found.');
                    return;
                }
                res.set({ 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-cache' });
                res.type(type).sendFile(path.join(PAGE_DIR, file));
            };
            const routes: Array<[string, Handler]> = [
                [base, page],
                [`${base}/static/:file`, asset],
                [`${base}/api/images`, api.images],
                [`${base}/api/cameras`, api.cameras],
                [`${base}/api/data/:id`, api.data],
                [`${base}/api/image/:id`, api.image],
                [`${base}/api/thumb/:id`, api.thumb],
                [`${base}/api/events`, api.events],
            ];
            const handlers = new Set<unknown>(routes.map(([, h]) => h));
            routes.forEach(([route, handler]) => RED.httpNode.get(route, handler));

            let closed = false;
            let unlisten: (() => Promise<void>) | undefined;
            connection.listen('channel', keys.channel, (_channel, id) => api.announce(id)).then((stop) => {
                if (closed) void stop();
                else unlisten = stop;
            }, (err: Error) => node.warn(err.message));
            // Pictures the original capture script writes are adopted as they appear. A read-only
            // user (docs/redis-users.acl) may not: the image store does it with the camera's
            // user, so the refusal is only a debug line. An input message still reports it.
            const live = watchCaptureScript(RED, node, 'redis-image-gallery', connection, keys);
            live.on('refused', (_what, reason) => node.debug(reason));
            live.on('error', (err) => node.warn(err.message));
            const adopt = () => adoptLegacy(connection.command, keys).then((n) => {
                if (n > 0) node.log(RED._('redis-image-gallery.log.adopted', { count: n }));
                return n;
            });
            node.status({ fill: 'green', shape: 'dot', text: base });

            handleInput(node, async () => {
                await adopt();
            });

            return async () => {
                closed = true;
                api.close();
                removeRoutes(RED, handlers);
                if (owners.get(base) === node.id) owners.delete(base);
                await unlisten?.();
            };
        }
    }

    RED.nodes.registerType('redis-image-gallery', RedisImageGallery as unknown as NodeConstructorAny);
};

/** Takes our routes out of httpNode's router, as the core http-in node does on close. */
function removeRoutes(RED: NodeAPI, handlers: Set<unknown>): void {
    const router = (RED.httpNode as unknown as { _router?: { stack: Layer[] } })._router;
    if (!router) return;
    for (let i = router.stack.length - 1; i >= 0; i--) {
        const route = router.stack[i].route;
        if (route && route.stack.some((layer) => handlers.has(layer.handle))) router.stack.splice(i, 1);
    }
}
