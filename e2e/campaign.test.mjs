// A marketing campaign in the sao web client at 1366x768 with the menu
// open, as the demo's marketing user: the campaigns of the demo, a new
// campaign planned with its type and budget, its target list filled from a
// search of partners, and the campaign activated.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, clickButton, fillText, logIn, newRecord,
    openCrmMenu, openFormPage, page, pickRecord, save, screenshot, settled,
    sidewaysOverflows, stamp, startBrowser, step, stopBrowser,
} from './support.mjs';

const demoPassword = process.env.CRM_PLUS_DEMO_PASSWORD || 'Tryton-CRM-demo';
const marketer = 'marketing';
const name = `E2E Fair ${stamp}`;
// The organisations of the demo in Europe: what the demo's trade fairs
// target.
const search = '[["party_kind", "=", "organisation"], '
    + '["territory.parent.name", "=", "Europe"]]';

let rpc;
let expected;

before(async () => {
    rpc = await Rpc.login(marketer, demoPassword);
    expected = await rpc.model('party.party', 'search_count',
        JSON.parse(search));
    assert.ok(expected > 0, 'the demo has organisations in Europe');
    await startBrowser();
    await page.setViewportSize({ width: 1366, height: 768 });
    await logIn(marketer, demoPassword);
});

after(stopBrowser);

async function assertFits(what) {
    assert.deepEqual(await sidewaysOverflows(), [], what);
}

async function campaign() {
    const [found] = await rpc.model('marketing.campaign', 'search_read',
        [['name', '=', name.toLowerCase()]], 0, 1, null,
        ['state', 'budget', 'type.name', 'targets']);
    return found;
}

test('a marketing user plans a campaign, builds its targets and starts it', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, "the demo's campaigns", async () => {
        await openCrmMenu('Campaigns', ['Marketing']);
        assert.ok(await activeTab().locator('.treeview tbody tr').count()
            >= 2, 'the current campaigns of the demo');
        await assertFits('the campaigns');
        await screenshot('campaign-01-list.png');
    });

    await step(t, 'plan a trade fair with its budget', async () => {
        await newRecord();
        await fillText('name', name);
        await pickRecord('type', 'Trade', 'Trade Fair');
        const budget = activeTab().locator(
            'input[type="number"][name="budget"]');
        if (!await budget.isVisible()) {
            await activeTab().locator('input[type="text"][name="budget"]')
                .click();
        }
        await budget.fill('15000');
        await budget.press('Tab');
        await settled();
        await save();
        await assertFits('the campaign');
        await screenshot('campaign-02-planned.png');
        const saved = await campaign();
        assert.equal(saved.state, 'planned');
        assert.equal(saved['type.'].name, 'Trade Fair');
        assert.equal(Number(saved.budget.decimal), 15000);
    });

    await step(t, 'fill the targets from a search of partners', async () => {
        await openFormPage('Targets');
        await fillText('target_domain', search);
        await save();
        await clickButton('Refresh Targets');
        await activeTab().locator('.treeview tbody tr').first().waitFor();
        await settled();
        const saved = await campaign();
        assert.equal(saved.targets.length, expected);
        await assertFits('the targets');
        await screenshot('campaign-03-targets.png');
    });

    await step(t, 'start the campaign', async () => {
        await clickButton('Activate');
        await settled();
        assert.equal((await campaign()).state, 'active');
        await screenshot('campaign-04-active.png');
    });
});
