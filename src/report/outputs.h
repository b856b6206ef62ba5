/* outputs.h - what a run leaves behind besides the model: tuned
 * thresholds, the test report, --predictions, and the PNG plots. Shared by
 * the batch mode and the workbench. */
#ifndef MSCNN_OUTPUTS_H
#define MSCNN_OUTPUTS_H

#include "report/report.h"
#include "train/session.h"

/* Chooses tau on the validation scores (session_score_val()) by the rule in spec, stores it in s->meta and says
 * how in *info. 0, or -1 with e naming the spec. */
int tune_thresholds(session_t *s, const char *spec, int per_category, tune_info_t *info,
                    err_t *e);

/* training_history.png from <output_dir>/history.csv. */
int write_history_plot(session_t *s, err_t *e);
/* confusion_matrix.png and risk_coverage.png for scored images at s->meta.tau. */
int write_score_plots(session_t *s, const scored_t *sc, const char *what, err_t *e);

struct json_t;

/* What the end of a run does besides scoring the test set. */
typedef struct {
    char tune_threshold[64]; /* the rule tau is tuned by (tune_thresholds()), "" = none */
    int per_category;        /* one tau per category */
    char predictions[1024];  /* a CSV row per test image goes here, "" = none */
    char report_json[1024];  /* the report as JSON goes here (report_json.h), "" = none */
    struct json_t *settings; /* borrowed: the run's resolved settings, the JSON
                                report's "settings" (NULL: none there) */
    int quiet;               /* no "Model saved to" line */
} finish_config_t;

/* Before the first training step: the rule of --tune_threshold parses and
 * --predictions and --report_json name files mscnn can create (not a
 * directory, in an existing writable directory, not the same file). 0, or
 * -1 with e naming the flag. */
int finish_config_check(const finish_config_t *f, err_t *e);

/* --report_json: the report of test (and unseen, or NULL) as JSON, with
 * f->settings, into f->report_json (report_json.h); nothing when that is
 * "". 0, or -1 with e naming the flag. */
int write_report_json(const session_t *s, const finish_config_t *f, const scored_t *test,
                      const scored_t *unseen, const tune_info_t *tune, err_t *e);

/* After the training epochs of a batch run: tune (when f says), save,
 * score the test set, print the report on stdout, write the predictions
 * and the plots. 0, or -1 with e set. */
int finish_run(session_t *s, const finish_config_t *f, err_t *e);

#endif
