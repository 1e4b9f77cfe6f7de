// Activities in the sao web client: from a partner's Activities tab a user
// plans a call with the Plan Activity button, which opens the form of a new
// activity already linked to the partner; the call then shows in CRM >
// Activities and in its calendar. An opportunity shows its tasks and plans
// activities linked to it and its partner.
//
// Settings (environment), as scripts/e2e sets them: see crm_tab.test.mjs.
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
const artifacts = path.join(
    process.env.CRM_PLUS_ARTIFACTS || path.join(here, 'artifacts'),
    'activity');
const executablePath = process.env.CHROMIUM || '/usr/bin/chromium';

const TIMEOUT = 60_000;

// Unique per run: the test never depends on earlier runs or the demo data.
const stamp = Date.now().toString(36).toUpperCase();
const partnerName = `E2E Activity Partner ${stamp}`;
const subject = `E2E call ${stamp}`;
const opportunityName = `E2E opportunity ${stamp}`;
const taskSubject = `E2E task ${stamp}`;

// --- JSON-RPC, as sao speaks it -------------------------------------------

async function call(session, method, params) {
    const headers = { 'Content-Type': 'application/json' };
    if (session) {
        headers.Authorization = `Session ${session}`;
    }
    const response = await fetch(new URL(`${database}/rpc/`, baseUrl), {
        method: 'POST', headers,
        body: JSON.stringify({ id: 1, method, params }),
    });
    assert.ok(response.ok, `${method}: HTTP ${response.status}`);
    const body = await response.json();
    if (body.error) {
        throw new Error(`${method}: ${JSON.stringify(body.error)}`);
    }
    return body.result;
}

let session;
let context = {};
const model = (name, method, ...args) => call(
    session, `model.${name}.${method}`, [...args, context]);

// --- the browser ------------------------------------------------------------

let browserContext;
let page;
let userDataDir;
let partnerId;

before(async () => {
    assert.ok(password, 'CRM_PLUS_PASSWORD must give the password');
    fs.mkdirSync(artifacts, { recursive: true });
    const [userId, token] = await call(null, 'common.db.login',
        [login, { password }, 'en']);
    session = Buffer.from(`${login}:${userId}:${token}`).toString('base64');
    context = await model('res.user', 'get_preferences', true);
    [partnerId] = await model('party.party', 'create',
        [{ name: partnerName, party_kind: 'organisation' }]);

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

// A screen has settled when no call to the server has been under way for a
// moment: the client redraws after its calls answer.
let pending = 0;
let lastActivity = Date.now();
function trackRequests(page) {
    const isCall = (request) => request.method() === 'POST';
    const track = (delta) => (request) => {
        if (isCall(request)) {
            pending += delta;
            lastActivity = Date.now();
        }
    };
    page.on('request', track(1));
    page.on('requestfinished', track(-1));
    page.on('requestfailed', track(-1));
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
const activeTab = () => page.locator('#tabcontent > .tab-pane.active');
const field = (name, selector = 'input') => activeTab()
    .locator(`.form-container ${selector}[name="${name}"]`)
    .filter({ visible: true });

async function assertValue(locator, value) {
    await page.waitForFunction(
        ([element, expected]) => element.value === expected,
        [await locator.elementHandle(), value]).catch(() => {});
    assert.equal(await locator.inputValue(), value);
}

async function logIn() {
    await page.goto(new URL(`#${database}`, baseUrl).href);
    const dialog = page.locator('.login-dialog');
    await dialog.locator('input#login').fill(login);
    await dialog.locator('button[type=submit]').click();
    const ask = page.locator('.ask-dialog');
    await ask.locator('input[type=password]').fill(password);
    await ask.locator('button.btn-primary').click();
    // A new database first runs the configuration wizards.
    const crmMenu = page.locator('#menu .column-char[title="CRM"]');
    const wizardCancel = page.locator(
        '.tab-wizard .modal-footer button[title="Cancel"]');
    const deadline = Date.now() + TIMEOUT;
    // The wizards may still open once the menu shows: wait until the
    // client is quiet with the menu and no wizard.
    for (;;) {
        await crmMenu.or(wizardCancel).first().waitFor();
        await settled();
        if (await wizardCancel.first().isVisible()) {
            assert.ok(Date.now() < deadline,
                'the configuration wizards stay');
            await wizardCancel.first().click();
            continue;
        }
        if (await crmMenu.isVisible()) {
            break;
        }
    }
}

async function openMenu(title) {
    const menu = page.locator('#menu');
    const entry = menu.locator(`.column-char[title="${title}"]`);
    await settled();
    if (!await entry.isVisible()) {
        await menu.locator('.column-char[title="CRM"]').click();
        await settled();
    }
    await entry.click();
    await page.locator('#tablist li.active', { hasText: title }).waitFor();
    await settled();
}

async function search(text) {
    const box = activeTab().locator('.filter-box input.form-control').first();
    await box.fill(text);
    await box.press('Enter');
    await settled();
}

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

test('an activity is planned from a partner and shows in the calendar', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'open the partner and its Activities tab', async () => {
        await logIn();
        await openMenu('Partners');
        await search(`"${partnerName}"`);
        await activeTab().locator('.treeview tbody tr',
            { hasText: partnerName }).first()
            .locator('td', { hasText: partnerName }).click();
        await screenshot('00-partner-selected.png');
        await activeTab().locator('button#switch_').click();
        await settled();
        await assertValue(field('name'), partnerName);
        await activeTab().locator('.nav-tabs a[role="tab"]',
            { hasText: /^\s*Activities\s*$/ }).click();
        await settled();
        await screenshot('01-partner-activities.png');
    });

    await step(t, 'Plan Activity opens a new activity of the partner',
        async () => {
            await activeTab().locator('button',
                { hasText: 'Plan Activity' }).filter({ visible: true })
                .first().click();
            await page.locator('#tablist li.active',
                { hasText: 'Plan Activity' }).waitFor();
            await settled();
            await assertValue(field('party'), partnerName);
            await assertValue(
                field('state', 'select'), '"planned"');

            const type = field('type');
            await type.fill('Call');
            await activeTab().locator(
                '.dropdown-completion li.completion a', { hasText: 'Call' })
                .first().click();
            await assertValue(type, 'Call');
            // The type's default duration sets the end.
            await settled();
            assert.notEqual(await field('end').first().inputValue(), '');
            await field('subject').fill(subject);
            await field('subject').press('Tab');
            await screenshot('02-plan-activity.png');

            await activeTab().locator('button#save').click();
            await activeTab().locator('.infobar .alert-info',
                { hasText: 'Record saved.' }).waitFor();
        });

    await step(t, 'the server links the call to the partner', async () => {
        const ids = await model('crm.activity', 'search',
            [['subject', '=', subject]], 0, null, null);
        assert.equal(ids.length, 1);
        const [activity] = await model('crm.activity', 'read', ids,
            ['party', 'state', 'duration', 'type.code']);
        assert.equal(activity.party, partnerId);
        assert.equal(activity.state, 'planned');
        assert.equal(activity['type.'].code, 'call');
    });

    await step(t, 'CRM > Activities lists it under Planned', async () => {
        await openMenu('Activities');
        const tabs = activeTab().locator('.nav-tabs a[role="tab"]');
        const names = (await tabs.allInnerTexts()).map(
            (s) => s.replace(/\s*\d+\s*$/, '').trim());
        for (const name of ['My Planned', 'Overdue', 'Planned', 'Done',
            'All']) {
            assert.ok(names.includes(name), `tab ${name} in ${names}`);
        }
        await tabs.filter({ hasText: /^\s*Planned/ }).click();
        await settled();
        await search(`"${subject}"`);
        await activeTab().locator('.treeview tbody tr td',
            { hasText: subject }).first().waitFor();
        await screenshot('03-activities.png');
    });

    await step(t, 'the calendar shows it', async () => {
        await openMenu('Activity Calendar');
        const event = activeTab().locator('a.fc-event', { hasText: subject })
            .filter({ visible: true });
        await event.first().waitFor();
        await screenshot('04-calendar.png');
    });
});

test('an opportunity shows its tasks and plans activities', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'the Tasks tab of the opportunity lists its task',
        async () => {
            const [opportunity] = await model('sale.opportunity', 'create',
                [{ party: partnerId, description: opportunityName }]);
            const [task] = await model('crm.activity.type', 'search',
                [['code', '=', 'task']], 0, 1, null);
            await model('crm.activity', 'create', [{
                type: task, subject: taskSubject, opportunity,
                due_date: { __class__: 'date', year: 2030, month: 1, day: 31 },
            }]);
            // Opportunities are found by their number.
            const [{ number }] = await model('sale.opportunity', 'read',
                [opportunity], ['number']);
            await openMenu('Leads and Opportunities');
            await search(`"${number}"`);
            await activeTab().locator('.treeview tbody tr td', {
                hasText: new RegExp(`^\\s*${number}\\s*$`),
            }).first().click();
            await activeTab().locator('button#switch_').click();
            await settled();
            await activeTab().locator('.nav-tabs a[role="tab"]',
                { hasText: /^\s*Tasks\s*$/ }).click();
            await settled();
            await activeTab().locator('.treeview tbody tr td',
                { hasText: taskSubject }).filter({ visible: true })
                .first().waitFor();
            await screenshot('05-opportunity-tasks.png');
        });

    await step(t, 'Plan Activity opens a new activity of the opportunity',
        async () => {
            await activeTab().locator('button',
                { hasText: 'Plan Activity' }).filter({ visible: true })
                .first().click();
            await page.locator('#tablist li.active',
                { hasText: 'Plan Activity' }).waitFor();
            await settled();
            assert.match(await field('opportunity').inputValue(), /\S/);
            // The opportunity brings its partner.
            await assertValue(field('party'), partnerName);
            await screenshot('06-opportunity-plan-activity.png');
        });
});
