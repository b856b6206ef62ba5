/* report.c - progress bar, epoch lines and the final report. */
#include "report.h"

#include <string.h>
#include <unistd.h>

#define BAR_WIDTH 30

void progress_init(progress_t *p, int total_epochs)
{
    p->enabled = isatty(STDERR_FILENO);
    p->total_epochs = total_epochs;
    p->last_draw = 0;
}

void progress_step(void *user, const step_info_t *info)
{
    progress_t *p = user;
    double now = now_seconds();
    if (!p->enabled || (info->step != info->steps && now - p->last_draw < 0.1))
        return;
    p->last_draw = now;
    int filled = (int)((double)BAR_WIDTH * info->step / info->steps);
    char bar[BAR_WIDTH + 1];
    for (int i = 0; i < BAR_WIDTH; i++)
        bar[i] = i < filled ? '=' : (i == filled ? '>' : '.');
    bar[BAR_WIDTH] = 0;
    double eta = info->step ? info->elapsed * (info->steps - info->step) / info->step : 0;
    fprintf(stderr, "\rEpoch %d/%d %5d/%d [%s] ETA %3.0fs - loss %.4f - acc %.4f - %.0f img/s\033[K",
            info->epoch, p->total_epochs, info->step, info->steps, bar, eta, info->loss,
            info->acc, info->img_s);
    fflush(stderr);
}

void progress_clear(progress_t *p)
{
    if (p->enabled)
        fputs("\r\033[K", stderr);
}

void print_epoch_line(FILE *fp, const epoch_stats_t *st, int total_epochs)
{
    fprintf(fp, "Epoch %d/%d: Loss %.4f - Accuracy %.4f - Val Loss %.4f - Val Accuracy %.4f"
                " - %.1fs (%.0f img/s, lr %.4g)\n",
            st->epoch, total_epochs, st->loss, st->acc, st->val_loss, st->val_acc, st->seconds,
            st->img_s, st->lr);
    fflush(fp);
}

static void print_per_class(FILE *fp, const eval_t *ev, char *const *names)
{
    fprintf(fp, "Per-class accuracy:\n");
    for (int c = 0; c < ev->k; c++) {
        int64_t total = 0, hit = ev->confusion[(size_t)c * ev->k + c];
        for (int j = 0; j < ev->k; j++)
            total += ev->confusion[(size_t)c * ev->k + j];
        fprintf(fp, "  %-14s %5.1f%%  (%lld/%lld)\n", names[c],
                total ? 100.0 * hit / total : 0.0, (long long)hit, (long long)total);
    }
}

static void print_confusion(FILE *fp, const eval_t *ev, char *const *names)
{
    int k = ev->k;
    if (k > 20) {
        fprintf(fp, "Confusion matrix: %d classes, too wide to print here\n", k);
        return;
    }
    fprintf(fp, "Confusion matrix (rows: true class, columns: predicted class):\n");
    fprintf(fp, "  %-14s", "");
    for (int j = 0; j < k; j++)
        fprintf(fp, " %5.5s", names[j]);
    fputc('\n', fp);
    for (int i = 0; i < k; i++) {
        fprintf(fp, "  %-14s", names[i]);
        for (int j = 0; j < k; j++)
            fprintf(fp, " %5lld", (long long)ev->confusion[(size_t)i * k + j]);
        fputc('\n', fp);
    }
}

void print_report(FILE *fp, const eval_t *test, char *const *class_names,
                  const char *data_description)
{
    fprintf(fp, "\nData: %s\n", data_description);
    fprintf(fp, "Test loss: %.4f on %d images\n\n", test->loss, test->n);
    print_per_class(fp, test, class_names);
    fputc('\n', fp);
    print_confusion(fp, test, class_names);
    fprintf(fp, "\nStage 1 test accuracy: %.1f%%\n", 100.0 * test->acc);
    fflush(fp);
}
