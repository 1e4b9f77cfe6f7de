// The activity calendar in the sao web client at 1366x768 with the menu
// open: its week opens scrolled to the working day (8:00 at the top, the
// morning's activities in sight rather than below the fold of the night
// hours), and each activity has the colour of its type.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import {
    Rpc, TIMEOUT, activeTab, logIn, openCrmMenu, page, screenshot, settled,
    stamp, startBrowser, step, stopBrowser,
} from './support.mjs';

const callSubject = `E2E calendar call ${stamp}`;
const meetingSubject = `E2E calendar meeting ${stamp}`;

let colors;

// A datetime of today, as JSON-RPC carries it (the server's and the
// browser's time zone: UTC).
function today(hour, minute = 0) {
    const now = new Date();
    return {
        __class__: 'datetime', year: now.getUTCFullYear(),
        month: now.getUTCMonth() + 1, day: now.getUTCDate(),
        hour, minute, second: 0, microsecond: 0,
    };
}

// "#1565c0" as the browser computes a colour: "rgb(21, 101, 192)".
function rgb(hex) {
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    return `rgb(${r}, ${g}, ${b})`;
}

before(async () => {
    const rpc = await Rpc.login();
    const types = await rpc.model('crm.activity.type', 'search_read',
        [['code', 'in', ['call', 'meeting']]], 0, null, null,
        ['code', 'color']);
    colors = Object.fromEntries(types.map((t) => [t.code, t.color]));
    assert.notEqual(colors.call, colors.meeting);
    const typeIds = Object.fromEntries(types.map((t) => [t.code, t.id]));
    await rpc.model('crm.activity', 'create', [
        {
            type: typeIds.call, subject: callSubject,
            start: today(9, 30), end: today(10),
        },
        {
            type: typeIds.meeting, subject: meetingSubject,
            start: today(10, 30), end: today(11, 30),
        },
    ]);
    await startBrowser();
    await page.setViewportSize({ width: 1366, height: 768 });
});

after(stopBrowser);

const event = (subject) => activeTab().locator('a.fc-event',
    { hasText: subject }).filter({ visible: true }).first();

test('the activity calendar opens on the working day, coloured by type', {
    timeout: 10 * TIMEOUT,
}, async (t) => {
    await step(t, 'open the calendar', async () => {
        await logIn();
        await openCrmMenu('Activities');
        await page.locator('#menu .column-char[title="Activity Calendar"]')
            .click();
        await page.locator('#tablist li.active',
            { hasText: 'Activity Calendar' }).waitFor();
        await event(callSubject).waitFor();
        await settled();
        await screenshot('calendar-01-week.png');
    });

    await step(t, 'the week is scrolled to 8:00', async () => {
        const scroller = activeTab().locator('.fc-time-grid-container')
            .filter({ visible: true }).first();
        const position = await scroller.evaluate((element) => {
            const slot = element.querySelector('tr[data-time="08:00:00"]');
            return {
                scrollTop: element.scrollTop,
                offset: slot.getBoundingClientRect().top
                    - element.getBoundingClientRect().top,
            };
        });
        assert.ok(position.scrollTop > 0, JSON.stringify(position));
        // 8:00 is the first hour shown, to the pixel.
        assert.ok(Math.abs(position.offset) <= 2, JSON.stringify(position));
        // The morning's activities are in sight.
        const visible = await scroller.boundingBox();
        for (const subject of [callSubject, meetingSubject]) {
            const box = await event(subject).boundingBox();
            assert.ok(box.y >= visible.y
                && box.y + box.height <= visible.y + visible.height,
            `${subject} at ${JSON.stringify(box)} out of ` +
                JSON.stringify(visible));
        }
    });

    await step(t, 'each activity has the colour of its type', async () => {
        const background = (subject) => event(subject).evaluate(
            (element) => getComputedStyle(element).backgroundColor);
        assert.equal(await background(callSubject), rgb(colors.call));
        assert.equal(await background(meetingSubject), rgb(colors.meeting));
    });
});
