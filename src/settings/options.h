/* options.h - every setting of a run: defaults, INI file, command line.
 *
 * Precedence: built-in defaults < INI file < command line. The INI file is
 * -c/--config FILE when given, else $XDG_CONFIG_HOME/mscnn/mscnn.ini
 * (~/.config/mscnn/mscnn.ini) when it exists. The command line is parsed
 * twice: once to find -c, -h and --version, then again over the INI values.
 */
#ifndef MSCNN_OPTIONS_H
#define MSCNN_OPTIONS_H

#include <stdint.h>
#include <stdio.h>
#include "base/util.h"

/* An upper bound on the number of settings (options.c checks it). */
#define OPTIONS_MAX_SETTINGS 96

typedef struct {
    /* [run] */
    int batch_mode;          /* --batch */
    int no_color;            /* --no-color: a monochrome workbench */
    int quiet;               /* --quiet: a batch run prints only the report (stdout),
                                errors and warnings (stderr) */
    int progress_every;      /* --progress_every: seconds between progress lines when
                                stderr is not a terminal, 0 = every step; 30 */
    int threads;             /* --threads, 0 = all cores */
    char device[16];         /* --device: auto, cpu, ref, gpu or gpu:N (registry.h) */
    char precision[8];       /* --precision: auto, fp32 or bf16 (registry.h) */
    uint64_t seed;           /* --seed */
    char output_dir[1024];   /* --output_dir, default "." */
    char save_model[1024];   /* --save_model, default "multistage_cnn_model" */
    char load_model[1024];   /* --load_model, default "" (none) */
    int resume;              /* --resume: continue the saved run's own schedule */
    int save_best;           /* --save_best: keep the best validation epoch's model too */
    int patience;            /* --patience N: stop after N epochs without a better one */
    char config_path[1024];  /* -c, or the file found; "" if none */

    /* [data] */
    char dataset[32];        /* "auto" (default), "cifar10", "synth" */
    char data_dir[1024];     /* --data_dir, "" = search */
    char holdout_classes[1024]; /* --holdout_classes: "" = none */
    char ood_data[1024];     /* --ood_data: "" = none */
    char cifar100_labels[8]; /* "fine" (100 classes) or "coarse" (20) */
    int light_mode;          /* --light_mode */
    double val_fraction;     /* 0.1; light mode uses val_light (500) */
    int val_light;           /* 500 */
    int augment;             /* 1: crop+flip */
    int crop_pad;            /* 4 */
    char crop_fill[8];       /* "zero" or "reflect": what the crop's padding holds */
    char flip[16];           /* "random", "alternate" (airbench) or "none" */
    int synth_train, synth_test; /* sizes of the synth set: 5000, 1000 */

    /* [train] */
    char recipe[8];          /* "auto" (the arch's), "keras" or "air" */
    char arch[32];           /* "basic" */
    int epochs;              /* 50 */
    int epochs_given;        /* --epochs was on the command line */
    int batch_size;          /* 32 */
    double lr;               /* peak learning rate */
    double momentum;         /* 0.9 */
    int nesterov;            /* 1 */
    double weight_decay;     /* 5e-4 */
    double label_smoothing;  /* 0 */
    double warmup_epochs;    /* linear warm-up length in epochs */
    double warmup_from;      /* learning-rate factor the warm-up starts at, 0 */
    char lr_schedule[16];    /* "constant", "linear" (decay to 0), "cosine" */
    double bn_bias_lr_scale; /* learning-rate multiplier of batch-norm biases, 1 */
    int lookahead;           /* airbench's lookahead average of Stage 1's weights */
    int tta;                 /* test-time augmentation: 0 none, 1 flip, 2 flip + shifts */
    int epoch_tta;           /* the level (at most tta) before a run's last epoch */

    /* [stage2] */
    int stage2_only;         /* --stage2_only: Stage 1 frozen */
    char stage2_categories[1024]; /* --stage2_categories: "" = all */
    double threshold;        /* --threshold tau, 0.7 */
    int threshold_given;     /* --threshold was on the command line: it overrides
                                the thresholds saved in a loaded model */
    char tune_threshold[64]; /* --tune_threshold SPEC, "" = none */
    int per_category;        /* --per_category: tune one tau per category */
    double judge_holdout;    /* fraction of training images only judges see */
    int judge_batch_size;    /* 16 */
    int judge_passes;        /* augmented views of the judge split per epoch */
    double judge_lr;         /* 0.03 */
    double judge_momentum;   /* 0.9, Nesterov */
    double judge_weight_decay; /* 5e-4 */
    char predictions[1024];  /* --predictions FILE, "" = none */
    char report_json[1024];  /* --report_json FILE, "" = none */

    /* given[i]: setting i was set by the INI file or the command line, so a
     * recipe leaves it alone */
    unsigned char given[OPTIONS_MAX_SETTINGS];
} options_t;

void options_defaults(options_t *o);

/* Applies one INI key (section, name, value); file/line for messages.
 * Unknown section or key, or a bad value, is an error naming file:line. */
int options_set_ini(options_t *o, const char *section, const char *name,
                    const char *value, const char *file, int line, err_t *e);
int options_load_ini(options_t *o, const char *path, err_t *e);

typedef enum { OPT_RUN, OPT_HELP, OPT_VERSION } opt_action_t;

/* Full parse: defaults, INI, command line. Returns 0 and *action, or -1
 * with e naming the flag and what it expects (main exits 2). argv is not
 * modified; positional arguments are an error. */
int options_parse(options_t *o, int argc, char **argv, opt_action_t *action,
                  err_t *e);

void options_print_help(FILE *fp, const char *prog);

/* Every setting of o as JSON (options_json.c): {"config_file": path or
 * null, "run": {key: value, ...}, "data": {...}, "train": {...},
 * "stage2": {...}}, keyed as in the INI file, numbers and booleans as
 * such. A new reference (json_decref() it). */
struct json_t;
struct json_t *options_to_json(const options_t *o);

/* 1 when arg is a setting's flag (or -c) spelt out in full that takes its
 * value as the next argument ("--device", not "--device=cpu"): the
 * subcommands use it to tell values from file names. */
int options_takes_value(const char *arg);

/* Applies a recipe: the values of its settings that the INI file and the
 * command line left alone. recipe "auto" is the recipe of arch ("air" for
 * air, "keras" for the rest); "keras" is the built-in defaults. Writes the
 * recipe used into o->recipe. */
void options_apply_recipe(options_t *o, const char *arch);

/* Stores value into the setting [section] key unless the INI file or the
 * command line gave it (a loaded model's own data settings): 1 stored, 0
 * given, -1 no such setting or a value it refuses. */
int options_adopt(options_t *o, const char *section, const char *key, const char *value);

#endif
