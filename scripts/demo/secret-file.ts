// Files that hold secrets or password hashes (settings.js, login.json, flows_cred.json,
// .credential-secret) are readable by their owner only. writeFileSync's `mode` applies
// only when it creates the file, so a file left 0644 by an earlier version would keep
// its mode: the text goes to a new 0600 file that then replaces the old one.
import { randomBytes } from 'crypto';
import fs from 'fs';

export const SECRET_FILE_MODE = 0o600;

export function writeSecretFile(file: string, text: string): void {
    const temporary = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
        fs.writeFileSync(temporary, text, { mode: SECRET_FILE_MODE, flag: 'wx' });
        fs.renameSync(temporary, file);
    } finally {
        fs.rmSync(temporary, { force: true });
    }
}
