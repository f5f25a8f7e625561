// Node-RED's admin HTTP API as the editor calls it: the headers of its requests, and a full
// deploy (what the Deploy button sends after an import).

export const ADMIN_HEADERS = { Accept: 'application/json', 'Node-RED-API-Version': 'v2' };

export async function deployFull(baseUrl: string, flows: unknown[], headers: Record<string, string> = {}): Promise<void> {
    const response = await fetch(`${baseUrl}/flows`, {
        method: 'POST',
        headers: { ...ADMIN_HEADERS, ...headers, 'Content-Type': 'application/json', 'Node-RED-Deployment-Type': 'full' },
        body: JSON.stringify({ flows }),
    });
    if (response.status !== 200) throw new Error(`deploy answered ${response.status}: ${await response.text()}`);
}
