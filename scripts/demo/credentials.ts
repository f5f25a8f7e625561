// flows_cred.json in Node-RED's own format: the credentials object as JSON, AES-256-CTR
// with sha256(credentialSecret) as key, stored as {"$": <hex IV><base64 ciphertext>}
// (@node-red/runtime/lib/nodes/credentials.js). The launcher writes the REDIS_URL
// username and password there so they never appear in flows.json.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'crypto';

export type CredentialMap = Record<string, Record<string, string>>;

const ALGORITHM = 'aes-256-ctr';

function keyFor(secret: string): Buffer {
    return createHash('sha256').update(secret).digest();
}

export function encryptCredentials(secret: string, credentials: CredentialMap): { $: string } {
    const iv = randomBytes(16);
    const cipher = createCipheriv(ALGORITHM, keyFor(secret), iv);
    return { $: iv.toString('hex') + cipher.update(JSON.stringify(credentials), 'utf8', 'base64') + cipher.final('base64') };
}

export function decryptCredentials(secret: string, stored: { $: string }): CredentialMap {
    const iv = Buffer.from(stored.$.substring(0, 32), 'hex');
    const decipher = createDecipheriv(ALGORITHM, keyFor(secret), iv);
    const text = decipher.update(stored.$.substring(32), 'base64', 'utf8') + decipher.final('utf8');
    return JSON.parse(text) as CredentialMap;
}
