// The config node's TLS fields in the real Node-RED editor (chromium): a flow from before
// the tls-config field (tls: true) opens valid with "Use TLS" ticked, the TLS config row
// shows only while the box is ticked, and a chosen tls-config node is selected.
import assert from 'assert';
import type { Browser, Page } from 'playwright-core';
import { launchChromiumOrSkip } from '../flows/chromium';
import { NodeRedInstance } from './node-red-instance';

declare const RED: {
    nodes: { node(id: string): Record<string, unknown> | null };
    editor: { editConfig(name: string, type: string, id: string): void };
};

const SERVER = { type: 'redis-iot-server', name: '', mode: 'standalone', host: '127.0.0.1', port: 6379, db: 0, sentinels: '', sentinelName: 'mymaster', clusterNodes: '', timeout: 250 };

describe('redis-iot-server TLS fields in the editor', function () {
    this.timeout(120000);
    let nodeRed: NodeRedInstance;
    let browser: Browser;
    let page: Page;

    before(async function () {
        browser = await launchChromiumOrSkip(this);
        nodeRed = await NodeRedInstance.start();
        await nodeRed.deploy([
            { id: 'tab', type: 'tab', label: 'tls' },
            { id: 'tls', type: 'tls-config', name: 'device cert', cert: '', key: '', ca: '', servername: '', verifyservercert: true, alpnprotocol: '' },
            { id: 'old-redis', ...SERVER, name: 'old', tls: true },
            { id: 'new-redis', ...SERVER, name: 'new', usetls: true, tls: 'tls' },
            { id: 'plain-redis', ...SERVER, name: 'plain', tls: false },
        ]);
        page = await browser.newPage();
        await page.goto(nodeRed.baseUrl);
        await page.waitForFunction(() => typeof RED !== 'undefined' && !!RED.nodes?.node('new-redis'), undefined, { timeout: 60000 });
    });

    after(async function () {
        await browser?.close();
        await nodeRed?.destroy();
    });

    async function openConfig(id: string): Promise<void> {
        await page.evaluate((nodeId) => RED.editor.editConfig('', 'redis-iot-server', nodeId), id);
        await page.waitForSelector('#node-config-dialog-ok', { state: 'visible', timeout: 30000 });
    }

    const rowShown = () => page.isVisible('#node-config-row-tls');

    it('accepts every form of the tls property as valid', async function () {
        const valid = await page.evaluate(() => ['old-redis', 'new-redis', 'plain-redis'].map((id) => RED.nodes.node(id)?.valid));
        assert.deepStrictEqual(valid, [true, true, true]);
    });

    it('opens an old "tls: true" node ticked, with the row for a tls-config, and saves the box as usetls', async function () {
        await openConfig('old-redis');
        assert.strictEqual(await page.isChecked('#node-config-input-usetls'), true);
        assert.strictEqual(await rowShown(), true);
        await page.click('#node-config-input-usetls');
        assert.strictEqual(await rowShown(), false);
        await page.click('#node-config-dialog-ok');
        await page.waitForSelector('#node-config-input-usetls', { state: 'detached', timeout: 30000 });
        const saved = await page.evaluate(() => {
            const n = RED.nodes.node('old-redis');
            return { usetls: n?.usetls, tls: n?.tls, valid: n?.valid };
        });
        assert.deepStrictEqual(saved, { usetls: false, tls: '', valid: true });
    });

    it('shows the chosen tls-config node, and no row while TLS is off', async function () {
        await openConfig('new-redis');
        assert.strictEqual(await page.isChecked('#node-config-input-usetls'), true);
        assert.strictEqual(await rowShown(), true);
        assert.strictEqual(await page.inputValue('#node-config-input-tls'), 'tls');
        await page.click('#node-config-dialog-cancel');
        await page.waitForSelector('#node-config-input-usetls', { state: 'detached', timeout: 30000 });

        await openConfig('plain-redis');
        assert.strictEqual(await page.isChecked('#node-config-input-usetls'), false);
        assert.strictEqual(await rowShown(), false);
        await page.click('#node-config-dialog-cancel');
        await page.waitForSelector('#node-config-input-usetls', { state: 'detached', timeout: 30000 });
    });
});
