// The first hour with crm_plus, as the demo's users live it in the web
// client at 1366x768 with the menu open:
// - a salesperson captures a lead, converts it, adds a line, is asked for
//   the manager's approval of the quotation, requests it, and once it is
//   given quotes the deal and confirms the order;
// - the manager approves the request and reads the funnel of that
//   salesperson;
// - the accountant reads the receivables, with invoiced, paid and overdue
//   figures, and exports them whole.
// On every screen: nothing scrolls sideways, no error reaches the console,
// and the figures shown are those of the server.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    activeTab, approveRequest, clickButton, dialog, exportReceivables, field,
    fillText, formatted, listOpportunities, logIn, logOut, newRecord,
    openCrmMenu, openFormPage, openRow, page, Rpc, save, screenshot, settled,
    sidewaysOverflows, stamp, startBrowser, step, stopBrowser, TIMEOUT,
} from './support.mjs';

// The demo's users and their password (crm_plus/demo).
const demoPassword = process.env.CRM_PLUS_DEMO_PASSWORD || 'Tryton-CRM-demo';
const salesperson = 'sales1';
const manager = 'manager';
const accountant = 'accountant';

const description = `E2E first hour ${stamp}`;
const company = `E2E First Hour ${stamp} Ltd`;
const contact = `Maya E2E${stamp}`;
const email = `maya.${stamp.toLowerCase()}@first-hour.example`;

let admin;
let product;
let quantity;
let salespersonEmployee;
// What the console and the network said that a user should never meet.
const errors = [];

before(async () => {
    admin = await Rpc.login();
    // The demo's rule asks the manager's approval to quote large deals: the
    // line is made large enough to need it.
    const [rule] = await admin.model('crm.approval.rule', 'search_read', [
        ['document', '=', 'sale.opportunity'],
        ['transition', '=', 'convert'],
        ['condition', '=', 'amount_ge'],
    ], 0, 1, null, ['value']);
    assert.ok(rule, 'the demo has an approval rule for large deals');
    product = await admin.salableGoods();
    // The price policy may lower the list price: a few more than needed.
    quantity = Math.ceil(Number(rule.value.decimal) / product.price / 0.8);
    const [user] = await admin.model('res.user', 'search_read',
        [['login', '=', salesperson]], 0, 1, null,
        ['employee', 'employee.rec_name']);
    salespersonEmployee = user['employee.'];

    await startBrowser();
    await page.setViewportSize({ width: 1366, height: 768 });
    page.on('console', (message) => {
        if (message.type() === 'error'
                && !optional(message.location().url)) {
            errors.push(message.text());
        }
    });
    page.on('response', (response) => {
        if (response.status() >= 400 && !optional(response.url())) {
            errors.push(`${response.status()} ${response.url()}`);
        }
    });
});

after(stopBrowser);

// The files the web client asks for in case a site added them (its own
// style sheet, a translation of English): the server answers that there is
// none.
const OPTIONAL = /\/(custom\.css|locale\/en(_US)?\.json)$/;
const optional = (url) => OPTIONAL.test(
    new URL(url || 'about:blank').pathname);

// Nothing of the tab shown, nor of a dialog over it, scrolls sideways, and
// the page itself does not.
async function assertFits(what) {
    const wide = await sidewaysOverflows();
    assert.deepEqual(wide, [], `${what} scrolls sideways`);
}

function assertNoErrors(what) {
    assert.deepEqual(errors, [], `errors on ${what}`);
}

// The form of the deal, as the salesperson reads it on the server.
async function deal(rpc, names) {
    const [record] = await rpc.model('sale.opportunity', 'search_read',
        [['description', '=', description]], 0, 1, null, ['id', ...names]);
    return record;
}

// The dialog the client opened last.
const topDialog = () => page.locator('.modal.in')
    .filter({ visible: true }).last();

test('the first hour: lead to order, approval, funnel and receivables', {
    timeout: 20 * TIMEOUT,
}, async (t) => {
    let rpc;

    await step(t, 'the salesperson captures a lead', async () => {
        await logIn(salesperson, demoPassword);
        rpc = await Rpc.login(salesperson, demoPassword);
        await openCrmMenu('Leads');
        await assertFits('the list of leads');
        await newRecord();
        await fillText('description', description);
        await openFormPage('Prospect');
        await fillText('prospect_company', company);
        await fillText('prospect_contact', contact);
        await fillText('prospect_email', email);
        await save();
        await assertFits('the lead');
        await screenshot('first-hour-01-lead.png');
        const lead = await deal(rpc, ['state', 'employee']);
        assert.equal(lead.state, 'lead');
        assert.equal(lead.employee, salespersonEmployee.id);
        assertNoErrors('the lead');
    });

    await step(t, 'the lead is converted', async () => {
        await clickButton('Convert');
        const wizard = topDialog();
        await wizard.locator('input[name="prospect_company"]').waitFor();
        await settled();
        await assertFits('the conversion wizard');
        await screenshot('first-hour-02-convert.png');
        await wizard.locator('.modal-footer button',
            { hasText: /^\s*Convert\s*$/ }).click();
        await wizard.waitFor({ state: 'detached' }).catch(() => {});
        await settled();
        const converted = await deal(rpc, ['state', 'party.name']);
        assert.equal(converted.state, 'opportunity');
        assert.equal(converted['party.'].name, company);
        await assertFits('the opportunity');
        await screenshot('first-hour-03-opportunity.png');
        assertNoErrors('the conversion');
    });

    await step(t, 'a line makes the amount', async () => {
        await openFormPage('Lines');
        const lines = activeTab().locator('.form-one2many')
            .filter({ visible: true }).first();
        // The list is edited in place: a new row opens with its product.
        await lines.locator('button[title="New"]').click();
        await settled();
        const productInput = lines.locator('tbody tr input[name="product"]')
            .filter({ visible: true }).first();
        await productInput.waitFor();
        // The name, as a user types it: the code in brackets is the
        // client's way of showing it.
        await productInput.fill(
            product.rec_name.replace(/^\[[^\]]*\]\s*/, ''));
        await page.locator('.dropdown-completion li.completion a',
            { hasText: product.rec_name }).filter({ visible: true }).first()
            .click();
        await settled();
        // From the product to the quantity, as a user tabs.
        await productInput.press('Tab');
        await page.keyboard.type(String(quantity));
        await page.keyboard.press('Tab');
        await settled();
        await assertFits('the line');
        await screenshot('first-hour-04-line.png');
        await save();
        const record = await deal(rpc, ['amount', 'lines_amount']);
        assert.equal(Number(record.amount.decimal),
            Number(record.lines_amount.decimal));
        assert.ok(Number(record.amount.decimal)
            >= quantity * product.price * 0.5);
        await assertFits('the opportunity with its line');
        assertNoErrors('the line');
    });

    await step(t, 'the quotation waits for the approval', async () => {
        // New Quotation would be refused: Request Approval is the step.
        const buttons = activeTab().locator('.content-box button')
            .filter({ visible: true });
        await buttons.filter({ hasText: 'Request Approval' }).first()
            .waitFor();
        assert.equal(
            await buttons.filter({ hasText: 'New Quotation' }).count(), 0);
        await screenshot('first-hour-05-approval-needed.png');
        await clickButton('Request Approval');
        const { id } = await deal(rpc, []);
        const requests = await rpc.model('crm.approval.request',
            'search_read', [['document', '=', `sale.opportunity,${id}`]],
            0, null, null, ['state']);
        assert.deepEqual(requests.map((r) => r.state), ['pending']);
        await assertFits('the requested approval');
        await screenshot('first-hour-06-requested.png');
        assertNoErrors('the request');
    });
    await step(t, 'the manager approves the request', async () => {
        await logOut();
        await logIn(manager, demoPassword);
        await openCrmMenu('Approvals');
        await activeTab().locator('.nav-tabs a[role="tab"]',
            { hasText: /My Pending/ }).first().click();
        await settled();
        await assertFits('the approvals');
        const row = activeTab().locator('.treeview tbody tr',
            { hasText: company });
        await row.first().waitFor();
        // On its state: the party and the document are links.
        await row.first().locator('td', { hasText: /^\s*Pending\s*$/ })
            .first().click();
        await activeTab().locator('button#switch_').click();
        await settled();
        await assertFits('the approval request');
        await approveRequest(`Go ahead ${stamp}`);
        await screenshot('first-hour-07-approved.png');
        const { id } = await deal(admin, []);
        const requests = await admin.model('crm.approval.request',
            'search_read', [['document', '=', `sale.opportunity,${id}`]],
            0, null, null, ['state']);
        assert.deepEqual(requests.map((r) => r.state), ['approved']);
        assertNoErrors('the approval');
    });

    await step(t, 'the manager reads the funnel of the salesperson',
        async () => {
            await openCrmMenu('Funnel', ['Reports']);
            const employee = activeTab()
                .locator('.filter-box input[name="employee"]')
                .filter({ visible: true });
            await employee.fill(salespersonEmployee.rec_name);
            await activeTab().locator('.dropdown-completion li.completion a',
                { hasText: salespersonEmployee.rec_name }).first().click();
            await settled();
            const rpcManager = await Rpc.login(manager, demoPassword);
            const expected = await Rpc.call(rpcManager.session,
                'model.crm.funnel.search_read', [[], 0, null, null,
                    ['stage.rec_name', 'number'], {
                        ...rpcManager.context,
                        employee: salespersonEmployee.id,
                    }]);
            const shown = await activeTab().locator('.treeview tbody tr')
                .filter({ visible: true }).allInnerTexts();
            const withDeals = expected.filter((r) => r.number);
            assert.ok(withDeals.length, 'the salesperson has open deals');
            for (const record of withDeals) {
                const line = shown.find(
                    (text) => text.includes(record['stage.'].rec_name));
                assert.ok(line, `${record['stage.'].rec_name} shown`);
                assert.ok(line.split(/\s+/).includes(String(record.number)),
                    `${line}: ${record.number}`);
            }
            await assertFits('the funnel');
            await screenshot('first-hour-08-funnel.png');
            assertNoErrors('the funnel');
        });

    await step(t, 'the salesperson quotes the deal and confirms the order',
        async () => {
            await logOut();
            await logIn(salesperson, demoPassword);
            await listOpportunities(`Description: "${description}"`);
            const { amount } = await deal(rpc, ['amount']);
            const amountShown = formatted(amount.decimal, 2);
            // On the amount: the party's cell is a link to the party.
            await openRow(amountShown);
            await field('amount').waitFor();
            await settled();
            await clickButton('New Quotation');
            await openFormPage('Sales & Approvals');
            await openFormPage('Sales');
            const sales = activeTab().locator(
                '.form-container .tab-pane.active .treeview tbody tr')
                .filter({ visible: true });
            await sales.filter({ hasText: amountShown }).first().waitFor();
            await assertFits('the quoted deal');
            await screenshot('first-hour-09-quoted.png');
            // The quotation opens over the deal, with its own buttons.
            await sales.first().locator('td', { hasText: amountShown })
                .first().dblclick();
            const quotation = topDialog();
            await quotation.locator('button',
                { hasText: /^\s*Confirm\s*$/ }).first().waitFor();
            await settled();
            await assertFits('the quotation');
            await quotation.locator('button',
                { hasText: /^\s*Confirm\s*$/ }).first().click();
            await settled();
            await screenshot('first-hour-10-order.png');
            await quotation.locator('.modal-footer button',
                { hasText: /^\s*Apply changes\s*$/i }).click();
            await quotation.waitFor({ state: 'detached' }).catch(() => {});
            await settled();
            const { id } = await deal(rpc, []);
            const [sale] = await admin.model('sale.sale', 'search_read',
                [['origin', '=', `sale.opportunity,${id}`]], 0, null, null,
                ['state', 'untaxed_amount']);
            assert.ok(['confirmed', 'processing'].includes(sale.state),
                sale.state);
            assert.equal(Number(sale.untaxed_amount.decimal),
                Number(amount.decimal));
            assertNoErrors('the order');
        });

    await step(t, 'the accountant reads the receivables', async () => {
        await logOut();
        await logIn(accountant, demoPassword);
        await openCrmMenu('Receivables', ['Reports']);
        await assertFits('the receivables');
        await screenshot('first-hour-11-receivables.png');
        const rpcAccountant = await Rpc.login(accountant, demoPassword);
        // As the web client asks it: the report's filter sends no
        // employee of its own.
        const totals = await Rpc.call(rpcAccountant.session,
            'model.crm.receivable.report.search_read', [[], 0, null, null,
                ['invoiced_amount', 'paid_amount', 'overdue_amount'],
                { ...rpcAccountant.context, employee: null }]);
        const sum = (name) => totals.reduce(
            (total, r) => total + Number(r[name]?.decimal ?? 0), 0);
        for (const name of ['invoiced_amount', 'paid_amount',
            'overdue_amount']) {
            assert.ok(sum(name) > 0, `${name} is not zero`);
        }
        // Print answers for a selected row; the export then offers every
        // row of the filter.
        await activeTab().locator('.treeview tbody tr td.selection-state')
            .filter({ visible: true }).first().click();
        await settled();
        const { form, lines } = await exportReceivables(
            'All the rows of the filter');
        assert.equal(form.rowCount, totals.length);
        assert.equal(lines.length, totals.length);
        assertNoErrors('the receivables');
    });
});
