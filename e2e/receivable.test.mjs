// The receivables report in the sao web client at 1366x768 with the menu
// open: an accountant opens CRM > Reports > Receivables, finds the row of an
// opportunity whose sale was confirmed over RPC with its ordered amount,
// exports it to an Excel workbook, sorts the list by that amount and opens
// the opportunity's form by a double click on the row. For an employee with
// more deals than the list shows at once, the export has every row of the
// report's filter, whatever is selected.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    activeTab, decimal, exportReceivables, formatted, logIn, openCrmMenu,
    page, Rpc, screenshot, settled, stamp, startBrowser, step, stopBrowser,
    TIMEOUT,
} from './support.mjs';

const accountantLogin = `e2e-accountant-${stamp}`.toLowerCase();
// Long and random enough for the server's password rules.
const secret = `E2E-${stamp}-receivables-Pw!`;
const partyName = `E2E Receivables Customer ${stamp}`;
const ordered = '2469.00';
const employeeName = `E2E Receivables Rep ${stamp}`;
const manyPartyName = `E2E Many Deals Customer ${stamp}`;
// More than the rows the client shows at once (20).
const manyDeals = 24;

let admin;
let opportunityNumber;
let opportunityName;
let manyNames;

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
    [{ rec_name: opportunityName }] = await admin.model('sale.opportunity',
        'read', [opportunityId], ['rec_name']);

    // A representative with many quoted deals of another customer.
    const [repPartyId] = await admin.model('party.party', 'create',
        [{ name: employeeName, party_kind: 'person' }]);
    const [manyPartyId] = await admin.model('party.party', 'create', [{
        name: manyPartyName,
        addresses: [['create', [{ street: '2 Test Street' }]]],
    }]);
    const [{ addresses: [manyAddressId] }] = await admin.model('party.party',
        'read', [manyPartyId], ['addresses']);
    const [repId] = await admin.model('company.employee', 'create',
        [{ party: repPartyId, company: admin.context.company }]);
    const deals = await admin.model('sale.opportunity', 'create',
        Array.from({ length: manyDeals }, (_, i) => ({
            description: `E2E receivables ${stamp} ${i}`,
            party: manyPartyId,
            employee: repId,
            amount: decimal('100.00'),
        })));
    await admin.model('sale.opportunity', 'opportunity', deals);
    const sales = await admin.model('sale.sale', 'create',
        deals.map((id, i) => ({
            party: manyPartyId,
            invoice_address: manyAddressId,
            shipment_address: manyAddressId,
            origin: `sale.opportunity,${id}`,
            lines: [['create', [{
                type: 'line',
                description: `Deal ${i}`,
                quantity: 1,
                unit_price: decimal(`${i + 1}.00`),
            }]]],
        })));
    await admin.model('sale.sale', 'quote', sales);
    manyNames = (await admin.model('sale.opportunity', 'read', deals,
        ['rec_name'])).map((d) => d.rec_name).sort();
    await startBrowser();
    await page.setViewportSize({ width: 1366, height: 768 });
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
            const { form, lines } = await exportReceivables(
                'The selected rows');
            assert.equal(form.selectedCount, 1);
            assert.deepEqual(lines.map((l) => l.slice(0, 2)),
                [[opportunityName, partyName]]);
            // The ordered amount, as a number.
            assert.equal(lines[0][5], Number(ordered));
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

        await step(t, 'the row opens the form of its opportunity',
            async () => {
                // On an amount: the names are links to their own records.
                await row().locator('td',
                    { hasText: formatted(ordered, 2) }).first().dblclick();
                await settled();
                const tab = page.locator('#tablist li.active');
                await tab.filter({ hasText: 'Opportunity' }).waitFor();
                // Named after the opportunity (beside the close button).
                const title = await tab.innerText();
                assert.ok(title.split('\n').includes(
                    `Opportunity (${opportunityName})`), title);
                // Its form, not a list of one row.
                const form = activeTab().locator('.form-container')
                    .filter({ visible: true }).first();
                await form.waitFor();
                assert.equal(await activeTab().locator('.treeview')
                    .filter({ visible: true }).count(), 0);
                assert.equal(await activeTab().locator(
                    '.form-container input[name="party"]')
                    .filter({ visible: true }).first().inputValue(),
                partyName);
                await activeTab().getByText(opportunityNumber).first()
                    .waitFor();
                await screenshot('receivable-03-opportunity.png');
                await page.locator('#tablist li.active button.close')
                    .click();
                await settled();
            });

        await step(t, 'the export has every row of the report\'s filter',
            async () => {
                // The search of the list is not the report's filter.
                const box = activeTab().locator(
                    '.filter-box input[placeholder="Search"]')
                    .filter({ visible: true }).first();
                await box.fill('');
                await box.press('Enter');
                await settled();
                const employee = activeTab()
                    .locator('.filter-box input[name="employee"]')
                    .filter({ visible: true });
                await employee.fill(employeeName);
                await activeTab().locator(
                    '.dropdown-completion li.completion a',
                    { hasText: employeeName }).first().click();
                await settled();
                const rows = activeTab().locator('.treeview tbody tr',
                    { hasText: manyPartyName }).filter({ visible: true });
                // The report follows the filter: the representative's rows,
                // more than the list shows at once.
                await rows.first().waitFor();
                await page.waitForFunction(() => Sao.Tab.tabs.get_current()
                    .screen.group.length > 0);
                const shown = await rows.count();
                assert.ok(shown < manyDeals, `${shown} rows shown`);
                // Everything the list shows is selected.
                await activeTab().locator(
                    '.treeview thead th.selection-state input')
                    .filter({ visible: true }).first().check();
                await settled();
                const selected = await page.evaluate(() => Sao.Tab.tabs
                    .get_current().screen.selected_records.length);
                assert.ok(selected > 0);
                await screenshot('receivable-04-selected.png');
                const { form, lines } = await exportReceivables();
                assert.equal(form.employee, employeeName);
                assert.equal(form.rowCount, manyDeals);
                assert.equal(form.selectedCount, selected);
                assert.equal(lines.length, manyDeals);
                assert.deepEqual(lines.map((l) => l[0]).sort(), manyNames);
                assert.deepEqual(new Set(lines.map((l) => l[2])),
                    new Set([employeeName]));
                // The quoted amounts: 1 + 2 + ... + 24.
                assert.equal(lines.reduce((sum, l) => sum + l[4], 0),
                    manyDeals * (manyDeals + 1) / 2);
            });
    });
