/* help.c - mscnn --help: a fixed head and tail around the settings table's
 * help texts, group by group (options_table.h says how a text is written).
 */
#ifdef HAVE_CONFIG_H
#include "config.h"
#endif

#include "settings/options_table.h"

#include <stdio.h>
#include <string.h>

#ifndef SYSCONFDIR
#define SYSCONFDIR "/usr/local/etc"
#endif

#define TEXT_COL 26 /* where the texts start */

static const char *const headings[H_NGROUPS] = {
    [H_TRAINING] = "Training:", [H_DATA] = "Data:", [H_STAGE2] = "Stage 2:",
    [H_OUTPUT] = "Output:",     [H_GENERAL] = "General:",
};

/* The options that are not settings, after the General settings. */
static const char *const extras[][2] = {
    {"  -c, --config FILE", "read settings from FILE instead of the\ndefault config file"},
    {"  -h, --help", "show this help and exit"},
    {"      --version", "show the version and exit"},
};

/* text with "%s" as s's default, "%l" as its choices, and every "\n"
 * continued at the text column */
static void print_text(FILE *fp, const char *text, const setting_t *s)
{
    for (const char *p = text; *p; p++) {
        if (s && p[0] == '%' && p[1] == 's') {
            fputs(s->def, fp);
            p++;
        } else if (s && s->choices && p[0] == '%' && p[1] == 'l') {
            char names[256];
            join_or(names, sizeof names, s->choices, "", "");
            fputs(names, fp);
            p++;
        } else if (*p == '\n') {
            fprintf(fp, "\n%*s", TEXT_COL, "");
        } else {
            fputc(*p, fp);
        }
    }
}

/* label, then the text at the text column (on the next line when the
 * label leaves no room) */
static void print_entry(FILE *fp, const char *label, const char *text, const setting_t *s)
{
    size_t n = strlen(label);
    fputs(label, fp);
    if (n + 1 <= TEXT_COL)
        fprintf(fp, "%*s", (int)(TEXT_COL - n), "");
    else
        fprintf(fp, "\n%*s", TEXT_COL, "");
    print_text(fp, text, s);
    fputc('\n', fp);
}

static void print_setting(FILE *fp, const setting_t *s)
{
    char label[128];
    if (s->arg)
        snprintf(label, sizeof label, "      --%s %s", s->opt[0], s->arg);
    else
        snprintf(label, sizeof label, "      --%s", s->opt[0]);
    print_entry(fp, label, s->help, s);
}

/* The settings of group g by help_at (those without a place last). */
static void print_group(FILE *fp, int g)
{
    int last = 0;
    for (size_t i = 0; i < n_settings; i++)
        if (settings[i].help_group == g && settings[i].help_at > last)
            last = settings[i].help_at;
    fprintf(fp, "\n%s\n", headings[g]);
    for (int at = 1; at <= last + 1; at++)
        for (size_t i = 0; i < n_settings; i++)
            if (settings[i].help_group == g && settings[i].opt[0] &&
                (at <= last ? settings[i].help_at == at : settings[i].help_at == 0))
                print_setting(fp, &settings[i]);
}

void options_print_help(FILE *fp, const char *prog)
{
    if (!prog || !*prog)
        prog = "mscnn";
    const char *slash = strrchr(prog, '/');
    if (slash && slash[1])
        prog = slash + 1;

    fprintf(fp,
            "Usage: %s [--batch] [OPTIONS]\n"
            "Train and evaluate a two-stage CNN image classifier on CIFAR-10:\n"
            "Stage 1 classifies, one judge per class says whether Stage 1 is right,\n"
            "and an answer whose judge scores it under tau becomes the class OTHER.\n"
            "Without --batch, on a terminal, it opens the interactive workbench\n"
            "(? there lists the keys); --batch trains headless, prints the test\n"
            "report and exits.\n", prog);
    for (int g = H_TRAINING; g < H_NGROUPS; g++)
        print_group(fp, g);
    for (size_t j = 0; j < sizeof extras / sizeof extras[0]; j++)
        print_entry(fp, extras[j][0], extras[j][1], NULL);
    fprintf(fp,
            "\n"
            "Every option with an underscore also takes hyphens (--batch-size).\n"
            "Options must be written in full; abbreviations are refused.\n"
            "\n"
            "Settings come from the built-in defaults, then the config file, then\n"
            "the command line, each overriding the one before. The config file is\n"
            "FILE from -c, else $XDG_CONFIG_HOME/mscnn/mscnn.ini\n"
            "(~/.config/mscnn/mscnn.ini) when it exists. It also holds settings with\n"
            "no option (augmentation, schedule, judges, ...); copy\n"
            "the commented template to start one:\n"
            "  %s/mscnn/mscnn.ini\n"
            "\n"
            "Exit status: 0 success, 1 runtime error, 2 usage error (or no\n"
            "terminal for the workbench), 130 stopped by a signal (model saved).\n"
            "Full documentation: man mscnn\n",
            SYSCONFDIR);
}
