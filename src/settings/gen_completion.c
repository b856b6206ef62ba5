/* gen_completion.c - writes mscnn's bash completion from the settings table.
 *
 * A build tool (make builds completion/mscnn with it; `make install` puts
 * that into $(datadir)/bash-completion/completions/): every option of the
 * table (the spelling --help shows) and the command line's own -c/--config,
 * -h/--help and --version; after an option that takes a value, its choices
 * (K_CHOICE), file names (K_PATH, -c) or the boolean words (K_BOOL given a
 * value). The subcommands and their own flags are not in the table (the
 * front end, src/cli/, parses them), so they come as arguments, which the
 * Makefile reads from `mscnn --help` and `mscnn CMD --help`:
 *
 *     gen_completion [CMD=FLAGS[:VALUE_FLAGS][+]]...
 *
 * FLAGS are CMD's own flags, space-separated, VALUE_FLAGS those of them
 * that take a value, and a trailing + says CMD also takes the settings'
 * options (predict, eval and compare do, bench does not). Exit 2 on a
 * malformed argument, naming it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "settings/options_table.h"

#define MAX_CMDS 16

typedef struct {
    char name[32];
    const char *flags, *value_flags; /* into the argument (modified in place) */
    int settings;
} cmd_t;

/* "NAME=FLAGS[:VALUE_FLAGS][+]" -> c (arg is cut up); 0, or -1 when malformed. */
static int parse_cmd(char *arg, cmd_t *c)
{
    size_t n = strspn(arg, "abcdefghijklmnopqrstuvwxyz");
    if (n == 0 || n >= sizeof c->name || arg[n] != '=')
        return -1;
    char *flags = arg + n + 1;
    if (flags[strspn(flags, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_- :+")])
        return -1; /* nothing the shell script would have to quote */
    memcpy(c->name, arg, n);
    c->name[n] = 0;
    size_t len = strlen(flags);
    c->settings = len > 0 && flags[len - 1] == '+';
    if (c->settings)
        flags[len - 1] = 0;
    char *colon = strchr(flags, ':');
    c->value_flags = "";
    if (colon) {
        *colon = 0;
        c->value_flags = colon + 1;
    }
    c->flags = flags;
    return strchr(flags, '+') || strchr(c->value_flags, '+') || strchr(c->value_flags, ':') ? -1 : 0;
}

static void print_table_options(void)
{
    printf("_mscnn_opts='-c --config -h --help --version");
    for (size_t i = 0; i < n_settings; i++)
        if (settings[i].opt[0])
            printf(" --%s", settings[i].opt[0]);
    printf("'\n");
}

/* case arms: the values an option's argument may take */
static void print_values(void)
{
    printf("_mscnn_values() {\n    case $1 in\n");
    printf("    -c | --config) _mscnn_files ;;\n");
    for (size_t i = 0; i < n_settings; i++) {
        const setting_t *s = &settings[i];
        if (!s->opt[0] || s->flag)
            continue;
        printf("    --%s", s->opt[0]);
        if (s->opt[1])
            printf(" | --%s", s->opt[1]);
        printf(") ");
        if (s->kind == K_CHOICE) {
            printf("_mscnn_words '");
            for (const char *const *c = s->choices; *c; c++)
                printf("%s%s", c == s->choices ? "" : " ", *c);
            printf("'");
        } else if (s->kind == K_PATH) {
            printf("_mscnn_files");
        } else if (s->kind == K_BOOL) {
            printf("_mscnn_words '1 0 true false yes no on off'");
        } else {
            printf("return 0"); /* a number or free text: nothing to offer */
        }
        printf(" ;;\n");
    }
    printf("    *) return 1 ;;\n    esac\n}\n");
}

/* 0 when flag (an option of the table, or -c) takes a value */
static void print_value_options(void)
{
    printf("_mscnn_takes_value() {\n    case $1 in\n    -c | --config");
    for (size_t i = 0; i < n_settings; i++) {
        const setting_t *s = &settings[i];
        if (!s->opt[0] || s->flag)
            continue;
        printf(" | --%s", s->opt[0]);
        if (s->opt[1])
            printf(" | --%s", s->opt[1]);
    }
    printf(") return 0 ;;\n    *) return 1 ;;\n    esac\n}\n");
}

static void print_commands(const cmd_t *cmds, int n)
{
    printf("_mscnn_commands='");
    for (int i = 0; i < n; i++)
        printf("%s%s", i ? " " : "", cmds[i].name);
    printf("'\n");
    printf("# a subcommand's own flags; those that take a value; 1 if the settings apply\n");
    printf("_mscnn_command() {\n    case $1 in\n");
    for (int i = 0; i < n; i++)
        printf("    %s) _mscnn_own='%s' _mscnn_own_value='%s' _mscnn_settings=%d ;;\n",
               cmds[i].name, cmds[i].flags, cmds[i].value_flags, cmds[i].settings);
    printf("    *) return 1 ;;\n    esac\n}\n");
}

static const char *const driver =
    "_mscnn_words() { COMPREPLY=($(compgen -W \"$1\" -- \"$_mscnn_cur\")); }\n"
    "_mscnn_files() { compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- \"$_mscnn_cur\")); }\n"
    "_mscnn_in() { case \" $2 \" in *\" $1 \"*) return 0 ;; esac; return 1; }\n"
    "\n"
    "_mscnn() {\n"
    "    local cur=${COMP_WORDS[COMP_CWORD]} prev= opt=\n"
    "    local _mscnn_cur _mscnn_own= _mscnn_own_value= _mscnn_settings=1 sub=\n"
    "    [ \"$COMP_CWORD\" -gt 0 ] && prev=${COMP_WORDS[COMP_CWORD-1]}\n"
    "    COMPREPLY=()\n"
    "    # mscnn dispatches on its first argument only\n"
    "    if [ \"$COMP_CWORD\" -gt 1 ] && _mscnn_in \"${COMP_WORDS[1]}\" \"$_mscnn_commands\"; then\n"
    "        sub=${COMP_WORDS[1]}\n"
    "        _mscnn_command \"$sub\"\n"
    "    fi\n"
    "    # --opt=VALUE: bash splits the word at '='\n"
    "    if [ \"$cur\" = \"=\" ]; then\n"
    "        opt=$prev cur=\n"
    "    elif [ \"$prev\" = \"=\" ] && [ \"$COMP_CWORD\" -gt 1 ]; then\n"
    "        opt=${COMP_WORDS[COMP_CWORD-2]}\n"
    "    elif _mscnn_in \"$prev\" \"$_mscnn_own_value\" ||\n"
    "        { [ \"$_mscnn_settings\" = 1 ] && _mscnn_takes_value \"$prev\"; }; then\n"
    "        opt=$prev\n"
    "    fi\n"
    "    _mscnn_cur=$cur\n"
    "    if [ -n \"$opt\" ]; then\n"
    "        [ \"$_mscnn_settings\" = 1 ] && _mscnn_values \"$opt\" && return 0\n"
    "        if _mscnn_in \"$opt\" \"$_mscnn_own_value\"; then\n"
    "            _mscnn_files  # a subcommand's value: a model directory, a file, ...\n"
    "            return 0\n"
    "        fi\n"
    "    fi\n"
    "    case $cur in\n"
    "    -*)\n"
    "        local words=$_mscnn_own\n"
    "        [ \"$_mscnn_settings\" = 1 ] && words=\"$words $_mscnn_opts\"\n"
    "        _mscnn_words \"$words\"\n"
    "        ;;\n"
    "    *)\n"
    "        if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
    "            _mscnn_words \"$_mscnn_commands\"\n"
    "        elif [ -n \"$sub\" ]; then\n"
    "            _mscnn_files  # predict's pictures and folders\n"
    "        fi\n"
    "        ;;\n"
    "    esac\n"
    "    return 0\n"
    "}\n"
    "complete -F _mscnn mscnn\n";

int main(int argc, char **argv)
{
    cmd_t cmds[MAX_CMDS];
    int n = 0;
    for (int i = 1; i < argc; i++) {
        if (n == MAX_CMDS || parse_cmd(argv[i], &cmds[n])) {
            fprintf(stderr, "gen_completion: argument %d '%s': expected CMD=FLAGS[:VALUE_FLAGS][+] "
                            "(at most %d)\n", i, argv[i], MAX_CMDS);
            return 2;
        }
        n++;
    }
    printf("# bash completion for mscnn -*- shell-script -*-\n"
           "# Generated by gen_completion from the settings table (src/settings/options_table.c)\n"
           "# and the subcommands' --help; do not edit.\n\n");
    print_table_options();
    print_commands(cmds, n);
    print_value_options();
    print_values();
    fputs(driver, stdout);
    return ferror(stdout) || fflush(stdout) ? 1 : 0;
}
