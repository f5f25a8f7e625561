// The browser for the dashboard tests: Debian's chromium driven by playwright-core.
// Missing chromium fails the run on CI (CI=true) and skips the browser tests elsewhere.
import fs from 'fs';
import { Browser, chromium } from 'playwright-core';

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export const CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
    '--disable-component-update', '--no-first-run', '--disable-sync',
];

/** CHROMIUM_PATH when set (and only it), else the first Debian/Ubuntu location that exists. */
export function findChromium(): string | undefined {
    const candidates = process.env.CHROMIUM_PATH ? [process.env.CHROMIUM_PATH] : CANDIDATES;
    return candidates.find((file) => fs.existsSync(file));
}

/** Launches chromium, or skips the calling suite (fails it when CI=true) when there is none. */
export async function launchChromiumOrSkip(context: Mocha.Context): Promise<Browser> {
    const executablePath = findChromium();
    if (!executablePath) {
        const looked = process.env.CHROMIUM_PATH ?? CANDIDATES.join(', ');
        const message = `chromium not found (looked at ${looked}; set CHROMIUM_PATH): install it with 'sudo apt-get install chromium'`;
        if (process.env.CI === 'true') throw new Error(message);
        console.warn(`      skipping the browser tests: ${message}`);
        context.skip();
    }
    return chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS });
}
