// Throwaway certificates for the TLS tests, made with the openssl command line: a CA,
// a server certificate for 127.0.0.1/localhost and a client certificate signed by it,
// and a second CA that signed nothing this server trusts (the "wrong CA").
import { execFileSync } from 'child_process';
import fs from 'fs';
import os from 'os';
import path from 'path';

export interface TestCertificates {
    dir: string;
    caCert: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
    /** A CA that signed neither certificate above. */
    otherCaCert: string;
    remove(): void;
}

function openssl(dir: string, ...args: string[]): void {
    execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

// EC keys: as good as RSA here and much faster to generate on a loaded machine.
const NEW_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

function makeCa(dir: string, name: string): void {
    openssl(dir, 'req', '-x509', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2',
        '-subj', `/CN=redis-iot test ${name}`, '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign');
}

function makeSigned(dir: string, name: string, subject: string, extensions: string): void {
    openssl(dir, 'req', ...NEW_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', subject);
    fs.writeFileSync(path.join(dir, `${name}.ext`), extensions);
    openssl(dir, 'x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial',
        '-out', `${name}.crt`, '-days', '2', '-extfile', `${name}.ext`);
}

export function makeTestCertificates(): TestCertificates {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'redis-iot-tls-'));
    makeCa(dir, 'ca');
    makeCa(dir, 'other-ca');
    makeSigned(dir, 'server', '/CN=127.0.0.1',
        'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n');
    makeSigned(dir, 'client', '/CN=node-red test client',
        'extendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
    const file = (name: string) => path.join(dir, name);
    return {
        dir,
        caCert: file('ca.crt'),
        serverCert: file('server.crt'),
        serverKey: file('server.key'),
        clientCert: file('client.crt'),
        clientKey: file('client.key'),
        otherCaCert: file('other-ca.crt'),
        remove: () => fs.rmSync(dir, { recursive: true, force: true }),
    };
}

/** redis-server arguments for a TLS port beside the plaintext one (which the tests' readiness check and admin client use). */
export function tlsServerArgs(certs: TestCertificates, tlsPort: number, extra: string[] = []): string[] {
    return ['--tls-port', String(tlsPort), '--tls-cert-file', certs.serverCert, '--tls-key-file', certs.serverKey,
        '--tls-ca-cert-file', certs.caCert, '--tls-auth-clients', 'yes', ...extra];
}
