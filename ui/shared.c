/* shared.c - what the training thread and the UI thread share: the log
 * ring, the command queue, the snapshot and its copy (see trainer.h). */
#include "ui/trainer.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- log ------------------------------------------------------------------ */

void wb_log_init(wb_log_t *l) { memset(l, 0, sizeof *l); }

static void log_put(wb_log_t *l, const char *s, size_t len)
{
    char *dst = l->line[l->total % WB_LOG_CAP];
    if (len >= WB_LOG_LEN)
        len = WB_LOG_LEN - 1;
    memcpy(dst, s, len);
    dst[len] = '\0';
    for (char *c = dst; *c; c++) /* no control characters on the screen */
        if ((unsigned char)*c < 0x20 || *c == 0x7f)
            *c = ' ';
    l->total++;
}

/* Byte length of the first `cells` code points of s[0..len). */
static size_t cells_bytes(const char *s, size_t len, int cells)
{
    size_t i = 0;
    for (int c = 0; i < len && c < cells; c++)
        for (i++; i < len && ((unsigned char)s[i] & 0xC0) == 0x80; i++)
            ;
    return i;
}

/* One logical line, wrapped at WB_LOG_WRAP cells (at a space when there
 * is one), continuation lines indented by two spaces. */
static void log_wrapped(wb_log_t *l, const char *s, size_t len)
{
    char buf[WB_LOG_LEN] = "";
    int indent = 0;
    for (;;) {
        int room = WB_LOG_WRAP - indent;
        size_t cut = cells_bytes(s, len, room);
        if (cut < len) {
            size_t sp = cut;
            while (sp > 0 && s[sp] != ' ')
                sp--;
            if (sp > 0)
                cut = sp;
        }
        size_t n = cut < sizeof buf - 3 ? cut : sizeof buf - 3;
        memset(buf, ' ', (size_t)indent);
        memcpy(buf + indent, s, n);
        log_put(l, buf, (size_t)indent + n);
        while (cut < len && s[cut] == ' ')
            cut++;
        if (cut >= len)
            return;
        s += cut;
        len -= cut;
        indent = 2;
    }
}

/* Hands each line of text (without its newline) to add. */
static void log_lines(wb_log_t *l, const char *text,
                      void (*add)(wb_log_t *, const char *, size_t))
{
    while (*text) {
        size_t len = strcspn(text, "\n");
        add(l, text, len);
        text += len;
        if (*text == '\n')
            text++;
    }
}

void wb_log_add_text(wb_log_t *l, const char *text) { log_lines(l, text, log_wrapped); }

void wb_log_add_raw(wb_log_t *l, const char *text) { log_lines(l, text, log_put); }

void wb_log_add(wb_log_t *l, const char *fmt, ...)
{
    char buf[WB_LOG_LEN * 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    wb_log_add_text(l, buf);
}

long wb_log_first(const wb_log_t *l) { return l->total > WB_LOG_CAP ? l->total - WB_LOG_CAP : 0; }

const char *wb_log_get(const wb_log_t *l, long i)
{
    if (i < wb_log_first(l) || i >= l->total)
        return "";
    return l->line[i % WB_LOG_CAP];
}

/* ---- command queue ---------------------------------------------------------- */

void wb_queue_init(wb_queue_t *q) { memset(q, 0, sizeof *q); }

unsigned long wb_queue_push(wb_queue_t *q, const wb_cmd_t *c)
{
    if (q->n == WB_QUEUE_CAP)
        return 0;
    wb_cmd_t *slot = &q->q[(q->head + q->n) % WB_QUEUE_CAP];
    *slot = *c;
    slot->seq = ++q->next_seq;
    q->n++;
    return slot->seq;
}

int wb_queue_take(wb_queue_t *q, wb_cmd_t *out, int max)
{
    int m = 0;
    while (q->n > 0 && m < max) {
        out[m++] = q->q[q->head];
        q->head = (q->head + 1) % WB_QUEUE_CAP;
        q->n--;
    }
    return m;
}

/* ---- validation scores ------------------------------------------------------ */

void wb_scores_free(wb_scores_t *v)
{
    free(v->y);
    free(v->p);
    free(v->msp);
    free(v->score);
    memset(v, 0, sizeof *v);
}

void wb_scores_copy(wb_scores_t *dst, int n, int k, const int *y, const int *p,
                    const double *msp, const double *score)
{
    size_t m = (size_t)(n > 0 ? n : 1);
    if (dst->n != n || !dst->y) {
        wb_scores_free(dst);
        dst->y = xmalloc(m * sizeof(int));
        dst->p = xmalloc(m * sizeof(int));
        dst->msp = xmalloc(m * sizeof(double));
        dst->score = xmalloc(m * sizeof(double));
    }
    dst->n = n;
    dst->k = k;
    if (n > 0) {
        memcpy(dst->y, y, (size_t)n * sizeof(int));
        memcpy(dst->p, p, (size_t)n * sizeof(int));
        memcpy(dst->msp, msp, (size_t)n * sizeof(double));
        memcpy(dst->score, score, (size_t)n * sizeof(double));
    }
}

/* ---- the shared block --------------------------------------------------------- */

const char *wb_state_name(wb_state_t s)
{
    static const char *const names[] = {"STARTING", "TRAINING", "PAUSED",   "FINISHING",
                                        "FINISHED", "ERROR",    "STOPPING", "STOPPED"};
    return (unsigned)s < sizeof names / sizeof names[0] ? names[s] : "?";
}

int wb_shared_init(wb_shared_t *sh)
{
    memset(sh, 0, sizeof *sh);
    if (pthread_mutex_init(&sh->mu, NULL))
        return -1;
    if (pthread_cond_init(&sh->cv, NULL)) {
        pthread_mutex_destroy(&sh->mu);
        return -1;
    }
    wb_queue_init(&sh->queue);
    wb_log_init(&sh->log);
    for (int i = 0; i < WB_NSERIES; i++)
        ui_ring_init(&sh->curves.r[i]);
    for (int i = 0; i < WB_NSTEP; i++)
        ui_ring_init(&sh->curves.step[i]);
    sh->snap.eta = 0.0 / 0.0;
    return 0;
}

void wb_shared_destroy(wb_shared_t *sh)
{
    pthread_cond_destroy(&sh->cv);
    pthread_mutex_destroy(&sh->mu);
    wb_scores_free(&sh->val);
}

unsigned long wb_shared_send(wb_shared_t *sh, const wb_cmd_t *c)
{
    pthread_mutex_lock(&sh->mu);
    unsigned long seq = wb_queue_push(&sh->queue, c);
    if (seq)
        pthread_cond_signal(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
    return seq;
}

int wb_shared_take(wb_shared_t *sh, wb_cmd_t *out, int max, int wait)
{
    pthread_mutex_lock(&sh->mu);
    while (wait && sh->queue.n == 0)
        pthread_cond_wait(&sh->cv, &sh->mu);
    int n = wb_queue_take(&sh->queue, out, max);
    pthread_mutex_unlock(&sh->mu);
    return n;
}

void wb_shared_log_text(wb_shared_t *sh, const char *text)
{
    pthread_mutex_lock(&sh->mu);
    wb_log_add_text(&sh->log, text);
    sh->snap.log_total = sh->log.total;
    pthread_mutex_unlock(&sh->mu);
}

void wb_shared_log_raw(wb_shared_t *sh, const char *text)
{
    pthread_mutex_lock(&sh->mu);
    wb_log_add_raw(&sh->log, text);
    sh->snap.log_total = sh->log.total;
    pthread_mutex_unlock(&sh->mu);
}

void wb_shared_log(wb_shared_t *sh, const char *fmt, ...)
{
    char buf[WB_LOG_LEN * 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    wb_shared_log_text(sh, buf);
}

void wb_shared_notice(wb_shared_t *sh, const char *fmt, ...)
{
    char buf[WB_LOG_LEN * 4];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    pthread_mutex_lock(&sh->mu);
    wb_log_add_text(&sh->log, buf);
    sh->snap.log_total = sh->log.total;
    snprintf(sh->snap.notice, sizeof sh->snap.notice, "%.199s", buf);
    sh->snap.notice_seq++;
    pthread_mutex_unlock(&sh->mu);
}

/* ---- the UI's copy -------------------------------------------------------------- */

void wb_view_init(wb_view_t *v)
{
    memset(v, 0, sizeof *v);
    wb_log_init(&v->log);
    for (int i = 0; i < WB_NSERIES; i++)
        ui_ring_init(&v->curves.r[i]);
    for (int i = 0; i < WB_NSTEP; i++)
        ui_ring_init(&v->curves.step[i]);
}

void wb_view_free(wb_view_t *v) { wb_scores_free(&v->val); }

unsigned wb_view_sync(wb_shared_t *sh, wb_view_t *v)
{
    unsigned changed = 0;
    pthread_mutex_lock(&sh->mu);
    const wb_snap_t *s = &sh->snap;
    if (s->curves_version != v->snap.curves_version) {
        v->curves = sh->curves;
        changed |= WB_CHANGED_CURVES;
    }
    if (s->val_version != v->snap.val_version) {
        wb_scores_copy(&v->val, sh->val.n, sh->val.k, sh->val.y, sh->val.p, sh->val.msp,
                       sh->val.score);
        changed |= WB_CHANGED_VAL;
    }
    if (v->log_seen < wb_log_first(&sh->log)) /* lines lost to the ring */
        v->log_seen = wb_log_first(&sh->log);
    for (; v->log_seen < sh->log.total; v->log_seen++) {
        const char *line = wb_log_get(&sh->log, v->log_seen);
        log_put(&v->log, line, strlen(line));
        changed |= WB_CHANGED_LOG;
    }
    if (memcmp(&v->snap, s, sizeof *s)) {
        memcpy(&v->snap, s, sizeof *s);
        changed |= WB_CHANGED_SNAP;
    }
    pthread_mutex_unlock(&sh->mu);
    return changed;
}
