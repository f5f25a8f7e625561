// Joining Dashboard 2.0's socket.io the way its browser client starts: an engine.io
// polling handshake, then a CONNECT to the main namespace. The answer is socket.io's
// CONNECT (40{"sid":...}) when the server lets the client in, or CONNECT_ERROR
// (44{"message":...}) when a middleware refuses it. Written out here, so a test needs no
// socket.io client and sees exactly what the server answers.
export interface SocketJoin {
    joined: boolean;
    /** The server's first packet after the CONNECT, e.g. 44{"message":"login required"}. */
    answer: string;
}

export async function joinDashboardSocket(dashboardUrl: string, headers: Record<string, string> = {}): Promise<SocketJoin> {
    const url = `${dashboardUrl}/socket.io/?EIO=4&transport=polling`;
    const timeout = () => AbortSignal.timeout(10000);
    const handshake = await fetch(url, { headers, signal: timeout() });
    const open = await handshake.text();
    if (handshake.status !== 200 || !open.startsWith('0')) throw new Error(`engine.io handshake answered ${handshake.status}: ${open}`);
    const { sid } = JSON.parse(open.slice(1)) as { sid: string };
    const session = `${url}&sid=${encodeURIComponent(sid)}`;
    const sent = await fetch(session, { method: 'POST', body: '40', headers: { ...headers, 'Content-Type': 'text/plain;charset=UTF-8' }, signal: timeout() });
    await sent.arrayBuffer();
    // A long poll: answers once the namespace middlewares have decided.
    const answer = (await (await fetch(session, { headers, signal: timeout() })).text()).split('\x1e')[0];
    // engine.io's CLOSE packet, so the session does not wait for its ping timeout.
    await (await fetch(session, { method: 'POST', body: '1', headers, signal: timeout() })).arrayBuffer();
    return { joined: answer.startsWith('40'), answer };
}
