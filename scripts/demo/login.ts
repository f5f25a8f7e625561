// The demo's login. On loopback the demo stays open, as before. Listening on any other
// address serves the editor to the network, and whoever can deploy an exec node can run
// commands on the Pi, so there the editor, its admin API, the dashboard, the gallery and
// the counter's HTTP routes ask for one user and password (Node-RED's adminAuth and
// httpNodeAuth, plus the dashboard's socket, see dashboard-login.ts). The password is
// generated on the first such run and printed once; the state dir keeps only its bcrypt
// hash, in login.json, which the user may replace with a hash of their own.
import { randomBytes } from 'crypto';
import fs from 'fs';
import { BlockList } from 'net';
import path from 'path';
import { BCRYPT_HASH, bcryptHash } from './bcrypt';
import { writeSecretFile } from './secret-file';

/** The AUTH variable: 'auto' (unset) asks for a login beyond loopback only; 'on' and 'off' force it. */
export type AuthSetting = 'auto' | 'on' | 'off';

export const DEFAULT_USER = 'admin';
export const LOGIN_FILE = 'login.json';
/** How to make a hash of one's own, in the words of the message that asks for one. */
export const HASH_COMMAND = 'npx node-red admin hash-pw';

export function parseAuthSetting(value: string | undefined): AuthSetting {
    const text = (value ?? '').trim().toLowerCase();
    if (text === '' || text === 'auto') return 'auto';
    if (text === 'on' || text === 'off') return text;
    throw new Error(`AUTH must be on, off or auto, got "${value}"`);
}

const LOOPBACK = new BlockList();
LOOPBACK.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK.addAddress('::1', 'ipv6');

/** 127.0.0.0/8, ::1 (in any spelling, and ::ffff:127.x) and localhost; a host name that merely resolves there is not trusted. */
export function isLoopbackHost(host: string): boolean {
    const bare = host.trim().replace(/^\[(.*)\]$/, '$1').toLowerCase();
    if (bare === 'localhost' || bare === 'localhost.') return true;
    try {
        if (LOOPBACK.check(bare, 'ipv4')) return true;
    } catch {
        // not an IPv4 address
    }
    try {
        return LOOPBACK.check(bare, 'ipv6');
    } catch {
        return false;
    }
}

export function loginRequired(host: string, setting: AuthSetting): boolean {
    return setting === 'on' || (setting === 'auto' && !isLoopbackHost(host));
}

/** The user and the bcrypt hash of their password, as login.json keeps them. */
export interface StoredLogin {
    user: string;
    hash: string;
}

export type LoginState =
    /** No login: on loopback (or AUTH=off there). */
    | { kind: 'open' }
    /** No login although Node-RED listens beyond loopback: AUTH=off. */
    | { kind: 'opted-out'; host: string }
    /** A login; newPassword only on the run that generated it, for printing once. */
    | { kind: 'required'; login: StoredLogin; file: string; newPassword?: string };

/**
 * The login for this run: read from stateDir/login.json, or made there (password
 * generated, hash stored 0600) when the file is missing.
 */
export function ensureLogin(stateDir: string): LoginState & { kind: 'required' } {
    const file = path.join(stateDir, LOGIN_FILE);
    if (fs.existsSync(file)) return { kind: 'required', login: readLogin(file), file };
    // 18 random bytes: 144 bits, 24 characters with nothing to escape in a shell or a URL.
    const newPassword = randomBytes(18).toString('base64url');
    const login: StoredLogin = { user: DEFAULT_USER, hash: bcryptHash(newPassword) };
    fs.mkdirSync(stateDir, { recursive: true });
    writeSecretFile(file, `${JSON.stringify(login, null, 4)}\n`);
    return { kind: 'required', login, file, newPassword };
}

export function readLogin(file: string): StoredLogin {
    let parsed: Partial<StoredLogin>;
    try {
        parsed = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<StoredLogin>;
    } catch (err) {
        throw new Error(`${file} is not JSON (${(err as Error).message}): delete it for a new password`, { cause: err });
    }
    const { user, hash } = parsed ?? {};
    if (typeof user !== 'string' || !/^[\w.@-]{1,64}$/.test(user)) {
        throw new Error(`${file}: "user" must be a user name (letters, digits, . _ @ -)`);
    }
    if (typeof hash !== 'string' || !BCRYPT_HASH.test(hash)) {
        throw new Error(`${file}: "hash" must be a bcrypt hash, as '${HASH_COMMAND}' prints it (or delete the file for a new password)`);
    }
    return { user, hash };
}

export function decideLogin(stateDir: string, host: string, setting: AuthSetting): LoginState {
    if (loginRequired(host, setting)) return ensureLogin(stateDir);
    return isLoopbackHost(host) ? { kind: 'open' } : { kind: 'opted-out', host };
}

/** What the launcher prints about the login: the password on the run that made it, never again. */
export function loginNotice(state: LoginState): string[] {
    if (state.kind === 'open') return [];
    if (state.kind === 'opted-out') {
        return [
            `WARNING: AUTH=off and Node-RED listens on ${state.host}: anyone who can reach this machine can use`,
            'the editor (and run commands here through an exec node), the dashboard, the gallery and the counter,',
            'without a login. Unset AUTH to have one.',
        ];
    }
    const { login, file, newPassword } = state;
    if (newPassword === undefined) {
        return [
            `Login:     user ${login.user}, with the password printed on the first run.`,
            `           A new one: delete ${file} and start again.`,
            `           Your own: put the hash '${HASH_COMMAND}' prints in that file.`,
        ];
    }
    const rule = '='.repeat(78);
    return [
        rule,
        'The editor, the dashboard, the gallery and the counter ask for a login:',
        `    user:     ${login.user}`,
        `    password: ${newPassword}`,
        'This is the only time the password is shown: only its bcrypt hash is kept, in',
        `${file}. For a new password delete that file and start again; for one of`,
        `your own, put the hash '${HASH_COMMAND}' prints (and your user name) in it.`,
        rule,
    ];
}
