// Approvals in the sao web client: a sales representative has requested
// the approval of two large sales over RPC; the approver logs in, finds
// them under CRM > Approvals > My Pending, approves one with a comment and
// rejects the other, for which the comment is required. The server then
// lets the approved sale be confirmed, still refuses the rejected one, and
// the representative is told of both decisions.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, clickButton, decimal, logIn, openCrmMenu,
    page, screenshot, settled, stamp, startBrowser, step,
    stopBrowser,
} from './support.mjs';

const ruleName = `E2E large sale ${stamp}`;
const approverLogin = `e2e-approver-${stamp}`.toLowerCase();
const repLogin = `e2e-rep-${stamp}`.toLowerCase();
// Long and random enough for the server's password rules.
const secret = `E2E-${stamp}-approvals-Pw!`;
const approvedReference = `E2E-OK-${stamp}`;
const rejectedReference = `E2E-NO-${stamp}`;
const approveComment = `Agreed, strategic customer ${stamp}`;
const rejectComment = `Margin too thin for this customer ${stamp}`;

let admin;
let rep;
let repId;
const sales = {};
const requests = {};

async function groupIds(names) {
    const groups = await admin.model('res.group', 'search_read',
        [['name', 'in', names]], 0, null, null, ['name']);
    assert.equal(groups.length, names.length, `groups ${names}`);
    return groups.map((g) => g.id);
}

async function newUser(name, userLogin, groupNames) {
    const [userId] = await admin.model('res.user', 'create', [{
        name,
        login: userLogin,
        password: secret,
        groups: [['add', await groupIds(groupNames)]],
        companies: [['add', [admin.context.company]]],
        company: admin.context.company,
    }]);
    return userId;
}

// A quoted sale of the representative, over the rule's amount, with its
// approval requested.
async function requestedSale(reference, partyId, addressId) {
    const [saleId] = await rep.model('sale.sale', 'create', [{
        party: partyId,
        invoice_address: addressId,
        shipment_address: addressId,
        reference,
        lines: [['create', [{
            type: 'line',
            description: `Data centre ${reference}`,
            quantity: 1,
            unit_price: decimal('987654.00'),
        }]]],
    }]);
    await rep.model('sale.sale', 'quote', [saleId]);
    await rep.model('sale.sale', 'request_approval', [saleId]);
    const [request] = await rep.model('crm.approval.request', 'search_read',
        [['document', '=', `sale.sale,${saleId}`]], 0, null, null,
        ['state', 'rule']);
    assert.equal(request.state, 'pending');
    return [saleId, request.id];
}

async function requestState(name) {
    const [request] = await admin.model('crm.approval.request', 'read',
        [requests[name]], ['state', 'decisions']);
    return request;
}

async function saleState(name) {
    const [sale] = await admin.model('sale.sale', 'read', [sales[name]],
        ['state']);
    return sale.state;
}

before(async () => {
    admin = await Rpc.login();
    repId = await newUser(`E2E Rep ${stamp}`, repLogin,
        ['CRM User', 'Sales']);
    const approverId = await newUser(`E2E Approver ${stamp}`, approverLogin,
        ['CRM Manager', 'Sales']);
    // Only the sales of this test reach the rule's amount.
    await admin.model('crm.approval.rule', 'create', [{
        name: ruleName,
        document: 'sale.sale',
        transition: 'confirm',
        condition: 'amount_ge',
        value: decimal('987654'),
        approver_kind: 'user',
        user: approverId,
    }]);
    const [partyId] = await admin.model('party.party', 'create', [{
        name: `E2E Approvals Customer ${stamp}`,
        addresses: [['create', [{ street: '1 Test Street' }]]],
    }]);
    const [{ addresses: [addressId] }] = await admin.model('party.party',
        'read', [partyId], ['addresses']);

    rep = await Rpc.login(repLogin, secret);
    [sales.approved, requests.approved] = await requestedSale(
        approvedReference, partyId, addressId);
    [sales.rejected, requests.rejected] = await requestedSale(
        rejectedReference, partyId, addressId);
    // Without the approval, confirming is refused.
    await assert.rejects(rep.model('sale.sale', 'confirm', [sales.approved]),
        /UserError.*the approval of .*E2E large sale/);
    await startBrowser();
});

after(stopBrowser);

// The wizard opens in a dialog over the form.
const wizard = () => page.locator('.modal.in')
    .filter({ has: page.locator('textarea[name="comment"]') });

async function openRequest(reference) {
    // On the state: the cells of the document, the party, the rule and the
    // submitter are links to their records.
    await activeTab().locator('.treeview tbody tr', { hasText: reference })
        .locator('td', { hasText: /^\s*Pending\s*$/ }).first().click();
    await activeTab().locator('button#switch_').click();
    await activeTab().locator('.form-container').filter({ visible: true })
        .first().waitFor();
    await settled();
}

async function decide(button, comment) {
    await clickButton('Approve / Reject');
    const form = wizard();
    await form.locator('textarea[name="comment"]').waitFor();
    await settled();
    await form.locator('textarea[name="comment"]').fill(comment);
    await form.locator('.modal-footer button',
        { hasText: new RegExp(`^\\s*${button}\\s*$`) }).click();
    await settled();
}

test('an approver approves and rejects requests in the web client',
    { timeout: 10 * TIMEOUT }, async (t) => {
        await step(t, 'the approver sees both requests to decide', async () => {
            await logIn(approverLogin, secret);
            await openCrmMenu('Approvals');
            await activeTab().locator('.nav-tabs a[role="tab"]',
                { hasText: /My Pending/ }).first().click();
            await settled();
            const rows = activeTab().locator('.treeview tbody tr',
                { hasText: stamp });
            await rows.nth(1).waitFor();
            assert.equal(await rows.count(), 2);
            await screenshot('approval-01-my-pending.png');
        });

        await step(t, 'approve one with a comment', async () => {
            await openRequest(approvedReference);
            await decide('Approve', approveComment);
            await wizard().waitFor({ state: 'detached' }).catch(() => {});
            await screenshot('approval-02-approved.png');
            const request = await requestState('approved');
            assert.equal(request.state, 'approved');
            const [decision] = await admin.model('crm.approval.decision',
                'read', request.decisions, ['decision', 'comment']);
            assert.equal(decision.decision, 'approve');
            assert.equal(decision.comment, approveComment);
        });

        await step(t, 'the approved sale can be confirmed', async () => {
            await rep.model('sale.sale', 'confirm', [sales.approved]);
            assert.ok(['confirmed', 'processing'].includes(
                await saleState('approved')));
        });

        await step(t, 'rejecting without a comment is refused', async () => {
            await page.locator('#tablist li.active button.close').click();
            await settled();
            await openCrmMenu('Approvals');
            await activeTab().locator('.nav-tabs a[role="tab"]',
                { hasText: /My Pending/ }).first().click();
            await settled();
            await openRequest(rejectedReference);
            await clickButton('Approve / Reject');
            const form = wizard();
            await form.locator('textarea[name="comment"]').waitFor();
            await settled();
            await form.locator('.modal-footer button',
                { hasText: /^\s*Reject\s*$/ }).click();
            const error = page.locator('.modal.in',
                { hasText: 'give the reason in the comment' });
            await error.waitFor();
            await settled();
            await screenshot('approval-03-reason-required.png');
            await error.locator('.modal-footer button').first().click();
            await settled();
            assert.equal((await requestState('rejected')).state, 'pending');
            // The client may keep the wizard open after the error.
            if (await wizard().isVisible()) {
                await wizard().locator('.modal-footer button',
                    { hasText: /^\s*Cancel\s*$/ }).click();
                await settled();
            }
        });

        await step(t, 'reject it with a comment', async () => {
            await decide('Reject', rejectComment);
            await wizard().waitFor({ state: 'detached' }).catch(() => {});
            await screenshot('approval-04-rejected.png');
            const request = await requestState('rejected');
            assert.equal(request.state, 'rejected');
            const [decision] = await admin.model('crm.approval.decision',
                'read', request.decisions, ['decision', 'comment']);
            assert.equal(decision.decision, 'reject');
            assert.equal(decision.comment, rejectComment);
            await assert.rejects(
                rep.model('sale.sale', 'confirm', [sales.rejected]),
                /UserError.*the approval of .*E2E large sale/);
            assert.equal(await saleState('rejected'), 'quotation');
        });

        await step(t, 'the representative was told of both', async () => {
            const notifications = await rep.model('res.notification',
                'search_read', [
                    ['model', '=', 'crm.approval.request'],
                    ['user', '=', repId],
                ], 0, null, [['id', 'ASC']], ['label', 'description']);
            // "Rule" approved for Sale "number" (party, amount)
            assert.deepEqual(
                notifications.map(
                    (n) => n.label.match(/" (\w+) for Sale "/)?.[1]),
                ['approved', 'rejected']);
            assert.equal(notifications[0].description, approveComment);
            assert.equal(notifications[1].description, rejectComment);
        });
    });
