// The import of a sales history in the sao web client at 1366x768 with the
// menu open, as the demo CRM administrator: a CSV file of a won, a lost and
// an open deal is previewed, then imported; the deals are in their states
// with their stage days fixed from the file's dates. A file with a bad row
// shows its error in the preview and cannot be imported.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, logIn, page, screenshot, settled, sidewaysOverflows, stamp,
    startBrowser, step, stopBrowser,
} from './support.mjs';

const demoPassword = process.env.CRM_PLUS_DEMO_PASSWORD || 'Tryton-CRM-demo';
const administrator = 'crm_admin';
const party = `E2E History Customer ${stamp}`;
const reference = (n) => `E2E-H${n}-${stamp}`;

let rpc;
let employee;
let reason;

before(async () => {
    rpc = await Rpc.login(administrator, demoPassword);
    [employee] = await rpc.model('company.employee', 'search_read', [],
        0, 1, [['id', 'ASC']], ['party.rec_name']);
    [reason] = await rpc.model('crm.lost_reason', 'search_read', [],
        0, 1, [['id', 'ASC']], ['name']);
    await startBrowser();
    await page.setViewportSize({ width: 1366, height: 768 });
    await logIn(administrator, demoPassword);
});

after(stopBrowser);

function csv(rows) {
    const header = 'reference,description,party,employee,stage,state,'
        + 'start date,close date,lost reason,amount';
    return [header, ...rows.map((row) => row.map(
        (value) => `"${value}"`).join(','))].join('\r\n') + '\r\n';
}

const seller = () => employee['party.'].rec_name;

const dialog = () => page.locator('.modal.in').filter({ visible: true })
    .last();

// CRM > Configuration > Import Sales History, with the file chosen.
async function openImport(content) {
    const menu = page.locator('#menu');
    const item = (title) => menu.locator(`.column-char[title="${title}"]`)
        .first();
    await settled();
    if (!await item('Configuration').isVisible()) {
        await item('CRM').click();
        await settled();
    }
    if (!await item('Import Sales History').isVisible()) {
        await item('Configuration').click();
        await settled();
    }
    await item('Import Sales History').click();
    await dialog().locator('input[type="file"]')
        .waitFor({ state: 'attached' });
    await settled();
    await dialog().locator('input[type="file"]').setInputFiles({
        name: 'history.csv', mimeType: 'text/csv',
        buffer: Buffer.from(content, 'utf-8'),
    });
    await settled();
    await dialog().locator('.modal-footer button', { hasText: 'Preview' })
        .click();
    await dialog().locator('input[type="text"][name="error_count"]')
        .waitFor();
    await settled();
}

const shown = (name) => dialog()
    .locator(`input[type="text"][name="${name}"]`).inputValue();

test('a sales history is previewed then imported', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'a bad row stops the file', async () => {
        await openImport(csv([
            [reference(0), 'Bad', party, seller(), 'Proposal', 'sleeping',
                '2025-01-10', '', '', '100'],
        ]));
        assert.equal(await shown('error_count'), '1');
        assert.match(await dialog().locator('textarea[name="errors"]')
            .inputValue(), /2/);
        assert.ok(await dialog().locator('.modal-footer button',
            { hasText: 'Import' }).isDisabled());
        await screenshot('history-01-error.png');
        await dialog().locator('.modal-footer button', { hasText: 'Cancel' })
            .click();
        await settled();
        assert.deepEqual(await rpc.model('sale.opportunity', 'search',
            [['reference', '=', reference(0)]]), []);
    });

    await step(t, 'the preview, then the import', async () => {
        await openImport(csv([
            [reference(1), 'Won deal', party, seller(), 'Negotiation', 'won',
                '2025-01-10', '2025-03-01', '', '1200'],
            [reference(2), 'Lost deal', party, seller(), 'Proposal', 'lost',
                '2025-02-01', '2025-02-21', reason.name, '500'],
            [reference(3), 'Open deal', party, seller(), 'Qualification',
                'opportunity', '2025-11-01', '2026-12-31', '', '800'],
        ]));
        assert.deepEqual(
            [await shown('rows'), await shown('opportunities'),
                await shown('new_parties'), await shown('error_count')],
            ['3', '3', '1', '0']);
        assert.deepEqual(await sidewaysOverflows(), []);
        await screenshot('history-02-preview.png');
        await dialog().locator('.modal-footer button', { hasText: 'Import' })
            .click();
        await dialog().locator('.modal-footer button', { hasText: 'Close' })
            .waitFor();
        await settled();
        assert.equal(await shown('opportunities'), '3');
        await screenshot('history-03-imported.png');
        await dialog().locator('.modal-footer button', { hasText: 'Close' })
            .click();
        await settled();
    });

    await step(t, 'the deals as they ended', async () => {
        const deals = await rpc.model('sale.opportunity', 'search_read', [
            ['reference', 'in', [1, 2, 3].map(reference)]],
        0, null, [['reference', 'ASC']],
        ['state', 'end_date', 'amount', 'lost_reason_type']);
        assert.deepEqual(deals.map((d) => d.state),
            ['won', 'lost', 'opportunity']);
        const won = deals[0].end_date;
        assert.deepEqual([won.year, won.month, won.day], [2025, 3, 1]);
        assert.deepEqual(deals.map((d) => Number(d.amount.decimal)),
            [1200, 500, 800]);
        assert.equal(deals[1].lost_reason_type, reason.id);
        // The stage of each closed deal ran from its start to its close:
        // its days are fixed, whatever the day of the import.
        const histories = await rpc.model('crm.stage.history', 'search_read',
            [['opportunity', 'in', deals.map((d) => d.id)]], 0, null,
            [['opportunity', 'ASC']], ['opportunity', 'end', 'days']);
        const days = Object.fromEntries(histories.map(
            (h) => [h.opportunity, h.days]));
        assert.equal(Math.round(days[deals[0].id]), 50);
        assert.equal(Math.round(days[deals[1].id]), 20);
        assert.equal(histories.find((h) => h.opportunity === deals[2].id)
            .end, null);
    });
});
