/* This file is part of crm_plus.  The COPYRIGHT file at the top level of
   this repository contains the full copyright notices and license terms. */
/* Customisation of sao, Tryton's web client, loaded by its index.html from
   the web root (scripts/install-sao copies it there). */
(function() {
'use strict';

/* A report whose action has a context model (CRM > Reports: Funnel,
   Receivables, ...) shows a form of filters above its rows. sao 8.0 reads
   that form only when it searches: on Enter in a field, on the search box
   or on Reload, so a filter picked with the mouse left the rows and the
   graph as they were. Here the report searches again as soon as a value of
   its filter form changes. */
function reportsFollowTheirFilter() {
    // Quiet time after a change: an on_change may set several fields.
    const DELAY = 150;
    const REFRESHED_VIEWS = ['tree', 'graph', 'calendar'];

    const init = Sao.Screen.prototype.init;
    Sao.Screen.prototype.init = function() {
        init.apply(this, arguments);
        const context_screen = this.context_screen;
        if (!context_screen) {
            return;
        }
        const screen = this;
        const filter = () => {
            const record = context_screen.current_record;
            return record ? JSON.stringify(
                context_screen.get_on_change_value()) : null;
        };
        // The filter of the last search: only a different one searches.
        let searched = null;
        const search_filter = screen.search_filter;
        screen.search_filter = function(search_string, only_ids) {
            if (!only_ids) {
                searched = filter();
            }
            return search_filter.apply(this, arguments);
        };
        let timer = null;
        const record_modified = context_screen.record_modified;
        context_screen.record_modified = function() {
            const result = record_modified.apply(this, arguments);
            window.clearTimeout(timer);
            timer = window.setTimeout(() => {
                const view = screen.current_view;
                if (!view || !REFRESHED_VIEWS.includes(view.view_type)
                    || screen.modified()) {
                    return;
                }
                const current = filter();
                if (current !== null && current !== searched) {
                    screen.search_filter(
                        screen.screen_container.get_text());
                }
            }, DELAY);
            return result;
        };
    };
}

/* A week or a day of a calendar opens scrolled to the time that its
   action's context gives as calendar_scroll_time ("HH:MM:SS"), by default
   6:00, as sao means to. sao 8.0 hands FullCalendar the time written as a
   whole date when it is not a text (its default), which FullCalendar reads
   as midnight, and FullCalendar computes the scroll while sao has not shown
   the calendar yet, which gives the top of the night hours whatever the
   time. Here the time is given as FullCalendar reads it, and each view of a
   calendar is scrolled to it once, the first time its activities are drawn
   on screen; the user's own scrolling is kept from then on. */
function calendarsOpenOnTheirScrollTime() {
    const fullCalendar = window.jQuery && jQuery.fn.fullCalendar;
    if (!fullCalendar) {
        return;
    }
    const wrapper = function(options) {
        if (!options || (typeof options != 'object')) {
            return fullCalendar.apply(this, arguments);
        }
        const element = this;
        const time = /(\d{1,2}:\d{2}(:\d{2})?)/.exec(
            String(options.scrollTime || ''));
        const scrolled = new WeakSet();
        const after = options.eventAfterAllRender;
        return fullCalendar.call(this, Object.assign({}, options, {
            scrollTime: time ? time[1] : '06:00:00',
            eventAfterAllRender: function() {
                const view = element.fullCalendar('getView');
                if (view && view.applyScroll && !scrolled.has(view)
                    && element.is(':visible')) {
                    scrolled.add(view);
                    view.applyScroll({isDateInit: true});
                }
                if (after) {
                    return after.apply(this, arguments);
                }
            },
        }));
    };
    Object.assign(wrapper, fullCalendar);
    jQuery.fn.fullCalendar = wrapper;
}

/* A dashboard (a board view: CRM > Team Dashboard, ...) shows in each of
   its panels the records of an action within the action's domain. sao 8.0
   evaluates that domain for the user, and again when the selection of
   another panel changes, but never gives it to the panel's list, which
   then shows every record the user may read (Tryton's desktop client gives
   it). Here each panel searches within the domain of its action: the list
   that sao keeps up to date, so that the panel follows it. The board
   searches all its panels again once they are all loaded, so a first
   search made before the domain is given is replaced. */
function boardsKeepTheirDomain() {
    const Action = Sao.View.Board && Sao.View.Board.Action;
    if (!Action) {
        return;
    }
    const init = Action.prototype.init;
    Action.prototype.init = function() {
        init.apply(this, arguments);
        this.action_prm.done(() => {
            if (this.screen) {
                this.screen.domain = this.domain;
            }
        });
    };
}

if (typeof Sao !== 'undefined' && Sao.Screen) {
    reportsFollowTheirFilter();
    calendarsOpenOnTheirScrollTime();
    boardsKeepTheirDomain();
}
}());
