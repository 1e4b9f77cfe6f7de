// The searches crm_plus ships in the bookmarks of its lists, in the sao web
// client: a salesperson opens the bookmarks of the opportunities, finds
// "My Open Opportunities Closing This Quarter" with the others, and the
// search bar then holds her name and the quarter's dates; the list shows
// only her open deal of the quarter.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, logIn, openCrmMenu, page, screenshot, settled,
    stamp, startBrowser, step, stopBrowser,
} from './support.mjs';

const lower = stamp.toLowerCase();
const secret = `E2E-${stamp}-bookmarks-Pw!`;
const salespersonLogin = `e2e-bookmarks-${lower}`;
const salespersonName = `E2E Bookmarks ${stamp}`;
const mine = `E2E quarter deal ${stamp}`;
const later = `E2E next year deal ${stamp}`;

const today = new Date();
const quarterEnd = new Date(Date.UTC(today.getUTCFullYear(),
    Math.floor(today.getUTCMonth() / 3) * 3 + 3, 0));
const date = (value) => ({
    __class__: 'date', year: value.getUTCFullYear(),
    month: value.getUTCMonth() + 1, day: value.getUTCDate(),
});

before(async () => {
    const rpc = await Rpc.login();
    const employee = await rpc.createEmployee(salespersonName);
    await rpc.createUser({
        name: salespersonName, login: salespersonLogin, password: secret,
        groups: ['CRM User', 'Sale Opportunity'], employee,
    });
    const [{ party }] = await rpc.model('sale.opportunity', 'search_read',
        [['party', '!=', null]], 0, 1, [['id', 'ASC']], ['party']);
    const ids = await rpc.model('sale.opportunity', 'create', [{
        description: mine, party, employee, end_date: date(quarterEnd),
    }, {
        description: later, party, employee,
        end_date: date(new Date(Date.UTC(today.getUTCFullYear() + 1, 5, 30))),
    }]);
    await rpc.model('sale.opportunity', 'opportunity', ids);
    await startBrowser();
    await page.setViewportSize({ width: 1366, height: 768 });
});

after(stopBrowser);

test('the shipped searches are in the bookmarks and search as named', {
    timeout: 5 * TIMEOUT,
}, async (t) => {
    await step(t, 'the bookmarks of the opportunities', async () => {
        await logIn(salespersonLogin, secret);
        await openCrmMenu('Leads and Opportunities');
        await activeTab().locator('.nav-tabs a[role="tab"]',
            { hasText: /^\s*Opportunities\b/ }).first().click();
        await settled();
        await activeTab().locator('button[title="Bookmarks"]').first()
            .click();
        const menu = activeTab().locator('.dropdown-menu').filter(
            { visible: true });
        await menu.locator('a', { hasText: 'Won This Year' }).waitFor();
        const names = (await menu.locator('a').allInnerTexts())
            .map((text) => text.trim());
        for (const name of ['My Open Opportunities Closing This Quarter',
            'My Leads', 'Leads Without Recent Activity',
            'Open Opportunities Closing This Month', 'Won This Year']) {
            assert.ok(names.includes(name), JSON.stringify(names));
        }
        await screenshot('bookmarks-01-menu.png');
        await menu.locator('a',
            { hasText: 'My Open Opportunities Closing This Quarter' })
            .click();
        await settled();
    });

    await step(t, 'the search bar says what it searches', async () => {
        const text = await activeTab()
            .locator('.filter-box input.form-control').first().inputValue();
        assert.match(text, new RegExp(salespersonName));
        assert.match(text, /State: Opportunity/);
        const rows = activeTab().locator('.treeview tbody tr');
        await rows.filter({ hasText: mine }).first().waitFor(
            { timeout: TIMEOUT });
        assert.equal(await rows.filter({ hasText: later }).count(), 0);
        await screenshot('bookmarks-02-searched.png');
    });
});
