// Loaded inside Node-RED by the demo's settings.js, as Dashboard 2.0's `ioMiddleware`,
// when the demo asks for a login. Dashboard 2.0 serves its pages on RED.httpNode, where
// httpNodeAuth applies, but attaches its socket.io server to Node-RED's HTTP server itself
// (nodes/config/ui_base.js: `new Server(RED.server, { path: '/dashboard/socket.io' })`), so
// socket.io answers ahead of Express and of httpNodeAuth: without this guard anyone could
// join the dashboard's socket and press its buttons (sell passes, reset the counter).
//
// A browser that has logged in to the dashboard page sends the same Basic credentials
// with its socket.io requests (they sit below the page's path). Rather than compare them
// itself, the guard asks Node-RED: it requests a dashboard route with that Authorization
// header, and httpNodeAuth answers 200 or 401.
import type { IncomingMessage } from 'http';

/** The part of a socket.io Socket the guard reads. */
interface DashboardSocket {
    request: IncomingMessage;
    handshake: { xdomain: boolean };
}
type Next = (err?: Error) => void;
type SocketMiddleware = (socket: DashboardSocket, next: Next) => void;

const CHECK_TIMEOUT_MS = 5000;

/**
 * Setting ioMiddleware replaces the dashboard's default one, so the guard keeps its two
 * rules first (a direct websocket, or a handshake from another origin, is refused), then
 * asks checkUrl, a dashboard route behind httpNodeAuth, whether the credentials pass.
 */
export function dashboardSocketGuard(checkUrl: string): SocketMiddleware[] {
    return [refuseCrossSite, (socket, next) => void requireNodeLogin(checkUrl, socket, next)];
}

function refuseCrossSite(socket: DashboardSocket, next: Next): void {
    if ((socket.request.url ?? '').includes('transport=websocket')) return next(new Error('connect with polling first'));
    if (socket.handshake.xdomain !== false) return next(new Error('cross-origin connection refused'));
    next();
}

async function requireNodeLogin(checkUrl: string, socket: DashboardSocket, next: Next): Promise<void> {
    const authorization = socket.request.headers.authorization;
    if (!authorization) return next(new Error('login required'));
    let status: number;
    try {
        const response = await fetch(checkUrl, { headers: { authorization }, signal: AbortSignal.timeout(CHECK_TIMEOUT_MS) });
        await response.arrayBuffer();
        status = response.status;
    } catch (err) {
        return next(new Error(`could not check the login: ${(err as Error).message}`));
    }
    next(status === 200 ? undefined : new Error('login refused'));
}
