#!/usr/bin/env bash
# Regenerates the sounds shipped with the audio-prompt node (nodes/audio-prompt/sounds/*.wav):
# the spoken prompts from the words in nodes/lib/audio/prompts.json (the one place the wording
# lives; transit-sale sends the same words as msg.text) and the gate's chime and buzzer.
# Needs espeak-ng and sox (apt-get install espeak-ng sox). The output is committed, so neither
# is needed to build, test or run the package. Output: mono, 16 kHz, 16-bit PCM WAV; no dither
# (-D), so running the script again gives the same bytes.
set -euo pipefail
cd "$(dirname "$0")/.."
for tool in espeak-ng sox node; do
    command -v "$tool" >/dev/null || { echo "make-prompts: $tool is missing" >&2; exit 1; }
done

out=nodes/audio-prompt/sounds
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$out"
format=(-D -r 16000 -b 16 -c 1)

# speak ID WORDS: a British English voice at a calm pace, silence trimmed at both ends and a short
# pad so the first syllable is not clipped while a player opens the device.
speak() {
    espeak-ng -v en-gb -s 145 -w "$tmp/raw.wav" "$2"
    sox "$tmp/raw.wav" "${format[@]}" "$out/$1.wav" \
        silence 1 0.02 -50d reverse silence 1 0.02 -50d reverse pad 0.05 0.15 norm -1
}

# The chime: two bell-like notes rising a fifth (A5 then E6, each with its octave), decaying.
sox -n "${format[@]}" "$tmp/note1.wav" synth 0.6 sine 880 sine mix 1760 gain -3 fade l 0.005 0.6 0.55
sox -n "${format[@]}" "$tmp/note2.wav" synth 0.9 sine 1318.5 sine mix 2637 gain -3 fade l 0.005 0.9 0.85 pad 0.25
sox -m "$tmp/note1.wav" "$tmp/note2.wav" "${format[@]}" "$out/chime.wav" norm -3

# The buzzer: a harsh low tone, a square and a slightly detuned sawtooth beating against it.
sox -n "${format[@]}" "$out/buzzer.wav" synth 0.8 square 110 sawtooth mix 116 fade 0.01 0.8 0.02 norm -4

# Spoken prompts, one per entry of prompts.json; access-granted is the chime followed by its words.
node -e 'const p = require("./nodes/lib/audio/prompts.json");
    for (const [id, words] of Object.entries(p)) console.log(`${id}\t${words}`);' |
while IFS=$'\t' read -r id words; do
    speak "$id" "$words"
done
mv "$out/access-granted.wav" "$tmp/welcome.wav"
sox "$out/chime.wav" "$tmp/welcome.wav" "${format[@]}" "$out/access-granted.wav"

# The gate's refusal is the buzzer alone, as in the original entry gate.
cp "$out/buzzer.wav" "$out/access-denied.wav"

du -ch "$out"/*.wav | tail -1
