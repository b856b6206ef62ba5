/* history.h - history.csv, one row per epoch, written through libcsv and
 * flushed after every row so a killed run keeps what it did. */
#ifndef MSCNN_HISTORY_H
#define MSCNN_HISTORY_H

#include <stdio.h>

#include "base/util.h"

typedef struct {
    FILE *fp;
    char path[4096];
    int ncols;
} history_t;

/* Creates <dir>/history.csv with the header cols[0..ncols) (after_epoch
 * < 0). A run that continues a model saved after epoch after_epoch >= 0
 * continues an existing file whose header is the same: rows are appended,
 * after dropping those of later epochs (a killed run may have written the
 * row of an epoch it did not save). */
int history_open(history_t *h, const char *dir, const char *const *cols, int ncols,
                 int after_epoch, err_t *e);
/* One row of ncols numbers; integers print without a fraction. */
int history_write(history_t *h, const double *vals, err_t *e);
void history_close(history_t *h);

/* Reads the columns named want[0..nwant) of a history.csv (parsed with
 * libcsv). cols[j] gets a malloc'd array of *rows values (NaN where a cell
 * is not a number; a missing column is all NaN). Free each cols[j]. */
int history_read(const char *path, const char *const *want, int nwant, double **cols,
                 int *rows, err_t *e);

#endif
