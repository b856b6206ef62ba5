/* report_json.h - --report_json: the final report as JSON. */
#ifndef MSCNN_REPORT_JSON_H
#define MSCNN_REPORT_JSON_H

#include <jansson.h>

#include "report/report.h"

/* Every figure of print_report() for the test scores t (and the unseen
 * kinds' when unseen is not NULL), the thresholds and how they were
 * chosen, and the model's, data's and device's identity. A new reference
 * (the caller json_decref()s it); the layout is mscnn(1)'s, FILES. */
json_t *report_json(const session_t *s, const scored_t *t, const scored_t *unseen,
                    const tune_info_t *tune);

/* Writes doc to path through a temporary file renamed into place. 0, or
 * -1 with e naming --report_json. */
int report_json_write(const char *path, const json_t *doc, err_t *e);

#endif
