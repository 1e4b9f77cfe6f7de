// The forecasts in the sao web client at 1366x768 with the menu open, as
// the demo sales manager: the forecasts of the open periods, the next
// month's forecasts of the whole sales organisation created from its period
// with Create Forecasts, and those forecasts printed to an Excel workbook.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, dialog, downloadOf, logIn, openCrmMenu, page,
    readWorkbook, screenshot, settled, sidewaysOverflows, startBrowser, step,
    stopBrowser,
} from './support.mjs';

const demoPassword = process.env.CRM_PLUS_DEMO_PASSWORD || 'Tryton-CRM-demo';
const manager = 'manager';
const quota = '25000';

let rpc;
let nextMonth;
let sales;

before(async () => {
    rpc = await Rpc.login(manager, demoPassword);
    const today = new Date().toISOString().slice(0, 10);
    // The month after the current one: a draft, without forecasts yet.
    [nextMonth] = await rpc.model('crm.sales_period', 'search_read', [
        ['type', '=', 'month'], ['start_date', '>', today]],
    0, 1, [['start_date', 'ASC']], ['name', 'state']);
    assert.equal(nextMonth.state, 'draft');
    [sales] = await rpc.model('crm.team', 'search_read', [
        ['name', '=', 'Sales'], ['parent', '=', null]],
    0, 1, null, ['rec_name']);
    await startBrowser();
    await page.setViewportSize({ width: 1366, height: 768 });
    await logIn(manager, demoPassword);
});

after(stopBrowser);

async function assertFits(what) {
    assert.deepEqual(await sidewaysOverflows(), [], what);
}

test('a manager creates the forecasts of a team and prints them', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'the forecasts of the open periods', async () => {
        await openCrmMenu('Forecasts');
        await activeTab().locator('.nav-tabs a[role="tab"]',
            { hasText: /Open Periods/ }).first().click();
        await settled();
        assert.ok(await activeTab().locator('.treeview tbody tr')
            .count() > 0);
        await assertFits('the forecasts');
        await screenshot('forecast-01-open-periods.png');
    });

    await step(t, 'the forecasts of a whole team in one step', async () => {
        await openCrmMenu('Sales Periods', ['Configuration']);
        await activeTab().locator('.nav-tabs a[role="tab"]',
            { hasText: /^\s*All\s*$/ }).first().click();
        await settled();
        await activeTab().locator('.treeview tbody tr td',
            { hasText: nextMonth.name }).first().click();
        await activeTab().locator('button#switch_').click();
        await settled();
        await activeTab().locator('button#action').click();
        await activeTab().locator(
            'ul.dropdown-menu[aria-labelledby="action"] a[role="menuitem"]',
            { hasText: /^\s*Create Forecasts\s*$/ }).first().click();
        const form = dialog('Create Forecasts');
        const team = form.locator('input[name="team"]');
        await team.waitFor();
        await settled();
        assert.equal(await form.locator('input[name="period"]').inputValue(),
            nextMonth.name);
        await team.fill('Sales');
        await form.locator('.dropdown-completion li.completion a',
            { hasText: new RegExp(`^\\s*${sales.rec_name}\\s*$`) })
            .first().click();
        await settled();
        // A number is typed in the input the client shows on a click.
        const number = form.locator('input[type="number"][name="quota"]');
        if (!await number.isVisible()) {
            await form.locator('input[type="text"][name="quota"]').click();
        }
        await number.fill(quota);
        await number.press('Tab');
        await settled();
        await screenshot('forecast-02-create.png');
        await assertFits('the dialog');
        await form.locator('.modal-footer button', { hasText: 'Create' })
            .click();
        await page.locator('#tablist li.active',
            { hasText: nextMonth.name }).waitFor();
        await activeTab().locator('.treeview tbody tr').first().waitFor();
        await settled();
        const created = await rpc.model('crm.forecast', 'search_read', [
            ['period', '=', nextMonth.id]], 0, null, null,
        ['employee', 'team', 'quota']);
        const people = created.filter((f) => f.employee);
        const teams = created.filter((f) => f.team);
        assert.ok(people.length > 0 && teams.length > 0);
        assert.ok(people.every((f) => Number(f.quota.decimal)
            === Number(quota)));
        // The list of the period's forecasts: every one of them.
        assert.equal(await activeTab().locator('.treeview tbody tr')
            .count(), Math.min(created.length, 20));
        await assertFits('the forecasts of the period');
        await screenshot('forecast-03-created.png');
    });

    await step(t, 'the forecasts in Excel', async () => {
        // The forecasts of the period listed, all selected.
        const listed = await activeTab().locator('.treeview tbody tr')
            .count();
        await activeTab().locator(
            'thead th.selection-state input[type="checkbox"]').first()
            .check();
        await settled();
        await activeTab().locator('button#print').click();
        const { name, content } = await downloadOf(() => page
            .locator('.dropdown-menu a', { hasText: 'Forecasts (Excel)' })
            .filter({ visible: true }).first().click());
        assert.match(name, /\.xlsx$/);
        const [, header, ...rows] = readWorkbook(content);
        assert.deepEqual(header.slice(0, 3),
            ['Sales Period', 'Salesperson or Team', 'Quota']);
        assert.equal(rows.length, listed);
        assert.ok(rows.every((row) => row[0] === nextMonth.name));
        const people = rows.filter((row) => row[2] === Number(quota));
        assert.ok(people.length > 0);
    });
});
