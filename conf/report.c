/*
 * The loader's messages: a ConfReport filled with errors and warnings at
 * their places, capped, and sorted into file order when a load ends. Apart
 * because every other file of the loader writes messages and none of them
 * needs to know how a report holds them.
 */
#include "internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MESSAGES 100

static void __attribute__((format(printf, 4, 0)))
add_message(Ctx *c, enum ConfSeverity sev, Mark m, const char *fmt, va_list ap)
{
    ConfReport *r = c->report;
    char text[1024];
    ConfMessage *msgs;

    if (sev == CONF_ERROR)
        r->errors++;
    else
        r->warnings++;
    if (r->count >= MAX_MESSAGES) {
        c->overflow = 1;
        return;
    }
    vsnprintf(text, sizeof(text), fmt, ap);
    msgs = realloc(r->messages, sizeof(*msgs) * (r->count + 1));
    if (!msgs) {
        c->nomem = 1;
        return;
    }
    r->messages = msgs;
    msgs[r->count].severity = sev;
    msgs[r->count].line = m.line;
    msgs[r->count].column = m.col;
    msgs[r->count].text = strdup(text);
    msgs[r->count].file = c->file ? strdup(c->file) : NULL;
    if (!msgs[r->count].text || (c->file && !msgs[r->count].file)) {
        free(msgs[r->count].text);
        free(msgs[r->count].file);
        c->nomem = 1;
        return;
    }
    r->count++;
}

void conf_report_add(Ctx *c, enum ConfSeverity sev, Mark m, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    add_message(c, sev, m, fmt, ap);
    va_end(ap);
}

void conf_report_clear(ConfReport *r)
{
    for (int i = 0; i < r->count; i++) {
        free(r->messages[i].text);
        free(r->messages[i].file);
    }
    free(r->messages);
    free(r->file);
    memset(r, 0, sizeof(*r));
}

void conf_message_format(const ConfReport *r, const ConfMessage *m, char *buf, size_t size)
{
    const char *sev = m->severity == CONF_ERROR ? "error" : "warning";
    const char *file = m->file ? m->file : r->file ? r->file : "<config>";

    if (m->line > 0)
        snprintf(buf, size, "%s:%d:%d: %s: %s", file, m->line, m->column, sev, m->text);
    else
        snprintf(buf, size, "%s: %s: %s", file, sev, m->text);
}

/* In place, stable: the messages in file order, like a compiler's. */
void conf_report_sort(ConfReport *r)
{
    for (int i = 1; i < r->count; i++) {
        ConfMessage m = r->messages[i];
        int j = i;
        while (j > 0 && (r->messages[j - 1].line > m.line ||
                         (r->messages[j - 1].line == m.line && r->messages[j - 1].column > m.column))) {
            r->messages[j] = r->messages[j - 1];
            j--;
        }
        r->messages[j] = m;
    }
}

void conf_report_finish(Ctx *c)
{
    ConfReport *report = c->report;

    if (c->overflow) {
        ConfMessage *m = realloc(report->messages, sizeof(*m) * (report->count + 1));
        if (m) {
            report->messages = m;
            m[report->count].severity = CONF_ERROR;
            m[report->count].line = m[report->count].column = 0;
            m[report->count].file = NULL;
            m[report->count].text = strdup("too many problems; the rest are not shown");
            if (m[report->count].text)
                report->count++;
        }
    }
}
