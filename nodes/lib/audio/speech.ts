// Speaks words that have no recording (a catalogue's "Thank you for buying a day pass.", a
// "Please select a pass" that lists other products) with espeak-ng, in the voice of the
// shipped prompts (scripts/make-prompts.sh). Each text is synthesised once into a WAV file
// in a small cache folder, so a terminal that says the same thing all day runs espeak-ng
// once. espeak-ng is optional: without it the words still travel on as msg.text.
import { spawn } from 'child_process';
import { createHash } from 'crypto';
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { findOnPath, lastLine, terminate } from '../child-process';
import { PROMPT_TEXT } from './prompts';
import { SHIPPED_SOUNDS, Sound, SoundError, inspectWav } from './sounds';

/** The shipped prompts' voice: British English at a calm pace. */
export const VOICE_ARGS: readonly string[] = ['-v', 'en-gb', '-s', '145'];
/** Longer texts are refused: a prompt is a sentence, and espeak-ng takes a while per word. */
export const MAX_SPOKEN_CHARS = 400;

/** espeak-ng is not installed: the words can only be shown. */
export class NoSpeechError extends Error {
    constructor() {
        super('espeak-ng is not installed');
        this.name = 'NoSpeechError';
    }
}

/**
 * Whether a prompt must be spoken from its text rather than played from a file: the id has
 * no recording, or it is a spoken prompt whose recorded words differ from the text (a
 * catalogue's "Please select a pass"). Tones, the gate's buzzer and files are always played.
 */
export function speaksText(request: unknown, text: string): boolean {
    if (typeof request !== 'string' || text === '') return false;
    const id = request.trim();
    if (id === '' || /[\\/]/.test(id)) return false;
    if (Object.prototype.hasOwnProperty.call(PROMPT_TEXT, id)) return PROMPT_TEXT[id] !== text;
    return !SHIPPED_SOUNDS.includes(id);
}

/** Throws the SoundError of a text too long to speak. */
export function checkSpokenText(text: string): void {
    if (text.length > MAX_SPOKEN_CHARS) throw new SoundError('text-too-long', `${text.slice(0, 40)}…`);
}

export interface SpeechOptions {
    /** Where the synthesised WAV files are kept. */
    cacheDir?: string;
    /** How many texts are kept; the least recently used file goes first. */
    maxFiles?: number;
    /** Where espeak-ng is looked for; defaults to PATH at the time of each request. */
    searchPath?: string;
    timeoutMs?: number;
}

const DEFAULT_CACHE_DIR = path.join(os.tmpdir(), `redis-iot-speech-${os.userInfo().uid}`);

export class SpeechCache {
    private readonly dir: string;
    private readonly maxFiles: number;
    /** Texts synthesised (or being synthesised), least recently used first. */
    private readonly files = new Map<string, Promise<string>>();

    constructor(private readonly options: SpeechOptions = {}) {
        this.dir = options.cacheDir ?? DEFAULT_CACHE_DIR;
        this.maxFiles = options.maxFiles ?? 32;
    }

    /** A Sound that says text, labelled with the prompt id it stands for. */
    async soundOf(prompt: string, text: string): Promise<Sound> {
        checkSpokenText(text);
        const espeak = findOnPath('espeak-ng', this.options.searchPath ?? process.env.PATH);
        if (!espeak) throw new NoSpeechError();
        const key = createHash('sha1').update(`${VOICE_ARGS.join(' ')}\n${text}`).digest('hex');
        let file = this.files.get(key);
        this.files.delete(key); // re-inserted below as the most recently used
        if (!file) {
            file = this.synthesise(espeak, text, path.join(this.dir, `${key}.wav`));
            file.catch(() => this.files.delete(key)); // a failure is not cached
        }
        this.files.set(key, file);
        this.evict();
        return { ...(await inspectWav(prompt, await file)), spoken: true };
    }

    private evict(): void {
        while (this.files.size > this.maxFiles) {
            const [oldest, file] = this.files.entries().next().value as [string, Promise<string>];
            this.files.delete(oldest);
            void file.then((name) => fs.rm(name, { force: true })).catch(() => undefined);
        }
    }

    private async synthesise(espeak: string, text: string, file: string): Promise<string> {
        try {
            // Kept from an earlier run of Node-RED: the same words in the same voice.
            if ((await fs.stat(file)).isFile()) return file;
        } catch {
            // not synthesised yet
        }
        await fs.mkdir(this.dir, { recursive: true, mode: 0o700 });
        // Written under a temporary name and renamed, so a player never reads half a file.
        const partial = `${file}.${process.pid}.partial`;
        await run(espeak, [...VOICE_ARGS, '-w', partial, '--stdin'], text, this.options.timeoutMs ?? 10000);
        await fs.rename(partial, file);
        return file;
    }
}

/** Runs espeak-ng with the text on stdin (never as an argument: a text may start with '-'). */
function run(command: string, args: string[], text: string, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
        const child = spawn(command, args, { stdio: ['pipe', 'ignore', 'pipe'] });
        let stderr = '';
        const timer = setTimeout(() => terminate(child, 1000), timeoutMs);
        child.stderr?.setEncoding('utf8').on('data', (chunk: string) => { stderr = (stderr + chunk).slice(-4096); });
        child.on('error', (err) => { clearTimeout(timer); reject(err); });
        child.on('close', (code, signal) => {
            clearTimeout(timer);
            if (code === 0) resolve();
            else reject(new Error(`espeak-ng failed: ${lastLine(stderr) ?? `exit ${code ?? signal}`}`));
        });
        child.stdin?.on('error', () => undefined); // it exited early; 'close' says why
        child.stdin?.end(`${text}\n`);
    });
}
