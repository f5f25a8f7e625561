// Finding TCP ports for the demo: Node-RED prefers 1880 and the ones after it, Redis
// takes the first free one from 6380 so a Redis the user already runs on 6379 is left alone.
import net from 'net';

export function isPortFree(port: number, host: string): Promise<boolean> {
    return new Promise((resolve) => {
        const server = net.createServer();
        server.unref();
        server.once('error', () => resolve(false));
        server.listen({ port, host, exclusive: true }, () => server.close(() => resolve(true)));
    });
}

export async function firstFreePort(start: number, host: string, attempts = 100): Promise<number> {
    for (let port = start; port < start + attempts && port <= 65535; port += 1) {
        if (await isPortFree(port, host)) return port;
    }
    throw new Error(`no free TCP port on ${host} between ${start} and ${start + attempts - 1}`);
}
