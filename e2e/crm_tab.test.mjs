// The CRM tab of a partner in the sao web client: a user fills it in, saves,
// opens the partner again and finds the values, which the server stores.
//
// Settings (environment), as scripts/e2e sets them:
//   CRM_PLUS_URL       the web client, default http://localhost:8000/
//   CRM_PLUS_DATABASE  default crm_plus
//   CRM_PLUS_LOGIN     default admin
//   CRM_PLUS_PASSWORD  required
//   CRM_PLUS_ARTIFACTS folder for screenshots, default e2e/artifacts
//   CHROMIUM           the browser, default /usr/bin/chromium
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

import { chromium } from 'playwright-core';

const here = path.dirname(fileURLToPath(import.meta.url));
const baseUrl = new URL(process.env.CRM_PLUS_URL || 'http://localhost:8000/');
const database = process.env.CRM_PLUS_DATABASE || 'crm_plus';
const login = process.env.CRM_PLUS_LOGIN || 'admin';
const password = process.env.CRM_PLUS_PASSWORD;
const artifacts = process.env.CRM_PLUS_ARTIFACTS || path.join(here, 'artifacts');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

// Generous: the server and the browser share two cores on CI machines.
const TIMEOUT = 60_000;

// Unique per run, so that the test never depends on what an earlier run or
// the demo data left in the database.
const stamp = Date.now().toString(36).toUpperCase();
const partnerName = `E2E Partner ${stamp}`;
const territoryName = `E2E Territory ${stamp}`;
const expected = {
    sicCode: '7372',
    employees: 250,
    revenue: '1234567.89',
    stage: { value: 'prospect', label: 'Prospect' },
};

// --- JSON-RPC, as sao speaks it -------------------------------------------

class Rpc {
    constructor(session) {
        this.session = session;
        this.context = {};
    }

    static async login() {
        const [userId, token] = await Rpc.call(null, 'common.db.login',
            [login, { password }, 'en']);
        const rpc = new Rpc(Buffer.from(`${login}:${userId}:${token}`)
            .toString('base64'));
        // The user's context (company, language) as the client sends it.
        rpc.context = await rpc.model('res.user', 'get_preferences', true);
        return rpc;
    }

    static async call(session, method, params) {
        const headers = { 'Content-Type': 'application/json' };
        if (session) {
            headers.Authorization = `Session ${session}`;
        }
        const response = await fetch(new URL(`${database}/rpc/`, baseUrl), {
            method: 'POST',
            headers,
            body: JSON.stringify({ id: 1, method, params }),
        });
        assert.ok(response.ok,
            `${method}: HTTP ${response.status} ${response.statusText}`);
        const body = await response.json();
        if (body.error) {
            throw new Error(`${method}: ${JSON.stringify(body.error)}`);
        }
        return body.result;
    }

    model(model, method, ...args) {
        return Rpc.call(this.session, `model.${model}.${method}`,
            [...args, this.context]);
    }
}

// Decimals travel as {"__class__": "Decimal", "decimal": "..."}.
const decimal = (value) => ({ __class__: 'Decimal', decimal: value });

// --- the browser ------------------------------------------------------------

let browserContext;
let page;
let rpc;
let userDataDir;
const fixtures = {};

before(async () => {
    assert.ok(password, 'CRM_PLUS_PASSWORD must give the password');
    fs.mkdirSync(artifacts, { recursive: true });
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

    // A fresh profile every run: nothing cached from an earlier session.
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'crm_plus-e2e-'));
    browserContext = await chromium.launchPersistentContext(userDataDir, {
        executablePath,
        headless: true,
        chromiumSandbox: false,
        viewport: { width: 1366, height: 900 },
        locale: 'en-US',
        args: [
            '--headless', '--no-sandbox', '--disable-gpu',
            '--disable-background-networking', '--disable-component-update',
            '--disable-quic', '--no-first-run', '--disable-sync',
        ],
    });
    page = browserContext.pages()[0] ?? await browserContext.newPage();
    page.setDefaultTimeout(TIMEOUT);
    page.on('pageerror', (error) => console.error('page error:', error));
    trackRequests(page);
});

after(async () => {
    await browserContext?.close();
    if (userDataDir) {
        fs.rmSync(userDataDir, { recursive: true, force: true });
    }
});

// The client redraws after its calls to the server answer: a screen has
// settled when no call has been under way for a moment.
let pending = 0;
let lastActivity = Date.now();
function trackRequests(page) {
    const isCall = (request) => request.method() === 'POST';
    const start = (request) => {
        if (isCall(request)) {
            pending += 1;
            lastActivity = Date.now();
        }
    };
    const end = (request) => {
        if (isCall(request)) {
            pending -= 1;
            lastActivity = Date.now();
        }
    };
    page.on('request', start);
    page.on('requestfinished', end);
    page.on('requestfailed', end);
}

async function settled(quiet = 500) {
    const deadline = Date.now() + TIMEOUT;
    while (pending > 0 || Date.now() - lastActivity < quiet) {
        assert.ok(Date.now() < deadline, 'the client kept calling the server');
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

const screenshot = (name) => page.screenshot({
    path: path.join(artifacts, name), fullPage: true });

// The tab shown in the main area; each action opens one.
const activeTab = () => page.locator('#tabcontent > .tab-pane.active');

// The form's input for a field, by the field's name.
const field = (name, selector = 'input') => activeTab()
    .locator(`.form-container ${selector}[name="${name}"]`)
    .filter({ visible: true });

async function logIn() {
    await page.goto(new URL(`#${database}`, baseUrl).href);
    const dialog = page.locator('.login-dialog');
    await dialog.locator('input#login').fill(login);
    await dialog.locator('button[type=submit]').click();
    const ask = page.locator('.ask-dialog');
    await ask.locator('input[type=password]').fill(password);
    await ask.locator('button.btn-primary').click();

    // A new database first runs the module configuration wizards; the
    // menu appears once they are done or cancelled.
    const crmMenu = page.locator('#menu .column-char[title="CRM"]');
    const wizardCancel = page.locator(
        '.tab-wizard .modal-footer button[title="Cancel"]');
    const deadline = Date.now() + TIMEOUT;
    for (;;) {
        await crmMenu.or(wizardCancel).first().waitFor();
        if (await crmMenu.isVisible()) {
            break;
        }
        assert.ok(Date.now() < deadline, 'the configuration wizards stay');
        // A wizard ignores its buttons until it has loaded.
        await settled();
        if (await wizardCancel.first().isVisible()) {
            await wizardCancel.first().click();
            await settled();
        }
    }
}

async function openPartners() {
    const menu = page.locator('#menu');
    const partners = menu.locator('.column-char[title="Partners"]');
    // The menu reopens the entries that were open in the last session.
    await settled();
    if (!await partners.isVisible()) {
        await menu.locator('.column-char[title="CRM"]').click();
        await settled();
    }
    await partners.click();
    await page.locator('#tablist li.active', { hasText: 'Partners' })
        .waitFor();
    await activeTab().locator('.treeview').first().waitFor();
    await settled();
}

async function openCrmPage() {
    await activeTab().locator('.nav-tabs a[role="tab"]',
        { hasText: /^\s*CRM\s*$/ }).click();
    await field('sic_code').waitFor();
}

// Type into a text field and leave it, as a user does; the client takes
// the value when the field loses the focus.
async function fillText(name, value) {
    await field(name).fill(value);
    await field(name).press('Tab');
    await assertValue(field(name), value);
}

// Numbers are typed into a number input that replaces the text shown once
// the field has the focus (tabbing into it is enough).
async function fillNumber(name, value, shown) {
    const input = field(name, 'input[type="number"]');
    if (!await input.isVisible()) {
        await field(name, 'input[type="text"]').click();
    }
    await input.fill(value);
    await input.press('Tab');
    await assertValue(field(name, 'input[type="text"]'), shown);
}

// Type into a many2one and pick the record from the completion list.
async function pickRecord(name, text, recName) {
    const input = field(name);
    await input.fill(text);
    const entry = activeTab().locator('.dropdown-completion li.completion a',
        { hasText: recName });
    await entry.first().click();
    await assertValue(input, recName);
}

async function assertValue(locator, value) {
    // The client shows some values only after a round trip to the server:
    // wait for it, then let the assertion tell what is shown instead.
    await page.waitForFunction(
        ([element, expected]) => element.value === expected,
        [await locator.elementHandle(), value]).catch(() => {});
    assert.equal(await locator.inputValue(), value);
}

async function save() {
    await activeTab().locator('button#save').click();
    const saved = activeTab().locator('.infobar .alert-info',
        { hasText: 'Record saved.' });
    const refused = activeTab().locator('.infobar .alert-danger')
        .or(page.locator('.modal.in .modal-body').filter({ visible: true }));
    await saved.or(refused).first().waitFor();
    if (!await saved.isVisible()) {
        throw new Error(`The partner was not saved: ${
            await refused.first().innerText()}`);
    }
}

// Each step runs only if the ones before it passed; a failing step leaves a
// screenshot and the page's HTML behind.
let failed = false;
function step(t, name, fn) {
    return t.test(name, { skip: failed && 'an earlier step failed' },
        async () => {
            try {
                await fn();
            } catch (error) {
                failed = true;
                await screenshot('failure.png').catch(() => {});
                fs.writeFileSync(path.join(artifacts, 'failure.html'),
                    await page.content().catch(() => ''));
                throw error;
            }
        });
}

// The number as the client displays it in the user's language.
const formatted = (value, digits) => Number(value).toLocaleString('en-US', {
    minimumFractionDigits: digits, maximumFractionDigits: digits });

test('the CRM tab of a partner is saved from the web client', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'log in and open CRM > Partners', async () => {
        await logIn();
        await openPartners();
        await screenshot('01-partners.png');
    });

    await step(t, 'fill in the CRM tab of a new partner', async () => {
        await activeTab().locator('button#new_').click();
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
        await page.locator('#tablist li.active button.close').click();
        await page.locator('#tablist li', { hasText: 'Partners' })
            .waitFor({ state: 'detached' });
        await openPartners();
        const search = activeTab().locator('.filter-box input.form-control')
            .first();
        await search.fill(`"${partnerName}"`);
        await search.press('Enter');
        // The list is redrawn with the search's results.
        await settled();
        // On the name: other cells may hold links to other records.
        const cell = activeTab().locator('.treeview tbody tr td',
            { hasText: partnerName });
        await cell.first().dblclick();
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
