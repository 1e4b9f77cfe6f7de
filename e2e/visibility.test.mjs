// Record rules by sales team in the sao web client: a salesperson of one
// team lists the opportunities of CRM > Leads and Opportunities and does
// not find another team's, nor read it over JSON-RPC; a CRM manager finds
// both.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    activeTab, decimal, listOpportunities, logIn, page, Rpc, screenshot,
    stamp, startBrowser, step, stopBrowser, TIMEOUT,
} from './support.mjs';

const lower = stamp.toLowerCase();
// Long and random enough for the server's password rules.
const secret = `E2E-${stamp}-visibility-Pw!`;
const salespersonLogin = `e2e-north-${lower}`;
const managerLogin = `e2e-manager-${lower}`;
const northDeal = `E2E North deal ${stamp}`;
const southDeal = `E2E South deal ${stamp}`;
// The list shows the parties of the deals, not their descriptions.
const northCustomer = `E2E North Customer ${stamp}`;
const southCustomer = `E2E South Customer ${stamp}`;

let admin;
let southId;

async function createDeal(description, customer, employeeId, teamId) {
    const [partyId] = await admin.model('party.party', 'create', [{
        name: customer,
    }]);
    const [id] = await admin.model('sale.opportunity', 'create', [{
        description,
        party: partyId,
        employee: employeeId,
        team: teamId,
        amount: decimal('5000.00'),
    }]);
    await admin.model('sale.opportunity', 'opportunity', [id]);
    return id;
}

before(async () => {
    admin = await Rpc.login();
    // Two administrative teams of one representative each.
    const north = await admin.createEmployee(`E2E North Rep ${stamp}`);
    const south = await admin.createEmployee(`E2E South Rep ${stamp}`);
    const boss = await admin.createEmployee(`E2E Sales Manager ${stamp}`);
    const [northTeam, southTeam] = await admin.model('crm.team', 'create', [
        {
            name: `E2E North ${stamp}`, code: `N${stamp}`,
            company: admin.context.company, members: [['add', [north]]],
        },
        {
            name: `E2E South ${stamp}`, code: `S${stamp}`,
            company: admin.context.company, members: [['add', [south]]],
        },
    ]);
    await admin.createUser({
        name: `E2E North Rep ${stamp}`,
        login: salespersonLogin,
        password: secret,
        groups: ['CRM User', 'Sales'],
        employee: north,
    });
    await admin.createUser({
        name: `E2E Sales Manager ${stamp}`,
        login: managerLogin,
        password: secret,
        groups: ['CRM Manager', 'Sales'],
        employee: boss,
    });
    await createDeal(northDeal, northCustomer, north, northTeam);
    southId = await createDeal(southDeal, southCustomer, south, southTeam);
});

after(stopBrowser);

// The rows of the list shown whose party has this run's stamp.
const rows = () => activeTab().locator('.treeview tbody tr',
    { hasText: stamp });

// CRM > Leads and Opportunities, tab Opportunities, searched for the
// deals of this run.
async function listDeals() {
    await listOpportunities(`Description: ${stamp}`);
    await rows().first().waitFor();
    return (await rows().allInnerTexts()).join('\n');
}

test('a salesperson sees their team\'s opportunities, a manager all',
    { timeout: 10 * TIMEOUT }, async (t) => {
        await step(t, 'the salesperson lists only their team\'s deal',
            async () => {
                await startBrowser();
                await page.setViewportSize({ width: 1366, height: 768 });
                await logIn(salespersonLogin, secret);
                const text = await listDeals();
                assert.equal(await rows().count(), 1, text);
                assert.ok(text.includes(northCustomer), text);
                assert.ok(!text.includes(southCustomer), text);
                await screenshot('visibility-01-salesperson.png');
            });

        await step(t, 'over JSON-RPC the other team\'s deal is refused',
            async () => {
                const rpc = await Rpc.login(salespersonLogin, secret);
                const found = await rpc.model('sale.opportunity', 'search',
                    [['description', 'in', [northDeal, southDeal]]]);
                assert.equal(found.length, 1);
                await assert.rejects(
                    rpc.model('sale.opportunity', 'read', [southId],
                        ['description']),
                    /not allowed to read/);
                await assert.rejects(
                    rpc.model('sale.opportunity', 'write', [southId],
                        { description: 'taken' }),
                    /not allowed/);
            });

        await step(t, 'the manager lists both deals', async () => {
            await stopBrowser();
            await startBrowser();
            await page.setViewportSize({ width: 1366, height: 768 });
            await logIn(managerLogin, secret);
            await listDeals();
            // Both rows, whichever is drawn first.
            await rows().nth(1).waitFor();
            const text = (await rows().allInnerTexts()).join('\n');
            assert.equal(await rows().count(), 2, text);
            assert.ok(text.includes(northCustomer), text);
            assert.ok(text.includes(southCustomer), text);
            await screenshot('visibility-02-manager.png');
            const rpc = await Rpc.login(managerLogin, secret);
            const [record] = await rpc.model('sale.opportunity', 'read',
                [southId], ['description']);
            assert.equal(record.description, southDeal);
        });
    });
