// The receivables report in the sao web client: an accountant opens CRM >
// Reports > Receivables, finds the row of an opportunity whose sale was
// confirmed over RPC with its ordered amount, exports it to an Excel
// workbook, sorts the list by that amount and opens the opportunity by a
// double click on the row.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, decimal, formatted, logIn, openCrmMenu, page,
    screenshot, settled, stamp, startBrowser, step, stopBrowser,
} from './support.mjs';

const accountantLogin = `e2e-accountant-${stamp}`.toLowerCase();
// Long and random enough for the server's password rules.
const secret = `E2E-${stamp}-receivables-Pw!`;
const partyName = `E2E Receivables Customer ${stamp}`;
const ordered = '2469.00';

let admin;
let opportunityNumber;

before(async () => {
    admin = await Rpc.login();
    const groups = await admin.model('res.group', 'search', [
        ['name', '=', 'CRM Accountant']]);
    assert.equal(groups.length, 1);
    await admin.model('res.user', 'create', [{
        name: `E2E Accountant ${stamp}`,
        login: accountantLogin,
        password: secret,
        groups: [['add', groups]],
        companies: [['add', [admin.context.company]]],
        company: admin.context.company,
    }]);
    const [partyId] = await admin.model('party.party', 'create', [{
        name: partyName,
        addresses: [['create', [{ street: '1 Test Street' }]]],
    }]);
    const [{ addresses: [addressId] }] = await admin.model('party.party',
        'read', [partyId], ['addresses']);
    const [employeeId] = await admin.model('company.employee', 'search',
        [], 0, 1, [['id', 'ASC']]);
    const [opportunityId] = await admin.model('sale.opportunity', 'create',
        [{
            description: `E2E receivables ${stamp}`,
            party: partyId,
            employee: employeeId,
            amount: decimal(ordered),
        }]);
    await admin.model('sale.opportunity', 'opportunity', [opportunityId]);
    [{ number: opportunityNumber }] = await admin.model('sale.opportunity',
        'read', [opportunityId], ['number']);
    // The opportunity's sale, confirmed: its untaxed amount is ordered.
    const [saleId] = await admin.model('sale.sale', 'create', [{
        party: partyId,
        invoice_address: addressId,
        shipment_address: addressId,
        origin: `sale.opportunity,${opportunityId}`,
        lines: [['create', [{
            type: 'line',
            description: `Audit ${stamp}`,
            quantity: 2,
            unit_price: decimal('1234.50'),
        }]]],
    }]);
    await admin.model('sale.sale', 'quote', [saleId]);
    await admin.model('sale.sale', 'confirm', [saleId]);
    await startBrowser();
});

after(stopBrowser);

const row = () => activeTab().locator('.treeview tbody tr',
    { hasText: partyName });

test('an accountant follows an opportunity in the receivables report',
    { timeout: 10 * TIMEOUT }, async (t) => {
        await step(t, 'the report lists the opportunity', async () => {
            await logIn(accountantLogin, secret);
            await openCrmMenu('Receivables', ['Reports']);
            // The search box of the list, not the fields of the report's
            // context above it.
            const box = activeTab().locator(
                '.filter-box input[placeholder="Search"]')
                .filter({ visible: true }).first();
            await box.fill(`Party: "${partyName}"`);
            await box.press('Enter');
            await settled();
            await row().first().waitFor();
            assert.equal(await row().count(), 1);
            const text = await row().innerText();
            assert.ok(text.includes(opportunityNumber), text);
            assert.ok(text.includes(formatted(ordered, 2)), text);
            await screenshot('receivable-01-row.png');
        });

        await step(t, 'the row exports to an Excel workbook', async () => {
            await row().locator('td', { hasText: formatted(ordered, 2) })
                .first().click();
            await settled();
            await activeTab().locator('button#print').click();
            // The client offers the file in a dialog whose link it clicks.
            const downloaded = page.waitForEvent('download');
            await page.locator('.dropdown-menu a', { hasText: 'Receivables' })
                .filter({ visible: true }).first().click();
            const download = await downloaded;
            assert.match(download.suggestedFilename(), /\.xlsx$/);
            const chunks = [];
            for await (const chunk of await download.createReadStream()) {
                chunks.push(chunk);
            }
            // A workbook is a zip archive.
            const content = Buffer.concat(chunks);
            assert.equal(content.subarray(0, 2).toString(), 'PK');
            await page.locator('.modal.in', { hasText: 'Download' })
                .waitFor({ state: 'detached' }).catch(() => {});
            await settled();
        });

        await step(t, 'sorted by the ordered amount', async () => {
            await activeTab().locator('.treeview thead th',
                { hasText: /^\s*Ordered\s*$/ }).first().click();
            await settled();
            // The search ordered by a computed column ran without error.
            assert.equal(await page.locator('.modal.in').count(), 0);
            await row().first().waitFor();
            assert.equal(await row().count(), 1);
            await screenshot('receivable-02-sorted.png');
        });

        await step(t, 'the row opens its opportunity', async () => {
            // On an amount: the names are links to their own records.
            await row().locator('td', { hasText: formatted(ordered, 2) })
                .first().dblclick();
            await settled();
            const tab = page.locator('#tablist li.active',
                { hasText: 'Opportunity' });
            await tab.waitFor();
            await activeTab().getByText(opportunityNumber).first().waitFor();
            await screenshot('receivable-03-opportunity.png');
            await page.locator('#tablist li.active button.close').click();
            await settled();
        });
    });
