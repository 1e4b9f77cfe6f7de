// The dashboards in the sao web client at 1366x768 with the menu open: the
// demo's sales manager, a salesperson and the accountant each find their
// dashboard as the first entry of their CRM menu; it opens with its panels
// showing the figures that the server gives the same user for the same
// filters, and nothing scrolls sideways.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, activeTab, formatted, logIn, logOut, openCrmMenu, page, screenshot,
    settled, sidewaysOverflows, startBrowser, step, stopBrowser,
} from './support.mjs';

const demoPassword = process.env.CRM_PLUS_DEMO_PASSWORD || 'Tryton-CRM-demo';
const salesperson = 'sales1';
const manager = 'manager';
const accountant = 'accountant';

// Today as the client's PYSON Date() gives it to the dashboards: in UTC.
const now = new Date();
const today = {
    __class__: 'date', year: now.getUTCFullYear(),
    month: now.getUTCMonth() + 1, day: now.getUTCDate(),
};
// The forecasts of the sales periods of today (the demo's month and
// quarter are open, with quotas).
const periodsOfToday = [
    ['period.start_date', '<=', today], ['period.end_date', '>=', today]];

// An amount read over JSON-RPC as the client shows it; empty when unset.
const money = (value) => (value ? formatted(value.decimal, 2) : '');

before(async () => {
    await startBrowser();
    await page.setViewportSize({ width: 1366, height: 768 });
});

after(stopBrowser);

// The entries of the CRM menu, in their order in the menu.
async function crmEntries() {
    return page.evaluate(() => {
        const rows = [...document.querySelectorAll('#menu .column-char')]
            .map((cell) => cell.getAttribute('title'));
        return rows.slice(rows.indexOf('CRM') + 1);
    });
}

// The panels of the dashboard shown: their titles and, for each, the
// values of the fields asked of the records it shows.
async function panels(fields) {
    await activeTab().locator('.board .board-action').first().waitFor();
    await settled(1000);
    return page.evaluate((names) => {
        const board = Sao.Tab.tabs.get_current().board;
        return board.actions.map((action) => ({
            title: action.title.text(),
            rows: action.screen.group.map((record) => Object.fromEntries(
                (names[action.title.text()] || []).map((name) => [
                    name, record.field_get_client(name)]))),
        }));
    }, fields);
}

// The figures of a report as the server gives them to the user.
async function serverRows(rpc, model, domain, context, fields) {
    return Rpc.call(rpc.session, `model.${model}.search_read`,
        [domain, 0, null, null, fields, { ...rpc.context, ...context }]);
}

test('the dashboards of the demo roles', async (t) => {
    await step(t, 'the manager opens the team dashboard first', async () => {
        await logIn(manager, demoPassword);
        await openCrmMenu('Team Dashboard');
        const entries = await crmEntries();
        assert.equal(entries[0], 'Team Dashboard');
        assert.ok(!entries.includes('Receivables Dashboard'));
        const shown = await panels({
            'Team Funnel': ['stage', 'number'],
            'Team Forecasts': ['team', 'quota'],
        });
        assert.deepEqual(shown.map((p) => p.title), ['Team Funnel',
            'Win Rate by Month', 'Team Forecasts',
            'Opportunities with Warnings']);
        const rpc = await Rpc.login(manager, demoPassword);
        const funnel = await serverRows(rpc, 'crm.funnel', [],
            { employee: null, team: null, territory: null },
            ['stage.rec_name', 'number']);
        const counts = shown[0].rows.map((r) => Number(r.number));
        assert.deepEqual(counts, funnel.map((r) => r.number));
        assert.ok(counts.reduce((a, b) => a + b, 0) > 0, 'open deals');
        // The graph draws a bar per stage.
        assert.ok(await activeTab().locator('.board-action svg')
            .first().isVisible());
        // The forecasts of the teams the manager reads, with their quota.
        const teamForecasts = await serverRows(rpc, 'crm.forecast', [
            ['team', '!=', null], ['company', '=', rpc.context.company],
            ...periodsOfToday], {}, ['team.rec_name', 'quota']);
        assert.ok(teamForecasts.length > 0, 'team forecasts of today');
        assert.deepEqual(
            shown[2].rows.map((r) => [r.team, r.quota]).sort(),
            teamForecasts.map((r) => [r['team.'].rec_name, money(r.quota)])
                .sort());
        await activeTab()
            .locator('.board-action', { hasText: 'Team Forecasts' })
            .getByText(shown[2].rows[0].team).first()
            .waitFor();
        // The win rate has points for the months with deals decided.
        assert.ok(shown[1].rows.length > 0, 'months of the win rate');
        await screenshot('dashboard-manager.png');
        // The panels below the graphs, scrolled into the window.
        const warnings = 'Opportunities with Warnings';
        await activeTab().locator('.board-action', { hasText: warnings })
            .scrollIntoViewIfNeeded();
        await screenshot('dashboard-manager-lower.png');
        assert.deepEqual(await sidewaysOverflows(), []);
        await logOut();
    });

    await step(t, 'a salesperson opens their own dashboard', async () => {
        await logIn(salesperson, demoPassword);
        await openCrmMenu('My Dashboard');
        const entries = await crmEntries();
        assert.equal(entries[0], 'My Dashboard');
        assert.ok(!entries.includes('Team Dashboard'));
        const shown = await panels({
            'My Pipeline': ['stage', 'number'],
            'My Forecast': ['quota'],
        });
        assert.deepEqual(shown.map((p) => p.title),
            ['My Activities Due', 'My Pipeline', 'My Forecast']);
        const rpc = await Rpc.login(salesperson, demoPassword);
        const funnel = await serverRows(rpc, 'crm.funnel', [],
            { employee: rpc.context.employee, team: null, territory: null },
            ['number']);
        assert.deepEqual(shown[1].rows.map((r) => Number(r.number)),
            funnel.map((r) => r.number));
        const forecasts = await serverRows(rpc, 'crm.forecast', [
            ['employee', '=', rpc.context.employee],
            ['company', '=', rpc.context.company], ...periodsOfToday], {},
            ['quota']);
        assert.ok(forecasts.length > 0, 'forecasts of today');
        assert.deepEqual(shown[2].rows.map((r) => r.quota).sort(),
            forecasts.map((r) => money(r.quota)).sort());
        await screenshot('dashboard-salesperson.png');
        assert.deepEqual(await sidewaysOverflows(), []);
        await logOut();
    });

    await step(t, 'the accountant opens the receivables', async () => {
        await logIn(accountant, demoPassword);
        await openCrmMenu('Receivables Dashboard');
        const entries = await crmEntries();
        assert.equal(entries[0], 'Receivables Dashboard');
        assert.ok(!entries.includes('My Dashboard'));
        const shown = await panels({
            'Overdue by Opportunity': ['opportunity', 'overdue_amount'],
            'Outstanding Receivables': ['opportunity'],
        });
        assert.deepEqual(shown.map((p) => p.title),
            ['Overdue by Opportunity', 'Outstanding Receivables']);
        const rpc = await Rpc.login(accountant, demoPassword);
        const context = { employee: null, team: null, territory: null };
        const overdue = await serverRows(rpc, 'crm.receivable.report',
            [['overdue_amount', '>', 0]], context, ['opportunity.rec_name']);
        const outstanding = await serverRows(rpc, 'crm.receivable.report',
            [['outstanding_amount', '>', 0]], context, ['id']);
        assert.ok(overdue.length > 0, 'the demo has overdue invoices');
        assert.equal(shown[0].rows.length, overdue.length);
        assert.deepEqual(
            shown[0].rows.map((r) => r.opportunity).sort(),
            overdue.map((r) => r['opportunity.'].rec_name).sort());
        assert.equal(shown[1].rows.length, outstanding.length);
        await screenshot('dashboard-accountant.png');
        assert.deepEqual(await sidewaysOverflows(), []);
        await logOut();
    });
});
