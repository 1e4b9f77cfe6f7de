// Activities in the sao web client: from a partner's Activities tab a user
// plans a call with the Plan Activity button, which opens the form of a new
// activity already linked to the partner; the call then shows in CRM >
// Activities and in its calendar. An opportunity shows its tasks and plans
// activities linked to it and its partner.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, assertValue, field, logIn, openCrmMenu,
    openFormPage, openRow, page, pickRecord, save, screenshot, search,
    settled, stamp, startBrowser, step, stopBrowser,
} from './support.mjs';

const partnerName = `E2E Activity Partner ${stamp}`;
const subject = `E2E call ${stamp}`;
const opportunityName = `E2E opportunity ${stamp}`;
const taskSubject = `E2E task ${stamp}`;

let rpc;
let partnerId;

before(async () => {
    rpc = await Rpc.login();
    [partnerId] = await rpc.model('party.party', 'create',
        [{ name: partnerName, party_kind: 'organisation' }]);
    await startBrowser();
});

after(stopBrowser);

async function planActivity() {
    await activeTab().locator('button', { hasText: 'Plan Activity' })
        .filter({ visible: true }).first().click();
    await page.locator('#tablist li.active', { hasText: 'Plan Activity' })
        .waitFor();
    await settled();
}

test('an activity is planned from a partner and shows in the calendar', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'open the partner and its Activities tab', async () => {
        await logIn();
        await openCrmMenu('Partners');
        await search(partnerName);
        await openRow(partnerName);
        await assertValue(field('name'), partnerName);
        await openFormPage('Activities');
        await screenshot('activity-01-partner.png');
    });

    await step(t, 'Plan Activity opens a new activity of the partner',
        async () => {
            await planActivity();
            await assertValue(field('party'), partnerName);
            await assertValue(field('state', 'select'), '"planned"');
            await pickRecord('type', 'Call', 'Call');
            // The type's default duration sets the end.
            await settled();
            assert.notEqual(await field('end').first().inputValue(), '');
            await field('subject').fill(subject);
            await field('subject').press('Tab');
            await screenshot('activity-02-plan.png');
            await save();
        });

    await step(t, 'the server links the call to the partner', async () => {
        const ids = await rpc.model('crm.activity', 'search',
            [['subject', '=', subject]], 0, null, null);
        assert.equal(ids.length, 1);
        const [activity] = await rpc.model('crm.activity', 'read', ids,
            ['party', 'state', 'type.code']);
        assert.equal(activity.party, partnerId);
        assert.equal(activity.state, 'planned');
        assert.equal(activity['type.'].code, 'call');
    });

    await step(t, 'CRM > Activities lists it under Planned', async () => {
        await openCrmMenu('Activities');
        const tabs = activeTab().locator('.nav-tabs a[role="tab"]');
        // Some tabs show their count after the name.
        const names = (await tabs.allInnerTexts()).map(
            (s) => s.replace(/\s*\d+\s*$/, '').trim());
        for (const name of [
            'My Planned', 'Overdue', 'Planned', 'Done', 'All']) {
            assert.ok(names.includes(name), `tab ${name} in ${names}`);
        }
        await tabs.filter({ hasText: /^\s*Planned/ }).click();
        await settled();
        await search(subject);
        await activeTab().locator('.treeview tbody tr td',
            { hasText: subject }).first().waitFor();
        await screenshot('activity-03-list.png');
    });

    await step(t, 'the calendar shows it', async () => {
        // CRM > Activities > Activity Calendar, under the entry just used.
        await page.locator('#menu .column-char[title="Activity Calendar"]')
            .click();
        await page.locator('#tablist li.active',
            { hasText: 'Activity Calendar' }).waitFor();
        await activeTab().locator('a.fc-event', { hasText: subject })
            .filter({ visible: true }).first().waitFor();
        await screenshot('activity-04-calendar.png');
    });
});

test('an opportunity shows its tasks and plans activities', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'the Tasks tab of the opportunity lists its task',
        async () => {
            const [opportunity] = await rpc.model('sale.opportunity',
                'create', [{ party: partnerId, description: opportunityName }]);
            const [task] = await rpc.model('crm.activity.type', 'search',
                [['code', '=', 'task']], 0, 1, null);
            await rpc.model('crm.activity', 'create', [{
                type: task, subject: taskSubject, opportunity,
                due_date: { __class__: 'date', year: 2030, month: 1, day: 31 },
            }]);
            // Opportunities are found by their number.
            const [{ number }] = await rpc.model('sale.opportunity', 'read',
                [opportunity], ['number']);
            await openCrmMenu('Leads and Opportunities');
            await search(number);
            await openRow(new RegExp(`^\\s*${number}\\s*$`));
            // Activities and tasks are pages of the Activities page, with
            // its Plan Activity button.
            await openFormPage('Activities');
            await openFormPage('Tasks');
            await activeTab().locator('.treeview tbody tr td',
                { hasText: taskSubject }).filter({ visible: true })
                .first().waitFor();
            await screenshot('activity-05-opportunity-tasks.png');
        });

    await step(t, 'Plan Activity opens a new activity of the opportunity',
        async () => {
            await planActivity();
            assert.match(await field('opportunity').inputValue(), /\S/);
            // The opportunity brings its partner.
            await assertValue(field('party'), partnerName);
            await screenshot('activity-06-opportunity-plan.png');
        });
});
