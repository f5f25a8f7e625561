// `npm start` after scripts/demo.sh has checked node, npm and redis-server: starts the
// demo stack, prints where to look, and on Ctrl-C / SIGTERM stops Node-RED, then Redis.
// Environment: REDIS_URL (use that Redis), PORT (Node-RED's port), HOST (listen address),
// AUTH (on/off: a login whatever HOST is, or none; unset: a login beyond loopback only).
import { loginNotice, parseAuthSetting } from './login';
import { demoStateDir, REPO_ROOT } from './paths';
import { newestLineFor } from './node-red-line';
import { describeRedisTarget } from './redis-url';
import { DemoStack, startDemoStack } from './stack';

function portFromEnv(value: string | undefined): number | undefined {
    if (value === undefined || value === '') return undefined;
    const port = Number(value);
    if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`PORT must be a TCP port number, got "${value}"`);
    return port;
}

function say(line: string): void {
    process.stdout.write(`[demo] ${line}\n`);
}

function describe(stack: DemoStack, stateDir: string): void {
    for (const id of stack.conflicts) say(`warning: config node ${id} differs between flow files; the first copy is used`);
    if (stack.userDir.backup) say(`the shipped flows changed: your previous flows are in ${stack.userDir.backup}`);
    if (stack.userDir.flowsSource === 'kept') say(`keeping your deployed flows (delete ${stack.userDir.flowFile} to start again from the shipped systems in examples/)`);
    const redisWhere = stack.redisServer ? ` (private, data in ${stateDir}/redis)` : ' (REDIS_URL)';
    say('');
    say(`Node-RED:  ${stack.line.version} (${newestLineFor().why})`);
    say(`Redis:     ${describeRedisTarget(stack.redis)}${redisWhere}`);
    say(`Editor:    ${stack.nodeRed.editorUrl}`);
    say(`Dashboard: ${stack.nodeRed.dashboardUrl} (pages sales, gate, monitor, cards, operations and counter)`);
    say(`Counter:   ${stack.nodeRed.editorUrl.replace(/\/$/, '')}/counter (GET; POST /counter/increment, /counter/reset; SSE at /counter/events)`);
    say('Off a Raspberry Pi the card readers, buttons, lights, display and sounds are simulated.');
    say('The "GPIO pin … already set" warnings are expected: on real hardware the sales terminal');
    say('and the entry gate are separate Pis, both using BCM 19, 13 and 26.');
    const notice = loginNotice(stack.login);
    if (notice.length > 0) say('');
    for (const line of notice) say(line);
    say('Press Ctrl-C to stop.');
}

async function main(): Promise<void> {
    const stateDir = demoStateDir();
    const demo: { stack?: DemoStack; stopping: boolean } = { stopping: false };
    const starting = new AbortController();
    const shutdown = async (reason: string) => {
        if (demo.stopping) return;
        demo.stopping = true;
        say(`${reason}: stopping Node-RED and Redis…`);
        if (!demo.stack) {
            // Still starting: startDemoStack stops what it has started, then rejects.
            starting.abort();
            return;
        }
        await demo.stack.stop();
        say('stopped.');
        process.exit(0);
    };
    // Registered before starting, so a Ctrl-C during start-up also stops what has started.
    process.on('SIGINT', () => void shutdown('Ctrl-C'));
    process.on('SIGTERM', () => void shutdown('SIGTERM'));
    process.on('SIGHUP', () => void shutdown('SIGHUP'));

    say('starting Redis and Node-RED…');
    try {
        demo.stack = await startDemoStack({
            repoRoot: REPO_ROOT,
            stateDir,
            redisUrl: process.env.REDIS_URL || undefined,
            port: portFromEnv(process.env.PORT),
            host: process.env.HOST || '127.0.0.1',
            auth: parseAuthSetting(process.env.AUTH),
            signal: starting.signal,
        });
    } catch (err) {
        if (!demo.stopping) throw err;
        say('stopped.');
        process.exit(0);
    }
    describe(demo.stack, stateDir);

    const code = await demo.stack.nodeRed.exited;
    if (!demo.stopping) {
        demo.stopping = true;
        say(`Node-RED exited on its own (code ${code}); stopping Redis.`);
        await demo.stack.redisServer?.stop();
        process.exit(code || 1);
    }
}

main().catch((err: Error) => {
    process.stderr.write(`[demo] could not start: ${err.message}\n`);
    process.exit(1);
});
