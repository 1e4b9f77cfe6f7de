// A marketing campaign in the sao web client at 1366x768 with the menu
// open, as the demo's marketing user: the campaigns of the demo, a new
// campaign planned with its type and budget, its target list filled from a
// search of partners, the campaign activated, a mailing sent to its
// targets through the local mail server of the tests, and the results of
// the campaigns.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, clickButton, dialog, field, fillText, logIn,
    newRecord, openCrmMenu, openFormPage, page, pickRecord, save,
    screenshot, settled, sidewaysOverflows, stamp, startBrowser, step,
    stopBrowser,
} from './support.mjs';

const demoPassword = process.env.CRM_PLUS_DEMO_PASSWORD || 'Tryton-CRM-demo';
const marketer = 'marketing';
const name = `E2E Fair ${stamp}`;
// The organisations of the demo in Europe: what the demo's trade fairs
// target.
const search = '[["party_kind", "=", "organisation"], '
    + '["territory.parent.name", "=", "Europe"]]';

const subject = `Meet us at the fair ${stamp}`;
// The messages the local mail server of the tests received (a Maildir).
const maildir = process.env.CRM_PLUS_MAILDIR;

let rpc;
let expected;

function received() {
    const folder = path.join(maildir, 'new');
    if (!fs.existsSync(folder)) {
        return [];
    }
    return fs.readdirSync(folder)
        .map((name) => fs.readFileSync(path.join(folder, name), 'utf8'))
        .filter((message) => message.includes(stamp));
}

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
        ['state', 'budget', 'type.name', 'targets', 'rec_name']);
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

    await step(t, 'send a mailing to the targets', async () => {
        const { rec_name: campaignName } = await campaign();
        await openCrmMenu('Mailings', ['Marketing']);
        await newRecord();
        await fillText('name', `Invitation ${stamp}`);
        await pickRecord('campaign', campaignName, campaignName);
        await fillText('subject', subject);
        const body = field('body', 'textarea');
        await body.fill('Dear ${partner},\n\n'
            + '${salesperson} invites you to our stand.');
        await body.press('Tab');
        await save();
        await assertFits('the mailing');
        await screenshot('campaign-05-mailing.png');
        await clickButton('Send');
        await dialog('Send it?').locator('.modal-footer button',
            { hasText: 'OK' }).click();
        await settled();
        // The queue sends by batches after the request: the mailing ends
        // sent.
        let mailing;
        const deadline = Date.now() + TIMEOUT;
        do {
            [mailing] = await rpc.model('crm.mailing', 'search_read',
                [['name', '=', `Invitation ${stamp}`]], 0, 1, null,
                ['state', 'total', 'sent_count', 'skipped_count']);
            assert.ok(Date.now() < deadline, `the mailing is ${mailing.state}`);
            await new Promise((resolve) => setTimeout(resolve, 500));
        } while (mailing.state !== 'sent');
        assert.equal(mailing.total, expected);
        assert.ok(mailing.sent_count > 0, 'messages were sent');
        const messages = received();
        assert.equal(messages.length, mailing.sent_count);
        assert.ok(messages.every((message) => message.includes(
            `Subject: ${subject}`) && /List-Unsubscribe: <http/.test(message)));
        await activeTab().locator('button#reload').click();
        await settled();
        await openFormPage('Recipients');
        await assertFits('the recipients');
        await screenshot('campaign-06-sent.png');
        // This server reads no bounce mailbox: Read Bounces says so, in
        // words, and changes nothing.
        await clickButton('Read Bounces');
        const refusal = dialog('No bounce mailbox is configured');
        await refusal.waitFor();
        await screenshot('campaign-06b-no-bounce-mailbox.png');
        await refusal.locator('.modal-footer button').first().click();
        await settled();
        const [after] = await rpc.model('crm.mailing', 'search_read',
            [['name', '=', `Invitation ${stamp}`]], 0, 1, null,
            ['sent_count', 'bounced_count']);
        assert.equal(after.sent_count, mailing.sent_count);
        assert.equal(after.bounced_count, 0);
    });

    await step(t, "the campaigns' results", async () => {
        await openCrmMenu('Campaign Results', ['Marketing']);
        // The demo's trade fairs brought leads, some won and paid.
        const fairs = activeTab().locator('.treeview tbody tr',
            { hasText: 'European Trade Fairs' });
        await fairs.first().waitFor();
        // As the report's form asks for them: any employee.
        const [results] = await Rpc.call(rpc.session,
            'model.crm.campaign.report.search_read', [
                [['campaign.name', '=', 'european trade fairs']], 0, 1, null,
                ['leads', 'won'], { ...rpc.context, employee: null }]);
        assert.ok(results.leads > 0, 'the trade fairs brought leads');
        assert.match(await fairs.first().innerText(),
            new RegExp(`\\b${results.leads}\\b`));
        await assertFits('the results');
        await screenshot('campaign-07-results.png');
    });

    await step(t, 'the results by type, lead source and period', async () => {
        const context = { ...rpc.context, employee: null };
        const read = (model, fields) => Rpc.call(rpc.session,
            `model.${model}.search_read`,
            [[], 0, null, null, fields, context]);
        for (const [title, model, file] of [
            ['Campaign Results by Type', 'crm.campaign.report.type',
                'campaign-08-by-type.png'],
            ['Campaign Results by Lead Source',
                'crm.campaign.report.lead_source',
                'campaign-09-by-lead-source.png'],
            ['Campaign Results over Periods', 'crm.campaign.report.period',
                'campaign-10-over-periods.png'],
        ]) {
            await openCrmMenu(title, ['Marketing']);
            const rows = await read(model, ['leads']);
            assert.ok(rows.length > 0, `${title} has rows`);
            // The list shows the rows the server computes, as many.
            await activeTab().locator('.treeview tbody tr').first()
                .waitFor();
            assert.equal(await activeTab()
                .locator('.treeview tbody tr:visible').count(), rows.length);
            await assertFits(title);
            await screenshot(file);
        }
        // Whatever the dimension, the campaigns cost the same in all, but
        // for the cents of the shares of a campaign among lead sources.
        const costs = async (model) => (await read(model, ['cost']))
            .map((row) => Number(row.cost.decimal));
        const sum = (values) => values.reduce((a, b) => a + b, 0);
        const cost = sum(await costs('crm.campaign.report'));
        assert.ok(cost > 0, 'the campaigns cost something');
        for (const model of ['crm.campaign.report.type',
            'crm.campaign.report.lead_source',
            'crm.campaign.report.period']) {
            const rows = await costs(model);
            const cents = model.endsWith('lead_source') ? rows.length : 0;
            assert.ok(Math.abs(sum(rows) - cost) <= cents * 0.01 + 1e-6,
                `${model}: ${sum(rows)} for ${cost}`);
        }
    });
});
