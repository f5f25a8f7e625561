// The demo's private Node-RED user dir: settings.js, flows.json (+ flows_cred.json) and
// a node_modules/@redis-iot/node-red link to this repository so Node-RED loads the
// package under development. Node-RED itself, the dashboard and pi-gpio are found in
// the repo's node_modules, which Node-RED scans because it is installed there.
import { randomBytes } from 'crypto';
import fs from 'fs';
import path from 'path';
import { CredentialMap, decryptCredentials, encryptCredentials } from './credentials';
import { FlowNode, hashFlows, pointAtRedis, SHARED_REDIS_ID } from './flows';
import type { StoredLogin } from './login';
import { dashboardCheckUrl, localBaseUrl } from './node-red';
import type { RedisTarget } from './redis-url';
import { writeSecretFile } from './secret-file';

export const PACKAGE_NAME = '@redis-iot/node-red';

export interface UserDirOptions {
    userDir: string;
    repoRoot: string;
    port: number;
    host: string;
    /** The merged shipped flows, before they are pointed at Redis. */
    shippedFlows: FlowNode[];
    redis: RedisTarget;
    /** When set, settings.js asks for a login (see SettingsLogin); without it nothing does. */
    login?: SettingsLogin;
}

/** The hashes settings.js needs for a login; never a password. */
export interface SettingsLogin {
    /** The person's login: editor and admin API (adminAuth), httpNode routes and the dashboard. */
    user: StoredLogin;
    /**
     * The launcher's own read-only admin login for its start-up check of the deployed
     * flows: a new random password every run, which only the launcher's memory holds.
     */
    launcher: StoredLogin;
}

export interface PreparedUserDir {
    flowFile: string;
    /** 'kept' when flows.json holds edits deployed from the editor (kept), else 'shipped'. */
    flowsSource: 'shipped' | 'kept';
    /** Where an earlier flows.json went when shipped flows replaced it. */
    backup?: string;
}

export function prepareUserDir(options: UserDirOptions): PreparedUserDir {
    const { userDir } = options;
    fs.mkdirSync(userDir, { recursive: true });
    // Node-RED writes the admin sessions (.sessions.json, live access tokens) with the
    // default umask: a folder only its owner can enter keeps them from other local users.
    fs.chmodSync(userDir, 0o700);
    const secret = credentialSecret(userDir);
    writeSecretFile(path.join(userDir, 'settings.js'), settingsFile(options.port, options.host, secret, options.login));
    linkPackage(userDir, options.repoRoot);
    const prepared = writeFlows(userDir, options.shippedFlows, options.redis);
    writeCredentials(userDir, secret, options.redis);
    return prepared;
}

/** A random secret made once per user dir, so flows_cred.json stays readable across runs. */
function credentialSecret(userDir: string): string {
    const file = path.join(userDir, '.credential-secret');
    if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
    const secret = randomBytes(24).toString('hex');
    writeSecretFile(file, `${secret}\n`);
    return secret;
}

export function settingsFile(port: number, host: string, secret: string, login?: SettingsLogin): string {
    return `// Written by scripts/demo (npm start) on every run; edits here are overwritten.
module.exports = {
    uiPort: ${port},
    uiHost: ${JSON.stringify(host)},
    flowFile: 'flows.json',
    flowFilePretty: true,
    credentialSecret: ${JSON.stringify(secret)},
    // No welcome tour and no telemetry or update prompt: this is a local demo.
    editorTheme: { tours: false },
    telemetry: { enabled: false, updateNotification: false },
    diagnostics: { enabled: true, ui: false },
    logging: { console: { level: 'info', metrics: false, audit: false } },
    // A development dependency for npm run bench only (the peer it is measured against),
    // which Node-RED would otherwise find beside itself and show in the palette.
    nodesExcludes: ['node-red-contrib-redis'],${login ? loginSettings(login, dashboardCheckUrl(localBaseUrl(host, port))) : ''}
};
`;
}

/**
 * adminAuth (editor and admin API), httpNodeAuth (every httpNode route: the dashboard's
 * pages, the gallery, the counter) and a guard on the dashboard's socket, all for the same
 * user. Node-RED compares the bcrypt hashes; the guard asks httpNodeAuth (dashboard-login.ts).
 */
function loginSettings(login: SettingsLogin, checkUrl: string): string {
    const guard = path.join(__dirname, 'dashboard-login.js');
    return `
    // The demo's login (scripts/demo/login.ts): the editor, its API and every httpNode route ask for it.
    adminAuth: {
        type: 'credentials',
        users: [
            { username: ${JSON.stringify(login.user.user)}, password: ${JSON.stringify(login.user.hash)}, permissions: '*' },
            // The demo launcher's start-up check of the flows; its password changes every run.
            { username: ${JSON.stringify(login.launcher.user)}, password: ${JSON.stringify(login.launcher.hash)}, permissions: 'read' },
        ],
    },
    httpNodeAuth: { user: ${JSON.stringify(login.user.user)}, pass: ${JSON.stringify(login.user.hash)} },
    // Dashboard 2.0's socket.io bypasses httpNodeAuth; this lets in only a login httpNodeAuth accepts.
    dashboard: { ioMiddleware: require(${JSON.stringify(guard)}).dashboardSocketGuard(${JSON.stringify(checkUrl)}) },`;
}

function linkPackage(userDir: string, repoRoot: string): void {
    const scopeDir = path.join(userDir, 'node_modules', '@redis-iot');
    const link = path.join(scopeDir, 'node-red');
    fs.mkdirSync(scopeDir, { recursive: true });
    const target = path.resolve(repoRoot);
    try {
        if (fs.readlinkSync(link) === target) return;
    } catch {
        // no link yet (or a folder in its place): replaced below
    }
    fs.rmSync(link, { recursive: true, force: true });
    fs.symlinkSync(target, link, 'dir');
}

/**
 * flows.json comes from the systems (examples/*.json) when it is missing or when the shipped flows have
 * changed since it was written; otherwise the user's deployed edits are kept. Either
 * way the shared Redis config node is pointed at this run's Redis.
 */
function writeFlows(userDir: string, shipped: FlowNode[], redis: RedisTarget): PreparedUserDir {
    const flowFile = path.join(userDir, 'flows.json');
    const markerFile = path.join(userDir, '.shipped-flows.sha256');
    const shippedHash = hashFlows(shipped);
    const marker = fs.existsSync(markerFile) ? fs.readFileSync(markerFile, 'utf8').trim() : '';
    let base = shipped;
    let flowsSource: PreparedUserDir['flowsSource'] = 'shipped';
    let backup: string | undefined;
    if (fs.existsSync(flowFile)) {
        if (marker === shippedHash) {
            const existing = readJsonArray(flowFile);
            if (existing) {
                base = existing;
                const edited = JSON.stringify(pointAtRedis(existing, redis)) !== JSON.stringify(pointAtRedis(shipped, redis));
                flowsSource = edited ? 'kept' : 'shipped';
            }
        } else {
            backup = `${flowFile}.backup`;
            fs.copyFileSync(flowFile, backup);
        }
    }
    fs.writeFileSync(flowFile, `${JSON.stringify(pointAtRedis(base, redis), null, 4)}\n`);
    fs.writeFileSync(markerFile, `${shippedHash}\n`);
    return { flowFile, flowsSource, backup };
}

function readJsonArray(file: string): FlowNode[] | undefined {
    try {
        const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
        return Array.isArray(parsed) ? (parsed as FlowNode[]) : undefined;
    } catch {
        return undefined;
    }
}

/** REDIS_URL's username/password go to flows_cred.json; other stored credentials are kept. */
function writeCredentials(userDir: string, secret: string, redis: RedisTarget): void {
    const credFile = path.join(userDir, 'flows_cred.json');
    let credentials: CredentialMap = {};
    if (fs.existsSync(credFile)) {
        try {
            credentials = decryptCredentials(secret, JSON.parse(fs.readFileSync(credFile, 'utf8')) as { $: string });
        } catch {
            credentials = {};
        }
    }
    const redisCredentials: Record<string, string> = {};
    if (redis.username) redisCredentials.username = redis.username;
    if (redis.password) redisCredentials.password = redis.password;
    if (Object.keys(redisCredentials).length > 0) credentials[SHARED_REDIS_ID] = redisCredentials;
    else delete credentials[SHARED_REDIS_ID];
    if (Object.keys(credentials).length === 0) {
        fs.rmSync(credFile, { force: true });
        return;
    }
    writeSecretFile(credFile, `${JSON.stringify(encryptCredentials(secret, credentials))}\n`);
}
