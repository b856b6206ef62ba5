/* file.h - opening an input file that must be a bounded regular file.
 *
 * Every file mscnn reads whole (the INI file of -c, model.ini,
 * model.safetensors) goes through fopen_regular(): a directory, a FIFO, a
 * device such as /dev/zero or a socket is refused before a byte is read,
 * and so is a file larger than the caller's bound, with a message naming
 * the file, what it is and what was expected.
 */
#ifndef MSCNN_FILE_H
#define MSCNN_FILE_H

#include <stdio.h>

#include "base/util.h"

/* Opens path for reading ("rb"): NULL with e "WHAT 'PATH' is a directory,
 * not a regular file" (or a FIFO, a character device, ...), "... is N
 * bytes, more than the M-byte limit" or "cannot open WHAT 'PATH': ...".
 * *size (may be NULL) gets the file's size. The caller fcloses. */
FILE *fopen_regular(const char *path, const char *what, size_t max_bytes, size_t *size,
                    err_t *e);

/* "a directory", "a FIFO", "a character device", ... of a st_mode. */
const char *file_kind(unsigned mode);

#endif
