/* test_ui_queue.c - what the workbench's two threads share (ui/trainer.h):
 * the command queue, the log ring, the snapshot copy, and the hand-off
 * between a UI thread and a trainer thread that sleeps on the condition
 * variable (no busy waiting). */
#include "check.h"
#include "ui/keys.h"
#include "ui/trainer.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

static void test_queue(void)
{
    wb_queue_t q;
    wb_queue_init(&q);
    wb_cmd_t c = {0}, out[WB_QUEUE_CAP + 4];
    CHECK(wb_queue_take(&q, out, 4) == 0, "empty queue");
    for (int i = 0; i < WB_QUEUE_CAP; i++) {
        c.kind = WB_CMD_TRAINABLE;
        c.c = i;
        CHECK(wb_queue_push(&q, &c) == (unsigned long)i + 1, "seq %d", i + 1);
    }
    CHECK(wb_queue_push(&q, &c) == 0, "a full queue refuses");
    CHECK(wb_queue_take(&q, out, 10) == 10, "take 10");
    CHECK(out[0].c == 0 && out[9].c == 9 && out[9].seq == 10, "oldest first");
    c.c = 1000;
    CHECK(wb_queue_push(&q, &c) == WB_QUEUE_CAP + 1, "room again after a take");
    int n = wb_queue_take(&q, out, WB_QUEUE_CAP + 4);
    CHECK(n == WB_QUEUE_CAP - 10 + 1, "the rest: %d", n);
    CHECK(out[0].c == 10 && out[n - 1].c == 1000, "order kept across the wrap");
    CHECK(wb_queue_take(&q, out, 4) == 0, "empty again");
}

static void test_log(void)
{
    static wb_log_t l;
    wb_log_init(&l);
    CHECK(wb_log_first(&l) == 0 && l.total == 0 && !strcmp(wb_log_get(&l, 0), ""), "empty");
    wb_log_add_text(&l, "one\n\nthree\n");
    CHECK(l.total == 3, "three lines, a blank one kept: %ld", l.total);
    CHECK(!strcmp(wb_log_get(&l, 2), "three") && !strcmp(wb_log_get(&l, 1), ""), "lines");
    wb_log_add(&l, "tab\there %d", 7);
    CHECK(!strcmp(wb_log_get(&l, 3), "tab here 7"), "control characters become spaces: '%s'",
          wb_log_get(&l, 3));
    char longer[400];
    memset(longer, 'x', sizeof longer);
    memcpy(longer + 50, " - ", 3);
    longer[sizeof longer - 1] = '\0';
    long before = l.total;
    wb_log_add(&l, "%s", longer);
    CHECK(l.total > before + 1, "a long line wraps");
    for (long i = before; i < l.total; i++)
        CHECK(ui_text_cells(wb_log_get(&l, i)) <= WB_LOG_WRAP, "line %ld fits", i);
    CHECK(!strncmp(wb_log_get(&l, before + 1), "  ", 2), "continuations are indented");
    for (int i = 0; i < 2 * WB_LOG_CAP; i++)
        wb_log_add(&l, "n%d", i);
    CHECK(wb_log_first(&l) == l.total - WB_LOG_CAP, "the ring keeps the newest lines");
    CHECK(!strcmp(wb_log_get(&l, l.total - 1), "n1023"), "newest: %s",
          wb_log_get(&l, l.total - 1));
    CHECK(!strcmp(wb_log_get(&l, 0), ""), "dropped lines read as empty");
}

/* ---- two threads ---------------------------------------------------------- */

typedef struct {
    wb_shared_t sh;
    int taken, paused, quit;
    int order_ok;
    unsigned long last_seq;
} fake_t;

/* A trainer that sleeps while paused, takes commands, publishes. */
static void *fake_trainer(void *arg)
{
    fake_t *f = arg;
    while (!f->quit) {
        wb_cmd_t cmd[8];
        int n = wb_shared_take(&f->sh, cmd, 8, f->paused);
        for (int i = 0; i < n; i++) {
            if (cmd[i].seq != f->last_seq + 1)
                f->order_ok = 0;
            f->last_seq = cmd[i].seq;
            f->taken++;
            if (cmd[i].kind == WB_CMD_PAUSE)
                f->paused = !f->paused;
            if (cmd[i].kind == WB_CMD_QUIT)
                f->quit = 1;
        }
        pthread_mutex_lock(&f->sh.mu);
        f->sh.snap.applied_seq = f->last_seq;
        f->sh.snap.state = f->paused ? WB_PAUSED : WB_TRAINING;
        if (!f->paused) /* a "step" */
            f->sh.snap.steps++;
        pthread_mutex_unlock(&f->sh.mu);
        if (n)
            wb_shared_log(&f->sh, "took %d", n);
        if (!f->paused)
            usleep(200);
    }
    pthread_mutex_lock(&f->sh.mu);
    f->sh.snap.state = WB_STOPPED;
    pthread_mutex_unlock(&f->sh.mu);
    return NULL;
}

/* CPU seconds a thread has used. */
static double thread_cpu(pthread_t th)
{
    clockid_t id;
    struct timespec ts;
    if (pthread_getcpuclockid(th, &id) || clock_gettime(id, &ts))
        return 0;
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void wait_for(fake_t *f, wb_view_t *v, wb_state_t state, unsigned long seq)
{
    for (int i = 0; i < 5000; i++) {
        wb_view_sync(&f->sh, v);
        if (v->snap.state == state && v->snap.applied_seq >= seq)
            return;
        usleep(1000);
    }
}

static void test_threads(void)
{
    static fake_t f;
    static wb_view_t v;
    memset(&f, 0, sizeof f);
    f.order_ok = 1;
    CHECK(wb_shared_init(&f.sh) == 0, "init");
    wb_view_init(&v);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, fake_trainer, &f) == 0, "thread");
    wb_cmd_t c = {0};
    c.kind = WB_CMD_PAUSE;
    unsigned long seq = wb_shared_send(&f.sh, &c);
    CHECK(seq == 1, "first seq");
    wait_for(&f, &v, WB_PAUSED, seq);
    CHECK(v.snap.state == WB_PAUSED && v.snap.applied_seq == 1, "paused, applied");

    /* while paused the trainer sleeps: no steps, (almost) no CPU time */
    wb_view_sync(&f.sh, &v);
    long steps = v.snap.steps;
    double cpu0 = thread_cpu(th);
    usleep(200000);
    unsigned changed = wb_view_sync(&f.sh, &v);
    CHECK(v.snap.steps == steps && !(changed & WB_CHANGED_SNAP), "no step while paused");
    double cpu = thread_cpu(th) - cpu0;
    CHECK(cpu < 0.02, "no busy waiting: the paused thread used %.3f s CPU in 0.2 s", cpu);

    /* a burst of commands arrives in order and wakes it */
    c.kind = WB_CMD_TRAINABLE;
    for (int i = 0; i < 20; i++)
        seq = wb_shared_send(&f.sh, &c);
    c.kind = WB_CMD_PAUSE;
    seq = wb_shared_send(&f.sh, &c);
    wait_for(&f, &v, WB_TRAINING, seq);
    CHECK(v.snap.applied_seq == seq && v.snap.state == WB_TRAINING, "resumed after the burst");
    for (int i = 0; i < 1000 && v.snap.steps == steps; i++) {
        usleep(1000);
        wb_view_sync(&f.sh, &v);
    }
    CHECK(v.snap.steps > steps, "steps again");
    unsigned ch = wb_view_sync(&f.sh, &v);
    (void)ch;
    CHECK(v.log.total >= 2 && !strncmp(wb_log_get(&v.log, 0), "took", 4), "log copied: %ld",
          v.log.total);

    c.kind = WB_CMD_QUIT;
    seq = wb_shared_send(&f.sh, &c);
    pthread_join(th, NULL);
    wb_view_sync(&f.sh, &v);
    CHECK(v.snap.state == WB_STOPPED && f.taken == 23 && f.order_ok, "quit: %d taken",
          f.taken);

    /* validation scores are copied when their version changes */
    int y[3] = {0, 1, 2}, p[3] = {0, 1, 1};
    double msp[3] = {0.9, 0.8, 0.4}, score[3] = {0.95, 0.7, 0.1};
    pthread_mutex_lock(&f.sh.mu);
    wb_scores_copy(&f.sh.val, 3, 3, y, p, msp, score);
    f.sh.snap.val_version++;
    pthread_mutex_unlock(&f.sh.mu);
    CHECK(wb_view_sync(&f.sh, &v) & WB_CHANGED_VAL, "val changed");
    CHECK(v.val.n == 3 && v.val.p[2] == 1 && v.val.score[1] == 0.7, "val copied");
    CHECK(!(wb_view_sync(&f.sh, &v) & (WB_CHANGED_VAL | WB_CHANGED_SNAP)), "then unchanged");
    wb_view_free(&v);
    wb_shared_destroy(&f.sh);
}

int main(void)
{
    test_queue();
    test_log();
    test_threads();
    return check_done("test_ui_queue");
}
