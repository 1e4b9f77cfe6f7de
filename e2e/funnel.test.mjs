// The funnel report in the sao web client at 1366x768 with the menu open:
// an employee picked with the mouse in the report's filter (no Enter, no
// Reload) changes the counts of the list and of the graph at once, and
// clearing it brings back those of the whole company.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, decimal, logIn, openCrmMenu, page, screenshot,
    settled, stamp, startBrowser, step, stopBrowser,
} from './support.mjs';

const employeeName = `E2E Funnel Rep ${stamp}`;

let rpc;
let stages;
let companyCounts;
let employeeCounts;

// The open opportunities by stage of the funnel for the filter, over
// JSON-RPC, in the order of the report.
async function funnelCounts(filter = {}) {
    const context = { ...rpc.context, ...filter };
    const rows = await Rpc.call(rpc.session, 'model.crm.funnel.search_read',
        [[['sales_method', '=', stages.method]], 0, null, null,
            ['stage', 'number'], context]);
    return Object.fromEntries(rows.map((r) => [r.stage, r.number]));
}

before(async () => {
    rpc = await Rpc.login();
    const [method] = await rpc.model('crm.sales_method', 'search_read',
        [['name', '=', 'Standard Sale']], 0, 1, null, ['stages']);
    stages = { method: method.id, ids: method.stages };
    stages.names = Object.fromEntries((await rpc.model('crm.stage', 'read',
        method.stages, ['rec_name'])).map((s) => [s.id, s.rec_name]));
    // An employee of their own, with three deals in the first stage and one
    // in the second: counts that differ from the company's.
    const [partyId] = await rpc.model('party.party', 'create',
        [{ name: employeeName, party_kind: 'person' }]);
    const [employeeId] = await rpc.model('company.employee', 'create',
        [{ party: partyId, company: rpc.context.company }]);
    const [customerId] = await rpc.model('party.party', 'search',
        [['party_kind', '=', 'organisation']], 0, 1, [['id', 'ASC']]);
    const deals = await rpc.model('sale.opportunity', 'create',
        [0, 1, 2, 3].map((i) => ({
            description: `E2E funnel ${stamp} ${i}`,
            party: customerId,
            employee: employeeId,
            amount: decimal('1000.00'),
            sales_method: method.id,
            stage: method.stages[i < 3 ? 0 : 1],
        })));
    await rpc.model('sale.opportunity', 'opportunity', deals);
    companyCounts = await funnelCounts();
    employeeCounts = await funnelCounts({ employee: employeeId });
    assert.equal(employeeCounts[method.stages[0]], 3);
    assert.equal(employeeCounts[method.stages[1]], 1);
    assert.notDeepEqual(companyCounts, employeeCounts);
    await startBrowser();
    await page.setViewportSize({ width: 1366, height: 768 });
});

after(stopBrowser);

// What the report shows: the number of each stage of the Standard Sale, as
// the rows of the list or the records the graph draws.
async function shownCounts() {
    const records = await page.evaluate(() => {
        const screen = Sao.Tab.tabs.get_current().screen;
        // The filter's sales method is Standard Sale: its stages only.
        return screen.group.map((r) => [
            r.field_get_client('stage'), r.field_get('number')]);
    });
    const byName = Object.fromEntries(records);
    return Object.fromEntries(stages.ids.map(
        (id) => [id, byName[stages.names[id]]]));
}

async function listCounts() {
    const result = {};
    for (const id of stages.ids) {
        const row = activeTab().locator('.treeview tbody tr',
            { hasText: stages.names[id] })
            .filter({ hasText: 'Standard Sale' });
        const cell = row.first().locator('td[data-title^="Number"]');
        result[id] = Number(await cell.innerText());
    }
    return result;
}

const filterEmployee = () => activeTab()
    .locator('.filter-box input[name="employee"]').filter({ visible: true });

// Pick the employee in the filter from the completion, with the mouse.
async function pickEmployee() {
    await filterEmployee().fill(employeeName);
    await activeTab().locator('.dropdown-completion li.completion a',
        { hasText: employeeName }).first().click();
    await settled();
}

// Empty the employee of the filter with the button of its field.
async function clearEmployee() {
    await activeTab().locator('.filter-box .form-many2one',
        { has: page.locator('input[name="employee"]') })
        .locator('button[title="Clear the field"]').click();
    await settled();
}

const forStandardSale = (counts) => Object.fromEntries(
    stages.ids.map((id) => [id, counts[id]]));

// The report searches again a moment after its filter changed (when the
// client is quiet for a while already, settled() may return before): wait
// for the counts it shows to be the expected ones, then compare them.
async function assertShown(read, counts) {
    const expected = forStandardSale(counts);
    const deadline = Date.now() + 10_000;
    let shown = await read();
    while (JSON.stringify(shown) !== JSON.stringify(expected)
            && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 200));
        await settled();
        shown = await read();
    }
    assert.deepEqual(shown, expected);
}

test('the funnel follows its filter at once', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'the funnel of the whole company', async () => {
        await logIn();
        await openCrmMenu('Funnel', ['Reports']);
        assert.equal(await activeTab()
            .locator('.filter-box input[name="sales_method"]')
            .inputValue(), 'Standard Sale');
        await assertShown(listCounts, companyCounts);
        await screenshot('funnel-01-company.png');
    });

    await step(t, 'an employee picked in the filter changes the list',
        async () => {
            await pickEmployee();
            await assertShown(listCounts, employeeCounts);
            await assertShown(shownCounts, employeeCounts);
            await screenshot('funnel-02-employee-list.png');
        });

    await step(t, 'the graph follows the filter too', async () => {
        await activeTab().locator('button#switch_').click();
        await activeTab().locator('.graph svg').first().waitFor();
        await settled();
        await assertShown(shownCounts, employeeCounts);
        await screenshot('funnel-03-employee-graph.png');
        await clearEmployee();
        await assertShown(shownCounts, companyCounts);
        await screenshot('funnel-04-company-graph.png');
        await pickEmployee();
        await assertShown(shownCounts, employeeCounts);
    });
});
