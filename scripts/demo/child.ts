// Stopping the demo's child processes: ask politely, wait, then insist. Node-RED and
// redis-server both shut down cleanly on SIGTERM/SIGINT (flows closed, AOF flushed).
import type { ChildProcess } from 'child_process';

export function isRunning(child: ChildProcess): boolean {
    return child.exitCode === null && child.signalCode === null;
}

/** Resolves true when the child has exited, false when timeoutMs passed first. */
export function waitForExit(child: ChildProcess, timeoutMs: number): Promise<boolean> {
    if (!isRunning(child)) return Promise.resolve(true);
    return new Promise((resolve) => {
        const timer = setTimeout(() => {
            child.off('exit', onExit);
            resolve(false);
        }, timeoutMs);
        const onExit = () => {
            clearTimeout(timer);
            resolve(true);
        };
        child.once('exit', onExit);
    });
}

export async function stopChild(child: ChildProcess, signal: NodeJS.Signals, graceMs: number): Promise<void> {
    if (!isRunning(child)) return;
    child.kill(signal);
    if (await waitForExit(child, graceMs)) return;
    child.kill('SIGKILL');
    await waitForExit(child, 5000);
}
