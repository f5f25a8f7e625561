// Stands in for libgpiod v2's `gpioset --interactive`, run as a real process by the tests:
// it checks the arguments the port passes, prints the "gpioset> " prompt before each command
// as gpioset does when stdout is not a terminal, and appends every level it applies
// ("23=0") to the file in FAKE_GPIOSET_LOG before prompting again, so a test can replay
// the pins into a chip model. FAKE_GPIOSET_CHIP names the only chip that exists
// (default gpiochip0); FAKE_GPIOSET_COMPLAIN makes it answer each command with an error.
import fs from 'fs';
import readline from 'readline';

const PROMPT = 'gpioset> ';
const args = process.argv.slice(2);
const option = (name: string) => {
    const at = args.indexOf(name);
    return at >= 0 ? args[at + 1] : undefined;
};
const die = (message: string) => {
    process.stderr.write(`gpioset: ${message}\n`);
    process.exit(1);
};

if (!args.includes('--interactive')) die('this fake only speaks interactive mode');
const chip = option('--chip');
if (chip !== (process.env.FAKE_GPIOSET_CHIP ?? 'gpiochip0')) die(`cannot find GPIO chip character device '${chip}'`);
const lines = new Map<string, string>();
for (const arg of args.filter((a) => /^\d+=[01]$/.test(a))) {
    const [line, value] = arg.split('=');
    lines.set(line, value);
}
const log = process.env.FAKE_GPIOSET_LOG;
const record = (text: string) => { if (log) fs.appendFileSync(log, text); };
record(`${args.join(' ')}\n`);

process.stdout.write(PROMPT);
readline.createInterface({ input: process.stdin }).on('line', (line) => {
    const [command, ...words] = line.trim().split(/\s+/);
    if (process.env.FAKE_GPIOSET_COMPLAIN) process.stdout.write(`unknown line: '${words[0]}'\n`);
    else if (command === 'set') {
        for (const word of words) {
            const [id, value] = word.split('=');
            if (!lines.has(id)) process.stdout.write(`unknown line: '${id}'\n`);
            else {
                lines.set(id, value);
                record(`${id}=${value}\n`);
            }
        }
    } else if (command === 'exit') process.exit(0);
    else process.stdout.write(`unknown command: '${command}'\n`);
    process.stdout.write(PROMPT);
});
