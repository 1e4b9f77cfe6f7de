// What every browser test of crm_plus needs: the settings, JSON-RPC as sao
// speaks it, a headless Chromium on a fresh profile, and the gestures of a
// user in the web client (open a menu, fill a field, pick a record, save).
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
import zlib from 'node:zlib';
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
export const TIMEOUT = 60_000;

// Unique per run, so that a test never depends on what an earlier run or
// the demo data left in the database.
export const stamp = Date.now().toString(36).toUpperCase();

// --- JSON-RPC, as sao speaks it -------------------------------------------

export class Rpc {
    constructor(session) {
        this.session = session;
        this.context = {};
    }

    // As the administrator of the settings, or as another user.
    static async login(user = login, secret = password) {
        assert.ok(secret, 'CRM_PLUS_PASSWORD must give the password');
        const [userId, token] = await Rpc.call(null, 'common.db.login',
            [user, { password: secret }, 'en']);
        const rpc = new Rpc(Buffer.from(`${user}:${userId}:${token}`)
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

    // --- what a test sets up as the administrator ---

    async groupIds(...names) {
        const ids = await this.model('res.group', 'search',
            [['name', 'in', names]]);
        assert.equal(ids.length, names.length, names.join(', '));
        return ids;
    }

    // An employee of the session's company, a person of that name.
    async createEmployee(name) {
        const [partyId] = await this.model('party.party', 'create', [{
            name, party_kind: 'person',
        }]);
        const [employeeId] = await this.model('company.employee', 'create', [{
            party: partyId, company: this.context.company,
        }]);
        return employeeId;
    }

    // The most expensive salable goods of the catalogue (the demo's), with
    // their list price as a number.
    async salableGoods() {
        const products = await this.model('product.product', 'search_read',
            [['salable', '=', true], ['type', '=', 'goods']], 0, null, null,
            ['rec_name', 'sale_uom', 'template.list_price']);
        assert.ok(products.length, 'a salable product');
        const price = (p) => Number(p['template.']?.list_price?.decimal ?? 0);
        products.sort((a, b) => price(b) - price(a));
        assert.ok(price(products[0]) > 0, 'a product with a list price');
        return { ...products[0], price: price(products[0]) };
    }

    // A user of the session's company in the groups named, who is the
    // employee.
    async createUser({ name, login: userLogin, password: secret, groups,
        employee }) {
        const [userId] = await this.model('res.user', 'create', [{
            name,
            login: userLogin,
            password: secret,
            groups: [['add', await this.groupIds(...groups)]],
            companies: [['add', [this.context.company]]],
            company: this.context.company,
            employees: [['add', [employee]]],
            employee,
        }]);
        return userId;
    }
}

// Decimals travel as {"__class__": "Decimal", "decimal": "..."}.
export const decimal = (value) => ({ __class__: 'Decimal', decimal: value });

// --- the browser ------------------------------------------------------------

let browserContext;
let userDataDir;
export let page;

export async function startBrowser() {
    fs.mkdirSync(artifacts, { recursive: true });
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
}

export async function stopBrowser() {
    await browserContext?.close();
    if (userDataDir) {
        fs.rmSync(userDataDir, { recursive: true, force: true });
    }
}

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

export async function settled(quiet = 500) {
    const called = Date.now();
    const deadline = called + TIMEOUT;
    // A click's first call to the server starts after the click returns,
    // later still on a busy machine: the quiet counts from the call of
    // settled too, so that an idle moment before the click is not taken
    // for the end of its calls.
    while (pending > 0
            || Date.now() - Math.max(lastActivity, called) < quiet) {
        assert.ok(Date.now() < deadline, 'the client kept calling the server');
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

export const screenshot = (name) => page.screenshot({
    path: path.join(artifacts, name), fullPage: true });

// What scrolls sideways in the tab shown, or in a dialog over it, and
// whether the page itself does: a description of each, none when all fits.
export async function sidewaysOverflows() {
    await settled();
    return page.evaluate(() => {
        const wide = [];
        const roots = [
            ...document.querySelectorAll('#tabcontent > .tab-pane.active'),
            ...document.querySelectorAll('.modal.in .modal-content'),
        ];
        for (const root of roots) {
            for (const element of [root, ...root.querySelectorAll('*')]) {
                if (element.offsetParent === null
                        || ['INPUT', 'TEXTAREA', 'SELECT']
                            .includes(element.tagName)) {
                    continue;
                }
                const { overflowX } = getComputedStyle(element);
                if (['auto', 'scroll'].includes(overflowX)
                        && element.scrollWidth > element.clientWidth + 1) {
                    wide.push(`${element.className.split(' ')[0]}: `
                        + `${element.scrollWidth} px in `
                        + `${element.clientWidth}`);
                }
            }
        }
        const root = document.scrollingElement;
        if (root.scrollWidth > root.clientWidth) {
            wide.push(`page: ${root.scrollWidth} px in ${root.clientWidth}`);
        }
        return wide;
    });
}

// The tab shown in the main area; each action opens one.
export const activeTab = () => page.locator('#tabcontent > .tab-pane.active');

// The form's input for a field, by the field's name.
export const field = (name, selector = 'input') => activeTab()
    .locator(`.form-container ${selector}[name="${name}"]`)
    .filter({ visible: true });

// Log into the web client as the administrator of the settings, or as
// another user.
export async function logIn(user = login, secret = password) {
    await page.goto(new URL(`#${database}`, baseUrl).href);
    const dialog = page.locator('.login-dialog');
    await dialog.locator('input#login').fill(user);
    await dialog.locator('button[type=submit]').click();
    const ask = page.locator('.ask-dialog');
    await ask.locator('input[type=password]').fill(secret);
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
    // The wizards may also open once the menu shows: dismiss them until the
    // client is quiet without one.
    for (;;) {
        await settled();
        if (!await wizardCancel.first().isVisible()) {
            break;
        }
        assert.ok(Date.now() < deadline, 'the configuration wizards stay');
        await wizardCancel.first().click();
    }
}

// Open the list of a CRM menu entry, e.g. openCrmMenu('Partners'), or of
// an entry of CRM submenus, e.g. openCrmMenu('Receivables', ['Reports']).
// The dialog the client shows a message of the server in.
export const dialog = (text) => page.locator('.modal.in', { hasText: text })
    .filter({ visible: true });

// The user menu at the top right: notifications, preferences, logout.
export async function openUserMenu() {
    const menu = page.locator('#user-preferences .notification-menu')
        .filter({ visible: true });
    // A click while a dialog is still closing can be lost on a busy
    // machine: click again until the menu shows.
    for (let attempt = 1; ; attempt++) {
        await page.locator('#user-preferences > a.dropdown-toggle').click();
        try {
            await menu.waitFor({ timeout: TIMEOUT / 6 });
            break;
        } catch (error) {
            if (attempt === 3) {
                throw error;
            }
        }
    }
    await settled();
}

export async function logOut() {
    await openUserMenu();
    await page.locator('#user-preferences .notification-menu a',
        { hasText: /^\s*Logout\s*$/ }).click();
    // The client asks before it closes the tabs.
    const ask = dialog('close all tabs');
    await ask.waitFor();
    await ask.locator('.modal-footer button', { hasText: /^\s*OK\s*$/i })
        .click();
    await page.locator('.login-dialog').waitFor();
    await settled();
}

export async function openCrmMenu(title, submenus = []) {
    const menu = page.locator('#menu');
    const entry = menu.locator(`.column-char[title="${title}"]`);
    const titles = ['CRM', ...submenus];
    const item = (name) => menu.locator(`.column-char[title="${name}"]`)
        .first();
    // Each level is clicked open only when what it holds is hidden: a click
    // on an open one closes it.
    const expand = async () => {
        for (const [i, name] of titles.entries()) {
            const inside = i + 1 < titles.length ? item(titles[i + 1]) : entry;
            if (!await inside.isVisible()) {
                await item(name).click();
                await settled();
            }
        }
    };
    // The menu reopens the entries that were open in the last session.
    await settled();
    await expand();
    // A click that lands while the menu is still redrawn after loading its
    // entries opens nothing: click again until the tab opens.
    const tab = page.locator('#tablist li.active', { hasText: title });
    const deadline = Date.now() + TIMEOUT;
    for (;;) {
        await entry.click();
        try {
            await tab.waitFor({ timeout: 5_000 });
            break;
        } catch (error) {
            assert.ok(Date.now() < deadline, `the menu ${title} opens nothing`);
            // Right after the first login the client may build its menu a
            // second time (once the configuration wizards are done): the
            // rows shown then belong to the first one and a click on them
            // opens nothing. Building the menu again, as the client does
            // after its preferences change, gives rows that answer.
            await page.evaluate(() => Sao.menu());
            await settled();
            await expand();
        }
    }
    await activeTab().locator('.treeview').first().waitFor();
    await settled();
}

// CRM > Leads and Opportunities, tab Opportunities, searched with the
// text of the search box, e.g. 'Description: "Big deal"'.
export async function listOpportunities(searchText) {
    await openCrmMenu('Leads and Opportunities');
    await activeTab().locator('.nav-tabs a[role="tab"]',
        { hasText: /^\s*Opportunities\b/ }).first().click();
    await settled();
    const box = activeTab().locator('.filter-box input.form-control')
        .first();
    await box.fill(searchText);
    await box.press('Enter');
    await settled();
}

// Approve the approval request shown in the form, with a comment, through
// its Approve / Reject wizard.
export async function approveRequest(comment) {
    await clickButton('Approve / Reject');
    const wizard = page.locator('.modal.in').filter(
        { has: page.locator('textarea[name="comment"]') });
    await wizard.locator('textarea[name="comment"]').waitFor();
    await settled();
    await wizard.locator('textarea[name="comment"]').fill(comment);
    await wizard.locator('.modal-footer button',
        { hasText: /^\s*Approve\s*$/ }).click();
    await wizard.waitFor({ state: 'detached' }).catch(() => {});
    await settled();
}

// Close the tab shown, e.g. closeTab('Partners').
export async function closeTab(title) {
    await page.locator('#tablist li.active button.close').click();
    await page.locator('#tablist li', { hasText: title })
        .waitFor({ state: 'detached' });
}

// Search the list shown for an exact text.
export async function search(text) {
    const box = activeTab().locator('.filter-box input.form-control').first();
    await box.fill(`"${text}"`);
    await box.press('Enter');
    // The list is redrawn with the search's results.
    await settled();
}

// Select the row of the list shown that has a cell matching cellText (a
// string or a regular expression) and switch to the form of that record.
export async function openRow(cellText) {
    // On the text itself: other cells may hold links to other records.
    await activeTab().locator('.treeview tbody tr td',
        { hasText: cellText }).first().click();
    await activeTab().locator('button#switch_').click();
    await settled();
}

// Search the list shown for an exact text and open the record that has it.
export async function openFromList(text) {
    await search(text);
    await openRow(text);
}

// Click a button of the form shown by its whole label ("Convert" is not
// "Convert to Opportunity").
export async function clickButton(label) {
    await activeTab().locator('button',
        { hasText: new RegExp(`^\\s*${label}\\s*$`, 'i') })
        .filter({ visible: true }).first().click();
    await settled();
}

// Start a new record in the list or form shown.
export async function newRecord() {
    await activeTab().locator('button#new_').click();
    await settled();
}

// Open a page (notebook tab) of the form shown by its title.
export async function openFormPage(title) {
    await activeTab().locator('.nav-tabs a[role="tab"]',
        { hasText: new RegExp(`^\\s*${title}\\s*$`) }).first().click();
    await settled();
}

// Type into a text field and leave it, as a user does; the client takes
// the value when the field loses the focus.
export async function fillText(name, value) {
    await field(name).fill(value);
    await field(name).press('Tab');
    await assertValue(field(name), value);
}

// Numbers are typed into a number input that replaces the text shown once
// the field has the focus (tabbing into it is enough).
export async function fillNumber(name, value, shown) {
    const input = field(name, 'input[type="number"]');
    if (!await input.isVisible()) {
        await field(name, 'input[type="text"]').click();
    }
    await input.fill(value);
    await input.press('Tab');
    await assertValue(field(name, 'input[type="text"]'), shown);
}

// Type into a many2one and pick the record from the completion list.
export async function pickRecord(name, text, recName) {
    const input = field(name);
    await input.fill(text);
    const entry = activeTab().locator('.dropdown-completion li.completion a',
        { hasText: recName });
    await entry.first().click();
    await assertValue(input, recName);
}

export async function assertValue(locator, value) {
    // The client shows some values only after a round trip to the server:
    // wait for it, then let the assertion tell what is shown instead.
    await page.waitForFunction(
        ([element, expected]) => element.value === expected,
        [await locator.elementHandle(), value]).catch(() => {});
    assert.equal(await locator.inputValue(), value);
}

export async function save() {
    await activeTab().locator('button#save').click();
    const saved = activeTab().locator('.infobar .alert-info',
        { hasText: 'Record saved.' });
    const refused = activeTab().locator('.infobar .alert-danger')
        .or(page.locator('.modal.in .modal-body').filter({ visible: true }));
    await saved.or(refused).first().waitFor();
    if (!await saved.isVisible()) {
        throw new Error(`The record was not saved: ${
            await refused.first().innerText()}`);
    }
}

// Each step runs only if the ones before it passed; a failing step leaves a
// screenshot and the page's HTML behind.
let failed = false;
export function step(t, name, fn) {
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
export const formatted = (value, digits) => Number(value).toLocaleString(
    'en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });

// --- files the client downloads ---------------------------------------------

// The cells of the first sheet of a workbook (an .xlsx file is a zip
// archive of XML files), read as a spreadsheet does: shared strings resolved,
// numbers as numbers, one array per row.
export function readWorkbook(content) {
    const files = {};
    // The central directory, found from its end record, lists the files.
    const end = content.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
    let offset = content.readUInt32LE(end + 16);
    for (let i = 0; i < content.readUInt16LE(end + 10); i++) {
        const method = content.readUInt16LE(offset + 10);
        const size = content.readUInt32LE(offset + 20);
        const nameLength = content.readUInt16LE(offset + 28);
        const extra = content.readUInt16LE(offset + 30);
        const comment = content.readUInt16LE(offset + 32);
        const local = content.readUInt32LE(offset + 42);
        const name = content.toString(
            'utf8', offset + 46, offset + 46 + nameLength);
        const start = local + 30 + content.readUInt16LE(local + 26)
            + content.readUInt16LE(local + 28);
        const data = content.subarray(start, start + size);
        files[name] = (method === 8 ? zlib.inflateRawSync(data) : data)
            .toString('utf8');
        offset += 46 + nameLength + extra + comment;
    }
    const unescape = (text) => text.replace(/&lt;/g, '<')
        .replace(/&gt;/g, '>').replace(/&quot;/g, '"')
        .replace(/&apos;/g, "'").replace(/&amp;/g, '&');
    const strings = [...(files['xl/sharedStrings.xml'] || '')
        .matchAll(/<si>(.*?)<\/si>/gs)].map(([, si]) => unescape(
        [...si.matchAll(/<t[^>]*>(.*?)<\/t>/gs)].map(([, t]) => t).join('')));
    return [...files['xl/worksheets/sheet1.xml']
        .matchAll(/<row[^>]*>(.*?)<\/row>/gs)].map(([, cells]) =>
        [...cells.matchAll(/<c ([^>]*?)(?:\/>|>(.*?)<\/c>)/gs)]
            .map(([, attributes, inner]) => {
                const value = /<v>(.*?)<\/v>/s.exec(inner || '');
                if (!value) {
                    return null;
                }
                return / t="s"/.test(attributes) ? strings[Number(value[1])]
                    : Number(value[1]);
            }));
}

// The file the client downloads when click runs: its name and content.
export async function downloadOf(click) {
    const downloaded = page.waitForEvent('download');
    await click();
    const download = await downloaded;
    const chunks = [];
    for await (const chunk of await download.createReadStream()) {
        chunks.push(chunk);
    }
    // The client offers the file in a dialog whose link it clicks.
    await page.locator('.modal.in', { hasText: 'Download' })
        .waitFor({ state: 'detached' }).catch(() => {});
    await settled();
    return {
        name: download.suggestedFilename(), content: Buffer.concat(chunks),
    };
}

// Export Receivables from the report's Print button (CRM > Reports >
// Receivables): the dialog of the
// export, then the workbook downloaded, read.
export async function exportReceivables(rows) {
    await activeTab().locator('button#print').click();
    await page.locator('.dropdown-menu a', { hasText: 'Export Receivables' })
        .filter({ visible: true }).first().click();
    const dialog = page.locator('.modal.in', { hasText: 'Export Receivables' })
        .filter({ visible: true });
    await dialog.locator('select[name="rows"]').waitFor();
    await settled();
    const form = {
        employee: await dialog.locator('input[name="employee"]')
            .inputValue(),
        rowCount: Number(await dialog
            .locator('input[type="text"][name="row_count"]').inputValue()),
        selectedCount: Number(await dialog
            .locator('input[type="text"][name="selected_count"]')
            .inputValue()),
    };
    if (rows) {
        await dialog.locator('select[name="rows"]')
            .selectOption({ label: rows });
        await settled();
    }
    const { name, content } = await downloadOf(() => dialog
        .locator('.modal-footer button', { hasText: 'Export' }).click());
    assert.match(name, /\.xlsx$/);
    const [header, ...lines] = readWorkbook(content);
    assert.deepEqual(header.slice(0, 3), ['Opportunity', 'Party', 'Employee']);
    return { form, lines };
}
