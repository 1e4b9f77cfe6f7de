// A lead in the sao web client: a user captures a prospect's company and
// contact on a new lead, plans a call on it, converts it, and finds the call
// on the partner the conversion created.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, assertValue, clickButton, closeTab, field,
    fillText, logIn, newRecord, openCrmMenu, openFormPage, openFromList,
    openRow, page, pickRecord, save, screenshot, settled, stamp,
    startBrowser, step, stopBrowser,
} from './support.mjs';

const description = `E2E lead ${stamp}`;
const company = `E2E Prospect ${stamp} Ltd`;
const contact = `Ana E2E${stamp}`;
const email = `ana.${stamp.toLowerCase()}@prospect.example`;
const subject = `E2E first call ${stamp}`;

let rpc;
let employee;

before(async () => {
    rpc = await Rpc.login();
    // An opportunity needs an employee in charge; the lead takes one of the
    // demo's sales representatives.
    const [employeeId] = await rpc.model('company.employee', 'search',
        [], 0, 1, [['id', 'ASC']]);
    [employee] = await rpc.model('company.employee', 'read', [employeeId],
        ['rec_name']);
    await startBrowser();
});

after(stopBrowser);

// The wizard opens in a dialog over the form.
const dialog = () => page.locator('.modal.in').filter({ visible: true });

test('a lead is captured, converted and its call shows on the partner', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'capture the prospect on a new lead', async () => {
        await logIn();
        await openCrmMenu('Leads');
        await newRecord();
        await fillText('description', description);
        await openFormPage('Prospect');
        await fillText('prospect_company', company);
        await fillText('prospect_contact', contact);
        await fillText('prospect_email', email);
        await openFormPage('Deal');
        await pickRecord('employee', employee.rec_name, employee.rec_name);
        await screenshot('lead-01-prospect.png');
        await save();
    });

    await step(t, 'plan a call on the lead', async () => {
        // On the Activities page, with the activities it plans.
        await openFormPage('Activities');
        await clickButton('Plan Activity');
        await page.locator('#tablist li.active', { hasText: 'Plan Activity' })
            .waitFor();
        await settled();
        await pickRecord('type', 'Call', 'Call');
        await fillText('subject', subject);
        await save();
        await screenshot('lead-02-call.png');
        await closeTab('Plan Activity');
    });

    await step(t, 'convert the lead into an opportunity', async () => {
        // Reopened from the list: the web client takes a form whose
        // activities it showed, then the conversion changed, for modified
        // once the conversion reloads it, and asks to save it on closing.
        await closeTab('Leads');
        await openCrmMenu('Leads');
        const box = activeTab().locator('.filter-box input.form-control')
            .first();
        await box.fill(`Description: "${description}"`);
        await box.press('Enter');
        await settled();
        await openRow(company);
        await clickButton('Convert');
        await dialog().locator('input[name="prospect_company"]').waitFor();
        await settled();
        // No partner looks like the prospect: the wizard proposes to create
        // the organisation and the contact person.
        for (const name of ['create_organisation', 'create_contact']) {
            assert.ok(await dialog().locator(`input[name="${name}"]`)
                .isChecked(), `${name} is proposed`);
        }
        await screenshot('lead-03-convert.png');
        await dialog().locator('.modal-footer button',
            { hasText: 'Convert' }).click();
        await dialog().waitFor({ state: 'detached' }).catch(() => {});
        await settled();
        await screenshot('lead-04-converted.png');
    });

    await step(t, 'the server made the partner, contact and opportunity',
        async () => {
            const [lead] = await rpc.model('sale.opportunity', 'search_read',
                [['description', '=', description]], 0, null, null,
                ['state', 'party', 'party.name', 'party.party_kind']);
            assert.equal(lead.state, 'opportunity');
            assert.equal(lead['party.'].name, company);
            assert.equal(lead['party.'].party_kind, 'organisation');
            const contacts = await rpc.model('party.party', 'search_read',
                [['organisation', '=', lead.party]], 0, null, null,
                ['name', 'party_kind']);
            assert.deepEqual(contacts.map((c) => [c.name, c.party_kind]),
                [[contact, 'person']]);
            const [call] = await rpc.model('crm.activity', 'search_read',
                [['subject', '=', subject]], 0, null, null, ['party']);
            assert.equal(call.party, lead.party);
        });

    await step(t, 'the call shows on the new partner', async () => {
        await closeTab('Leads');
        await openCrmMenu('Partners');
        await openFromList(company);
        await assertValue(field('name'), company);
        await openFormPage('Activities');
        await activeTab().locator('.treeview tbody tr td',
            { hasText: subject }).filter({ visible: true }).first()
            .waitFor();
        await screenshot('lead-05-partner-activities.png');
    });
});
