// The approval of an opportunity in the sao web client, as a salesperson
// and their manager live it: the salesperson's large deal cannot be quoted
// without the manager's approval; the error says where to ask; Request
// Approval, at the bottom of the form, asks and gives way to the request,
// which shows in the deal's Approval Requests list; the manager approves it
// from CRM > Approvals > My Pending, the salesperson is notified and quotes
// the deal, which becomes converted with its quotation in its Sales list.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    activeTab, approveRequest, clickButton, decimal, dialog, field, formatted,
    listOpportunities, logIn, logOut, openCrmMenu, openFormPage, openRow,
    openUserMenu, page, Rpc, screenshot, settled, stamp, startBrowser, step,
    stopBrowser, TIMEOUT,
} from './support.mjs';

const lower = stamp.toLowerCase();
// Long and random enough for the server's password rules.
const secret = `E2E-${stamp}-approval-flow-Pw!`;
const salespersonLogin = `e2e-flow-rep-${lower}`;
const managerLogin = `e2e-flow-manager-${lower}`;
const ruleName = `E2E deal to approve ${stamp}`;
const deal = `E2E Approval deal ${stamp}`;
const customer = `E2E Approval Customer ${stamp}`;

let admin;
let company;
let opportunityId;
let ruleId;
// The rules of the same transition that would hold for the deal too (the
// demo's "Large deal"): inactive during the test, so that the manager's
// approval is the only one the deal waits for.
let otherRules = [];
// The lines' total as the server computed it, and as the client shows it.
let total;
let totalShown;
// The product of the deal's line, as the client names it.
let product;

async function opportunity(fields) {
    const [record] = await admin.model('sale.opportunity', 'read',
        [opportunityId], fields);
    return record;
}

async function requestsOfDeal() {
    return admin.model('crm.approval.request', 'search_read',
        [['document', '=', `sale.opportunity,${opportunityId}`]], 0, null,
        [['id', 'ASC']], ['state', 'rule', 'amount', 'party']);
}

before(async () => {
    admin = await Rpc.login();
    company = admin.context.company;
    const rep = await admin.createEmployee(`E2E Flow Rep ${stamp}`);
    const boss = await admin.createEmployee(`E2E Flow Manager ${stamp}`);
    await admin.model('crm.team', 'create', [{
        name: `E2E Flow ${stamp}`, code: `F${stamp}`, company,
        leader: boss, members: [['add', [rep]]],
    }]);
    await admin.createUser({
        name: `E2E Flow Rep ${stamp}`,
        login: salespersonLogin,
        password: secret,
        groups: ['CRM User', 'Sales'],
        employee: rep,
    });
    const managerId = await admin.createUser({
        name: `E2E Flow Manager ${stamp}`,
        login: managerLogin,
        password: secret,
        groups: ['CRM Manager', 'Sales'],
        employee: boss,
    });

    // Above every deal of the database: only this test's reaches it.
    const [largest] = await admin.model('sale.opportunity', 'search_read',
        [], 0, 1, [['amount', 'DESC NULLS LAST']], ['amount']);
    const largestAmount = Number(largest?.amount?.decimal ?? 0);
    const value = Math.max(1_000_000,
        (Math.floor(largestAmount / 100_000) + 1) * 100_000);
    otherRules = await admin.model('crm.approval.rule', 'search', [
        ['document', '=', 'sale.opportunity'],
        ['transition', '=', 'convert'],
        ['OR', ['company', '=', company], ['company', '=', null]],
    ]);
    if (otherRules.length) {
        await admin.model('crm.approval.rule', 'write', otherRules,
            { active: false });
    }
    [ruleId] = await admin.model('crm.approval.rule', 'create', [{
        name: ruleName,
        company,
        document: 'sale.opportunity',
        transition: 'convert',
        condition: 'amount_ge',
        value: decimal(String(value)),
        approver_kind: 'user',
        user: managerId,
    }]);

    const [partyId] = await admin.model('party.party', 'create', [{
        name: customer,
        addresses: [['create', [{ street: '1 Approval Street' }]]],
    }]);
    const [{ addresses: [addressId] }] = await admin.model('party.party',
        'read', [partyId], ['addresses']);
    const goods = await admin.salableGoods();
    product = goods.rec_name;
    // The price policy may lower the list price: a few more than needed.
    const quantity = Math.ceil(value / goods.price / 0.8);
    [opportunityId] = await admin.model('sale.opportunity', 'create', [{
        description: deal,
        party: partyId,
        address: addressId,
        employee: rep,
        lines: [['create', [{
            product: goods.id,
            quantity,
            unit: goods.sale_uom,
        }]]],
    }]);
    await admin.model('sale.opportunity', 'opportunity', [opportunityId]);
    const record = await opportunity(['state', 'amount', 'lines_amount']);
    assert.equal(record.state, 'opportunity');
    total = record.lines_amount.decimal;
    assert.ok(Number(total) >= value, `${total} reaches ${value}`);
    assert.equal(Number(record.amount.decimal), Number(total));
    totalShown = formatted(total, 2);
});

after(async () => {
    await stopBrowser();
    // The database is left with the rules it had.
    if (admin) {
        if (ruleId) {
            await admin.model('crm.approval.rule', 'write', [ruleId],
                { active: false });
        }
        if (otherRules.length) {
            await admin.model('crm.approval.rule', 'write', otherRules,
                { active: true });
        }
    }
});

async function closeDialog(text) {
    const shown = dialog(text);
    await shown.locator('.modal-footer button').first().click();
    await shown.waitFor({ state: 'detached' }).catch(() => {});
    await settled();
}

// CRM > Leads and Opportunities, tab Opportunities, the deal's form.
async function openDeal() {
    await listOpportunities(`Description: "${deal}"`);
    await activeTab().locator('.treeview tbody tr', { hasText: customer })
        .first().waitFor();
    // On the amount: the party's cell is a link to the party.
    await openRow(totalShown);
    await field('amount').waitFor();
    await settled();
}

// The rows of the list on the page (notebook tab) of the form shown.
const pageRows = () => activeTab()
    .locator('.form-container .tab-pane.active .treeview tbody tr')
    .filter({ visible: true });

test('an opportunity waits for its approval before it is quoted',
    { timeout: 12 * TIMEOUT }, async (t) => {
        await step(t, 'the salesperson opens the deal', async () => {
            await startBrowser();
            await page.setViewportSize({ width: 1366, height: 768 });
            await logIn(salespersonLogin, secret);
            await openDeal();
            await screenshot('approval-flow-01-opportunity.png');
            // The estimated amount is the lines' total, and read-only.
            const amount = field('amount');
            assert.match(await amount.inputValue(),
                new RegExp(`${totalShown.replace(/[.,]/g, '\\$&')}$`));
            assert.equal(await amount.isEditable(), false);
            await openFormPage('Lines');
            const lines = pageRows();
            await lines.filter({ hasText: product }).first().waitFor();
            assert.equal(await lines.count(), 1);
            const line = await lines.first().innerText();
            assert.ok(line.includes(product), line);
            assert.ok(line.includes(totalShown), line);
        });

        await step(t, 'Request Approval is the next step', async () => {
            // New Quotation would be refused: only Request Approval shows.
            const footer = activeTab().locator('.content-box button')
                .filter({ visible: true });
            await footer.filter({ hasText: 'Request Approval' }).first()
                .waitFor();
            assert.equal(await footer.filter({ hasText: 'New Quotation' })
                .count(), 0);
            await screenshot('approval-flow-02-approval-needed.png');
            // Called anyway, as another client may, the quotation is
            // refused with where to ask.
            const rep = await Rpc.login(salespersonLogin, secret);
            const refusal = await rep.model('sale.opportunity',
                'new_quotation', [opportunityId]).then(
                () => null, (error) => {
                    // "method: [kind, [message, description, ...]]"
                    const body = error.message.slice(
                        error.message.indexOf(': ') + 2);
                    const [, [message, description]] = JSON.parse(body);
                    return `${message}\n${description}`;
                });
            assert.ok(refusal, 'the quotation is refused');
            assert.ok(refusal.includes(totalShown), refusal);
            assert.ok(refusal.includes(customer), refusal);
            assert.ok(refusal.includes('at the bottom of the form'), refusal);
            assert.ok(refusal.includes('"Approval Requests" list'), refusal);
            assert.ok(refusal.includes(ruleName), refusal);
            assert.equal((await opportunity(['state'])).state, 'opportunity');
        });

        await step(t, 'Request Approval makes a pending request', async () => {
            await clickButton('Request Approval');
            await openFormPage('Sales & Approvals');
            await openFormPage('Approval Requests');
            const rows = pageRows();
            await rows.filter({ hasText: ruleName }).first().waitFor();
            assert.equal(await rows.count(), 1);
            const text = await rows.first().innerText();
            assert.ok(text.includes('Pending'), text);
            assert.ok(text.includes(totalShown), text);
            assert.ok(text.includes(ruleName), text);
            const errors = activeTab().locator('.treeview td',
                { hasText: '#ERROR' });
            assert.equal(await errors.count(), 0);
            await screenshot('approval-flow-03-requested.png');
            const [request] = await requestsOfDeal();
            assert.equal(request.state, 'pending');
            assert.equal(request.rule, ruleId);
        });

        await step(t, 'asked, it is no longer offered', async () => {
            const button = activeTab().locator('button',
                { hasText: /^\s*Request Approval\s*$/i });
            assert.equal(await button.filter({ visible: true }).count(), 0);
            // Another client asking again is told it is already asked.
            const rpc = await Rpc.login(salespersonLogin, secret);
            const refused = await rpc.model('sale.opportunity',
                'request_approval', [opportunityId]).then(() => null,
                (error) => error.message);
            assert.ok(refused?.includes('already requested'), refused);
            assert.ok(refused.includes(ruleName), refused);
            assert.equal((await requestsOfDeal()).length, 1);
            await screenshot('approval-flow-04-requested-once.png');
        });

        await step(t, 'the manager approves it', async () => {
            await logOut();
            await logIn(managerLogin, secret);
            await openCrmMenu('Approvals');
            await activeTab().locator('.nav-tabs a[role="tab"]',
                { hasText: /My Pending/ }).first().click();
            await settled();
            const row = activeTab().locator('.treeview tbody tr',
                { hasText: customer });
            await row.first().waitFor();
            assert.equal(await row.count(), 1);
            assert.ok((await row.first().innerText()).includes(totalShown));
            await screenshot('approval-flow-05-my-pending.png');
            await openRow(totalShown);
            await activeTab().locator('.form-container')
                .filter({ visible: true }).first().waitFor();
            await settled();
            await approveRequest(`Go ahead ${stamp}`);
            await screenshot('approval-flow-06-approved.png');
            const [request] = await requestsOfDeal();
            assert.equal(request.state, 'approved');
        });

        await step(t, 'the salesperson is notified', async () => {
            await logOut();
            await logIn(salespersonLogin, secret);
            await openUserMenu();
            const notice = page.locator(
                '#user-preferences .notification-menu .notification-item',
                { hasText: 'approved for' }).filter({ hasText: customer });
            await notice.first().waitFor();
            await screenshot('approval-flow-07-notified.png');
            await page.keyboard.press('Escape');
            await settled();
            const rpc = await Rpc.login(salespersonLogin, secret);
            const notifications = await rpc.model('res.notification',
                'search_read', [['model', '=', 'crm.approval.request']], 0,
                null, [['id', 'ASC']], ['label']);
            assert.equal(notifications.length, 1);
            assert.ok(notifications[0].label.includes(
                '" approved for Sale Opportunity "'),
            notifications[0].label);
            assert.ok(notifications[0].label.includes(customer));
        });

        await step(t, 'the deal is quoted and converted', async () => {
            await openDeal();
            await clickButton('New Quotation');
            await openFormPage('Sales & Approvals');
            await openFormPage('Sales');
            // The client reloads the record once the button is done.
            const state = field('state', 'select');
            await page.waitForFunction(
                (element) => element.selectedOptions[0]?.text === 'Converted',
                await state.elementHandle()).catch(() => {});
            assert.equal(await state.evaluate(
                (element) => element.selectedOptions[0]?.text), 'Converted');
            // The quotations of the deal are listed without the party
            // they share with it.
            const rows = pageRows();
            await rows.filter({ hasText: totalShown }).first().waitFor();
            assert.equal(await rows.count(), 1);
            const text = await rows.first().innerText();
            assert.ok(text.includes(totalShown), text);
            assert.ok(/Quotation/.test(text), text);
            await screenshot('approval-flow-08-quoted.png');
            const record = await opportunity(['state', 'sales']);
            assert.equal(record.state, 'converted');
            const sales = await admin.model('sale.sale', 'read',
                record.sales, ['state', 'untaxed_amount']);
            assert.equal(sales.length, 1);
            assert.equal(sales[0].state, 'quotation');
            assert.equal(Number(sales[0].untaxed_amount.decimal),
                Number(total));
            const [request] = await requestsOfDeal();
            assert.equal(request.state, 'approved');
        });
    });
