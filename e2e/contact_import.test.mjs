// The contact import in the sao web client at 1366x768 with the menu open:
// the labels of its dialog are whole (none clipped by the dialog's left
// edge), a contact is skipped in the preview, and after Import the dialog
// shows what was created, left unchanged and skipped, with the reasons.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, logIn, openCrmMenu, page, screenshot, settled, stamp,
    startBrowser, step, stopBrowser,
} from './support.mjs';

const organisation = `E2E Import Org ${stamp}`;
const known = `E2E Known ${stamp}`;
const knownEmail = `known.${stamp}@import.example`.toLowerCase();
const created = `E2E New ${stamp}`;
const skipped = `E2E Skipped ${stamp}`;
// An Outlook CSV file: line 2 is known already with all its details, line
// 3 is new, line 4 is left out in the preview.
const csv = [
    '"First Name","Last Name","Company","E-mail Address"',
    `"E2E","Known ${stamp}","","${knownEmail}"`,
    `"E2E","New ${stamp}","${organisation}","new.${stamp}@import.example"`,
    `"E2E","Skipped ${stamp}","${organisation}",` +
        `"skipped.${stamp}@import.example"`,
].join('\r\n') + '\r\n';

let rpc;
let knownId;

before(async () => {
    rpc = await Rpc.login();
    [knownId] = await rpc.model('party.party', 'create', [{
        name: known,
        party_kind: 'person',
        surname: `Known ${stamp}`,
        contact_mechanisms: [['create', [
            { type: 'email', value: knownEmail }]]],
    }]);
    await startBrowser();
    await page.setViewportSize({ width: 1366, height: 768 });
});

after(stopBrowser);

const dialog = () => page.locator('.modal.in').filter({ visible: true });

// Every label of the dialog's form shows its whole text, inside the
// dialog.
async function assertLabelsWhole() {
    const box = await dialog().locator('.modal-content').boundingBox();
    const labels = await dialog().locator('.modal-body label')
        .filter({ visible: true }).evaluateAll((elements) => elements
            // The labels of the form: a list scrolls within its own box.
            .filter((element) => element.innerText.trim()
                && !element.closest('.treeview'))
            .map((element) => {
                const rect = element.getBoundingClientRect();
                return {
                    text: element.innerText.trim(),
                    scrollWidth: element.scrollWidth,
                    clientWidth: element.clientWidth,
                    left: rect.left,
                    right: rect.right,
                };
            }));
    assert.ok(labels.length > 0);
    for (const label of labels) {
        assert.ok(label.scrollWidth <= label.clientWidth,
            `clipped: ${JSON.stringify(label)}`);
        assert.ok(label.left >= box.x && label.right <= box.x + box.width,
            `outside the dialog ${JSON.stringify(box)}: ` +
                JSON.stringify(label));
    }
    return labels.map((l) => l.text);
}

// The cell of the column of the row of the list of the dialog.
const cell = (name, column) => dialog().locator('.treeview tbody tr',
    { hasText: name }).first().locator(`td[data-title^="${column}"]`);

test('contacts are imported with a summary of what became of them', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'the import dialog shows its labels whole', async () => {
        await logIn();
        // The CRM menu opened (on its list of partners), then its entry.
        await openCrmMenu('Partners');
        await page.locator('#menu .column-char[title="Import Contacts"]')
            .first().click();
        await dialog().locator('input[name="filename"]').waitFor();
        await settled();
        const labels = await assertLabelsWhole();
        for (const text of ['File:', 'File Name:', 'Format:']) {
            assert.ok(labels.includes(text), JSON.stringify(labels));
        }
        await screenshot('contact-import-01-start.png');
    });

    await step(t, 'the preview of the file', async () => {
        await dialog().locator('input[type="file"]').setInputFiles({
            name: 'contacts.csv',
            mimeType: 'text/csv',
            buffer: Buffer.from(csv, 'utf-8'),
        });
        await settled();
        await dialog().locator('.modal-footer button',
            { hasText: 'Preview' }).click();
        await cell(created, 'Status').waitFor();
        await settled();
        assert.equal((await cell(known, 'Status').innerText()).trim(),
            'Matched');
        assert.equal((await cell(created, 'Status').innerText()).trim(),
            'New');
        await assertLabelsWhole();
        // Every column is in sight, down to the partner to update.
        const box = await dialog().locator('.modal-content').boundingBox();
        const partner = await dialog().locator('.treeview thead th',
            { hasText: /^\s*Partner\s*$/ }).first().boundingBox();
        assert.ok(partner.x + partner.width <= box.x + box.width,
            `${JSON.stringify(partner)} out of ${JSON.stringify(box)}`);
        await screenshot('contact-import-02-preview.png');
    });

    await step(t, 'a contact is skipped', async () => {
        // The first click selects the row, the second edits the cell.
        await cell(skipped, 'Action').click();
        await settled();
        await cell(skipped, 'Action').click();
        const select = dialog().locator('select[name="action"]')
            .filter({ visible: true });
        await select.selectOption({ label: 'Skip' });
        await settled();
        assert.equal(await select.inputValue(), '"skip"');
    });

    await step(t, 'the import ends on its summary', async () => {
        await dialog().locator('.modal-footer button',
            { hasText: /^\s*Import\s*$/ }).click();
        await dialog().locator('input[type="text"][name="unchanged"]')
            .waitFor();
        await settled();
        const count = async (name) => Number(await dialog()
            .locator(`input[type="text"][name="${name}"]`).inputValue());
        assert.deepEqual(
            [await count('created'), await count('updated'),
                await count('unchanged'), await count('skipped')],
            [1, 0, 1, 1]);
        assert.equal((await cell(created, 'Outcome').innerText()).trim(),
            'Created');
        assert.equal((await cell(known, 'Outcome').innerText()).trim(),
            'Unchanged');
        assert.equal((await cell(known, 'Reason').innerText()).trim(),
            `The partner "${known}" already has all its details.`);
        assert.equal((await cell(skipped, 'Outcome').innerText()).trim(),
            'Skipped');
        assert.equal((await cell(skipped, 'Reason').innerText()).trim(),
            'Skipped in the preview.');
        await assertLabelsWhole();
        await screenshot('contact-import-03-summary.png');
        await dialog().locator('.modal-footer button',
            { hasText: 'Close' }).click();
        await settled();
    });

    await step(t, 'the server has what the summary says', async () => {
        const names = async (name) => (await rpc.model('party.party',
            'search_read', [['name', '=', name]], 0, null, null, ['name']))
            .length;
        assert.equal(await names(created), 1);
        assert.equal(await names(skipped), 0);
        assert.equal(await names(known), 1);
        const [{ organisation: organisationId }] = await rpc.model(
            'party.party', 'search_read', [['name', '=', created]], 0, 1,
            null, ['organisation']);
        assert.ok(organisationId);
        assert.ok(knownId);
    });
});
