/* options_table.c - every setting once: the table of options_table.h.
 *
 * The entries are in INI order, section by section: an unknown key's
 * message lists a section's keys in this order. OPT's number is the
 * option's place in the option list, HELP's its place in its --help group.
 */
#include "settings/options_table.h"

#include <stddef.h>
#include "backends/registry.h"
#include "engine/net.h"

static const char *const dataset_names[] = {"auto", "cifar10", "cifar100", "folder", "synth",
                                             NULL};
static const char *const label_names[] = {"fine", "coarse", NULL};
static const char *const schedule_names[] = {"constant", "linear", "cosine", NULL};
static const char *const recipe_names[] = {"auto", "keras", "air", NULL};
static const char *const fill_names[] = {"zero", "reflect", NULL};
static const char *const flip_names[] = {"random", "alternate", "none", NULL};
static const char *const precision_names[] = {"auto", "fp32", "bf16", NULL};

const char *const setting_sections[] = {"run", "data", "train", "stage2", NULL};

#define FIELD(f) .offset = offsetof(options_t, f), .size = sizeof(((options_t *)0)->f)
#define AT(sec, k, f, d) .section = sec, .key = k, FIELD(f), .def = d
#define INT(sec, k, f, lo, hi, d) .kind = K_INT, AT(sec, k, f, d), .ilo = lo, .ihi = hi
#define U64(sec, k, f, d) .kind = K_U64, AT(sec, k, f, d)
#define FLT(sec, k, f, lo, hi, b, d) \
    .kind = K_FLOAT, AT(sec, k, f, d), .flo = lo, .fhi = hi, .bounds = b
#define BOOL(sec, k, f, d) .kind = K_BOOL, AT(sec, k, f, d)
#define PATH(sec, k, f, empty, d) .kind = K_PATH, AT(sec, k, f, d), .allow_empty = empty
#define TEXT(sec, k, f, d) .kind = K_TEXT, AT(sec, k, f, d), .allow_empty = 1
#define CHOICE(sec, k, f, names, d) .kind = K_CHOICE, AT(sec, k, f, d), .choices = names
/* --a (shown) and --b (alias, or NULL), at place n of the option list */
#define OPT(n, a, b) .opt_at = n, .opt = {a, b}
#define FLAG(n, a, b) OPT(n, a, b), .flag = 1
/* --help: group g, place n in it, value name arg (NULL for a flag), text */
#define HELP(g, n, argname, text) .help_group = g, .help_at = n, .arg = argname, .help = text
#define DOC(text) .help = text
#define AIR(v) .air = v

const setting_t settings[] = {
    /* [run] */
    {BOOL("run", "batch", batch_mode, "0"), FLAG(1, "batch", NULL),
     HELP(H_GENERAL, 1, NULL, "run headless: train, report, save, exit")},
    {BOOL("run", "no_color", no_color, "0"), FLAG(30, "no-color", "no_color"),
     HELP(H_GENERAL, 2, NULL, "draw the workbench without colours (so does\n"
                              "a non-empty NO_COLOR environment variable)")},
    {BOOL("run", "quiet", quiet, "0"), FLAG(33, "quiet", NULL),
     HELP(H_GENERAL, 3, NULL, "with --batch: no banner, progress or epoch\n"
                              "lines; only the report on stdout and errors\n"
                              "and warnings on stderr")},
    {INT("run", "threads", threads, 0, 1024, "0"), OPT(11, "threads", NULL),
     HELP(H_TRAINING, 17, "N", "worker threads, 0 to 1024; 0 = all cores\n(default %s)")},
    /* the device names are the registry's: it checks them */
    {TEXT("run", "device", device, "auto"), .check = backend_device_check,
     OPT(12, "device", NULL),
     HELP(H_TRAINING, 15, "NAME", "auto, cpu, ref (plain reference loops) or gpu[:N]\n"
                                  "(default %s: the GPU when this build has one and\n"
                                  "a device answers)")},
    {CHOICE("run", "precision", precision, precision_names, "auto"), OPT(43, "precision", NULL),
     HELP(H_TRAINING, 16, "P", "auto, fp32 or bf16: what convolutions compute\n"
                               "in; weights, statistics and loss stay fp32\n"
                               "(default %s: bf16 for the air recipe where the\n"
                               "CPU has bf16 instructions, else fp32)")},
    {U64("run", "seed", seed, "42"), OPT(10, "seed", NULL),
     HELP(H_TRAINING, 14, "N", "random seed, 0 to 2^64-1 (default %s)")},
    {PATH("run", "output_dir", output_dir, 0, "."), OPT(13, "output_dir", "output-dir"),
     HELP(H_OUTPUT, 1, "DIR", "where history.csv is written (default %s)")},
    {PATH("run", "save_model", save_model, 0, "multistage_cnn_model"),
     OPT(6, "save_model", "save-model"),
     HELP(H_OUTPUT, 2, "DIR", "where the trained model is saved\n(default %s)")},
    {PATH("run", "load_model", load_model, 1, ""), OPT(5, "load_model", "load-model"),
     HELP(H_OUTPUT, 3, "DIR", "start from the model saved in DIR\n"
                              "(default: none, train from scratch)")},
    {BOOL("run", "save_best", save_best, "1"), OPT(41, "save_best", "save-best"),
     HELP(H_OUTPUT, 7, "BOOL", "also keep the model of the epoch with the best\n"
                               "Stage 1 validation accuracy, in DIR.best\n"
                               "beside --save_model DIR (default %s)")},
    {BOOL("run", "resume", resume, "0"), FLAG(40, "resume", NULL),
     HELP(H_OUTPUT, 6, NULL, "continue the interrupted run saved in\n"
                             "--load_model (or --save_model) on its own\n"
                             "schedule, to the epoch it planned; without\n"
                             "it, --load_model with --epochs N fine-tunes\n"
                             "for N epochs on a fresh schedule")},

    /* [data] */
    {CHOICE("data", "dataset", dataset, dataset_names, "auto"), OPT(9, "dataset", NULL),
     HELP(H_DATA, 1, "NAME", "auto, cifar10, cifar100, folder or synth\n"
                             "(default %s: CIFAR-10 when found, else the\n"
                             "built-in synth set)")},
    {PATH("data", "data_dir", data_dir, 1, ""), OPT(8, "data_dir", "data-dir"),
     HELP(H_DATA, 2, "DIR", "the data: CIFAR-10 or CIFAR-100 binary files,\n"
                            "or the root of a folder of class/*.png\n"
                            "(default: search $MSCNN_DATA,\n"
                            "./data/cifar-10-batches-bin and\n"
                            "$XDG_CACHE_HOME/mscnn/cifar-10-batches-bin)")},
    {CHOICE("data", "cifar100_labels", cifar100_labels, label_names, "fine"),
     DOC("CIFAR-100 labels: fine (100 classes) or coarse (20 superclasses)")},
    {BOOL("data", "light_mode", light_mode, "0"), FLAG(4, "light_mode", "light-mode"),
     HELP(H_DATA, 3, NULL, "train and test on a small balanced subset\n"
                           "(5000 train, 1000 test) for quick runs")},
    {FLT("data", "val_fraction", val_fraction, 0.0, 0.9, 0, "0.1"),
     DOC("fraction of the training images held out for validation")},
    {INT("data", "val_light", val_light, 0, 100000, "500"),
     DOC("validation images held out in light mode")},
    {BOOL("data", "augment", augment, "1"),
     DOC("training augmentation: random crop and horizontal flip")},
    {INT("data", "crop_pad", crop_pad, 0, 16, "4"), AIR("2"),
     DOC("padding of the random crop (a random translation) in pixels")},
    {CHOICE("data", "crop_fill", crop_fill, fill_names, "zero"), AIR("reflect"),
     DOC("what the crop's padding holds: zero or reflect")},
    {CHOICE("data", "flip", flip, flip_names, "random"), OPT(23, "flip", NULL), AIR("alternate"),
     HELP(H_TRAINING, 11, "MODE", "training flips: random, alternate (each image\n"
                                  "flipped every other epoch) or none\n"
                                  "(default %s)")},
    {TEXT("data", "holdout_classes", holdout_classes, ""),
     OPT(31, "holdout_classes", "holdout-classes"),
     HELP(H_DATA, 4, "LIST", "train without these categories (names or\n"
                             "indices, cat,dog); their test images become\n"
                             "the report's unseen kinds")},
    {PATH("data", "ood_data", ood_data, 1, ""), OPT(32, "ood_data", "ood-data"),
     HELP(H_DATA, 5, "PATH", "images of kinds the model never saw, for the\n"
                             "report's unseen kinds: a CIFAR-10 format\n"
                             "binary file or a folder of 32x32 PNGs\n"
                             "(labels ignored)")},
    {INT("data", "synth_train", synth_train, 10, 1000000, "5000"),
     DOC("training images of the built-in synth set")},
    {INT("data", "synth_test", synth_test, 10, 1000000, "1000"),
     DOC("test images of the built-in synth set")},

    /* [train] */
    {CHOICE("train", "arch", arch, net_stage1_arch_names, "air"), OPT(14, "arch", NULL),
     HELP(H_TRAINING, 4, "NAME", "Stage 1 network: %l (default %s)")},
    {INT("train", "epochs", epochs, 0, 100000, "50"), OPT(2, "epochs", NULL), AIR("10"),
     .cli_mark = 1 + offsetof(options_t, epochs_given),
     HELP(H_TRAINING, 1, "N", "training epochs, 0 to 100000; 0 only evaluates\n"
                              "(default %s)")},
    {INT("train", "patience", patience, 0, 100000, "0"), OPT(42, "patience", NULL),
     HELP(H_TRAINING, 18, "N", "stop when Stage 1's validation accuracy has\n"
                               "not improved for N epochs; 0 = never\n"
                               "(default %s)")},
    {INT("train", "batch_size", batch_size, 1, 65536, "32"), OPT(3, "batch_size", "batch-size"),
     AIR("1024"), HELP(H_TRAINING, 2, "N", "mini-batch size, 1 to 65536 (default %s)")},
    {FLT("train", "lr", lr, 0.0, 10.0, B_OPEN_LO, "0.02"), OPT(15, "lr", NULL), AIR("1.5"),
     HELP(H_TRAINING, 3, "X", "peak learning rate, 0 < X <= 10 (default %s)")},
    {FLT("train", "momentum", momentum, 0.0, 1.0, B_OPEN_HI, "0.9"), OPT(18, "momentum", NULL),
     AIR("0.85"), HELP(H_TRAINING, 6, "X", "SGD momentum, 0 <= X < 1 (default %s)")},
    {BOOL("train", "nesterov", nesterov, "1"), AIR("1"), DOC("Nesterov momentum")},
    {FLT("train", "weight_decay", weight_decay, 0.0, 1.0, 0, "0.0005"),
     OPT(19, "weight_decay", "weight-decay"), AIR("0.00133"),
     HELP(H_TRAINING, 7, "X", "L2 weight decay, 0 to 1 (default %s)")},
    {FLT("train", "label_smoothing", label_smoothing, 0.0, 1.0, B_OPEN_HI, "0"),
     OPT(20, "label_smoothing", "label-smoothing"), AIR("0.2"),
     HELP(H_TRAINING, 8, "X", "label smoothing, 0 <= X < 1 (default %s)")},
    {FLT("train", "warmup_epochs", warmup_epochs, 0.0, 1000.0, 0, "1"),
     OPT(21, "warmup_epochs", "warmup-epochs"), AIR("2"),
     HELP(H_TRAINING, 9, "X", "learning-rate warm-up in epochs (default %s)")},
    {FLT("train", "warmup_from", warmup_from, 0.0, 1.0, 0, "0"), AIR("0.2"),
     DOC("the learning rate the warm-up starts at, as a fraction of lr")},
    {CHOICE("train", "lr_schedule", lr_schedule, schedule_names, "linear"), AIR("linear"),
     DOC("learning-rate schedule after the warm-up")},
    {FLT("train", "bn_bias_lr_scale", bn_bias_lr_scale, 0.0, 1000.0, B_OPEN_LO, "1"),
     AIR("64"), DOC("learning-rate multiplier of Stage 1's batch-norm biases")},
    {BOOL("train", "lookahead", lookahead, "0"), OPT(22, "lookahead", NULL), AIR("1"),
     HELP(H_TRAINING, 10, "BOOL", "airbench's lookahead average of Stage 1's\n"
                                  "weights every 5 steps (default off)")},
    {INT("train", "tta", tta, 0, 2, "0"), OPT(17, "tta", NULL), AIR("2"),
     HELP(H_TRAINING, 12, "N", "test-time augmentation of Stage 1: 0 none,\n"
                               "1 flip, 2 flip and 1-pixel shifts (default %s)")},
    {INT("train", "epoch_tta", epoch_tta, 0, 2, "2"), OPT(44, "epoch_tta", "epoch-tta"), AIR("0"),
     HELP(H_TRAINING, 13, "N", "the TTA level, at most --tta, of the judge pool\n"
                               "and validation in epochs before the run's last\n"
                               "(every epoch uses --tta with --patience; air: 0)")},
    {CHOICE("train", "recipe", recipe, recipe_names, "auto"), OPT(16, "recipe", NULL),
     HELP(H_TRAINING, 5, "NAME", "training recipe: auto (the network's), keras\n"
                                 "(the defaults shown here, basic's) or air\n"
                                 "(airbench94, the default network's: 10 epochs,\n"
                                 "batch 1024, lr 1.5, momentum 0.85, label\n"
                                 "smoothing 0.2, lookahead, TTA 2, ...; batch 256\n"
                                 "and lr 0.375 in light mode); settings given in\n"
                                 "the config file or on the command line override\n"
                                 "the recipe's")},

    /* [stage2] */
    {BOOL("stage2", "stage2_only", stage2_only, "0"), FLAG(24, "stage2_only", "stage2-only"),
     HELP(H_STAGE2, 1, NULL, "train the judges only; Stage 1 stays frozen")},
    {TEXT("stage2", "stage2_categories", stage2_categories, ""),
     OPT(25, "stage2_categories", "stage2-categories"),
     HELP(H_STAGE2, 2, "LIST", "judges to train, names or indices (ship,9);\n"
                               "the rest stay frozen (default: all)")},
    {FLT("stage2", "threshold", threshold, 0.0, 1.0, 0, "0.7"), OPT(26, "threshold", NULL),
     .cli_mark = 1 + offsetof(options_t, threshold_given),
     HELP(H_STAGE2, 3, "T", "confidence threshold tau, 0 to 1 (default %s)")},
    {TEXT("stage2", "tune_threshold", tune_threshold, ""),
     OPT(27, "tune_threshold", "tune-threshold"),
     HELP(H_STAGE2, 4, "RULE", "choose tau on the validation split: accuracy,\n"
                               "coverage=C or risk=R[,delta=D]")},
    {BOOL("stage2", "per_category", per_category, "0"), FLAG(28, "per_category", "per-category"),
     HELP(H_STAGE2, 5, NULL, "tune one tau per category")},
    {FLT("stage2", "judge_holdout", judge_holdout, 0.0, 0.5, B_OPEN_LO, "0.1"),
     DOC("fraction of the training images only the judges see")},
    {INT("stage2", "judge_batch_size", judge_batch_size, 1, 65536, "16"),
     DOC("judge mini-batch size")},
    {INT("stage2", "judge_passes", judge_passes, 1, 100, "4"),
     DOC("augmented views of the judge split per epoch")},
    {FLT("stage2", "judge_lr", judge_lr, 0.0, 10.0, B_OPEN_LO, "0.03"),
     DOC("judge learning rate")},
    {FLT("stage2", "judge_momentum", judge_momentum, 0.0, 1.0, B_OPEN_HI, "0.9"),
     DOC("judge SGD momentum (Nesterov)")},
    {FLT("stage2", "judge_weight_decay", judge_weight_decay, 0.0, 1.0, 0, "0.0005"),
     DOC("judge L2 weight decay")},

    /* [run], listed last in its section's keys */
    {PATH("run", "predictions", predictions, 1, ""), OPT(29, "predictions", NULL),
     HELP(H_STAGE2, 6, "FILE", "write one CSV row per test image")},
    {PATH("run", "report_json", report_json, 1, ""), OPT(34, "report_json", "report-json"),
     HELP(H_OUTPUT, 4, "FILE", "write the final report, the settings and the\n"
                               "model's identity as JSON (man mscnn: layout)")},
    {INT("run", "progress_every", progress_every, 0, 86400, "30"),
     OPT(35, "progress_every", "progress-every"),
     HELP(H_GENERAL, 4, "SECONDS", "with --batch and stderr not a terminal: a\n"
                                   "progress line every SECONDS, 0 to 86400;\n"
                                   "0 = after every step (default %s)")},
};

const size_t n_settings = sizeof settings / sizeof settings[0];
_Static_assert(sizeof settings / sizeof settings[0] <= OPTIONS_MAX_SETTINGS,
               "raise OPTIONS_MAX_SETTINGS");
