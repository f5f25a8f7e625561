// audio-prompt: plays a shipped prompt, a tone or a sound file, one at a time, and sends the
// message on when the sound has finished, so a flow can wait for a prompt before the next
// step (the original terminal blocked on each prompt the same way). Without a player or a
// sound card, messages pass on at once with msg.audio.played = false. A prompt with no
// recording for its words (msg.text) is spoken with espeak-ng where it is installed.
// The queue is bounded (maxWait, maxQueue): a dropped prompt's message is still sent on,
// with msg.audio.dropped saying why, so a flow waiting on the prompt never stalls.
import * as path from 'path';
import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import type { InputMessage, Send } from '../common/types';
import { handleInput, InputError, refuseInput } from '../common/input';
import { shorten } from '../common/status';
import { candidatePlayers, choosePlayer, isPlayerChoice, PlayerChoice, probeSoundCards } from '../lib/audio/player';
import { PlaybackQueue, PlayResult } from '../lib/audio/playback';
import { resolveSound, Sound, SoundError } from '../lib/audio/sounds';
import { checkSpokenText, NoSpeechError, SpeechCache, speaksText } from '../lib/audio/speech';
import { DropReport } from '../lib/drop-report';
import { parseQueueLimits, QueueLimits, RawQueueLimits } from '../lib/queue-limits';

interface AudioPromptDef extends NodeDef, RawQueueLimits {
    prompt: string;
    player: string;
    device: string;
}

/**
 * A chime is about a second and the longest prompt under five: two seconds lets a gate's
 * chime wait for the one before it, and no longer, so no rider hears an earlier rider's.
 */
const DEFAULT_LIMITS = { maxWait: 2, maxQueue: 5 };

type DropReason = 'late' | 'queue-full';
const DROP_REASONS: readonly DropReason[] = ['late', 'queue-full'];

export = function register(RED: NodeAPI): void {
    function AudioPrompt(this: Node, config: AudioPromptDef) {
        RED.nodes.createNode(this, config);
        const node = this;
        const fixedPrompt = (config.prompt || '').trim();
        const player: PlayerChoice = isPlayerChoice(config.player) ? config.player : 'auto';
        const device = (config.device || '').trim();
        let limits: QueueLimits;
        try {
            limits = parseQueueLimits(config, DEFAULT_LIMITS);
        } catch (err) {
            refuseInput(node, RED._('audio-prompt.errors.bad-setting', { detail: (err as Error).message }), 'bad-setting');
            return;
        }
        const queue = new PlaybackQueue({ player, device, ...limits });
        const speech = new SpeechCache();
        let closed = false;

        // Drops since the queue was last idle, for the status; the log gets every drop, rate-limited.
        let burst = { late: 0, 'queue-full': 0 };
        /** Settles once the last message that took a place in the queue has been handled. */
        let previousDone: Promise<void> = Promise.resolve();
        const dropReport = new DropReport(DROP_REASONS, (counts, count) => node.warn(RED._('audio-prompt.log.dropped', {
            count, late: counts.late, full: counts['queue-full'], maxWait: limits.maxWaitMs / 1000, maxQueue: limits.maxWaiting,
        })));
        const dropStatus = (): NodeStatus => {
            const { late, 'queue-full': full } = burst;
            const key = late && full ? 'dropped-both' : late ? 'dropped-late' : 'dropped-queue-full';
            return { fill: 'yellow', shape: 'ring', text: shorten(RED._(`audio-prompt.status.${key}`, { count: late + full, late, full })) };
        };
        const dropped = (msg: InputMessage, reason: DropReason, audio: Record<string, unknown>): InputMessage => {
            burst[reason]++;
            dropReport.add(reason);
            node.status(dropStatus());
            msg.audio = { ...audio, played: false, dropped: reason };
            return msg;
        };
        const hasDrops = () => burst.late + burst['queue-full'] > 0;

        const label = (sound: Sound) => (path.isAbsolute(sound.prompt) ? path.basename(sound.prompt) : sound.prompt);
        const unavailable = (text: string): NodeStatus => ({ fill: 'grey', shape: 'ring', text: shorten(text) });

        const afterPlayback = (sound: Sound, result: PlayResult): NodeStatus => {
            const values = { players: result.detail ?? '', player: result.player ?? '', detail: result.detail ?? '', prompt: sound.prompt };
            switch (result.outcome) {
                case 'played':
                    return {};
                case 'no-player':
                    return unavailable(RED._('audio-prompt.status.no-player', values));
                case 'no-sound-device':
                    return unavailable(RED._('audio-prompt.status.no-sound-device', values));
                case 'timeout':
                    node.warn(RED._('audio-prompt.errors.timeout', values));
                    return { fill: 'red', shape: 'ring', text: shorten(RED._('audio-prompt.status.timeout', values)) };
                default:
                    node.warn(RED._('audio-prompt.errors.player-failed', values));
                    return unavailable(RED._('audio-prompt.status.player-failed', values));
            }
        };

        // Say at deploy time, not at the first prompt, that this machine cannot play sound.
        const wavPlayer = choosePlayer(player, 'wav');
        if (!wavPlayer) {
            node.status(unavailable(RED._('audio-prompt.status.no-player', { players: candidatePlayers(player, 'wav').join(' or ') })));
        } else if (wavPlayer.name === 'aplay' && (device === '' || device === 'default')) {
            void probeSoundCards(wavPlayer.command).then((present) => {
                if (present === false && !closed && queue.length === 0) {
                    node.status(unavailable(RED._('audio-prompt.status.no-sound-device')));
                }
            });
        }

        const inputError = (err: unknown): never => {
            if (err instanceof SoundError) {
                throw new InputError(RED._(`audio-prompt.errors.${err.code}`, { value: err.value }), err.code);
            }
            throw err;
        };

        handleInput(node, async (msg, send) => {
            const request = fixedPrompt || msg.payload;
            const text = typeof msg.text === 'string' ? msg.text.trim() : '';
            const spoken = speaksText(request, text);
            if (queue.length === 0 && !closed) burst = { late: 0, 'queue-full': 0 };
            if (queue.full) {
                // Checked as if it were played (bad input is still an error for a Catch
                // node), but nothing is synthesised for a sound that will not play.
                if (spoken) {
                    try {
                        checkSpokenText(text);
                    } catch (err) {
                        inputError(err);
                    }
                    send(dropped(msg, 'queue-full', { prompt: String(request).trim(), spoken: false }));
                } else {
                    const sound = await resolveSound(request).catch(inputError);
                    send(dropped(msg, 'queue-full', { prompt: sound.prompt, file: sound.file }));
                }
                return;
            }
            // Take a place in the queue before the file is looked up (or synthesised), so
            // sounds keep the order of their messages; a bad request fails at once and its
            // place is skipped.
            const lookup = (spoken ? speech.soundOf(String(request).trim(), text) : resolveSound(request)).catch(inputError);
            const playback = queue.play(lookup, (sound) => node.status({
                fill: 'blue', shape: 'dot', text: shorten(RED._('audio-prompt.status.playing', { prompt: label(sound) })),
            }));
            // Sounds end in queue order, but the messages' look-ups may not (a short file is
            // read first): a message that played waits for the one queued before it to be
            // done, so messages leave in the order they came, with or without a speaker.
            const before = previousDone;
            let done = (): void => undefined;
            previousDone = new Promise<void>((resolve) => { done = resolve; });
            try {
                await handle(msg, send, request, spoken, lookup, playback, before);
            } finally {
                done();
            }
        });

        const handle = async (msg: InputMessage, send: Send, request: unknown, spoken: boolean, lookup: Promise<Sound>,
            playback: Promise<PlayResult>, before: Promise<void>): Promise<void> => {
            // Without espeak-ng the words can only be shown: the message goes on in its turn.
            const sound = await lookup.catch((err: unknown) => {
                if (err instanceof NoSpeechError) return undefined;
                throw err;
            });
            const result = await playback;
            if (result.outcome === 'stopped') return; // the node is closing: the flow is being replaced
            if (result.outcome === 'late' || result.outcome === 'queue-full') {
                const audio = sound ? { prompt: sound.prompt, file: sound.file } : { prompt: String(request).trim() };
                send(dropped(msg, result.outcome, spoken ? { ...audio, spoken: false } : audio));
                return;
            }
            await before;
            if (!sound) {
                if (queue.length === 0) node.status(unavailable(RED._('audio-prompt.status.no-speech')));
                msg.audio = { prompt: String(request).trim(), played: false, spoken: false };
                send(msg);
                return;
            }
            // If another sound has already started, its "playing" status stays.
            const status = afterPlayback(sound, result);
            // Once the rush is over, a clean ending leaves the drops on show until the next message.
            if (queue.length === 0) node.status(hasDrops() && result.outcome === 'played' ? dropStatus() : status);
            const played = result.outcome === 'played';
            msg.audio = { prompt: sound.prompt, file: sound.file, played, ...(spoken ? { spoken: played } : {}) };
            send(msg);
        };

        node.on('close', (_removed: boolean, done: () => void) => {
            closed = true;
            dropReport.stop();
            void queue.stop().then(done, done);
        });
    }

    RED.nodes.registerType('audio-prompt', AudioPrompt);
};
