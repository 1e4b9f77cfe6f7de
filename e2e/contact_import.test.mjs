// The contact import in the sao web client at 1366x768 with the menu open:
// the labels of its dialog are whole (none clipped by the dialog's left
// edge), a contact is skipped in the preview, and after Import the dialog
// shows what was created, left unchanged and skipped, with the reasons.
// Then a phone's address book as phones write it (Shift_JIS, an invalid
// e-mail, a card cut short): the namesake of a partner is not merged into
// him, a changed job title is kept unless Replace is ticked, and the cards
// that cannot be read are listed and skipped only when the user says so.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, assertValue, logIn, openCrmMenu, page, screenshot, settled,
    stamp, startBrowser, step, stopBrowser,
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

const namesake = `E2E Namesake ${stamp}`;
const namesakeEmail = `namesake.${stamp}@first.example`.toLowerCase();
const buyer = `E2E Buyer ${stamp}`;
const buyerEmail = `buyer.${stamp}@import.example`.toLowerCase();
const japanese = '安藤 ロイド';

// What a Japanese phone exports: vCard 2.1 in Shift_JIS, with a card cut
// short at the end of the file.
function phoneBook() {
    const ascii = (text) => Buffer.from(text, 'latin1');
    return Buffer.concat([
        ascii('BEGIN:VCARD\r\nVERSION:2.1\r\n'
            + `FN:${namesake}\r\nORG:E2E Other Org ${stamp}\r\n`
            + `EMAIL;INTERNET:other.${stamp}@second.example\r\n`
            + 'END:VCARD\r\n'),
        ascii('BEGIN:VCARD\r\nVERSION:2.1\r\n'
            + `FN:${buyer}\r\nTITLE:Director\r\n`
            + `EMAIL;INTERNET:${buyerEmail}\r\n`
            + 'EMAIL;INTERNET:bad@@example\r\nEND:VCARD\r\n'),
        ascii('BEGIN:VCARD\r\nVERSION:2.1\r\nN;CHARSET=SHIFT_JIS:'),
        // 安藤;ロイド in Shift_JIS
        Buffer.from([0x88, 0xc0, 0x93, 0xa1, 0x3b, 0x83, 0x8d, 0x83, 0x43,
            0x83, 0x68]),
        ascii('\r\nTEL;CELL:090-1234-5678\r\nEND:VCARD\r\n'),
        ascii('BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Cut Short\r\n'),
    ]);
}

test('an address book from a phone: no wrong merge, nothing replaced '
    + 'unasked, unreadable cards skipped when the user says so', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    let namesakeId;
    let buyerId;
    await step(t, 'two partners are known', async () => {
        [namesakeId, buyerId] = await rpc.model('party.party', 'create', [{
            name: namesake, party_kind: 'person', surname: `Namesake ${stamp}`,
            contact_mechanisms: [['create', [
                { type: 'email', value: namesakeEmail }]]],
        }, {
            name: buyer, party_kind: 'person', surname: `Buyer ${stamp}`,
            job_title: 'Buyer',
            contact_mechanisms: [['create', [
                { type: 'email', value: buyerEmail }]]],
        }]);
    });

    await step(t, 'the preview says what needs a decision', async () => {
        await page.locator('#menu .column-char[title="Import Contacts"]')
            .first().click();
        await dialog().locator('input[name="filename"]').waitFor();
        await settled();
        await dialog().locator('input[type="file"]').setInputFiles({
            name: 'phone.vcf', mimeType: 'text/vcard', buffer: phoneBook(),
        });
        await settled();
        await dialog().locator('.modal-footer button',
            { hasText: 'Preview' }).click();
        await cell(buyer, 'Status').waitFor();
        await settled();
        // The namesake is new: a name alone never updates a partner.
        assert.equal((await cell(namesake, 'Status').innerText()).trim(),
            'New');
        assert.equal((await cell(namesake, 'Action').innerText()).trim(),
            'Create');
        // The buyer shares an e-mail: updated, his title changes only if
        // Replace is ticked.
        assert.equal((await cell(buyer, 'Status').innerText()).trim(),
            'Matched');
        assert.match(await cell(buyer, 'Conflicts').innerText(),
            /Buyer → Director/);
        assert.match(await cell(buyer, 'Left Out').innerText(),
            /bad@@example/);
        assert.equal((await cell(japanese, 'Status').innerText()).trim(),
            'New');
        const rejects = await dialog().locator('textarea[name="rejects"]')
            .inputValue();
        assert.match(rejects, /Card 4 \(line \d+\): BEGIN:VCARD without/);
        await assertLabelsWhole();
        const box = await dialog().locator('.modal-content').boundingBox();
        const replace = await dialog().locator('.treeview thead th',
            { hasText: /^\s*Replace\s*$/ }).first().boundingBox();
        assert.ok(replace.x + replace.width <= box.x + box.width,
            `${JSON.stringify(replace)} out of ${JSON.stringify(box)}`);
        await screenshot('contact-import-04-phone-preview.png');
    });

    await step(t, 'the unreadable card stops the import until skipped',
        async () => {
            await dialog().locator('.modal-footer button',
                { hasText: /^\s*Import\s*$/ }).click();
            // The client shows the server's refusal in a dialog of its own.
            const refusal = page.locator('.modal.in.warning-dialog',
                { hasText: 'Skip the Cards That Cannot Be Read' })
                .filter({ hasText: 'Card 4' });
            await refusal.waitFor();
            await screenshot('contact-import-05-refused.png');
            await refusal.locator('.modal-footer button').first().click();
            await settled();
            assert.equal((await rpc.model('party.party', 'search',
                [['name', '=', japanese]])).length, 0);
            await dialog().locator('input[type="checkbox"]'
                + '[name="skip_rejects"]').check();
            await settled();
            await dialog().locator('.modal-footer button',
                { hasText: /^\s*Import\s*$/ }).click();
            await dialog().locator('input[type="text"][name="unchanged"]')
                .waitFor();
            await settled();
            await screenshot('contact-import-06-phone-summary.png');
            await dialog().locator('.modal-footer button',
                { hasText: 'Close' }).click();
            await settled();
        });

    await step(t, 'the server has each person once, as they were',
        async () => {
            const people = await rpc.model('party.party', 'search_read',
                [['name', '=', namesake]], 0, null, [['id', 'ASC']],
                ['id', 'organisation']);
            assert.equal(people.length, 2, 'the namesake stays apart');
            assert.equal(people[0].id, namesakeId);
            assert.equal(people[0].organisation, null);
            const [known] = await rpc.model('party.party', 'read',
                [buyerId], ['job_title']);
            assert.equal(known.job_title, 'Buyer', 'not replaced unasked');
            const emails = await rpc.model('party.contact_mechanism',
                'search_read', [['party', '=', buyerId]], 0, null, null,
                ['value']);
            assert.deepEqual(emails.map((e) => e.value), [buyerEmail]);
            const [ando] = await rpc.model('party.party', 'search_read',
                [['name', '=', japanese]], 0, null, null,
                ['contact_mechanisms']);
            assert.ok(ando, 'the Shift_JIS name is read');
            const [mobile] = await rpc.model('party.contact_mechanism',
                'read', ando.contact_mechanisms, ['type']);
            assert.equal(mobile.type, 'mobile');
        });
});

const paged = `E2E Paged ${stamp}`;

// 205 people of one name, each with an e-mail of their own: the namesakes
// of a known partner, each listed for a decision, more than a page holds.
function namesakes() {
    const lines = ['"First Name","Last Name","Company","E-mail Address"'];
    for (let i = 1; i <= 205; i += 1) {
        lines.push(`"E2E","Paged ${stamp}","",` +
            `"paged.${i}.${stamp}@other.example"`);
    }
    return lines.join('\r\n') + '\r\n';
}

test('a large preview is turned page by page and keeps the choices', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'the first page lists 200 contacts of 205', async () => {
        await rpc.model('party.party', 'create', [{
            name: paged, party_kind: 'person',
            contact_mechanisms: [['create', [
                { type: 'email', value: `paged.${stamp}@first.example` }]]],
        }]);
        await page.locator('#menu .column-char[title="Import Contacts"]')
            .first().click();
        await dialog().locator('input[name="filename"]').waitFor();
        await settled();
        await dialog().locator('input[type="file"]').setInputFiles({
            name: 'namesakes.csv', mimeType: 'text/csv',
            buffer: Buffer.from(namesakes(), 'utf-8'),
        });
        await settled();
        await dialog().locator('.modal-footer button',
            { hasText: 'Preview' }).click();
        await dialog().locator('input[type="text"][name="pages"]')
            .waitFor();
        await settled();
        const value = async (name) => dialog()
            .locator(`input[type="text"][name="${name}"]`).inputValue();
        // The client fills the page's fields once it has drawn the 200
        // lines of the list: on a slow machine, after its calls ended.
        await assertValue(dialog()
            .locator('input[type="text"][name="pages"]'), '2');
        assert.deepEqual([await value('page'), await value('pages')],
            ['1', '2']);
        // The list of the dialog counts its lines (it draws them as the
        // user scrolls).
        assert.match(await dialog().locator('.form-one2many .badge')
            .first().innerText(), /\/ 200$/);
        assert.ok(await dialog().locator('.modal-footer button',
            { hasText: 'Previous Page' }).isDisabled());
        await assertLabelsWhole();
        await screenshot('contact-import-07-page-1.png');
    });

    await step(t, 'a choice on the second page is kept', async () => {
        const value = async (name) => dialog()
            .locator(`input[type="text"][name="${name}"]`).inputValue();
        const turn = async (label, number) => {
            await dialog().locator('.modal-footer button',
                { hasText: label }).click();
            await page.waitForFunction((expected) => [...document
                .querySelectorAll('.modal.in input[name="page"]')]
                .some((input) => input.value === expected), String(number));
            await settled();
        };
        await turn('Next Page', 2);
        const rows = dialog().locator('.treeview tbody tr')
            .filter({ hasText: paged });
        assert.equal(await rows.count(), 5);
        const action = rows.first().locator('td[data-title^="Action"]');
        await action.click();
        await settled();
        await action.click();
        await dialog().locator('select[name="action"]')
            .filter({ visible: true }).selectOption({ label: 'Skip' });
        await settled();
        await screenshot('contact-import-08-page-2.png');
        await turn('Previous Page', 1);
        assert.equal(await value('page'), '1');
        await turn('Next Page', 2);
        assert.equal((await dialog().locator('.treeview tbody tr')
            .filter({ hasText: paged }).first()
            .locator('td[data-title^="Action"]').innerText()).trim(), 'Skip');
        await dialog().locator('.modal-footer button',
            { hasText: 'Cancel' }).click();
        await settled();
    });
});
