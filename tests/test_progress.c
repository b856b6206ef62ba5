/* test_progress.c - the ETA of a batch run (report/progress.h): it covers
 * every phase of every epoch left and the report's test scoring, from
 * each phase's own measured time, and extrapolates a phase not yet run
 * from its FLOPs. */
#include <math.h>
#include <string.h>

#include "report/progress.h"
#include "tests/check.h"

/* An input with nothing measured: every phase runs later, no test set. */
static eta_input_t blank(void)
{
    eta_input_t in;
    memset(&in, 0, sizeof in);
    for (int ph = 0; ph < PHASE_IDLE; ph++) {
        in.measured[ph] = NAN;
        in.runs_later[ph] = 1;
    }
    return in;
}

static void test_first_epoch(void)
{
    eta_input_t in = blank();
    in.epoch_open = 1;
    in.phase = PHASE_STAGE1;
    in.steps = 100;
    double work[PHASE_IDLE] = {100, 10, 20, 10}; /* FLOPs of each phase */
    memcpy(in.work, work, sizeof work);
    in.epochs_after = 2;
    CHECK(isnan(eta_seconds(&in)), "no step measured yet: unknown, got %g", eta_seconds(&in));

    /* half of Stage 1 in 5 s: 10 FLOP/s, so the pool takes 1 s, the judges
     * 2 s, validation 1 s; this epoch's rest 5 + 4, two more of 14 each */
    in.step = 50;
    in.phase_elapsed = 5;
    CHECK_NEAR(eta_seconds(&in), 5 + 4 + 2 * 14, 1e-9, "first epoch, Stage 1 half done");
    CHECK(eta_seconds(&in) > 5 + 2 * 10, "more than Stage 1's share of the run");

    /* in the judge phase of the first epoch, its own rate replaces the guess:
     * Stage 1 took 10 s, the pool 4 s, the judges 2 of 4 steps in 3 s */
    in.phase = PHASE_JUDGES;
    in.step = 2;
    in.steps = 4;
    in.phase_elapsed = 3;
    in.done[PHASE_STAGE1] = 10;
    in.done[PHASE_POOL] = 4;
    /* measured 10 + 4 + 6 s for 130 FLOPs; validation's 10 FLOPs: 10/6.5 s */
    double val = 10 / (130.0 / 20);
    CHECK_NEAR(eta_seconds(&in), 3 + val + 2 * (10 + 4 + 6 + val), 1e-9,
               "first epoch, judges half done");
}

static void test_later_epoch(void)
{
    eta_input_t in = blank();
    double measured[PHASE_IDLE] = {10, 2, 6, 2};
    memcpy(in.measured, measured, sizeof measured);
    in.work[PHASE_STAGE1] = 1; /* ignored: every phase is measured */
    in.epoch_open = 1;
    in.phase = PHASE_JUDGES;
    in.step = 3;
    in.steps = 6;
    in.phase_elapsed = 3;
    in.epochs_after = 1;
    in.test_images = 200;
    in.val_images = 100;
    /* the judges' other 3 steps at 1 s, validation 2 s, one epoch of 20 s,
     * and the test set at validation's rate per image: 4 s */
    CHECK_NEAR(eta_seconds(&in), 3 + 2 + 20 + 4, 1e-9, "a later epoch in the judge phase");
    /* between two epochs: the epochs left and the test set */
    in.epoch_open = 0;
    in.epochs_after = 2;
    CHECK_NEAR(eta_seconds(&in), 2 * 20 + 4, 1e-9, "between epochs");
    in.epochs_after = 0;
    CHECK_NEAR(eta_seconds(&in), 4, 1e-9, "after the last epoch: the test set's scoring");
}

static void test_frozen(void)
{
    /* Stage 1 frozen: the pool is labelled once, then only judges and
     * validation run */
    eta_input_t in = blank();
    double measured[PHASE_IDLE] = {0, 3, 6, 2};
    memcpy(in.measured, measured, sizeof measured);
    in.runs_later[PHASE_STAGE1] = in.runs_later[PHASE_POOL] = 0;
    in.epochs_after = 2;
    CHECK_NEAR(eta_seconds(&in), 2 * 8, 1e-9, "frozen Stage 1: judges and validation only");
}

/* --epoch_tta: the pool and validation measured at one view, the run's
 * last epoch and the test set at six */
static void test_views(void)
{
    eta_input_t in = blank();
    double measured[PHASE_IDLE] = {10, 1, 6, 2};
    memcpy(in.measured, measured, sizeof measured);
    in.views_measured = in.views_now = in.views_later = 1;
    in.views_last = in.views_test = 6;
    in.epochs_after = 3;
    in.test_images = 200;
    in.val_images = 100;
    /* three epochs of 16 s besides the pool and validation, which take 3 s
     * in two of them and 18 s in the last; the test set 2 x 6 x 2 s */
    CHECK_NEAR(eta_seconds(&in), 3 * 16 + 2 * 3 + 18 + 24, 1e-9, "views of later epochs");
    /* in the last epoch's judge phase: validation at six views */
    in.epoch_open = 1;
    in.phase = PHASE_JUDGES;
    in.step = 3;
    in.steps = 6;
    in.phase_elapsed = 3;
    in.epochs_after = 0;
    in.views_now = 6;
    CHECK_NEAR(eta_seconds(&in), 3 + 12 + 24, 1e-9, "the last epoch at six views");
}

static void test_format(void)
{
    char b[32];
    eta_format(3725, b, sizeof b);
    CHECK(!strcmp(b, "1:02:05"), "%s", b);
    eta_format(192.4, b, sizeof b);
    CHECK(!strcmp(b, "3:12"), "%s", b);
    eta_format(NAN, b, sizeof b);
    CHECK(!strcmp(b, "unknown"), "%s", b);
}

int main(void)
{
    test_first_epoch();
    test_later_epoch();
    test_frozen();
    test_views();
    test_format();
    return check_done("test_progress");
}
