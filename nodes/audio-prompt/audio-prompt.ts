// audio-prompt: plays a shipped prompt, a tone or a sound file, one at a time, and sends the
// message on when the sound has finished, so a flow can wait for a prompt before the next
// step (the original terminal blocked on each prompt the same way). Without a player or a
// sound card, messages pass on at once with msg.audio.played = false. A prompt with no
// recording for its words (msg.text) is spoken with espeak-ng where it is installed.
import * as path from 'path';
import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import { handleInput, InputError } from '../common/input';
import { shorten } from '../common/status';
import { candidatePlayers, choosePlayer, isPlayerChoice, PlayerChoice, probeSoundCards } from '../lib/audio/player';
import { PlaybackQueue, PlayResult } from '../lib/audio/playback';
import { resolveSound, Sound, SoundError } from '../lib/audio/sounds';
import { NoSpeechError, SpeechCache, speaksText } from '../lib/audio/speech';

interface AudioPromptDef extends NodeDef {
    prompt: string;
    player: string;
    device: string;
}

export = function register(RED: NodeAPI): void {
    function AudioPrompt(this: Node, config: AudioPromptDef) {
        RED.nodes.createNode(this, config);
        const node = this;
        const fixedPrompt = (config.prompt || '').trim();
        const player: PlayerChoice = isPlayerChoice(config.player) ? config.player : 'auto';
        const device = (config.device || '').trim();
        const queue = new PlaybackQueue({ player, device });
        const speech = new SpeechCache();
        let closed = false;

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
            // Take a place in the queue before the file is looked up (or synthesised), so
            // sounds keep the order of their messages; a bad request fails at once and its
            // place is skipped.
            const lookup = (spoken ? speech.soundOf(String(request).trim(), text) : resolveSound(request)).catch(inputError);
            const playback = queue.play(lookup, (sound) => node.status({
                fill: 'blue', shape: 'dot', text: shorten(RED._('audio-prompt.status.playing', { prompt: label(sound) })),
            }));
            // Without espeak-ng the words can only be shown: the message goes on in its turn.
            const sound = await lookup.catch((err: unknown) => {
                if (err instanceof NoSpeechError) return undefined;
                throw err;
            });
            const result = await playback;
            if (result.outcome === 'stopped') return; // the node is closing: the flow is being replaced
            if (!sound) {
                if (queue.length === 0) node.status(unavailable(RED._('audio-prompt.status.no-speech')));
                msg.audio = { prompt: String(request).trim(), played: false, spoken: false };
                send(msg);
                return;
            }
            // If another sound has already started, its "playing" status stays.
            const status = afterPlayback(sound, result);
            if (queue.length === 0) node.status(status);
            const played = result.outcome === 'played';
            msg.audio = { prompt: sound.prompt, file: sound.file, played, ...(spoken ? { spoken: played } : {}) };
            send(msg);
        });

        node.on('close', (_removed: boolean, done: () => void) => {
            closed = true;
            void queue.stop().then(done, done);
        });
    }

    RED.nodes.registerType('audio-prompt', AudioPrompt);
};
