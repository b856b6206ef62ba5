/* model_dir.h - replacing a model directory atomically, and cleaning up
 * after a save that was killed (private to src/model/).
 *
 * A save writes "<dir>.tmp-<pid>" and then swaps it with <dir> in one
 * step: Linux renameat2(RENAME_EXCHANGE), so at every instant <dir> holds
 * the old or the new complete model. On a filesystem that refuses the
 * exchange (say, some network filesystems) it says so once on stderr and
 * falls back to two renames through "<dir>.old-<pid>"; a kill between them
 * leaves no <dir>, which model_dir_recover() repairs on the next run.
 *
 * Test hooks (for tests/save_kill.sh only; never set them otherwise):
 *   MSCNN_TEST_SAVE_DELAY_US=N  sleep N microseconds before and after each
 *                                rename step, widening the window a kill
 *                                can hit.
 *   MSCNN_TEST_SAVE_NO_EXCHANGE=1  behave as if the filesystem refused
 *                                RENAME_EXCHANGE (exercises the fallback).
 */
#ifndef MSCNN_MODEL_DIR_H
#define MSCNN_MODEL_DIR_H

#include "base/util.h"

/* Moves the complete model directory tmp into place as dir (replacing
 * the model there, if any) and removes what it replaced. */
int model_dir_swap(const char *tmp, const char *dir, err_t *e);

/* Repairs what a killed save of dir left behind, each step said on
 * stderr: when dir is missing and "<dir>.old-<pid>" of a dead process
 * holds a model, it is renamed back to dir; then "<dir>.tmp-<pid>" and
 * "<dir>.old-<pid>" directories of dead processes are removed. Never
 * touches the leftovers of a live process. */
void model_dir_recover(const char *dir);

#endif
