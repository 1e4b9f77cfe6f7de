// Every screen of the CRM menu fits a laptop screen (1366 px wide) beside
// the open menu: each entry's list, the form of its first record with each
// of its pages, and each wizard's first dialog, as a user in the groups of
// the administrator (who sees every entry) opens them. In the languages
// whose labels run longest: what fits in them fits in English, whose
// screens the other tests walk. Nothing scrolls sideways and the client
// logs no error.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, activeTab, logIn, page, screenshot, settled, sidewaysOverflows,
    stamp, startBrowser, stopBrowser,
} from './support.mjs';

// Long and random enough for the server's password rules.
const secret = `E2E-${stamp}-screens-Pw!`;
const LANGUAGES = ['es', 'cs'];

let admin;
// Each entry of the CRM menu that opens something: [id, path].
let entries = [];
const errors = [];

before(async () => {
    admin = await Rpc.login();
    const [root] = await admin.model('ir.ui.menu', 'search',
        [['name', '=', 'CRM'], ['parent', '=', null]]);
    assert.ok(root, 'the CRM menu');
    const menus = await admin.model('ir.ui.menu', 'search_read',
        [['parent', 'child_of', [root]]],
        0, null, [['sequence', 'ASC'], ['id', 'ASC']],
        ['complete_name', 'action']);
    entries = menus.filter((menu) => menu.action)
        .map((menu) => [menu.id, menu.complete_name]);
    assert.ok(entries.length > 20, `${entries.length} entries`);
    // The host's translations of the languages, as an administrator loads
    // them.
    const languages = await admin.model('ir.lang', 'search',
        [['code', 'in', LANGUAGES.filter((code) => code !== 'en')]]);
    await admin.model('ir.lang', 'write', languages, { translatable: true });
    await admin.model('ir.lang', 'load_translations', languages);
    const [{ groups }] = await admin.model('res.user', 'search_read',
        [['login', '=', process.env.CRM_PLUS_LOGIN || 'admin']], 0, 1, null,
        ['groups']);
    const employee = await admin.createEmployee(`E2E Screens ${stamp}`);
    for (const code of LANGUAGES) {
        const [languageId] = await admin.model('ir.lang', 'search',
            [['code', '=', code]]);
        await admin.model('res.user', 'create', [{
            name: `E2E Screens ${code} ${stamp}`,
            login: `e2e-screens-${code}-${stamp.toLowerCase()}`,
            password: secret,
            groups: [['add', groups]],
            companies: [['add', [admin.context.company]]],
            company: admin.context.company,
            employees: [['add', [employee]]],
            employee,
            language: languageId,
        }]);
    }
    await startBrowser();
    page.on('console', (message) => {
        if (message.type() === 'error') {
            errors.push(message.text());
        }
    });
    page.on('pageerror', (error) => errors.push(String(error)));
});

after(stopBrowser);


const fileName = (text) => text.replace(/[^\w]+/g, '-').toLowerCase()
    .replace(/^-|-$/g, '');

// Close every tab: nothing was changed, but a form that was may ask
// whether to save it, and the answer is no.
async function closeTabs() {
    for (let i = 0; i < 5; i += 1) {
        await page.evaluate(() => { Sao.Tab.tabs.close(false); });
        await settled();
        const discard = page.locator('.modal.in button', { hasText: 'No' })
            .filter({ visible: true });
        if (await discard.count()) {
            await discard.first().click();
            await settled();
        }
        if (!await page.locator('#tablist > li').count()) {
            return;
        }
    }
    assert.fail('a tab stays open');
}

async function closeDialogs() {
    for (let i = 0; i < 5; i += 1) {
        const open = page.locator('.modal.in').filter({ visible: true });
        if (!await open.count()) {
            return;
        }
        await page.keyboard.press('Escape');
        await settled();
    }
}

// The pages of the form shown, at the top level.
const formPages = () => activeTab().locator('.content-box')
    .filter({ visible: true }).first().locator('.nav-tabs').first()
    .locator(':scope > li > a[role="tab"]').filter({ visible: true });

for (const code of LANGUAGES) {
test(`every screen of the CRM menu fits beside the menu (${code})`,
    async () => {
    await logIn(`e2e-screens-${code}-${stamp.toLowerCase()}`, secret);
    const found = [];
    const check = async (what) => {
        const wide = await sidewaysOverflows();
        if (wide.length) {
            found.push(`${what}: ${wide.join('; ')}`);
            await screenshot(`every-screen-${code}-${fileName(what)}.png`);
        }
    };
    const open = async (id) => {
        await page.evaluate((menuId) => Sao.Action.exec_keyword('tree_open',
            { model: 'ir.ui.menu', id: menuId, ids: [menuId] }), id);
        await settled(1000);
    };
    // The form of the list's first record, and each of its pages.
    const checkFirstRecord = async (what) => {
        const row = activeTab().locator('.treeview tbody tr')
            .filter({ visible: true }).first();
        const isList = await activeTab().locator('.treeview')
            .filter({ visible: true }).count();
        if (!isList || !await row.count()
                || await row.locator('td').count() < 2) {
            return;
        }
        await row.locator('td').nth(1).dblclick();
        await settled(1000);
        const titles = (await formPages().allTextContents())
            .map((text) => text.trim());
        if (!titles.length) {
            await check(`${what} (form)`);
        }
        for (const [index, title] of titles.entries()) {
            await formPages().nth(index).click();
            await settled();
            await check(`${what} (form) / ${title}`);
        }
    };
    const domainTabs = () => activeTab().locator('.tab-domain a[role="tab"]')
        .filter({ visible: true });
    for (const [id, path] of entries) {
        await open(id);
        await check(path);
        if (await page.locator('.modal.in').filter({ visible: true })
                .count()) {
            // A wizard's first dialog.
            await closeDialogs();
            continue;
        }
        if (!await page.locator('#tablist > li').count()) {
            continue;
        }
        // The records of the first tabs of the list differ most (leads
        // and opportunities, pending and decided approvals).
        const tabs = Math.min(await domainTabs().count(), 3);
        if (!tabs) {
            await checkFirstRecord(path);
        }
        for (let index = 0; index < tabs; index += 1) {
            if (index) {
                await closeTabs();
                await open(id);
            }
            const title = (await domainTabs().nth(index).textContent())
                .trim();
            await domainTabs().nth(index).click();
            await settled();
            await check(`${path} [${title}]`);
            await checkFirstRecord(`${path} [${title}]`);
        }
        await closeDialogs();
        await closeTabs();
    }
    const ours = errors.filter((text) => !/custom\.css|locale\/en/.test(text)
        && !/405/.test(text));
    errors.length = 0;
    // Every tab is closed: the client logs out without asking.
    await page.evaluate(() => { Sao.logout(); });
    await page.locator('.login-dialog').waitFor();
    await settled();
    assert.deepEqual(found, [], `screens wider than the window:\n${
        found.join('\n')}`);
    assert.deepEqual(ours, [], 'errors in the console');
});
}
