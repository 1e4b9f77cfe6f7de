// The pipeline in the sao web client: a salesperson moves an opportunity
// through the stages of its sales method, records a competitor taking part
// with its price, and marks the opportunity lost to that competitor with a
// reason; the stage history, the probability and the lost record follow.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, assertValue, clickButton, decimal, field,
    logIn, openFormPage, page, screenshot,
    settled, stamp, startBrowser, step, stopBrowser,
} from './support.mjs';

const description = `E2E pipeline ${stamp}`;
const competitorName = `E2E Rival ${stamp}`;
const lessons = `E2E rival undercut us ${stamp}`;

let rpc;
let opportunityId;
let stages;

before(async () => {
    rpc = await Rpc.login();
    const [method] = await rpc.model('crm.sales_method', 'search_read',
        [['name', '=', 'Standard Sale']], 0, 1, null, ['stages']);
    stages = await rpc.model('crm.stage', 'read', method.stages,
        ['rec_name', 'probability']);
    // A customer of the demo, with its own opportunities.
    const [{ party: partyId }] = await rpc.model('sale.opportunity',
        'search_read', [['party', '!=', null]], 0, 1, [['id', 'ASC']],
        ['party']);
    const [employeeId] = await rpc.model('company.employee', 'search',
        [], 0, 1, [['id', 'ASC']]);
    [opportunityId] = await rpc.model('sale.opportunity', 'create', [{
        description,
        party: partyId,
        employee: employeeId,
        amount: decimal('12000.00'),
        sales_method: method.id,
        stage: stages[0].id,
    }]);
    await rpc.model('sale.opportunity', 'opportunity', [opportunityId]);
    await rpc.model('crm.competitor', 'create', [{ name: competitorName }]);
    await startBrowser();
});

after(stopBrowser);

// The wizard opens in a dialog over the form.
const dialog = () => page.locator('.modal.in').filter({ visible: true });

const percent = (probability) => `${Math.round(probability * 100)}`;

async function readOpportunity(names) {
    const [record] = await rpc.model('sale.opportunity', 'read',
        [opportunityId], names);
    return record;
}

test('an opportunity moves through stages, meets a competitor and is lost',
    { timeout: 10 * TIMEOUT }, async (t) => {
        await step(t, 'open the opportunity in its first stage', async () => {
            await logIn();
            // Opened from its link, as from a notification of the client
            // or a bookmark: the web client's address names the record.
            await page.evaluate(([db, id]) => {
                window.location.hash = `#${db}/model/sale.opportunity/${id}`;
            }, [process.env.CRM_PLUS_DATABASE || 'crm_plus', opportunityId]);
            await field('stage').waitFor();
            await settled();
            await assertValue(field('stage'), stages[0].rec_name);
            await screenshot('pipeline-01-first-stage.png');
        });

        await step(t, 'move it two stages on', async () => {
            await clickButton('Next Stage');
            await assertValue(field('stage'), stages[1].rec_name);
            await clickButton('Next Stage');
            await assertValue(field('stage'), stages[2].rec_name);
            // The probability follows the stage.
            const shown = await field('conversion_probability')
                .first().inputValue();
            assert.match(shown, new RegExp(`^${percent(
                stages[2].probability)}(\\.0+)?$`));
            await screenshot('pipeline-02-third-stage.png');
            const record = await readOpportunity(
                ['stage', 'conversion_probability', 'stage_history']);
            assert.equal(record.stage, stages[2].id);
            assert.equal(record.conversion_probability,
                stages[2].probability);
            assert.equal(record.stage_history.length, 3);
        });

        await step(t, 'record the competitor taking part', async () => {
            await openFormPage('Competition & Evaluation');
            await openFormPage('Competitors');
            const competition = activeTab()
                .locator('.form-one2many').filter({ visible: true }).first();
            await competition.locator('button[title="New"]').first().click();
            await settled();
            const input = competition.locator('input[name="competitor"]')
                .filter({ visible: true });
            await input.fill(competitorName);
            await activeTab().locator('.dropdown-completion li.completion a',
                { hasText: competitorName }).first().click();
            await settled();
            await competition.locator('select[name="threat"]')
                .filter({ visible: true }).selectOption({ label: 'High' });
            await settled();
            await activeTab().locator('button#save').click();
            await activeTab().locator('.infobar .alert-info',
                { hasText: 'Record saved.' }).waitFor();
            await screenshot('pipeline-03-competition.png');
            const lines = await rpc.model('sale.opportunity.competitor',
                'search_read', [['opportunity', '=', opportunityId]], 0, null,
                null, ['competitor.name', 'threat']);
            assert.deepEqual(
                lines.map((l) => [l['competitor.'].name, l.threat]),
                [[competitorName, 'high']]);
        });

        await step(t, 'lose it to the competitor with a reason', async () => {
            await clickButton('Mark as Lost');
            const form = dialog();
            await form.locator('input[name="reason"]').waitFor();
            await settled();
            await form.locator('input[name="reason"]').fill('Competitor');
            await form.locator('.dropdown-completion li.completion a',
                { hasText: /^Competitor$/ }).first().click();
            await settled();
            await form.locator('input[name="competitor"]')
                .fill(competitorName);
            await form.locator('.dropdown-completion li.completion a',
                { hasText: competitorName }).first().click();
            await settled();
            await form.locator('textarea[name="lessons"]').fill(lessons);
            await screenshot('pipeline-04-lost-wizard.png');
            await form.locator('.modal-footer button',
                { hasText: 'Mark as Lost' }).click();
            await form.waitFor({ state: 'detached' }).catch(() => {});
            await settled();
            await screenshot('pipeline-05-lost.png');
        });

        await step(t, 'the server recorded the loss and closed the stage',
            async () => {
                const record = await readOpportunity([
                    'state', 'lost_reason_type.name', 'lost_reason',
                    'winning_competitor.name', 'stage_history']);
                assert.equal(record.state, 'lost');
                assert.equal(record['lost_reason_type.'].name, 'Competitor');
                assert.equal(record['winning_competitor.'].name,
                    competitorName);
                assert.equal(record.lost_reason, lessons);
                const history = await rpc.model('crm.stage.history', 'read',
                    record.stage_history, ['stage', 'end']);
                assert.deepEqual(history.map((h) => h.stage).sort(),
                    stages.slice(0, 3).map((s) => s.id).sort());
                assert.ok(history.every((h) => h.end),
                    'every stage row is closed');
                const [line] = await rpc.model('sale.opportunity.competitor',
                    'search_read', [['opportunity', '=', opportunityId]],
                    0, null, null, ['winner']);
                // SQLite gives the flag as 1, PostgreSQL as true.
                assert.ok(line.winner, 'the competitor is the winner');
            });
    });
