/* test_options.c - defaults, INI file, command line, error messages. */
#include "check.h"
#include "settings/options.h"
#include "settings/options_table.h"
#include "backends/registry.h"
#include "engine/net.h"

#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmp[256];  /* scratch directory, also $HOME */
static char xdg[300];  /* $XDG_CONFIG_HOME inside it */

#define HAS(msg, s) CHECK(strstr((msg), (s)) != NULL, "message '%s' lacks '%s'", (msg), (s))

static const char *write_file(const char *name, const char *text)
{
    static char path[8][512];
    static int next;
    char *p = path[next++ % 8];
    snprintf(p, 512, "%s/%s", tmp, name);
    FILE *fp = fopen(p, "w");
    if (!fp) {
        perror(p);
        exit(1);
    }
    fputs(text, fp);
    fclose(fp);
    return p;
}

/* parse("--epochs", "3", NULL): argv[0] = "mscnn". Checks argv untouched. */
static int parse_v(options_t *o, opt_action_t *act, err_t *e, va_list ap)
{
    char *argv[64], *copy[64];
    int argc = 0;
    argv[argc++] = "mscnn";
    const char *a;
    while ((a = va_arg(ap, const char *)) && argc < 63)
        argv[argc++] = (char *)a;
    argv[argc] = NULL;
    memcpy(copy, argv, sizeof argv);
    e->msg[0] = '\0';
    int rc = options_parse(o, argc, argv, act, e);
    CHECK(!memcmp(copy, argv, (size_t)(argc + 1) * sizeof argv[0]), "argv was modified");
    return rc;
}

static int parse(options_t *o, err_t *e, ...)
{
    opt_action_t act;
    va_list ap;
    va_start(ap, e);
    int rc = parse_v(o, &act, e, ap);
    va_end(ap);
    if (rc == 0)
        CHECK(act == OPT_RUN, "action %d", (int)act);
    return rc;
}

static opt_action_t parse_action(options_t *o, err_t *e, int *rc, ...)
{
    opt_action_t act = OPT_RUN;
    va_list ap;
    va_start(ap, rc);
    *rc = parse_v(o, &act, e, ap);
    va_end(ap);
    return act;
}

static void check_equal(const options_t *a, const options_t *b, const char *what)
{
#define EQ_I(f) CHECK(a->f == b->f, "%s: " #f " %lld vs %lld", what, (long long)a->f, (long long)b->f)
#define EQ_D(f) CHECK(a->f == b->f, "%s: " #f " %.17g vs %.17g", what, a->f, b->f)
#define EQ_S(f) CHECK(!strcmp(a->f, b->f), "%s: " #f " '%s' vs '%s'", what, a->f, b->f)
    EQ_I(batch_mode); EQ_I(no_color); EQ_I(threads); EQ_I(seed);
    EQ_S(output_dir); EQ_S(save_model); EQ_S(load_model); EQ_S(config_path);
    EQ_S(dataset); EQ_S(data_dir); EQ_I(light_mode); EQ_D(val_fraction);
    EQ_I(val_light); EQ_I(augment); EQ_I(crop_pad); EQ_I(synth_train); EQ_I(synth_test);
    EQ_S(arch); EQ_I(epochs); EQ_I(batch_size); EQ_D(lr); EQ_D(momentum);
    EQ_I(nesterov); EQ_D(weight_decay); EQ_D(label_smoothing); EQ_D(warmup_epochs);
    EQ_S(lr_schedule); EQ_D(warmup_from); EQ_D(bn_bias_lr_scale); EQ_I(lookahead);
    EQ_I(tta); EQ_I(epoch_tta); EQ_S(recipe); EQ_S(crop_fill); EQ_S(flip);
    EQ_I(stage2_only); EQ_S(stage2_categories); EQ_D(threshold); EQ_S(tune_threshold);
    EQ_I(per_category); EQ_D(judge_holdout); EQ_S(device); EQ_I(judge_batch_size); EQ_I(judge_passes); EQ_D(judge_lr);
    EQ_D(judge_momentum); EQ_D(judge_weight_decay);
    EQ_S(predictions); EQ_I(threshold_given); EQ_S(cifar100_labels);
    EQ_I(quiet); EQ_S(report_json); EQ_I(progress_every);
#undef EQ_I
#undef EQ_D
#undef EQ_S
}

static void test_defaults(void)
{
    options_t o;
    err_t e;
    options_defaults(&o);
    CHECK(o.batch_mode == 0 && o.threads == 0 && o.seed == 42, "run defaults");
    CHECK(o.no_color == 0, "colours by default");
    CHECK(!strcmp(o.output_dir, ".") && !strcmp(o.save_model, "multistage_cnn_model"), "dirs");
    CHECK(!o.load_model[0] && !o.config_path[0] && !o.data_dir[0], "empty paths");
    CHECK(!strcmp(o.dataset, "auto") && o.light_mode == 0, "dataset");
    CHECK(o.val_fraction == 0.1 && o.val_light == 500 && o.augment == 1 && o.crop_pad == 4, "data");
    CHECK(o.synth_train == 5000 && o.synth_test == 1000, "synth sizes");
    CHECK(!strcmp(o.arch, "air") && !strcmp(o.recipe, "auto"), "air by default, its recipe");
    CHECK(o.epochs == 50 && o.batch_size == 32, "train (the keras values, until a recipe)");
    CHECK(o.lr == 0.02 && o.momentum == 0.9 && o.nesterov == 1 && o.weight_decay == 5e-4, "sgd");
    CHECK(o.label_smoothing == 0.0 && o.warmup_epochs == 1.0, "smoothing, warm-up");
    CHECK(!strcmp(o.lr_schedule, "linear"), "schedule");

    options_t p, d;
    options_defaults(&d);
    CHECK(parse(&p, &e, NULL) == 0, "no arguments: %s", e.msg);
    check_equal(&p, &d, "no arguments");
}

static void test_flags(void)
{
    options_t o;
    err_t e;
    int rc = parse(&o, &e, "--batch", "--epochs", "7", "--batch_size", "64", "--light_mode",
                   "--load_model", "in", "--save_model", "out", "--data_dir", "/d",
                   "--dataset", "synth", "--seed", "18446744073709551615", "--threads", "3",
                   "--output_dir", "res", "--arch", "basic", "--lr", "0.5", NULL);
    CHECK(rc == 0, "all flags: %s", e.msg);
    CHECK(o.batch_mode == 1 && o.epochs == 7 && o.batch_size == 64 && o.light_mode == 1, "ints");
    CHECK(!strcmp(o.load_model, "in") && !strcmp(o.save_model, "out"), "models");
    CHECK(!strcmp(o.data_dir, "/d") && !strcmp(o.dataset, "synth"), "data");
    CHECK(o.seed == UINT64_MAX && o.threads == 3, "seed %llu", (unsigned long long)o.seed);
    CHECK(!strcmp(o.output_dir, "res") && !strcmp(o.arch, "basic") && o.lr == 0.5, "rest");
    CHECK(!o.config_path[0], "no config file: '%s'", o.config_path);

    /* --name=value and hyphenated aliases */
    rc = parse(&o, &e, "--batch-size=16", "--light-mode", "--load-model", "a",
               "--save-model=b", "--data-dir", "c", "--output-dir", "d", "--epochs=0", NULL);
    CHECK(rc == 0, "aliases: %s", e.msg);
    CHECK(o.batch_size == 16 && o.light_mode == 1 && o.epochs == 0, "alias ints");
    CHECK(!strcmp(o.load_model, "a") && !strcmp(o.save_model, "b"), "alias models");
    CHECK(!strcmp(o.data_dir, "c") && !strcmp(o.output_dir, "d"), "alias dirs");
    CHECK(o.batch_mode == 0, "--batch-size is not --batch");

    /* --no-color (and its underscore spelling) and the INI key */
    CHECK(parse(&o, &e, "--no-color", NULL) == 0 && o.no_color == 1, "--no-color: %s", e.msg);
    CHECK(parse(&o, &e, "--no_color", NULL) == 0 && o.no_color == 1, "--no_color: %s", e.msg);
    CHECK(options_set_ini(&o, "run", "no_color", "off", "f.ini", 1, &e) == 0 && o.no_color == 0,
          "[run] no_color: %s", e.msg);

    /* --batch alone is exact, not an ambiguous prefix of --batch_size */
    CHECK(parse(&o, &e, "--batch", NULL) == 0 && o.batch_mode == 1 && o.batch_size == 32,
          "--batch: %s", e.msg);
    /* an empty --load_model turns an INI load_model off */
    CHECK(parse(&o, &e, "--load_model", "", NULL) == 0 && !o.load_model[0], "%s", e.msg);
    /* last one wins */
    CHECK(parse(&o, &e, "--epochs", "3", "--epochs", "4", NULL) == 0 && o.epochs == 4, "%s", e.msg);

    int r;
    CHECK(parse_action(&o, &e, &r, "-h", NULL) == OPT_HELP && r == 0, "-h");
    CHECK(parse_action(&o, &e, &r, "--help", NULL) == OPT_HELP && r == 0, "--help");
    CHECK(parse_action(&o, &e, &r, "--version", NULL) == OPT_VERSION && r == 0, "--version");
    /* help and version win over errors and over an unreadable config */
    CHECK(parse_action(&o, &e, &r, "--epochs", "x", "--foo", "--help", NULL) == OPT_HELP && r == 0,
          "help wins: %s", e.msg);
    CHECK(parse_action(&o, &e, &r, "stray", "--version", NULL) == OPT_VERSION && r == 0,
          "version wins: %s", e.msg);
    CHECK(parse_action(&o, &e, &r, "-c", "/nonexistent/x.ini", "-h", NULL) == OPT_HELP && r == 0,
          "help before config: %s", e.msg);
}

/* Expects failure, and a message holding each of the strings given. */
static void bad(const char *want1, const char *want2, ...)
{
    options_t o;
    err_t e;
    opt_action_t act;
    va_list ap;
    va_start(ap, want2);
    int rc = parse_v(&o, &act, &e, ap);
    va_end(ap);
    CHECK(rc == -1, "expected an error with '%s'", want1);
    if (rc == -1) {
        HAS(e.msg, want1);
        if (want2)
            HAS(e.msg, want2);
    }
}

/* The batch run's output settings: --quiet, --report_json, --progress_every
 * (flags and INI keys). */
static void test_output_flags(void)
{
    options_t o;
    err_t e;
    CHECK(parse(&o, &e, NULL) == 0 && !o.quiet && !o.report_json[0] && o.progress_every == 30,
          "defaults: not quiet, no JSON, a progress line every 30 s");
    CHECK(parse(&o, &e, "--quiet", "--report_json", "r.json", "--progress-every", "0", NULL) == 0,
          "%s", e.msg);
    CHECK(o.quiet == 1 && !strcmp(o.report_json, "r.json") && o.progress_every == 0,
          "quiet %d, report_json '%s', progress_every %d", o.quiet, o.report_json,
          o.progress_every);
    CHECK(parse(&o, &e, "--progress_every", "-1", NULL) == -1, "a negative interval is refused");
    HAS(e.msg, "--progress_every");
    options_defaults(&o);
    CHECK(options_set_ini(&o, "run", "quiet", "yes", "f.ini", 3, &e) == 0 && o.quiet == 1,
          "[run] quiet: %s", e.msg);
    CHECK(options_set_ini(&o, "run", "report_json", "x.json", "f.ini", 4, &e) == 0 &&
              !strcmp(o.report_json, "x.json"), "[run] report_json: %s", e.msg);
}

static void test_bad_args(void)
{
    bad("--epochs: expected a whole number from 0 to 100000, got '-1'", NULL, "--epochs", "-1", NULL);
    bad("--epochs: expected a whole number", "got 'abc'", "--epochs", "abc", NULL);
    bad("--epochs: expected", "got '1e3'", "--epochs=1e3", NULL);
    bad("--epochs: expected", "got ' 5'", "--epochs", " 5", NULL);
    bad("--batch_size: expected a whole number from 1 to 65536, got 'abc'", NULL,
        "--batch_size", "abc", NULL);
    bad("--batch_size: expected a whole number from 1 to 65536, got '0'", NULL,
        "--batch_size", "0", NULL);
    bad("--batch-size: expected", "got '70000'", "--batch-size", "70000", NULL);
    bad("unknown option '--foo' (see mscnn --help)", NULL, "--foo", NULL);
    bad("unknown option '--foo'", NULL, "--foo=3", NULL);
    bad("unknown option '-x'", NULL, "-x", NULL);
    bad("unknown option '-batch'", "--batch", "-batch", NULL);
    bad("--epochs: missing value", NULL, "--epochs", NULL);
    bad("-c: missing value", NULL, "-c", NULL);
    bad("--config: missing value", NULL, "--config", NULL);
    bad("'--epo' is abbreviated", "--epochs", "--epo", "3", NULL);
    bad("'--batch_s' is abbreviated", "--batch_size", "--batch_s", "3", NULL);
    bad("'--bat' is abbreviated", "--batch, --batch_size, --batch-size", "--bat", NULL);
    bad("'--light' is abbreviated", "--light_mode", "--light=1", NULL);
    bad("'--vers' is abbreviated", "--version", "--vers", NULL);
    bad("unexpected argument 'xyz'", NULL, "xyz", NULL);
    bad("unexpected argument 'xyz'", NULL, "--batch", "xyz", "--epochs", "3", NULL);
    bad("unexpected argument '--epochs'", NULL, "--", "--epochs", "3", NULL);
    bad("unexpected argument '-'", NULL, "-", NULL);
    bad("--dataset: expected one of auto, cifar10, cifar100, folder or synth, got 'mnist'", NULL,
        "--dataset", "mnist", NULL);
    bad("--arch: expected one of basic or air, got 'resnet'", NULL, "--arch", "resnet", NULL);
    bad("--lr: expected a number greater than 0 and at most 10, got '0'", NULL, "--lr", "0", NULL);
    bad("--lr: expected", "got '11'", "--lr", "11", NULL);
    bad("--lr: expected", "got 'nan'", "--lr", "nan", NULL);
    bad("--lr: expected", "got 'fast'", "--lr", "fast", NULL);
    bad("--seed: expected a whole number from 0 to 18446744073709551615, got '-1'", NULL,
        "--seed", "-1", NULL);
    bad("--seed: expected", "got ' -1'", "--seed", " -1", NULL);
    bad("--seed: expected", "got '18446744073709551616'", "--seed", "18446744073709551616", NULL);
    bad("--threads: expected a whole number from 0 to 1024, got '2000'", NULL,
        "--threads", "2000", NULL);
    bad("--output_dir: expected a non-empty path", "got ''", "--output_dir", "", NULL);
    bad("--save-model: expected a non-empty path", NULL, "--save-model=", NULL);
    bad("--batch: takes no value, got '--batch=1'", NULL, "--batch=1", NULL);
    bad("-c: expected a file name", NULL, "-c", "", NULL);
    /* the first error on the line is the one reported */
    bad("--epochs: expected", "got 'x'", "--epochs", "x", "--foo", NULL);
    bad("unknown option '--foo'", NULL, "--foo", "--epochs", "x", NULL);
    /* a command-line error is reported before a bad config file is read */
    bad("--epochs: expected", NULL, "-c", "/nonexistent/x.ini", "--epochs", "x", NULL);

    char longpath[1100];
    memset(longpath, 'a', sizeof longpath - 1);
    longpath[sizeof longpath - 1] = '\0';
    bad("--data_dir: expected a path shorter than 1024 characters", NULL, "--data_dir", longpath, NULL);
}

static void test_config(void)
{
    options_t o;
    err_t e;
    const char *ini = write_file("a.ini",
        "; comment\n"
        "# another\n"
        "\n"
        "[train]\n"
        "epochs = 9\n"
        "  batch_size = 128   ; indented, with a comment\n"
        "lr=0.1\n"
        "momentum = 0\n"
        "nesterov = off\n"
        "weight_decay = 0\n"
        "label_smoothing = 0.1\n"
        "warmup_epochs = 0\n"
        "lr_schedule = cosine\n"
        "[data]\r\n"
        "dataset = cifar10\r\n"
        "data_dir = /data/c10\n"
        "light_mode = yes\n"
        "val_fraction = 0\n"
        "val_light = 100\n"
        "augment = false\n"
        "crop_pad = 2\n"
        "synth_train = 10\n"
        "synth_test = 1000000\n"
        "[run]\n"
        "batch = true\n"
        "threads = 8\n"
        "seed = 7\n"
        "output_dir = results dir\n"
        "save_model = m1\n"
        "load_model = m0\n");
    CHECK(parse(&o, &e, "-c", ini, NULL) == 0, "-c: %s", e.msg);

    /* a byte order mark, and a comment longer than inih's line limit */
    char text[800];
    snprintf(text, sizeof text, "\xEF\xBB\xBF[train]\n; %0500d\nepochs = 21\n", 0);
    const char *bom = write_file("bom.ini", text);
    options_t b;
    options_defaults(&b);
    CHECK(options_load_ini(&b, bom, &e) == 0 && b.epochs == 21, "BOM, long comment: %s", e.msg);
    unlink(bom);
    CHECK(!strcmp(o.config_path, ini), "config_path '%s'", o.config_path);
    CHECK(o.epochs == 9 && o.batch_size == 128 && o.lr == 0.1 && o.momentum == 0, "train");
    CHECK(o.nesterov == 0 && o.weight_decay == 0 && o.label_smoothing == 0.1, "train 2");
    CHECK(o.warmup_epochs == 0 && !strcmp(o.lr_schedule, "cosine"), "train 3");
    CHECK(!strcmp(o.dataset, "cifar10") && !strcmp(o.data_dir, "/data/c10"), "data");
    CHECK(o.light_mode == 1 && o.val_fraction == 0 && o.val_light == 100 && o.augment == 0, "data 2");
    CHECK(o.crop_pad == 2 && o.synth_train == 10 && o.synth_test == 1000000, "data 3");
    CHECK(o.batch_mode == 1 && o.threads == 8 && o.seed == 7, "run");
    CHECK(!strcmp(o.output_dir, "results dir") && !strcmp(o.save_model, "m1"), "run dirs");
    CHECK(!strcmp(o.load_model, "m0"), "load_model '%s'", o.load_model);

    /* the command line overrides the file, whatever the order */
    CHECK(parse(&o, &e, "--epochs", "2", "--config", ini, "--dataset", "synth",
                "--lr", "1", "--load_model", "", NULL) == 0, "%s", e.msg);
    CHECK(o.epochs == 2 && !strcmp(o.dataset, "synth") && o.lr == 1 && !o.load_model[0],
          "CLI over INI");
    CHECK(o.batch_size == 128 && o.threads == 8, "INI values kept");

    /* -c with a missing file names it */
    const char *missing = "/nonexistent-mscnn-dir/none.ini";
    CHECK(parse(&o, &e, "-c", missing, NULL) == -1, "missing -c file");
    HAS(e.msg, missing);
    HAS(e.msg, "No such file");
    CHECK(options_load_ini(&o, missing, &e) == -1, "load missing");
    HAS(e.msg, missing);
    CHECK(options_load_ini(&o, tmp, &e) == -1, "load a directory");
    HAS(e.msg, tmp);
    HAS(e.msg, "is a directory, not a regular file");
    /* devices and FIFOs are refused before a byte is read (no hang, no
     * reading /dev/zero until memory runs out) */
    CHECK(parse(&o, &e, "-c", "/dev/zero", NULL) == -1, "-c /dev/zero");
    HAS(e.msg, "config file '/dev/zero' is a character device, not a regular file");
    char fifo[400];
    snprintf(fifo, sizeof fifo, "%s/fifo.ini", tmp);
    CHECK(mkfifo(fifo, 0600) == 0, "mkfifo %s", fifo);
    CHECK(options_load_ini(&o, fifo, &e) == -1, "load a FIFO");
    HAS(e.msg, "is a FIFO (named pipe), not a regular file");
    unlink(fifo);
    /* and a file over the 1 MiB bound (a sparse one: no disk needed) */
    char huge[400];
    snprintf(huge, sizeof huge, "%s/huge.ini", tmp);
    FILE *hf = fopen(huge, "w");
    CHECK(hf && ftruncate(fileno(hf), 2 << 20) == 0, "sparse %s", huge);
    if (hf)
        fclose(hf);
    CHECK(options_load_ini(&o, huge, &e) == -1, "load a 2 MiB INI file");
    HAS(e.msg, "is 2097152 bytes, more than the limit of 1048576 bytes");
    unlink(huge);

    /* the default file: $XDG_CONFIG_HOME/mscnn/mscnn.ini, else ~/.config/... */
    char dir[600], path[700];
    snprintf(dir, sizeof dir, "%s/mscnn", xdg);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/mscnn.ini", dir);
    FILE *fp = fopen(path, "w");
    fputs("[train]\nepochs = 11\n", fp);
    fclose(fp);
    CHECK(parse(&o, &e, NULL) == 0 && o.epochs == 11, "XDG config: %s", e.msg);
    CHECK(!strcmp(o.config_path, path), "config_path '%s'", o.config_path);
    CHECK(parse(&o, &e, "--epochs", "12", NULL) == 0 && o.epochs == 12, "CLI over XDG");
    CHECK(parse(&o, &e, "-c", ini, NULL) == 0 && o.epochs == 9, "-c replaces the XDG file");
    unlink(path);
    rmdir(dir);
    CHECK(parse(&o, &e, NULL) == 0 && o.epochs == 50 && !o.config_path[0], "no XDG file");

    unsetenv("XDG_CONFIG_HOME");
    char home_cfg[400];
    snprintf(home_cfg, sizeof home_cfg, "%s/.config", tmp);
    mkdir(home_cfg, 0700);
    snprintf(dir, sizeof dir, "%s/mscnn", home_cfg);
    mkdir(dir, 0700);
    snprintf(path, sizeof path, "%s/mscnn.ini", dir);
    fp = fopen(path, "w");
    fputs("[train]\nepochs = 13\n", fp);
    fclose(fp);
    CHECK(parse(&o, &e, NULL) == 0 && o.epochs == 13, "HOME config: %s", e.msg);
    CHECK(!strcmp(o.config_path, path), "config_path '%s'", o.config_path);
    fp = fopen(path, "w");
    fputs("[train]\nepochs = many\n", fp);
    fclose(fp);
    CHECK(parse(&o, &e, NULL) == -1, "bad default config is an error");
    HAS(e.msg, path);
    unlink(path);
    rmdir(dir);
    rmdir(home_cfg);
    setenv("XDG_CONFIG_HOME", xdg, 1);
}

/* The INI text must fail; the message must hold file:line and want. */
static void bad_ini(const char *text, int line, const char *want)
{
    options_t o;
    err_t e;
    options_defaults(&o);
    const char *path = write_file("bad.ini", text);
    e.msg[0] = '\0';
    int rc = options_load_ini(&o, path, &e);
    CHECK(rc == -1, "INI should fail: %s", want);
    if (rc == -1) {
        char where[600];
        snprintf(where, sizeof where, "%s:%d: ", path, line);
        CHECK(!strncmp(e.msg, where, strlen(where)), "message '%s' should start with '%s'",
              e.msg, where);
        HAS(e.msg, want);
    }
}

static void test_bad_ini(void)
{
    bad_ini("[run]\nseed = 1\n\n[model]\nx = 1\n", 4, "[model]: unknown section; expected [run], [data], [train] or [stage2]");
    bad_ini("[run]\nseed = 1\n[model]\n", 3, "unknown section");
    bad_ini("; top\n\n[train]\nepochs = 5\nepoch = 5\n", 5,
            "[train] epoch = 5: unknown key 'epoch'; expected one of arch, epochs");
    bad_ini("[data]\nbatch_size = 5\n", 2, "[data] batch_size = 5: unknown key");
    bad_ini("[train]\n; c\n\nbatch_size = 0\n", 4,
            "[train] batch_size = 0: expected a whole number from 1 to 65536");
    bad_ini("[train]\nlr = -1\n", 2, "[train] lr = -1: expected a number greater than 0 and at most 10");
    bad_ini("[train]\nmomentum = 1\n", 2, "[train] momentum = 1: expected a number from 0 up to");
    bad_ini("[train]\nlabel_smoothing = 1\n", 2, "expected a number from 0 up to (not including) 1");
    bad_ini("[train]\nlr_schedule = step\n", 2, "expected one of constant, linear or cosine");
    bad_ini("[train]\nnesterov = maybe\n", 2, "[train] nesterov = maybe: expected a boolean");
    bad_ini("[data]\nval_fraction = 0.95\n", 2, "expected a number from 0 to 0.9");
    bad_ini("[data]\nsynth_train = 9\n", 2, "expected a whole number from 10 to 1000000");
    bad_ini("[data]\ncrop_pad = 17\n", 2, "expected a whole number from 0 to 16");
    bad_ini("[data]\ndataset = \n", 2, "[data] dataset = : expected one of auto, cifar10, cifar100, folder or synth");
    bad_ini("[run]\noutput_dir =\n", 2, "[run] output_dir = : expected a non-empty path");
    bad_ini("[run]\nseed = -3\n", 2, "expected a whole number from 0 to 18446744073709551615");
    bad_ini("; settings\nepochs = 5\n[train]\n", 2, "epochs = 5: key outside any section");
    bad_ini("[train]\nepochs 5\n", 2, "epochs 5: expected key = value");
    bad_ini("[train\nepochs = 5\n", 1, "[train: expected a section header");
    bad_ini("[train] x\n", 1, "expected a section header");
    /* line numbers stay right after comments, blanks and CRLF lines */
    bad_ini("\r\n; a\r\n[run]\r\n  seed = 2\r\n\r\nthreads = 4096\r\n", 6,
            "[run] threads = 4096: expected a whole number from 0 to 1024");
    char big[400];
    snprintf(big, sizeof big, "[run]\nload_model = %0300d\n", 0);
    bad_ini(big, 2, "line longer than");
    /* a key given twice in one file names both lines */
    bad_ini("[train]\nlr = 0.1\nepochs = 2\n\n  lr = 0.2\n", 5,
            "[train] lr: duplicate key, already given on line 2");
    bad_ini("[run]\nseed = 1\n[train]\nepochs = 1\n[run]\nseed = 2\n", 6,
            "[run] seed: duplicate key, already given on line 2");
    /* the first error wins and stops the parse */
    bad_ini("[train]\nepochs = x\nbatch_size = y\n", 2, "epochs = x");
    /* a bad file through options_parse is an error too */
    options_t o;
    err_t e;
    const char *p = write_file("bad2.ini", "[train]\n\nepochs = -5\n");
    CHECK(parse(&o, &e, "-c", p, NULL) == -1, "bad -c file");
    HAS(e.msg, ":3: [train] epochs = -5: expected a whole number from 0 to 100000");

    /* options_set_ini directly */
    options_defaults(&o);
    CHECK(options_set_ini(&o, "train", "epochs", "3", "f.ini", 7, &e) == 0 && o.epochs == 3, "set");
    CHECK(options_set_ini(&o, "train", "epochs", "z", "f.ini", 7, &e) == -1 && o.epochs == 3,
          "bad value leaves the field alone");
    HAS(e.msg, "f.ini:7: [train] epochs = z: expected");
    CHECK(options_set_ini(&o, "", "epochs", "3", "f.ini", 1, &e) == -1, "no section");
    HAS(e.msg, "f.ini:1: epochs = 3: key outside any section");
    CHECK(options_set_ini(&o, "x", "epochs", "3", "f.ini", 2, &e) == -1, "bad section");
    HAS(e.msg, "f.ini:2: [x] epochs = 3: unknown section [x]");
}

/* etc/mscnn.ini, with its ";key = value" lines (the settings a recipe
 * chooses) uncommented, into a scratch file. */
static const char *uncomment_recipe_keys(const char *path)
{
    static char out[512];
    snprintf(out, sizeof out, "%s/shipped.ini", tmp);
    FILE *in = fopen(path, "r"), *fp = fopen(out, "w");
    if (!in || !fp) {
        perror(path);
        exit(1);
    }
    char line[512];
    while (fgets(line, sizeof line, in)) {
        int key = line[0] == ';' && line[1] >= 'a' && line[1] <= 'z';
        fputs(key ? line + 1 : line, fp);
    }
    fclose(in);
    fclose(fp);
    return out;
}

static void test_shipped_ini(void)
{
    /* The shipped template (etc/mscnn.ini) must say exactly the defaults. */
    const char *src = getenv("MSCNN_SRCDIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/etc/mscnn.ini", src && *src ? src : ".");
    options_t o, d;
    err_t e;
    if (access(path, R_OK)) {
        CHECK(0, "cannot read %s: run from the source tree or set MSCNN_SRCDIR", path);
        return;
    }
    options_defaults(&d);
    /* start from values that differ from the defaults: the file must set them all */
    options_defaults(&o);
    o.batch_mode = 1; o.no_color = 1; o.threads = 5; o.seed = 1;
    strcpy(o.output_dir, "x"); strcpy(o.save_model, "x"); strcpy(o.load_model, "x");
    strcpy(o.dataset, "synth"); strcpy(o.data_dir, "x"); o.light_mode = 1;
    o.val_fraction = 0.5; o.val_light = 1; o.augment = 0; o.crop_pad = 1;
    strcpy(o.crop_fill, "x"); strcpy(o.flip, "x");
    o.synth_train = 11; o.synth_test = 11; strcpy(o.arch, "x"); o.epochs = 1;
    strcpy(o.recipe, "x");
    o.batch_size = 1; o.lr = 1; o.momentum = 0; o.nesterov = 0; o.weight_decay = 0.1;
    o.label_smoothing = 0.5; o.warmup_epochs = 3; strcpy(o.lr_schedule, "cosine");
    o.warmup_from = 0.5; o.bn_bias_lr_scale = 2; o.lookahead = 1; o.tta = 2;
    o.stage2_only = 1; strcpy(o.stage2_categories, "x"); o.threshold = 0.1;
    strcpy(o.tune_threshold, "x"); o.per_category = 1; o.judge_holdout = 0.3;
    strcpy(o.device, "gpu"); o.judge_batch_size = 3; o.judge_passes = 9; o.judge_lr = 1;
    o.judge_momentum = 0.5; o.judge_weight_decay = 0.5; strcpy(o.predictions, "x");
    strcpy(o.cifar100_labels, "coarse");
    o.quiet = 1; strcpy(o.report_json, "x"); o.progress_every = 1;
    const char *full = uncomment_recipe_keys(path);
    int rc = options_load_ini(&o, full, &e);
    CHECK(rc == 0, "%s: %s", full, e.msg);
    if (rc == 0)
        check_equal(&o, &d, "etc/mscnn.ini, recipe keys uncommented");
    unlink(full);

    CHECK(parse(&o, &e, "-c", path, NULL) == 0, "-c etc/mscnn.ini: %s", e.msg);
    strcpy(d.config_path, path);
    check_equal(&o, &d, "-c etc/mscnn.ini");
    /* the template leaves the recipe's settings to the recipe */
    CHECK(parse(&o, &e, "-c", path, "--arch", "air", NULL) == 0, "%s", e.msg);
    options_apply_recipe(&o, o.arch);
    CHECK(o.batch_size == 1024 && o.tta == 2 && !strcmp(o.flip, "alternate"),
          "etc/mscnn.ini with --arch air: the air recipe (batch %d, tta %d, flip %s)",
          o.batch_size, o.tta, o.flip);
}

/* A recipe fills in what the INI file and the command line leave unset. */
static void test_recipe(void)
{
    options_t o;
    err_t e;
    CHECK(parse(&o, &e, NULL) == 0, "%s", e.msg);
    options_apply_recipe(&o, o.arch);
    CHECK(!strcmp(o.recipe, "air") && o.batch_size == 1024 && o.epochs == 10 && o.tta == 2,
          "the default network, air, gets the air recipe (%s, batch %d)", o.recipe,
          o.batch_size);
    CHECK(parse(&o, &e, "--arch", "basic", NULL) == 0, "%s", e.msg);
    options_apply_recipe(&o, o.arch);
    CHECK(!strcmp(o.recipe, "keras") && o.batch_size == 32 && o.epochs == 50 && o.tta == 0,
          "basic gets the keras recipe: the defaults");
    /* light mode: air takes batches of 256 at a quarter of the rate */
    CHECK(parse(&o, &e, "--light_mode", NULL) == 0, "%s", e.msg);
    options_apply_recipe(&o, o.arch);
    CHECK(o.batch_size == 256 && o.lr == 0.375 && o.epochs == 10 && o.tta == 2,
          "light mode's air recipe (batch %d, lr %g)", o.batch_size, o.lr);
    CHECK(parse(&o, &e, "--light_mode", "--batch_size", "512", NULL) == 0, "%s", e.msg);
    options_apply_recipe(&o, o.arch);
    CHECK(o.batch_size == 512 && o.lr == 0.375, "light mode: a given batch wins");
    CHECK(parse(&o, &e, "--light_mode", "--arch", "basic", NULL) == 0, "%s", e.msg);
    options_apply_recipe(&o, o.arch);
    CHECK(o.batch_size == 32 && o.lr == 0.02, "light mode leaves keras alone");

    CHECK(parse(&o, &e, "--arch", "air", NULL) == 0, "%s", e.msg);
    options_apply_recipe(&o, o.arch);
    CHECK(!strcmp(o.recipe, "air"), "auto follows the network: %s", o.recipe);
    CHECK(o.epochs == 10 && o.batch_size == 1024 && o.lr == 1.5 && o.momentum == 0.85 &&
          o.nesterov == 1 && o.weight_decay == 0.00133 && o.label_smoothing == 0.2,
          "air recipe: optimiser");
    CHECK(o.warmup_epochs == 2 && o.warmup_from == 0.2 && !strcmp(o.lr_schedule, "linear") &&
          o.bn_bias_lr_scale == 64 && o.lookahead == 1 && o.tta == 2, "air recipe: schedule");
    CHECK(o.crop_pad == 2 && !strcmp(o.crop_fill, "reflect") && !strcmp(o.flip, "alternate"),
          "air recipe: augmentation");

    /* what is given wins, from the command line or the INI file */
    const char *ini = write_file("a.ini", "[train]\nmomentum = 0.8\n[data]\ncrop_pad = 3\n");
    CHECK(parse(&o, &e, "-c", ini, "--arch", "air", "--batch_size", "256", "--tta", "0",
                "--epochs", "3", NULL) == 0, "%s", e.msg);
    options_apply_recipe(&o, "air");
    CHECK(o.batch_size == 256 && o.tta == 0 && o.epochs == 3, "flags beat the recipe");
    CHECK(o.momentum == 0.8 && o.crop_pad == 3, "the INI file beats the recipe");
    CHECK(o.lr == 1.5 && o.lookahead == 1, "the rest is the recipe's");

    /* an explicit recipe, whatever the network (a loaded model's arch is
     * what the session passes) */
    CHECK(parse(&o, &e, "--recipe", "air", NULL) == 0, "%s", e.msg);
    options_apply_recipe(&o, "basic");
    CHECK(!strcmp(o.recipe, "air") && o.batch_size == 1024, "--recipe air on basic");
    CHECK(parse(&o, &e, "--arch", "air", "--recipe", "keras", NULL) == 0, "%s", e.msg);
    options_apply_recipe(&o, "air");
    CHECK(!strcmp(o.recipe, "keras") && o.batch_size == 32 && o.tta == 0, "--recipe keras on air");

    CHECK(parse(&o, &e, "--recipe", "fast", NULL) == -1, "unknown recipe refused");
    HAS(e.msg, "--recipe: expected one of auto, keras or air, got 'fast'");
    CHECK(parse(&o, &e, "--tta", "3", NULL) == -1, "--tta 3 refused");
    HAS(e.msg, "--tta: expected a whole number from 0 to 2, got '3'");
    CHECK(parse(&o, &e, "--flip", "sometimes", NULL) == -1, "bad --flip refused");
    HAS(e.msg, "expected one of random, alternate or none");
    CHECK(parse(&o, &e, "--lookahead", "maybe", NULL) == -1, "bad --lookahead refused");
    HAS(e.msg, "--lookahead: expected a boolean");
}

static void test_help(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    options_print_help(fp, "/usr/bin/mscnn");
    fclose(fp);
    HAS(buf, "Usage: mscnn [--batch] [OPTIONS]");
    static const char *opts[] = {"--batch ", "--epochs N", "--batch_size N", "--light_mode",
                                 "--load_model DIR", "--save_model DIR", "-c, --config FILE",
                                 "--data_dir DIR", "--dataset NAME", "--seed N", "--threads N",
                                 "--output_dir DIR", "--arch NAME", "--lr X", "-h, --help",
                                 "--version", "--no-color", "NO_COLOR", "(default 50)", "(default 32)", "(default 0.02)",
                                 "multistage_cnn_model", "mscnn.ini", "man mscnn", NULL};
    for (int i = 0; opts[i]; i++)
        HAS(buf, opts[i]);
    int wide = 0;
    for (char *l = buf; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
        if (strcspn(l, "\n") > 79)
            wide++;
    CHECK(wide == 0, "%d help lines wider than 79 columns", wide);
    free(buf);
}

/* The table itself: every entry complete, no name twice. */
static void test_table_entries(void)
{
    for (size_t i = 0; i < n_settings; i++) {
        const setting_t *s = &settings[i];
        CHECK(s->help && *s->help, "[%s] %s has no help text", s->section, s->key);
        CHECK(setting_known_section(s->section), "[%s] %s: unknown section", s->section, s->key);
        CHECK(s->size > 0, "[%s] %s: no field", s->section, s->key);
        CHECK(!s->flag || (s->kind == K_BOOL && s->opt[0]), "%s: a flag is a boolean option",
              s->key);
        CHECK(!s->opt[0] == !s->help_group, "%s: an option is in --help, and only an option",
              s->key);
        CHECK(!s->opt[0] || (s->arg == NULL) == (s->flag != 0),
              "%s: --help names a value iff it takes one",
              s->key);
        CHECK(!s->opt[1] || s->opt[0], "%s: an alias without a spelling", s->key);
        for (size_t j = 0; j < i; j++) {
            const setting_t *t = &settings[j];
            CHECK(strcmp(s->key, t->key) || strcmp(s->section, t->section),
                  "INI key [%s] %s twice", s->section, s->key);
            CHECK(!s->opt[0] || !t->opt[0] || s->opt_at != t->opt_at,
                  "--%s and --%s share a place in the option list", s->opt[0], t->opt[0]);
            CHECK(!s->help_group || s->help_group != t->help_group || s->help_at != t->help_at,
                  "--%s and --%s share a place in --help", s->opt[0], t->opt[0]);
            for (int a = 0; a < 2 && s->opt[a]; a++)
                for (int b = 0; b < 2 && t->opt[b]; b++)
                    CHECK(strcmp(s->opt[a], t->opt[b]), "long option --%s twice", s->opt[a]);
        }
        for (int a = 0; a < 2 && s->opt[a]; a++)
            CHECK(strcmp(s->opt[a], "config") && strcmp(s->opt[a], "help") &&
                  strcmp(s->opt[a], "version"), "--%s is not a setting", s->opt[a]);
        /* the hyphen alias of an underscore spelling */
        if (s->opt[0] && strchr(s->opt[0], '_')) {
            char hy[64];
            snprintf(hy, sizeof hy, "%s", s->opt[0]);
            for (char *c = hy; *c; c++)
                *c = *c == '_' ? '-' : *c;
            CHECK(s->opt[1] && !strcmp(s->opt[1], hy), "--%s lacks its alias --%s", s->opt[0], hy);
        }
    }
}

/* Every default and every recipe value passes its own check; both
 * spellings of every option parse and mark the setting given. */
static void test_table_values(void)
{
    options_t o, d;
    err_t e;
    memset(&o, 0, sizeof o);
    for (size_t i = 0; i < n_settings; i++) {
        const setting_t *s = &settings[i];
        CHECK(s->def && setting_store(&o, s, s->def) == 0, "[%s] %s: default '%s' refused",
              s->section, s->key, s->def ? s->def : "(none)");
        CHECK(!s->air || setting_store(&o, s, s->air) == 0, "[%s] %s: air value '%s' refused",
              s->section, s->key, s->air ? s->air : "");
    }
    options_defaults(&d);
    for (size_t i = 0; i < n_settings; i++) {
        const setting_t *s = &settings[i];
        CHECK(!d.given[i], "[%s] %s: a default is not given", s->section, s->key);
        for (int a = 0; a < 2 && s->opt[a]; a++) {
            char flag[80];
            snprintf(flag, sizeof flag, "--%s", s->opt[a]);
            int rc = s->flag ? parse(&o, &e, flag, NULL) : parse(&o, &e, flag, s->def, NULL);
            CHECK(rc == 0, "%s %s: %s", flag, s->flag ? "" : s->def, e.msg);
            CHECK(rc || o.given[i], "%s: the setting is not marked given", flag);
            CHECK(rc || !s->flag || *(int *)((char *)&o + s->offset) == 1, "%s: not set", flag);
        }
    }
}

/* --help lists every setting that has an option, as it is spelled. */
static void test_table_help(void)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *fp = open_memstream(&buf, &len);
    options_print_help(fp, "mscnn");
    fclose(fp);
    for (size_t i = 0; i < n_settings; i++) {
        const setting_t *s = &settings[i];
        if (!s->opt[0])
            continue;
        char label[128];
        snprintf(label, sizeof label, "\n      --%s%s%s", s->opt[0], s->arg ? " " : "",
                 s->arg ? s->arg : "");
        size_t n = strlen(label);
        const char *at = strstr(buf, label);
        while (at && at[n] != ' ' && at[n] != '\n')
            at = strstr(at + 1, label); /* --batch, not --batch_size */
        CHECK(at != NULL, "--help lacks '%s'", label + 1);
    }
    free(buf);
}

/* --device is the registry's to check; --arch is a Stage 1 net's name. */
static void test_device_arch(void)
{
    options_t o;
    err_t e, want;
    CHECK(parse(&o, &e, "--device", "gpu:1", NULL) == 0 && !strcmp(o.device, "gpu:1"),
          "--device gpu:1: %s", e.msg);
    CHECK(parse(&o, &e, "--device", "ref", NULL) == 0 && !strcmp(o.device, "ref"),
          "--device ref: %s", e.msg);
    const char *ini = write_file("a.ini", "[run]\ndevice = gpu:2\n");
    CHECK(parse(&o, &e, "-c", ini, NULL) == 0 && !strcmp(o.device, "gpu:2"), "INI: %s", e.msg);
    static const char *const badnames[] = {"gpu:x", "tpu", NULL};
    for (int i = 0; badnames[i]; i++) {
        CHECK(parse(&o, &e, "--device", badnames[i], NULL) == -1, "--device %s", badnames[i]);
        CHECK(backend_device_check(badnames[i], &want) == -1, "the registry takes %s",
              badnames[i]);
        char msg[sizeof want.msg + 16];
        snprintf(msg, sizeof msg, "--device: %s", want.msg);
        CHECK(!strcmp(e.msg, msg), "message '%s', want '%s'", e.msg, msg);
    }
    for (int i = 0; net_stage1_arch_names[i]; i++)
        CHECK(parse(&o, &e, "--arch", net_stage1_arch_names[i], NULL) == 0, "--arch %s: %s",
              net_stage1_arch_names[i], e.msg);
    bad("--arch: expected one of basic or air, got 'judge'", NULL, "--arch", "judge", NULL);
}

int main(void)
{
    snprintf(tmp, sizeof tmp, "/tmp/test_options.XXXXXX");
    if (!mkdtemp(tmp)) {
        perror("mkdtemp");
        return 1;
    }
    snprintf(xdg, sizeof xdg, "%s/xdg", tmp);
    mkdir(xdg, 0700);
    /* a user's own config must never leak in */
    setenv("HOME", tmp, 1);
    setenv("XDG_CONFIG_HOME", xdg, 1);

    test_defaults();
    test_flags();
    test_output_flags();
    test_bad_args();
    test_config();
    test_bad_ini();
    test_shipped_ini();
    test_recipe();
    test_help();
    test_table_entries();
    test_table_values();
    test_table_help();
    test_device_arch();

    unlink(write_file("a.ini", ""));
    unlink(write_file("bad.ini", ""));
    unlink(write_file("bad2.ini", ""));
    rmdir(xdg);
    rmdir(tmp);
    return check_done("test_options");
}
