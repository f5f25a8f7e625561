// A gate's journal in a child process that the journal test SIGKILLs: it opens the journal
// given as argv[2], then appends as fast as it can with argv[3] appends in flight, and
// reports each acknowledged tap to the parent only once the report is in the IPC pipe,
// so the parent never counts a tap the child had not acknowledged.
import { TapJournal } from '../../../nodes/lib/transit/journal';

export interface ChildReport { ready?: { repaired: number; lastSeq: number }; acked?: { seq: number; tapId: string } }

function report(msg: ChildReport): Promise<void> {
    return new Promise((resolve, reject) => process.send!(msg, undefined, {}, (err) => (err ? reject(err) : resolve())));
}

async function main(): Promise<void> {
    const [file, inFlight, round] = [process.argv[2], Number(process.argv[3]), process.argv[4]];
    const journal = await TapJournal.open(file);
    await report({ ready: { repaired: journal.repaired, lastSeq: journal.lastEntry?.seq ?? 0 } });
    let n = 0;
    const appender = async () => {
        for (;;) {
            const now = Date.now();
            const tap = await journal.append({
                tapId: `r${round}-${n++}`, card: 'C0FFEE01', gate: 'kill-gate', at: now, floor: now - 1000, wall: now,
                policy: 'open', granted: true,
            });
            await report({ acked: { seq: tap.seq, tapId: tap.tapId } });
        }
    };
    await Promise.all(Array.from({ length: inFlight }, appender));
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
