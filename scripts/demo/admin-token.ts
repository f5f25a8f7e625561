// An access token for Node-RED's admin API when adminAuth is on: the password grant the
// editor's login dialog and node-red-admin use (POST /auth/token), and its revocation.
export interface AdminLogin {
    username: string;
    password: string;
}

/** Resolves to the access token; rejects when Node-RED refuses the login. */
export async function adminToken(baseUrl: string, login: AdminLogin, scope = '*'): Promise<string> {
    const response = await fetch(`${baseUrl}/auth/token`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ client_id: 'node-red-admin', grant_type: 'password', scope, ...login }),
        signal: AbortSignal.timeout(10000),
    });
    const body = (await response.json().catch(() => ({}))) as { access_token?: string };
    if (response.status !== 200 || typeof body.access_token !== 'string') {
        throw new Error(`Node-RED refused the admin login for ${login.username} (HTTP ${response.status})`);
    }
    return body.access_token;
}

/** Ends the token's session, so it does not stay valid in Node-RED's .sessions.json. */
export async function revokeAdminToken(baseUrl: string, token: string): Promise<void> {
    const response = await fetch(`${baseUrl}/auth/revoke`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token}` },
        body: JSON.stringify({ token }),
        signal: AbortSignal.timeout(10000),
    });
    await response.arrayBuffer();
}
