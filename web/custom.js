/* This file is part of crm_plus.  The COPYRIGHT file at the top level of
   this repository contains the full copyright notices and license terms. */
/* Customisation of sao, Tryton's web client, loaded by its index.html from
   the web root (scripts/install-sao copies it there).

   A report whose action has a context model (CRM > Reports: Funnel,
   Receivables, ...) shows a form of filters above its rows. sao 8.0 reads
   that form only when it searches: on Enter in a field, on the search box
   or on Reload, so a filter picked with the mouse left the rows and the
   graph as they were. Here the report searches again as soon as a value of
   its filter form changes. */
(function() {
    'use strict';
    if (typeof Sao === 'undefined' || !Sao.Screen) {
        return;
    }
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
}());
