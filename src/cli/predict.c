/* predict.c - `mscnn predict`: a trained model's answers for picture files.
 *
 * The files (PNG, JPEG, CIFAR-10 .bin records; folders walked recursively
 * in strcmp order) are decoded and resized to the model's 32x32 input
 * (data/image_decode.c), gathered into batches of the session's batch size
 * and scored through session_score_batch(), the path evaluation takes, on
 * the backend --device names. A file that cannot be read is reported and
 * skipped; the exit status is 1 then.
 */
#include "cli/predict.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include "cli/subcmd.h"
#include "data/image_decode.h"
#include "train/session.h"

enum { F_TABLE, F_CSV, F_JSONL };
#define TOP 3
#define IMG_BYTES (3 * 32 * 32)

typedef struct {
    char **v;
    int n, cap;
} strv_t;

static void strv_push(strv_t *l, char *s)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = xrealloc(l->v, sizeof *l->v * (size_t)l->cap);
    }
    l->v[l->n++] = s;
}

static void strv_free(strv_t *l)
{
    for (int i = 0; i < l->n; i++)
        free(l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

typedef struct {
    const char *model;
    int format, crop;
    strv_t set;   /* settings flags, borrowed strings (v not freed one by one) */
    strv_t paths; /* borrowed */
} pred_opts_t;

typedef struct {
    session_t *s;
    const pred_opts_t *po;
    dataset_t batch;   /* up to mb images */
    char **names;      /* (mb) owned */
    int nb, mb;
    scored_t sc;
    long images, other, failed;
    int name_w, class_w;
} pred_t;

static void usage(FILE *fp)
{
    fprintf(fp,
            "Usage: mscnn predict -m DIR [options] FILE|FOLDER...\n"
            "The answers of the trained model in DIR for picture files: PNG and JPEG of any\n"
            "size (resized to the model's input with an area filter), CIFAR-10 .bin files;\n"
            "folders are walked recursively (*.png, *.jpg, *.jpeg, *.bin, sorted).\n\n"
            "  -m, --model DIR         the model directory (as --save_model wrote it)\n"
            "      --format FMT        table (default), csv or jsonl\n"
            "      --crop MODE         none (default: the whole picture, squeezed) or center\n"
            "                          (its central square)\n"
            "      --threshold TAU     accept when the judge score >= TAU, for every class\n"
            "                          (default: the model's tuned thresholds)\n"
            "      --device NAME, --threads N, --batch_size N, --tta N and the other\n"
            "                          settings of mscnn --help apply as in a run\n"
            "  -h, --help              this help\n\n"
            "Per image: file, answer (a class or OTHER), Stage 1 class, its max softmax\n"
            "(msp), the judge score, tau of that class and Stage 1's top %d classes. A\n"
            "summary line goes to stderr. Exit status 1 when a file could not be read\n"
            "(it is named and skipped), 2 for a usage error.\n",
            TOP);
}

static int usage_error(const char *fmt, const char *a, const char *b)
{
    fprintf(stderr, "mscnn predict: ");
    fprintf(stderr, fmt, a, b);
    fprintf(stderr, " (see mscnn predict --help)\n");
    return 2;
}

static int own_value(const char *flag, int argc, char **argv, int *i, const char **val)
{
    size_t len = strlen(flag);
    if (!strncmp(argv[*i], flag, len) && argv[*i][len] == '=') {
        *val = argv[*i] + len + 1;
        return 1;
    }
    if (strcmp(argv[*i], flag))
        return 0;
    if (*i + 1 >= argc)
        return -1;
    *val = argv[++*i];
    return 1;
}

/* 0 run, 1 help printed, 2 usage error printed. */
static int parse(int argc, char **argv, pred_opts_t *po)
{
    memset(po, 0, sizeof *po);
    const char *fmt = "table", *crop = "none";
    static const char *const names[] = {"--model", "--format", "--crop"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        }
        if (!strcmp(a, "--")) {
            while (++i < argc)
                strv_push(&po->paths, argv[i]);
            break;
        }
        int got = 0;
        if (!strcmp(a, "-m")) {
            if (i + 1 >= argc)
                return usage_error("-m expects a value%s%s", "", "");
            po->model = argv[++i];
            continue;
        }
        const char **dest[] = {&po->model, &fmt, &crop};
        for (int j = 0; j < 3 && !got; j++) {
            got = own_value(names[j], argc, argv, &i, &v);
            if (got < 0)
                return usage_error("%s expects a value%s", names[j], "");
            if (got > 0)
                *dest[j] = v;
        }
        if (got)
            continue;
        if (a[0] == '-' && a[1]) {
            strv_push(&po->set, argv[i]);
            if (options_takes_value(a) && i + 1 < argc)
                strv_push(&po->set, argv[++i]);
            continue;
        }
        strv_push(&po->paths, argv[i]);
    }
    if (!po->model || !*po->model)
        return usage_error("give the model directory with -m DIR%s%s", "", "");
    po->format = !strcmp(fmt, "table") ? F_TABLE : !strcmp(fmt, "csv") ? F_CSV
               : !strcmp(fmt, "jsonl") ? F_JSONL : -1;
    if (po->format < 0)
        return usage_error("--format: expected table, csv or jsonl, got '%s'%s", fmt, "");
    po->crop = !strcmp(crop, "center") ? 1 : !strcmp(crop, "none") ? 0 : -1;
    if (po->crop < 0)
        return usage_error("--crop: expected none or center, got '%s'%s", crop, "");
    if (!po->paths.n)
        return usage_error("no FILE or FOLDER given%s%s", "", "");
    return 0;
}

/* ---- the files ---------------------------------------------------------- */

static int has_ext(const char *name, const char *ext)
{
    size_t n = strlen(name), m = strlen(ext);
    return n > m && !strcasecmp(name + n - m, ext);
}

static int wanted(const char *name)
{
    return has_ext(name, ".png") || has_ext(name, ".jpg") || has_ext(name, ".jpeg") ||
           has_ext(name, ".bin");
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static void report_failure(pred_t *p, const char *msg)
{
    fprintf(stderr, "mscnn predict: %s (skipped)\n", msg);
    p->failed++;
}

/* Adds path (a file, or a folder walked recursively) to out. */
static void collect(pred_t *p, const char *path, int top, strv_t *out)
{
    struct stat st;
    err_t e;
    if (stat(path, &st)) {
        err_set(&e, "cannot open '%s': %s", path, strerror(errno));
        report_failure(p, e.msg);
        return;
    }
    if (!S_ISDIR(st.st_mode)) {
        if (top || wanted(path))
            strv_push(out, xstrdup(path));
        return;
    }
    DIR *d = opendir(path);
    if (!d) {
        err_set(&e, "cannot open folder '%s': %s", path, strerror(errno));
        report_failure(p, e.msg);
        return;
    }
    strv_t names = {0};
    for (struct dirent *de; (de = readdir(d));)
        if (de->d_name[0] != '.')
            strv_push(&names, xstrdup(de->d_name));
    closedir(d);
    qsort(names.v, (size_t)names.n, sizeof *names.v, cmp_str);
    size_t len = strlen(path);
    int slash = len && path[len - 1] == '/';
    for (int i = 0; i < names.n; i++) {
        char *full = xmalloc(len + strlen(names.v[i]) + 2);
        sprintf(full, "%s%s%s", path, slash ? "" : "/", names.v[i]);
        collect(p, full, 0, out);
        free(full);
    }
    strv_free(&names);
}

/* ---- output ---------------------------------------------------------------- */

static void csv_field(const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, stdout);
        return;
    }
    putchar('"');
    for (; *s; s++) {
        if (*s == '"')
            putchar('"');
        putchar(*s);
    }
    putchar('"');
}

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

static void json_num(double v)
{
    if (isfinite(v))
        printf("%.9g", v);
    else
        fputs("null", stdout);
}

static void print_header(const pred_t *p, int ntop)
{
    if (p->po->format == F_CSV) {
        printf("file,answer,stage1,msp,judge_score,tau");
        for (int t = 1; t <= ntop; t++)
            printf(",top%d,p%d", t, t);
        putchar('\n');
    } else if (p->po->format == F_TABLE) {
        printf("%-*s  %-*s  %-*s  %6s  %6s  %6s  top %d\n", p->name_w, "file", p->class_w,
               "answer", p->class_w, "stage1", "msp", "score", "tau", ntop);
    }
}

static void top_classes(const float *pr, int k, int *top, int ntop)
{
    for (int t = 0; t < ntop; t++) {
        int best = -1;
        for (int c = 0; c < k; c++) {
            int used = 0;
            for (int u = 0; u < t; u++)
                used |= top[u] == c;
            if (!used && (best < 0 || pr[c] > pr[best]))
                best = c;
        }
        top[t] = best;
    }
}

static void print_row(pred_t *p, int i, const float *pr)
{
    const session_t *s = p->s;
    int k = s->meta.k, c = p->sc.p[i], ntop = k < TOP ? k : TOP, top[TOP];
    double score = p->sc.score[i], tau = s->meta.tau[c], msp = p->sc.msp[i];
    int accepted = score >= tau;
    const char *answer = accepted ? s->meta.class_names[c] : "OTHER";
    p->other += !accepted;
    top_classes(pr, k, top, ntop);
    if (p->po->format == F_CSV) {
        csv_field(p->names[i]);
        putchar(',');
        csv_field(answer);
        putchar(',');
        csv_field(s->meta.class_names[c]);
        printf(",%.9g,%.9g,%.9g", msp, score, tau);
        for (int t = 0; t < ntop; t++) {
            putchar(',');
            csv_field(s->meta.class_names[top[t]]);
            printf(",%.9g", pr[top[t]]);
        }
        putchar('\n');
    } else if (p->po->format == F_JSONL) {
        printf("{\"file\":");
        json_str(p->names[i]);
        printf(",\"answer\":");
        json_str(answer);
        printf(",\"stage1\":");
        json_str(s->meta.class_names[c]);
        printf(",\"msp\":");
        json_num(msp);
        printf(",\"judge_score\":");
        json_num(score);
        printf(",\"tau\":");
        json_num(tau);
        printf(",\"top\":[");
        for (int t = 0; t < ntop; t++) {
            printf("%s{\"class\":", t ? "," : "");
            json_str(s->meta.class_names[top[t]]);
            printf(",\"p\":");
            json_num(pr[top[t]]);
            putchar('}');
        }
        printf("]}\n");
    } else {
        printf("%-*s  %-*s  %-*s  %6.4f  %6.4f  %6.4f ", p->name_w, p->names[i], p->class_w,
               answer, p->class_w, s->meta.class_names[c], msp, score, tau);
        for (int t = 0; t < ntop; t++)
            printf(" %s %.3f", s->meta.class_names[top[t]], pr[top[t]]);
        putchar('\n');
    }
}

/* Scores the gathered images and prints them. */
static void flush(pred_t *p)
{
    if (!p->nb)
        return;
    double l1 = 0, lj = 0;
    long jc = 0;
    p->batch.n = p->nb;
    scored_alloc(&p->sc, p->nb, p->s->meta.k, p->s->cfg.train.tta);
    session_score_batch(p->s, &p->batch, 0, p->nb, &p->sc, &l1, &lj, &jc);
    const float *probs = session_batch_probs(p->s);
    for (int i = 0; i < p->nb; i++) {
        print_row(p, i, probs + (size_t)i * p->s->meta.k);
        free(p->names[i]);
        p->names[i] = NULL;
    }
    p->images += p->nb;
    p->nb = 0;
    fflush(stdout);
}

static void add_image(pred_t *p, const uint8_t *planes, char *name)
{
    memcpy(p->batch.pixels + (size_t)p->nb * IMG_BYTES, planes, IMG_BYTES);
    p->names[p->nb++] = name;
    if (p->nb == p->mb)
        flush(p);
}

static void add_bin(pred_t *p, const char *path)
{
    dataset_t d = {0};
    err_t e;
    if (cifar10_read_file(path, &d, &e)) {
        report_failure(p, e.msg);
        dataset_free(&d);
        return;
    }
    for (int i = 0; i < d.n; i++) {
        char *name = xmalloc(strlen(path) + 16);
        sprintf(name, "%s#%d", path, i);
        add_image(p, d.pixels + (size_t)i * IMG_BYTES, name);
    }
    dataset_free(&d);
}

static void add_file(pred_t *p, const char *path)
{
    if (has_ext(path, ".bin")) {
        add_bin(p, path);
        return;
    }
    rgb_image_t im;
    err_t e;
    if (image_read(path, &im, &e)) {
        report_failure(p, e.msg);
        return;
    }
    uint8_t planes[IMG_BYTES];
    image_resize_planes(&im, p->po->crop, 32, 32, planes);
    rgb_image_free(&im);
    add_image(p, planes, xstrdup(path));
}

static void widths(pred_t *p, const strv_t *files)
{
    p->name_w = 4;
    for (int i = 0; i < files->n; i++) {
        int w = (int)strlen(files->v[i]) + (has_ext(files->v[i], ".bin") ? 6 : 0);
        p->name_w = w > p->name_w ? w : p->name_w;
    }
    p->class_w = 6;
    for (int c = 0; c < p->s->meta.k; c++) {
        int w = (int)strlen(p->s->meta.class_names[c]);
        p->class_w = w > p->class_w ? w : p->class_w;
    }
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int predict(pred_t *p, const pred_opts_t *po)
{
    strv_t files = {0};
    for (int i = 0; i < po->paths.n; i++)
        collect(p, po->paths.v[i], 1, &files);
    widths(p, &files);
    p->mb = p->s->tr.max_batch;
    dataset_t *b = &p->batch;
    b->c = 3;
    b->h = b->w = 32;
    b->k = p->s->meta.k;
    b->pixels = xmalloc((size_t)p->mb * IMG_BYTES);
    b->labels = xcalloc((size_t)p->mb, 1); /* no truth: label 0 */
    p->names = xcalloc((size_t)p->mb, sizeof *p->names);
    print_header(p, p->s->meta.k < TOP ? p->s->meta.k : TOP);
    double t0 = now();
    for (int i = 0; i < files.n; i++)
        add_file(p, files.v[i]);
    flush(p);
    double dt = now() - t0;
    fprintf(stderr, "mscnn predict: %ld images, %ld OTHER, %.0f images/s%s", p->images,
            p->other, dt > 0 ? p->images / dt : 0.0, p->failed ? "" : "\n");
    if (p->failed)
        fprintf(stderr, "; %ld file%s could not be read\n", p->failed, p->failed == 1 ? "" : "s");
    free(b->pixels);
    free(b->labels);
    free(p->names);
    scored_free(&p->sc);
    strv_free(&files);
    return p->failed ? 1 : 0;
}

int predict_main(int argc, char **argv)
{
    pred_opts_t po;
    int rc = parse(argc, argv, &po);
    if (rc) {
        free(po.set.v);
        free(po.paths.v);
        return rc == 1 ? 0 : 2;
    }
    options_t o;
    rc = subcmd_settings("predict", po.model, po.set.n, po.set.v, NULL, &o);
    free(po.set.v);
    session_t s;
    err_t e = {{0}};
    if (!rc) {
        int orc = subcmd_open(&s, &o, 1, &e);
        if (orc) {
            fprintf(stderr, "mscnn predict: %s\n", e.msg);
            rc = orc == -2 ? 2 : 1;
        } else {
            pred_t p = {.s = &s, .po = &po};
            rc = predict(&p, &po);
        }
        session_close(&s);
    }
    free(po.paths.v);
    return rc;
}
