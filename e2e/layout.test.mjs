// The forms of crm_plus fit a laptop screen (1366x768) beside the open menu,
// as a salesperson uses them: a lead, an opportunity and each of its pages,
// a quotation, an expense with its approval, the approval request and a
// partner's CRM tab never scroll sideways, their footers offer the next
// steps only, and the client logs no error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, clickButton, decimal, logIn, openCrmMenu,
    openRow, page, screenshot, settled, stamp, startBrowser, step,
    stopBrowser,
} from './support.mjs';

const lower = stamp.toLowerCase();
// Long and random enough for the server's password rules.
const secret = `E2E-${stamp}-layout-Pw!`;
const salespersonLogin = `e2e-layout-rep-${lower}`;
const customer = `E2E Layout Customer ${stamp}`;
const lead = `E2E Layout lead ${stamp}`;
const deal = `E2E Layout deal ${stamp}`;
const quoted = `E2E Layout quoted deal ${stamp}`;
const expense = `E2E Layout expense ${stamp}`;
const ruleName = `E2E layout expense to approve ${stamp}`;
// Above the expenses of the demo: the rule holds for this test's only.
const expenseAmount = '98765.43';

let admin;
let company;
let ruleId;
let saleId;
// The deal's number: the other cells of its row are links.
let dealNumber;

async function groupIds(...names) {
    const ids = await admin.model('res.group', 'search',
        [['name', 'in', names]]);
    assert.equal(ids.length, names.length, names.join(', '));
    return ids;
}

// The cheapest salable goods of the catalogue, so that no approval rule of
// the demo holds for the deals.
async function cheapProduct() {
    const products = await admin.model('product.product', 'search_read',
        [['salable', '=', true], ['type', '=', 'goods']], 0, null, null,
        ['sale_uom', 'template.list_price']);
    const price = (p) => Number(p['template.']?.list_price?.decimal ?? 0);
    const priced = products.filter((p) => price(p) > 0);
    assert.ok(priced.length, 'a salable product with a list price');
    priced.sort((a, b) => price(a) - price(b));
    return priced[0];
}

before(async () => {
    admin = await Rpc.login();
    company = admin.context.company;
    const [personId] = await admin.model('party.party', 'create', [{
        name: `E2E Layout Rep ${stamp}`, party_kind: 'person',
    }]);
    const [employeeId] = await admin.model('company.employee', 'create', [{
        party: personId, company,
    }]);
    await admin.model('crm.team', 'create', [{
        name: `E2E Layout ${stamp}`, code: `L${stamp}`, company,
        members: [['add', [employeeId]]],
    }]);
    await admin.model('res.user', 'create', [{
        name: `E2E Layout Rep ${stamp}`,
        login: salespersonLogin,
        password: secret,
        groups: [['add', await groupIds('CRM User', 'Sales')]],
        companies: [['add', [company]]],
        company,
        employees: [['add', [employeeId]]],
        employee: employeeId,
    }]);

    const [partyId] = await admin.model('party.party', 'create', [{
        name: customer,
        addresses: [['create', [{ street: '1 Layout Street' }]]],
    }]);
    const [{ addresses: [addressId] }] = await admin.model('party.party',
        'read', [partyId], ['addresses']);
    const product = await cheapProduct();
    const line = () => [['create', [{
        product: product.id, quantity: 1, unit: product.sale_uom,
    }]]];

    await admin.model('sale.opportunity', 'create', [{
        description: lead,
        employee: employeeId,
        prospect_company: `E2E Layout Prospect ${stamp} Ltd`,
        prospect_contact: `Lia Layout${stamp}`,
        prospect_email: `lia.${lower}@layout.example`,
    }]);
    const [dealId, quotedId] = await admin.model('sale.opportunity',
        'create', [deal, quoted].map((description) => ({
            description,
            party: partyId,
            address: addressId,
            employee: employeeId,
            lines: line(),
        })));
    await admin.model('sale.opportunity', 'opportunity', [dealId, quotedId]);
    [{ number: dealNumber }] = await admin.model('sale.opportunity', 'read',
        [dealId], ['number']);
    await admin.model('sale.opportunity', 'new_quotation', [quotedId]);
    [{ sales: [saleId] }] = await admin.model('sale.opportunity', 'read',
        [quotedId], ['sales']);
    assert.ok(saleId, 'the quotation of the deal');

    // The salesperson's expense on the deal needs an approval.
    [ruleId] = await admin.model('crm.approval.rule', 'create', [{
        name: ruleName,
        company,
        document: 'crm.expense',
        transition: 'confirm',
        condition: 'amount_ge',
        value: decimal(expenseAmount),
        approver_kind: 'user',
        user: (await admin.model('res.user', 'search',
            [['login', '=', 'admin']]))[0],
    }]);
    const [typeId] = await admin.model('crm.expense.type', 'search', [],
        0, 1, [['id', 'ASC']]);
    assert.ok(typeId, 'an expense type');
    const [{ currency }] = await admin.model('company.company', 'read',
        [company], ['currency']);
    await admin.model('crm.expense', 'create', [{
        description: expense,
        type: typeId,
        amount: decimal(expenseAmount),
        currency,
        company,
        employee: employeeId,
        opportunity: dealId,
    }]);
});

after(async () => {
    await stopBrowser();
    // The database keeps no rule of this test active.
    if (admin && ruleId) {
        await admin.model('crm.approval.rule', 'write', [ruleId],
            { active: false });
    }
});

// The errors the client logs. The web root serves no custom.css,
// custom.js nor English translation file, which the client asks for
// whether they exist or not.
const errors = [];
const optional = /\/(custom\.(css|js)|locale\/[\w-]+\.json)$/;

function watchConsole() {
    page.on('console', (message) => {
        if (message.type() !== 'error') {
            return;
        }
        const url = message.location()?.url ?? '';
        if (/^Failed to load resource/.test(message.text())
                && optional.test(url)) {
            return;
        }
        errors.push(`${message.text()} ${url}`);
    });
    page.on('pageerror', (error) => errors.push(String(error)));
}

// Whether anything scrolls sideways: the document, and the form's content
// (or the list) in the tab of the action shown.
async function assertFits(label) {
    await settled();
    const sizes = await activeTab().evaluate((tab) => {
        const root = document.scrollingElement;
        const visible = (element) => element.offsetParent !== null;
        const box = [...tab.querySelectorAll('.content-box')]
            .filter(visible)[0];
        const list = box ? null : [...tab.querySelectorAll(
            '.treeview.responsive')].filter(visible)[0];
        const scroller = box || list;
        return {
            document: [root.scrollWidth, root.clientWidth],
            content: scroller
                ? [scroller.scrollWidth, scroller.clientWidth] : null,
            tab: tab.clientWidth,
        };
    });
    const [documentWidth, viewport] = sizes.document;
    assert.ok(documentWidth <= viewport,
        `${label}: the page is ${documentWidth} px wide in ${viewport}`);
    assert.ok(sizes.content, `${label}: a form or a list is shown`);
    const [contentWidth, shown] = sizes.content;
    assert.ok(contentWidth <= shown,
        `${label}: its content is ${contentWidth} px wide in ${shown}`);
    assert.ok(contentWidth <= sizes.tab,
        `${label}: its content is ${contentWidth} px wide in a tab of `
        + `${sizes.tab}`);
}

const fileName = (text) => text.replace(/[^\w]+/g, '-').toLowerCase();

// The pages (notebook tabs) of the form shown, at the top level or in the
// page shown.
function pageTabs(nested = false) {
    const form = activeTab().locator('.content-box').filter({ visible: true })
        .first();
    const bar = nested
        ? form.locator('.tab-pane.active .nav-tabs')
        : form.locator('.nav-tabs');
    return bar.filter({ visible: true }).first()
        .locator(':scope > li > a[role="tab"]').filter({ visible: true });
}

async function tabTitles(tabs) {
    return (await tabs.allTextContents()).map((text) => text.trim());
}

// Open every page of the form and every page nested in it, checking that
// each fits; return the titles of the pages.
async function visitPages(prefix) {
    const titles = await tabTitles(pageTabs());
    for (const [index, title] of titles.entries()) {
        await pageTabs().nth(index).click();
        await settled();
        await assertFits(`${prefix} / ${title}`);
        await screenshot(`layout-${fileName(prefix)}-${fileName(title)}.png`);
        const nested = pageTabs(true);
        const inner = await nested.count() ? await tabTitles(nested) : [];
        for (const [i, name] of inner.entries()) {
            await pageTabs(true).nth(i).click();
            await settled();
            await assertFits(`${prefix} / ${title} / ${name}`);
        }
    }
    return titles;
}

// The buttons shown at the bottom of the form: those of its last group
// outside the pages.
async function footerButtons() {
    const footer = activeTab().locator(
        '.content-box > .form > .form-container > .form-item'
        + ' > fieldset.form-group_').filter({ visible: true }).last();
    const buttons = footer.locator('button').filter({ visible: true });
    return (await buttons.allTextContents()).map((text) => text.trim())
        .filter(Boolean);
}

async function searchList(text) {
    const box = activeTab().locator('.filter-box input.form-control')
        .first();
    await box.fill(text);
    await box.press('Enter');
    await settled();
}

async function closeTabShown() {
    await page.locator('#tablist li.active button.close').click();
    await settled();
}

test('the forms fit 1366x768 beside the menu, with the next steps only',
    { timeout: 20 * TIMEOUT }, async (t) => {
        await step(t, 'the salesperson logs in', async () => {
            await startBrowser();
            watchConsole();
            await page.setViewportSize({ width: 1366, height: 768 });
            await logIn(salespersonLogin, secret);
            // The menu is open beside the forms.
            assert.ok(await page.locator('#menu').isVisible());
        });

        await step(t, 'a lead', async () => {
            await openCrmMenu('Leads');
            await assertFits('Leads');
            await searchList(`Description: "${lead}"`);
            await openRow(`E2E Layout Prospect ${stamp} Ltd`);
            await assertFits('Lead');
            assert.deepEqual(await footerButtons(),
                ['Cancel', 'Mark as Lost', 'Freeze', 'Convert']);
            const titles = await visitPages('Lead');
            assert.deepEqual(titles, ['Prospect', 'Deal', 'Lines',
                'Activities', 'Competition & Evaluation',
                'Sales & Approvals', 'Marketing Campaign', 'Stage History']);
            await closeTabShown();
        });

        await step(t, 'an opportunity and each of its pages', async () => {
            await openCrmMenu('Leads and Opportunities');
            await activeTab().locator('.tab-domain a[role="tab"]',
                { hasText: /^\s*Opportunities\b/ }).first().click();
            await settled();
            await assertFits('Opportunities');
            await screenshot('layout-opportunities.png');
            await searchList(`Description: "${deal}"`);
            await openRow(new RegExp(`^\\s*${dealNumber}\\s*$`));
            await assertFits('Opportunity');
            assert.deepEqual(await footerButtons(),
                ['Cancel', 'Mark as Lost', 'Freeze', 'Set as Lead',
                    'New Quotation']);
            // The tick that keeps the probability from following the stage
            // is beside it.
            await activeTab().locator('.content-box').filter(
                { visible: true }).locator('input[name="probability_manual"]')
                .filter({ visible: true }).waitFor();
            const titles = await visitPages('Opportunity');
            assert.deepEqual(titles, ['Deal', 'Lines', 'Activities',
                'Competition & Evaluation', 'Sales & Approvals',
                'Marketing Campaign', 'Stage History']);
            await closeTabShown();
        });

        await step(t, 'a quotation', async () => {
            await page.goto(new URL(`#${process.env.CRM_PLUS_DATABASE
                || 'crm_plus'}/model/sale.sale/${saleId}`,
                process.env.CRM_PLUS_URL || 'http://localhost:8000/').href);
            await activeTab().locator('.content-box').filter(
                { visible: true }).first().waitFor();
            await settled();
            await assertFits('Quotation');
            await visitPages('Quotation');
            const footer = await footerButtons();
            assert.ok(!footer.includes('Request Approval'), footer.join());
            await closeTabShown();
        });

        await step(t, 'an expense asks its approval', async () => {
            await openCrmMenu('Expenses');
            await assertFits('Expenses');
            await searchList(`Description: "${expense}"`);
            await openRow(expense);
            await assertFits('Expense');
            await screenshot('layout-expense.png');
            assert.deepEqual(await footerButtons(),
                ['Cancel', 'Request Approval', 'Confirm']);
            await clickButton('Request Approval');
            // Asked: the button gives way to the request it made, once the
            // client has read the expense again.
            await activeTab().locator('.treeview tbody tr',
                { hasText: ruleName }).filter({ visible: true }).first()
                .waitFor();
            await settled();
            assert.deepEqual(await footerButtons(), ['Cancel', 'Confirm']);
            await assertFits('Expense requested');
            await screenshot('layout-expense-requested.png');
            await closeTabShown();
        });

        await step(t, 'the approval request', async () => {
            await openCrmMenu('Approvals');
            await activeTab().locator('.tab-domain a[role="tab"]',
                { hasText: /^\s*All\b/ }).first().click();
            await settled();
            await assertFits('Approvals');
            await searchList(`Rule: "${ruleName}"`);
            const row = activeTab().locator('.treeview tbody tr',
                { hasText: ruleName });
            await row.first().waitFor();
            // From the state cell: the document's cell is a link to it.
            await row.first().locator('td',
                { hasText: /^\s*Pending\s*$/ }).first().click();
            await activeTab().locator('button#switch_').click();
            await settled();
            await assertFits('Approval request');
            await screenshot('layout-approval-request.png');
            // The request's decisions are read-only.
            const decisions = activeTab().locator('.form-one2many')
                .filter({ visible: true }).last();
            for (const button of await decisions.locator(
                '.form-one2many-menu button').filter({ visible: true })
                .all()) {
                const name = await button.getAttribute('aria-label');
                if (['New', 'Delete', 'Add', 'Remove'].includes(name)) {
                    assert.ok(await button.isDisabled(), `${name} disabled`);
                }
            }
            await closeTabShown();
        });

        await step(t, "a partner's CRM tab", async () => {
            await openCrmMenu('Partners');
            await assertFits('Partners');
            await searchList(`"${customer}"`);
            await openRow(customer);
            await activeTab().locator('.nav-tabs a[role="tab"]',
                { hasText: /^\s*CRM\s*$/ }).first().click();
            await settled();
            await assertFits('Partner / CRM');
            await screenshot('layout-partner-crm.png');
            await closeTabShown();
        });

        await step(t, 'the client logged no error', async () => {
            assert.deepEqual(errors, []);
        });
    });
