// The offline gate's journal: every decision taken while Redis is away is written to a
// JSON Lines file and fdatasync'd before the gate answers, so a Node-RED killed mid-write,
// or a power cut, loses at most the tap being written and corrupts nothing; a restarted
// Node-RED reopens the file and resumes. One writer per file: one Node-RED per user
// directory, one journal per gate (nothing locks the file; a second writer would interleave).
//
// Lines: `{"seq":3,"tapId":...,"sum":"1a2b3c4d"}` for a tap, `{"replayed":3,"sum":...}` once
// taps up to 3 are in Redis. `sum` is the first 8 hex digits of the SHA-256 of the line
// without it: an SD card's garbage or a half-flushed block that happens to parse is caught
// (SHA-256 from node:crypto, as zlib.crc32 is missing before Node 20.15).
import { createHash } from 'crypto';
import { FileHandle, mkdir, open, readFile, rename, rm } from 'fs/promises';
import path from 'path';
import type { JournaledTap, JournalEntry } from './offline';

export function journalFile(userDir: string, gateId: string): string {
    if (!/^[A-Za-z0-9_.:-]{1,128}$/.test(gateId)) throw new Error(`invalid gate id for a journal: ${JSON.stringify(gateId.slice(0, 20))}`);
    // encodeURIComponent turns ':' (not allowed in Windows names) into %3A; '/' cannot occur.
    return path.join(userDir, 'redis-iot-journal', `${encodeURIComponent(gateId)}.jsonl`);
}

type Line = { tap: JournaledTap } | { replayed: number };
interface Pending { text: string; line: Line; resolve: () => void; reject: (err: Error) => void }

const digest = (body: string) => createHash('sha256').update(body).digest('hex').slice(0, 8);
const SUM = /,"sum":"([0-9a-f]{8})"}$/;

function serialize(line: Line): string {
    const body = JSON.stringify('tap' in line ? line.tap : { replayed: line.replayed });
    return `${body.slice(0, -1)},"sum":"${digest(body)}"}\n`;
}

const isSeq = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isTime = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const isText = (v: unknown): v is string => typeof v === 'string' && v !== '';

/** A tap with exactly the fields the journal keeps, or undefined if one is missing or wrong. */
function asTap(v: Record<string, unknown>): JournaledTap | undefined {
    const { seq, tapId, card, gate, at, floor, wall, policy, granted, reason, passType, validUntil } = v;
    if (!isSeq(seq) || !isText(tapId) || !isText(card) || !isText(gate) || !isTime(at) || !isTime(floor) || !isTime(wall)) return undefined;
    if ((policy !== 'known-passes' && policy !== 'open') || typeof granted !== 'boolean') return undefined;
    if (reason !== undefined && typeof reason !== 'string') return undefined;
    if ((passType !== undefined && !isText(passType)) || (validUntil !== undefined && !isTime(validUntil))) return undefined;
    return { seq, tapId, card, gate, at, floor, wall, policy, granted, ...(reason === undefined ? {} : { reason }),
        ...(passType === undefined ? {} : { passType }), ...(validUntil === undefined ? {} : { validUntil }) };
}

function parse(text: string): Line | undefined {
    const m = SUM.exec(text);
    if (!m) return undefined;
    const body = text.slice(0, m.index) + '}';
    if (digest(body) !== m[1]) return undefined;
    let v: unknown;
    try { v = JSON.parse(body); } catch { return undefined; }
    if (typeof v !== 'object' || v === null || Array.isArray(v)) return undefined;
    const o = v as Record<string, unknown>;
    if ('replayed' in o) return isSeq(o.replayed) && Object.keys(o).length === 1 ? { replayed: o.replayed } : undefined;
    const tap = asTap(o);
    return tap && { tap };
}

/** fsync a directory so a file created or renamed in it survives a power cut (not on Windows). */
async function syncDir(dir: string): Promise<void> {
    if (process.platform === 'win32') return;
    const fh = await open(dir, 'r');
    try { await fh.sync(); } finally { await fh.close(); }
}

export class TapJournal {
    private queue: Pending[] = [];
    private writing: Promise<void> | undefined;
    private failed: Error | undefined;
    private closed = false;
    /** fdatasyncs of journal lines so far: one per batch (group commit), for tests and benches. */
    syncs = 0;

    private constructor(readonly file: string, private fh: FileHandle, private taps: JournaledTap[],
        private last: JournaledTap | undefined, private seq: number, readonly repaired: number) {}

    static async open(file: string): Promise<TapJournal> {
        const dir = path.dirname(file);
        const made = await mkdir(dir, { recursive: true });
        await rm(`${file}.tmp`, { force: true }); // a compaction cut short: the journal itself is intact
        const fh = await open(file, 'a');
        try {
            if (made !== undefined) await syncDir(path.dirname(made));
            await syncDir(dir);
            const buf = await readFile(file);
            let start = 0, good = 0, lines = 0, bad = 0, replayed = 0, last: JournaledTap | undefined;
            const taps: JournaledTap[] = [];
            while (start < buf.length) {
                const nl = buf.indexOf(0x0a, start);
                const end = nl < 0 ? buf.length : nl + 1;
                // A line without its '\n' is a torn write even if it parses: the tap was never acknowledged.
                const line = nl < 0 ? undefined : parse(buf.toString('utf8', start, nl));
                start = end;
                // Bad lines in the middle are skipped (later good lines are kept); bad lines at the end are cut.
                if (!line || ('tap' in line && line.tap.seq <= (last?.seq ?? 0))) { bad++; continue; }
                lines++;
                good = end;
                if ('tap' in line) taps.push(last = line.tap);
                else replayed = Math.max(replayed, line.replayed);
            }
            if (good < buf.length) { await fh.truncate(good); await fh.datasync(); }
            const journal = new TapJournal(file, fh, taps.filter((t) => t.seq > replayed), last, Math.max(last?.seq ?? 0, replayed), bad);
            // Nothing pending but more than the compacted two lines (a compaction was cut short, or skipped garbage).
            if (last && journal.taps.length === 0 && (lines > 2 || bad > 0)) await journal.compact(last);
            return journal;
        } catch (err) {
            await fh.close();
            throw err;
        }
    }

    append(entry: JournalEntry): Promise<JournaledTap> {
        const tap = asTap({ ...entry, seq: this.seq + 1 });
        if (!tap) return Promise.reject(new TypeError(`not a journal entry: ${JSON.stringify(entry).slice(0, 200)}`));
        return this.enqueue({ tap }).then(() => tap);
    }

    pending(): readonly JournaledTap[] { return this.taps; }
    get pendingCount(): number { return this.taps.length; }
    get lastEntry(): JournaledTap | undefined { return this.last; }

    markReplayed(uptoSeq: number): Promise<void> {
        if (!Number.isSafeInteger(uptoSeq) || uptoSeq < 0 || uptoSeq > (this.last?.seq ?? 0)) return Promise.reject(new RangeError(`no journaled tap ${uptoSeq} to mark replayed`));
        // Nothing pending up to there (0, or marked already): no line, so no marker for nothing.
        if (!(this.taps.length > 0 && this.taps[0].seq <= uptoSeq)) return Promise.resolve();
        return this.enqueue({ replayed: uptoSeq });
    }

    async close(): Promise<void> {
        if (this.closed) return;
        this.closed = true;
        await this.writing;
        await this.fh.close();
    }

    /** Queues a line: seqs are taken here, in call order, and lines reach the file in that order. */
    private enqueue(line: Line): Promise<void> {
        if (this.closed) return Promise.reject(new Error('the journal is closed'));
        if (this.failed) return Promise.reject(this.failed);
        if ('tap' in line) this.seq = line.tap.seq;
        return new Promise((resolve, reject) => {
            this.queue.push({ text: serialize(line), line, resolve, reject });
            this.writing ??= this.drain();
        });
    }

    /** Group commit: whatever queued while the last write+fdatasync ran goes out in one write and one fdatasync. */
    private async drain(): Promise<void> {
        while (this.queue.length > 0) {
            const batch = this.queue.splice(0);
            try {
                await this.fh.appendFile(batch.map((p) => p.text).join(''));
                await this.fh.datasync();
                this.syncs++;
                let marked = false;
                for (const { line } of batch) {
                    if ('tap' in line) this.taps.push(this.last = line.tap);
                    // A new array: a pending() list a caller is walking does not change under it.
                    else { this.taps = this.taps.filter((t) => t.seq > line.replayed); marked = true; }
                }
                if (marked && this.taps.length === 0 && this.queue.length === 0 && this.last) await this.compact(this.last);
                for (const p of batch) p.resolve();
            } catch (err) {
                // After a failed write or fdatasync the file's tail is unknown (and Linux may have dropped
                // the dirty pages): refuse every later line rather than write after garbage. Reopen repairs.
                this.failed = err instanceof Error ? err : new Error(String(err));
                for (const p of [...batch, ...this.queue.splice(0)]) p.reject(this.failed);
            }
        }
        this.writing = undefined;
    }

    /**
     * Nothing pending: replace the file with the newest tap and its marker (so seq and lastEntry
     * survive) by write + fdatasync + rename + directory fsync; a crash leaves the old or new file.
     */
    private async compact(last: JournaledTap): Promise<void> {
        const tmp = `${this.file}.tmp`;
        await rm(tmp, { force: true });
        const fh = await open(tmp, 'a');
        try {
            await fh.appendFile(serialize({ tap: last }) + serialize({ replayed: last.seq }));
            await fh.datasync();
            await rename(tmp, this.file);
            await syncDir(path.dirname(this.file));
        } catch (err) {
            await fh.close();
            throw err;
        }
        // The new handle follows the renamed file; the old one points at the unlinked journal.
        const old = this.fh;
        this.fh = fh;
        await old.close();
    }
}
