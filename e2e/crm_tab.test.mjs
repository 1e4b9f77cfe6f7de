// The CRM tab of a partner in the sao web client: a user fills it in, saves,
// opens the partner again and finds the values, which the server stores.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, assertValue, closeTab, decimal, field, fillNumber,
    fillText, formatted, logIn, openCrmMenu, openFormPage, openFromList,
    newRecord, pickRecord, save, screenshot, stamp, startBrowser, step, stopBrowser,
} from './support.mjs';

const partnerName = `E2E Partner ${stamp}`;
const territoryName = `E2E Territory ${stamp}`;
const expected = {
    sicCode: '7372',
    employees: 250,
    revenue: '1234567.89',
    stage: { value: 'prospect', label: 'Prospect' },
};

let rpc;
const fixtures = {};

before(async () => {
    rpc = await Rpc.login();

    // A territory of this run, to pick in the form.
    [fixtures.territory] = await rpc.model('crm.territory', 'create',
        [{ name: territoryName, code: `E2E-${stamp}` }]);
    // The annual revenue needs a currency: the form proposes the user's
    // company's; without a company the test picks one, made if need be.
    if (rpc.context.company) {
        [{ currency: fixtures.currency }] = await rpc.model(
            'company.company', 'read', [rpc.context.company], ['currency']);
    } else {
        [fixtures.currency] = await rpc.model('currency.currency', 'search',
            [], 0, 1, [['id', 'ASC']]);
    }
    fixtures.currency ??= (await rpc.model('currency.currency', 'create', [{
        name: 'Euro', code: 'EUR', symbol: '€', rounding: decimal('0.01'),
    }]))[0];
    [fixtures.currencyRecord] = await rpc.model('currency.currency', 'read',
        [fixtures.currency], ['rec_name', 'code']);

    await startBrowser();
});

after(stopBrowser);

async function openCrmPage() {
    await openFormPage('CRM');
    await field('sic_code').waitFor();
}

test('the CRM tab of a partner is saved from the web client', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'log in and open CRM > Partners', async () => {
        await logIn();
        await openCrmMenu('Partners');
        await screenshot('01-partners.png');
    });

    await step(t, 'fill in the CRM tab of a new partner', async () => {
        await newRecord();
        // The new record is ready once the server's defaults are shown.
        await assertValue(field('party_kind', 'select'), '"organisation"');
        await fillText('name', partnerName);
        await openCrmPage();

        await pickRecord('territory', stamp, territoryName);
        await fillText('sic_code', expected.sicCode);
        await fillNumber('employee_count', String(expected.employees),
            formatted(expected.employees, 0));
        await field('lifecycle_stage', 'select').selectOption(
            { label: expected.stage.label });
        await fillNumber('annual_revenue', expected.revenue,
            formatted(expected.revenue, 2));
        // The currency defaults to the company's; a user without a
        // company chooses one.
        if (!await field('revenue_currency').inputValue()) {
            await pickRecord('revenue_currency',
                fixtures.currencyRecord.code,
                fixtures.currencyRecord.rec_name);
        }
        await screenshot('02-crm-tab-filled.png');
    });

    await step(t, 'save the partner', async () => {
        await save();
        await screenshot('03-crm-tab-saved.png');
    });

    await step(t, 'open the partner again and find the values', async () => {
        // Close the form and find the partner from the menu, so that
        // every value shown comes back from the server.
        await closeTab('Partners');
        await openCrmMenu('Partners');
        await openFromList(partnerName);
        await field('name').waitFor();
        await assertValue(field('name'), partnerName);
        await openCrmPage();

        await assertValue(field('territory'), territoryName);
        await assertValue(field('sic_code'), expected.sicCode);
        await assertValue(field('employee_count', 'input[type="text"]'),
            formatted(expected.employees, 0));
        await assertValue(field('annual_revenue', 'input[type="text"]'),
            formatted(expected.revenue, 2));
        const stage = field('lifecycle_stage', 'select');
        assert.equal(
            await stage.locator('option:checked').innerText(),
            expected.stage.label);
        await assertValue(field('revenue_currency'),
            fixtures.currencyRecord.rec_name);
        await screenshot('04-crm-tab-reopened.png');
    });

    await step(t, 'the server stores the values', async () => {
        const ids = await rpc.model('party.party', 'search',
            [['name', '=', partnerName]], 0, null, null);
        assert.equal(ids.length, 1, 'exactly one partner of that name');
        const [party] = await rpc.model('party.party', 'read', ids, [
            'territory', 'sic_code', 'employee_count', 'annual_revenue',
            'lifecycle_stage', 'revenue_currency', 'party_kind']);
        assert.equal(party.territory, fixtures.territory);
        assert.equal(party.sic_code, expected.sicCode);
        assert.equal(party.employee_count, expected.employees);
        assert.equal(party.annual_revenue?.__class__, 'Decimal');
        assert.equal(Number(party.annual_revenue.decimal),
            Number(expected.revenue));
        assert.equal(party.lifecycle_stage, expected.stage.value);
        assert.equal(party.revenue_currency, fixtures.currency);
        assert.equal(party.party_kind, 'organisation');
    });
});
