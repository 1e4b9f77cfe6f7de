// The audit trail of an opportunity in the sao web client: a salesperson
// changes the description and the estimated amount of their deal and moves
// it to the next stage, as the client calls the server; the deal's Audit
// Trail (its relate menu) shows who changed which field from which value
// to which, as people read them; the salesperson cannot change nor delete
// an entry; a CRM manager finds the entries in CRM > Audit.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    activeTab, decimal, field, formatted, listOpportunities, logIn, logOut,
    openCrmMenu, openRow, page, Rpc, screenshot, settled, stamp, startBrowser,
    step, stopBrowser, TIMEOUT,
} from './support.mjs';

const lower = stamp.toLowerCase();
// Long and random enough for the server's password rules.
const secret = `E2E-${stamp}-audit-Pw!`;
const salespersonLogin = `e2e-audit-rep-${lower}`;
const managerLogin = `e2e-audit-manager-${lower}`;
const salespersonName = `E2E Audit Rep ${stamp}`;
const managerName = `E2E Audit Manager ${stamp}`;
const customer = `E2E Audit Customer ${stamp}`;
const deal = `E2E Audit deal ${stamp}`;
const renamed = `E2E Audit deal ${stamp}, renewal for two years`;
// The amount as the web client sends it once typed: a number, whose
// trailing zeros JavaScript drops ("13450.5" for 13,450.50).
const amountBefore = '12000.00';
const amountTyped = '13450.5';

let admin;
let opportunityId;
let opportunityRecName;
let stages;
// The model's name as the client offers it in the Document filter.
let opportunityModelName;

// The entries of the deal's trail, newest first, as a user reads them.
async function trail(rpc) {
    return rpc.model('crm.audit.entry', 'search_read', [
        ['document_model', '=', 'sale.opportunity'],
        ['document_id', '=', opportunityId],
    ], 0, null, [['date', 'DESC'], ['id', 'DESC']], [
        'user', 'user.rec_name', 'event', 'model', 'field_name', 'field',
        'old', 'new', 'old_value', 'new_value', 'record_name',
    ]);
}

before(async () => {
    admin = await Rpc.login();
    const company = admin.context.company;
    const rep = await admin.createEmployee(salespersonName);
    const boss = await admin.createEmployee(managerName);
    await admin.model('crm.team', 'create', [{
        name: `E2E Audit ${stamp}`, code: `U${stamp}`, company,
        leader: boss, members: [['add', [rep]]],
    }]);
    await admin.createUser({
        name: salespersonName,
        login: salespersonLogin,
        password: secret,
        groups: ['CRM User', 'Sales'],
        employee: rep,
    });
    await admin.createUser({
        name: managerName,
        login: managerLogin,
        password: secret,
        groups: ['CRM Manager', 'Sales'],
        employee: boss,
    });

    const [method] = await admin.model('crm.sales_method', 'search_read',
        [['name', '=', 'Standard Sale']], 0, 1, null, ['stages']);
    stages = await admin.model('crm.stage', 'read', method.stages,
        ['rec_name', 'probability']);
    assert.ok(stages.length >= 2, 'a sales method of two stages at least');
    const [partyId] = await admin.model('party.party', 'create', [{
        name: customer,
    }]);
    [opportunityId] = await admin.model('sale.opportunity', 'create', [{
        description: deal,
        party: partyId,
        employee: rep,
        amount: decimal(amountBefore),
        sales_method: method.id,
        stage: stages[0].id,
    }]);
    await admin.model('sale.opportunity', 'opportunity', [opportunityId]);
    const [record] = await admin.model('sale.opportunity', 'read',
        [opportunityId], ['rec_name', 'stage', 'state']);
    assert.equal(record.stage, stages[0].id);
    opportunityRecName = record.rec_name;
    [{ string: opportunityModelName }] = await admin.model('ir.model',
        'search_read', [['name', '=', 'sale.opportunity']], 0, 1, null,
        ['string']);
});

after(stopBrowser);

// The rows of the list shown, as objects keyed by the visible columns'
// titles.
async function listRows() {
    return activeTab().locator('.treeview').first().evaluate((tree) => {
        const shown = (element) => element.offsetParent !== null;
        const headers = [...tree.querySelectorAll('thead th')];
        const titles = headers.map((th) => th.innerText.trim());
        const visible = headers.map(shown);
        return [...tree.querySelectorAll('tbody tr')].filter(shown)
            .map((tr) => {
                const row = {};
                [...tr.children].forEach((td, i) => {
                    if (visible[i] && titles[i]) {
                        row[titles[i]] = td.innerText.trim();
                    }
                });
                return row;
            });
    });
}

// How the list fits the window: the columns whose text is cut and the
// width the list needs beyond what it has.
async function layout() {
    return activeTab().locator('.treeview').first().evaluate((tree) => {
        const cut = new Set();
        const headers = [...tree.querySelectorAll('thead th')];
        for (const tr of tree.querySelectorAll('tbody tr')) {
            [...tr.children].forEach((td, i) => {
                const inner = td.firstElementChild ?? td;
                if (td.offsetParent !== null
                        && inner.scrollWidth > inner.clientWidth + 1) {
                    cut.add(headers[i]?.innerText.trim() || String(i));
                }
            });
        }
        const page = document.scrollingElement;
        return {
            cut: [...cut],
            listOverflow: tree.scrollWidth - tree.clientWidth,
            pageOverflow: page.scrollWidth - page.clientWidth,
        };
    });
}

// The deal's form, from CRM > Leads and Opportunities, tab Opportunities.
async function openDeal() {
    await listOpportunities(`Description: "${renamed}"`);
    const amountShown = formatted(amountTyped, 2);
    await activeTab().locator('.treeview tbody tr', { hasText: customer })
        .first().waitFor();
    // On the amount: the party's cell is a link to the party.
    await openRow(amountShown);
    await field('description').waitFor();
    await settled();
    await page.waitForFunction(
        ([element, expected]) => element.value === expected,
        [await field('description').elementHandle(), renamed]);
}

// Open an action of the form's relate menu (the toolbar's link icon).
async function openRelated(name) {
    await activeTab().locator('button#relate').click();
    const item = activeTab().locator(
        'ul.dropdown-menu[aria-labelledby="relate"] a[role="menuitem"]',
        { hasText: new RegExp(`^\\s*${name}\\s*$`) });
    await item.first().click();
    await page.locator('#tablist li.active', { hasText: name }).waitFor();
    await activeTab().locator('.treeview tbody tr').first().waitFor();
    await settled();
}

// The values a reader must not meet: references and unformatted errors.
const RAW = /^[a-z_]+(\.[a-z_]+)+,-?\d+$|#ERROR/;

function assertReadable(rows) {
    for (const row of rows) {
        for (const [title, text] of Object.entries(row)) {
            assert.doesNotMatch(text, RAW, `${title}: ${text}`);
        }
    }
}

// The row of the list whose field is the label, changed by the user.
function rowOf(rows, fieldLabel, user) {
    const found = rows.filter((row) => row.Field === fieldLabel
        && row.User === user);
    assert.equal(found.length, 1,
        `one row of ${fieldLabel} by ${user}: ${JSON.stringify(rows)}`);
    return found[0];
}

test('the audit trail tells who changed what on an opportunity',
    { timeout: 12 * TIMEOUT }, async (t) => {
        // The trail as the salesperson reads it over JSON-RPC.
        let entries;
        let rep;
        const byField = (name) => entries.filter(
            (e) => e.field_name === name && e['user.'].rec_name
                === salespersonName);

        await step(t, 'the salesperson changes the deal and moves it on',
            async () => {
                rep = await Rpc.login(salespersonLogin, secret);
                // As the client saves the form, then presses Next Stage.
                await rep.model('sale.opportunity', 'write', [opportunityId],
                    { description: renamed, amount: decimal(amountTyped) });
                await rep.model('sale.opportunity', 'next_stage',
                    [opportunityId]);
                const [record] = await rep.model('sale.opportunity', 'read',
                    [opportunityId], ['stage', 'description']);
                assert.equal(record.stage, stages[1].id);
                assert.equal(record.description, renamed);

                entries = await trail(rep);
                const [description] = byField('description');
                assert.equal(description.event, 'write');
                assert.equal(description.field, 'Description');
                assert.equal(description.old, deal);
                assert.equal(description.new, renamed);
                const [stage] = byField('stage');
                assert.equal(stage.old, stages[0].rec_name);
                assert.equal(stage.new, stages[1].rec_name);
                const [amount] = byField('amount');
                assert.equal(Number(amount.old), Number(amountBefore));
                assert.equal(Number(amount.new), Number(amountTyped));
                // Labels of selections: the state the admin's transition
                // gave, as read.
                const state = entries.find((e) => e.field_name === 'state'
                    && e.event === 'transition');
                assert.equal(state.old, 'Lead');
                assert.equal(state.new, 'Opportunity');
                // Names of related records, never their ids.
                const party = entries.find((e) => e.field_name === 'party');
                assert.equal(party.new, customer);
                const employee = entries.find(
                    (e) => e.field_name === 'employee');
                assert.equal(employee.new, salespersonName);
                for (const entry of entries) {
                    assert.doesNotMatch(String(entry.new), RAW);
                    assert.doesNotMatch(String(entry.old), RAW);
                }
            });

        await step(t, 'its Audit Trail shows who changed what', async () => {
            await startBrowser();
            await page.setViewportSize({ width: 1366, height: 768 });
            await logIn(salespersonLogin, secret);
            await openDeal();
            await openRelated('Audit Trail');
            const rows = await listRows();
            console.log('Audit Trail:', JSON.stringify(rows, null, 1));
            const fit = await layout();
            console.log('layout:', JSON.stringify(fit));
            // Old and new values on screen, at 1366 px with the menu open.
            assert.ok(fit.listOverflow <= 0, JSON.stringify(fit));
            assert.ok(fit.pageOverflow <= 0, JSON.stringify(fit));
            await screenshot('audit-01-trail.png');
            assertReadable(rows);
            // The deal's own trail only, the salesperson's changes first.
            assert.equal(rows.length, entries.length);
            const description = rowOf(rows, 'Description', salespersonName);
            assert.equal(description.Old, deal);
            assert.equal(description.New, renamed);
            assert.equal(description.Event, 'Changed');
            const stage = rowOf(rows, 'Stage', salespersonName);
            assert.equal(stage.Old, stages[0].rec_name);
            assert.equal(stage.New, stages[1].rec_name);
            // The probability as the form shows it.
            const probability = rowOf(rows, 'Conversion Probability',
                salespersonName);
            const percent = (stage) =>
                `${Math.round(stage.probability * 100)} %`;
            assert.equal(probability.Old, percent(stages[0]));
            assert.equal(probability.New, percent(stages[1]));
            const amount = rowOf(rows, 'Amount', salespersonName);
            assert.equal(Number(amount.Old), Number(amountBefore));
            assert.equal(Number(amount.New), Number(amountTyped));
            const state = rows.find((row) => row.Field === 'State'
                && row.Event === 'Transition');
            assert.equal(state.Old, 'Lead');
            assert.equal(state.New, 'Opportunity');
            assert.equal(state.User, 'Administrator');
        });

        await t.test('the amounts show their digits', {
            skip: !entries && 'an earlier step failed',
        }, () => {
            const [amount] = byField('amount');
            for (const value of [amount.old, amount.new]) {
                assert.match(value, /^\d{1,3}(,?\d{3})*\.\d{2}$/,
                    `an amount of 2 digits: ${value}`);
            }
        });

        await step(t, 'the salesperson cannot change nor delete an entry',
            async () => {
                const [description] = byField('description');
                const refused = /not allowed|Only the administrator/;
                await assert.rejects(
                    rep.model('crm.audit.entry', 'write', [description.id],
                        { new_value: 'E2E tampered', user: null }),
                    refused);
                await assert.rejects(
                    rep.model('crm.audit.entry', 'delete', [description.id]),
                    refused);
                const [entry] = await admin.model('crm.audit.entry', 'read',
                    [description.id], ['new_value', 'old_value', 'user']);
                assert.equal(entry.new_value, renamed);
                assert.equal(entry.old_value, deal);
                assert.equal(entry.user, description.user);
                assert.equal((await trail(rep)).length, entries.length);
            });

        await step(t, 'the manager finds the entries in CRM > Audit',
            async () => {
                await logOut();
                await logIn(managerLogin, secret);
                await openCrmMenu('Audit');
                await activeTab().locator('.nav-tabs a[role="tab"]',
                    { hasText: /^\s*Opportunities\b/ }).first().click();
                await settled();
                const box = activeTab()
                    .locator('.filter-box input.form-control').first();
                await box.fill(
                    `Document: "${opportunityModelName},${opportunityRecName}"`);
                await box.press('Enter');
                await settled();
                await activeTab().locator('.treeview tbody tr',
                    { hasText: renamed }).first().waitFor();
                const rows = await listRows();
                console.log('CRM > Audit:', JSON.stringify(rows, null, 1));
                const fit = await layout();
                console.log('layout:', JSON.stringify(fit));
                // Old and new values on screen, at 1366 px with the menu open.
                assert.ok(fit.listOverflow <= 0, JSON.stringify(fit));
                assert.ok(fit.pageOverflow <= 0, JSON.stringify(fit));
                await screenshot('audit-02-manager.png');
                assertReadable(rows);
                assert.equal(rows.length, entries.length);
                const description = rowOf(rows, 'Description',
                    salespersonName);
                assert.equal(description.New, renamed);
                rowOf(rows, 'Stage', salespersonName);
                rowOf(rows, 'Amount', salespersonName);
                const manager = await Rpc.login(managerLogin, secret);
                const found = await manager.model('crm.audit.entry', 'search',
                    [['document', '=', `sale.opportunity,${opportunityId}`]]);
                assert.equal(found.length, entries.length);
            });
    });
