/* test_setup.c - each layer's config from the settings: every field, the
 * recipe of the model a session starts from, and the errors on the way. */
#include "check.h"
#include "backends/registry.h"
#include "setup/setup.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>


static char tmp[] = "/tmp/mscnn-test-setup-XXXXXX";

#define SAME_STR(a, b) CHECK(!strcmp((a), (b)), "%s: '%s' vs '%s'", #a, (a), (b))
#define SAME(a, b) CHECK((a) == (b), "%s: %g vs %g", #a, (double)(a), (double)(b))

/* Settings with every value away from its default. */
static void odd_options(options_t *o)
{
    options_defaults(o);
    snprintf(o->device, sizeof o->device, "cpu");
    o->threads = 3;
    o->seed = 0x123456789abcULL;
    snprintf(o->output_dir, sizeof o->output_dir, "/out/dir");
    snprintf(o->save_model, sizeof o->save_model, "/save/here");
    o->load_model[0] = '\0';
    snprintf(o->dataset, sizeof o->dataset, "cifar100");
    snprintf(o->data_dir, sizeof o->data_dir, "/data/dir");
    snprintf(o->cifar100_labels, sizeof o->cifar100_labels, "coarse");
    o->light_mode = 1;
    o->val_fraction = 0.25;
    o->val_light = 321;
    o->augment = 0;
    o->crop_pad = 7;
    snprintf(o->crop_fill, sizeof o->crop_fill, "reflect");
    snprintf(o->flip, sizeof o->flip, "alternate");
    o->synth_train = 1234;
    o->synth_test = 567;
    snprintf(o->recipe, sizeof o->recipe, "keras");
    snprintf(o->arch, sizeof o->arch, "air");
    o->epochs = 17;
    o->batch_size = 48;
    o->lr = 0.375;
    o->momentum = 0.625;
    o->nesterov = 0;
    o->weight_decay = 0.0125;
    o->label_smoothing = 0.15;
    o->warmup_epochs = 1.5;
    o->warmup_from = 0.3;
    snprintf(o->lr_schedule, sizeof o->lr_schedule, "cosine");
    o->bn_bias_lr_scale = 12.5;
    o->lookahead = 1;
    o->tta = 2;
    o->stage2_only = 1;
    snprintf(o->stage2_categories, sizeof o->stage2_categories, "cat,dog");
    o->threshold = 0.55;
    o->threshold_given = 1;
    snprintf(o->tune_threshold, sizeof o->tune_threshold, "coverage=0.8");
    o->per_category = 1;
    o->judge_holdout = 0.3;
    o->judge_batch_size = 24;
    o->judge_passes = 3;
    o->judge_lr = 0.045;
    o->judge_momentum = 0.7;
    o->judge_weight_decay = 0.002;
    snprintf(o->predictions, sizeof o->predictions, "/pred.csv");
}

static void test_fields(void)
{
    options_t o;
    odd_options(&o);

    data_config_t d;
    memset(&d, 0x5a, sizeof d);
    setup_data_config(&o, &d);
    SAME_STR(d.dataset, "cifar100");
    SAME_STR(d.data_dir, "/data/dir");
    SAME(d.cifar100_coarse, 1);
    SAME(d.light_mode, 1);
    SAME(d.val_fraction, 0.25);
    SAME(d.val_light, 321);
    SAME(d.synth_train, 1234);
    SAME(d.synth_test, 567);
    CHECK(d.folder_seed == o.seed && d.split_seed == o.seed, "seeds: the run's");
    SAME(d.judge_holdout, 0.3);
    snprintf(o.cifar100_labels, sizeof o.cifar100_labels, "fine");
    setup_data_config(&o, &d);
    SAME(d.cifar100_coarse, 0);

    train_config_t t;
    memset(&t, 0x5a, sizeof t);
    setup_train_config(&o, &t);
    SAME_STR(t.arch, "air");
    SAME_STR(t.recipe, "keras");
    CHECK(t.seed == o.seed, "seed");
    SAME(t.epochs, 17);
    SAME(t.batch_size, 48);
    SAME(t.lr, 0.375);
    SAME(t.momentum, 0.625);
    SAME(t.nesterov, 0);
    SAME(t.weight_decay, 0.0125);
    SAME(t.label_smoothing, 0.15);
    SAME(t.warmup_epochs, 1.5);
    SAME(t.warmup_from, 0.3);
    SAME_STR(t.lr_schedule, "cosine");
    SAME(t.bn_bias_lr_scale, 12.5);
    SAME(t.lookahead, 1);
    SAME(t.tta, 2);
    SAME(t.augment, 0);
    SAME(t.crop_pad, 7);
    SAME_STR(t.crop_fill, "reflect");
    SAME_STR(t.flip, "alternate");
    SAME(t.stage2_only, 1);
    SAME_STR(t.stage2_categories, "cat,dog");
    SAME(t.threshold, 0.55);
    SAME(t.threshold_given, 1);
    SAME(t.judge_batch_size, 24);
    SAME(t.judge_passes, 3);
    SAME(t.judge_lr, 0.045);
    SAME(t.judge_momentum, 0.7);
    SAME(t.judge_weight_decay, 0.002);

    finish_config_t f;
    memset(&f, 0x5a, sizeof f);
    setup_finish_config(&o, &f);
    SAME_STR(f.tune_threshold, "coverage=0.8");
    SAME(f.per_category, 1);
    SAME_STR(f.predictions, "/pred.csv");

    /* a session's: the same, and the device and the paths */
    session_config_t s;
    o.stage2_only = 0; /* else it needs a model at /save/here */
    memset(&s, 0x5a, sizeof s);
    err_t e = {{0}};
    CHECK(setup_session_config(&o, &s, &e) == 0, "session config: %s", e.msg);
    SAME_STR(s.device, "cpu");
    SAME(s.threads, 3);
    SAME_STR(s.load_model, "");
    SAME_STR(s.save_model, "/save/here");
    SAME_STR(s.output_dir, "/out/dir");
    SAME(s.train.epochs, 17); /* keras: the values as given */
    SAME(s.train.judge_lr, 0.045);
    SAME(s.data.val_light, 321);
    SAME_STR(s.data.data_dir, "/data/dir");
}

/* Settings as the command line gives them (no INI file: $XDG_CONFIG_HOME
 * and $HOME point at the empty scratch folder). */
static void parse(options_t *o, ...)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "mscnn";
    va_list ap;
    va_start(ap, o);
    const char *a;
    while ((a = va_arg(ap, const char *)) && argc < 31)
        argv[argc++] = (char *)a;
    va_end(ap);
    argv[argc] = NULL;
    opt_action_t act;
    err_t e = {{0}};
    if (options_parse(o, argc, argv, &act, &e)) {
        fprintf(stderr, "options_parse: %s\n", e.msg);
        exit(1);
    }
}

/* A saved model of architecture arch in dir (model.ini is what counts). */
static void save_model(const char *dir, const char *arch)
{
    err_t e = {{0}};
    backend_t *be = backend_open("cpu", 1, NULL);
    model_t *m = model_new(be, arch, 10, 3, 32, 32, 2, &e);
    CHECK(m != NULL, "model_new: %s", e.msg);
    if (!m)
        exit(1);
    model_init(m, 1);
    model_meta_t meta;
    memset(&meta, 0, sizeof meta);
    snprintf(meta.arch, sizeof meta.arch, "%s", arch);
    snprintf(meta.dataset, sizeof meta.dataset, "synth");
    meta.k = 10;
    for (int c = 0; c < 10; c++) {
        snprintf(meta.class_names[c], MODEL_NAME_LEN, "class%d", c);
        meta.tau[c] = 0.5;
        meta.trainable[c] = 1;
    }
    for (int i = 0; i < 3; i++)
        meta.mean[i] = 0.5f, meta.std[i] = 0.25f;
    meta.judge_holdout = 0.2;
    snprintf(meta.tuned_by, sizeof meta.tuned_by, "threshold");
    CHECK(model_save(dir, m, &meta, &e) == 0, "model_save: %s", e.msg);
    model_free(m);
    backend_free(be);
}

static void test_recipe(void)
{
    options_t o;
    session_config_t c;
    err_t e = {{0}};

    parse(&o, "--arch", "air", "--batch_size", "64", NULL);
    CHECK(setup_session_config(&o, &c, &e) == 0, "air: %s", e.msg);
    SAME_STR(c.train.recipe, "air");
    SAME(c.train.epochs, 10);
    SAME(c.train.batch_size, 64); /* given: the recipe leaves it */
    SAME(c.train.lr, 1.5);
    SAME(c.train.tta, 2);
    SAME(c.train.lookahead, 1);
    SAME_STR(c.train.lr_schedule, "linear");
    SAME(c.train.crop_pad, 2);
    SAME_STR(c.train.crop_fill, "reflect");
    SAME_STR(c.train.flip, "alternate");
    CHECK(!strcmp(o.recipe, "auto") && o.batch_size == 64 && o.lr != 1.5,
          "the settings themselves are left alone");

    parse(&o, NULL);
    CHECK(setup_session_config(&o, &c, &e) == 0, "default: %s", e.msg);
    SAME_STR(c.train.recipe, "air"); /* air is the default network */
    SAME(c.train.batch_size, 1024);
    SAME(c.train.tta, 2);

    parse(&o, "--arch", "basic", NULL);
    CHECK(setup_session_config(&o, &c, &e) == 0, "basic: %s", e.msg);
    SAME_STR(c.train.recipe, "keras");
    SAME(c.train.batch_size, 32);
    SAME(c.train.tta, 0);

    /* the recipe goes with the model the session starts from */
    char air[300], basic[300];
    snprintf(air, sizeof air, "%s/air", tmp);
    snprintf(basic, sizeof basic, "%s/basic", tmp);
    save_model(air, "air");
    save_model(basic, "basic");
    parse(&o, "--arch", "basic", "--load_model", air, NULL);
    CHECK(setup_session_config(&o, &c, &e) == 0, "load air: %s", e.msg);
    SAME_STR(c.train.recipe, "air");
    SAME(c.train.batch_size, 1024);
    SAME_STR(c.load_model, air);
    parse(&o, "--arch", "air", "--stage2_only", "--save_model", basic, NULL);
    CHECK(setup_session_config(&o, &c, &e) == 0, "stage 2 of basic: %s", e.msg);
    SAME_STR(c.train.recipe, "keras");
    SAME(c.train.batch_size, 32);
    SAME(c.train.stage2_only, 1);
    parse(&o, "--load_model", air, "--recipe", "keras", NULL);
    CHECK(setup_session_config(&o, &c, &e) == 0, "keras asked for: %s", e.msg);
    SAME_STR(c.train.recipe, "keras");
    SAME(c.train.batch_size, 32);

    /* the errors session_open() would give */
    char none[300];
    snprintf(none, sizeof none, "%s/none", tmp);
    parse(&o, "--stage2_only", "--save_model", none, NULL);
    e.msg[0] = '\0';
    CHECK(setup_session_config(&o, &c, &e) == -1 &&
              strstr(e.msg, "--stage2_only trains the judges of a trained model"),
          "stage 2 without a model: %s", e.msg);
    parse(&o, "--load_model", none, NULL);
    e.msg[0] = '\0';
    CHECK(setup_session_config(&o, &c, &e) == -1 && strstr(e.msg, none), "no model: %s",
          e.msg);
    session_t s;
    memset(&s, 0x5a, sizeof s);
    CHECK(setup_session_open(&s, &o, &e) == -1 && s.model == NULL && s.be == NULL,
          "a session that did not open can be closed");
    session_close(&s);
}

/* setup_session_config() refuses, as a usage error (-2) naming the flag,
 * what a run would otherwise refuse only after training. */
static void refused(const char *why, const char *want, ...)
{
    char *argv[16] = {"mscnn"};
    int argc = 1;
    va_list ap;
    va_start(ap, want);
    const char *a;
    while ((a = va_arg(ap, const char *)) && argc < 15)
        argv[argc++] = (char *)a;
    va_end(ap);
    options_t o;
    opt_action_t act;
    session_config_t c;
    err_t e = {{0}};
    CHECK(options_parse(&o, argc, argv, &act, &e) == 0, "%s: parse: %s", why, e.msg);
    e.msg[0] = '\0';
    CHECK(setup_session_config(&o, &c, &e) == -2 && strstr(e.msg, want),
          "%s: refused before training with '%s': got '%s'", why, want, e.msg);
}

static void test_preflight(void)
{
    char file[300], dir[300], model[300], out[300], under[300];
    snprintf(file, sizeof file, "%s/a_file", tmp);
    snprintf(dir, sizeof dir, "%s/plain_dir", tmp);
    snprintf(model, sizeof model, "%s/m_pre", tmp);
    snprintf(out, sizeof out, "%s/out_pre", tmp);
    snprintf(under, sizeof under, "%s/a_file/m", tmp);
    FILE *fp = fopen(file, "w");
    fputs("x\n", fp);
    fclose(fp);
    mkdir(dir, 0700);
    refused("coverage=2", "--tune_threshold: threshold rule 'coverage=2'", "--tune_threshold",
            "coverage=2", "--save_model", model, "--output_dir", out, NULL);
    refused("predictions a directory", "--predictions '", "--predictions", dir,
            "--save_model", model, "--output_dir", out, NULL);
    refused("predictions in a missing directory", "does not exist", "--predictions",
            under, "--save_model", model, "--output_dir", out, NULL);
    refused("save_model a file", "is a regular file, not an mscnn model directory",
            "--save_model", file, "--output_dir", out, NULL);
    refused("save_model a non-model directory", "exists and is not an mscnn model directory",
            "--save_model", dir, "--output_dir", out, NULL);
    refused("save_model under a file", "is a regular file, not a directory", "--save_model",
            under, "--output_dir", out, NULL);
    refused("output_dir a file", "--output_dir '", "--output_dir", file, "--save_model", model,
            NULL);
    refused("output_dir under a file", "--output_dir '", "--output_dir", under,
            "--save_model", model, NULL);
    /* and what is fine passes */
    options_t o;
    session_config_t c;
    err_t e = {{0}};
    parse(&o, "--tune_threshold", "coverage=0.9", "--predictions", file, "--save_model", model,
          "--output_dir", out, NULL);
    CHECK(setup_session_config(&o, &c, &e) == 0, "good settings pass: %s", e.msg);
    unlink(file);
    rmdir(dir);
}

/* path_parent(), which the preflight and the output checks share. */
static void test_path_parent(void)
{
    static const char *const cases[][2] = {
        {"file.csv", "."}, {"out/file.csv", "out"}, {"/file.csv", "/"}, {"a/b/c", "a/b"},
        {"a/b/", "a"}, {"/", "/"}, {"dir//", "."}, {"/top/", "/"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char out[64];
        path_parent(cases[i][0], out, sizeof out);
        CHECK(!strcmp(out, cases[i][1]), "path_parent('%s') = '%s', expected '%s'",
              cases[i][0], out, cases[i][1]);
    }
}

int main(void)
{
    test_path_parent();
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    setenv("HOME", tmp, 1);
    setenv("XDG_CONFIG_HOME", tmp, 1);
    test_fields();
    test_recipe();
    test_preflight();
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmp);
    if (system(cmd))
        fprintf(stderr, "warning: could not remove %s\n", tmp);
    return check_done("test_setup");
}
