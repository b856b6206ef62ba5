/* setup.h - each layer's config from the settings, for the front ends.
 *
 * The settings (options_t) belong to the front ends; the layers below take
 * configs of their own: data_config_t (data/), train_config_t and
 * session_config_t (train/), finish_config_t (report/). These functions
 * fill them, field by field; the values were checked when they were parsed.
 */
#ifndef MSCNN_SETUP_H
#define MSCNN_SETUP_H

#include "data/data_select.h"
#include "report/outputs.h"
#include "settings/options.h"
#include "train/session.h"
#include "train/train.h"

/* The data of a run; split_seed and folder_seed are the run's --seed. */
void setup_data_config(const options_t *o, data_config_t *c);
/* The recipe of a run, from settings the recipe was applied to. */
void setup_train_config(const options_t *o, train_config_t *c);
void setup_finish_config(const options_t *o, finish_config_t *c);

/* A session's config: the settings with the recipe applied that goes with
 * the model the session starts from (its architecture: that of the saved
 * model it resumes, else --arch; see options_apply_recipe()). 0, -1 with
 * e set when that model cannot be read (as session_open() would say), or -2
 * (a usage error) when --output_dir is --save_model or inside it or
 * setup_preflight() refuses a setting. */
int setup_session_config(const options_t *o, session_config_t *c, err_t *e);

/* Before the first training step: --tune_threshold parses, --predictions
 * is a file that can be created, --save_model is missing or an mscnn model
 * in a writable directory (after repairing a killed save), --output_dir is
 * a writable directory or can be created. 0, or -2 (a usage error) with e
 * naming the flag. Called by setup_session_config(). */
int setup_preflight(const options_t *o, err_t *e);

/* The settings as a run on a model of architecture arch resolves them
 * (the recipe applied, as setup_session_config() does) as JSON, for
 * finish_config_t's settings: options_to_json(). A new reference. */
struct json_t *setup_settings_json(const options_t *o, const char *arch);

/* setup_session_config() then session_open(): 0, -1 or -2 as session_open();
 * s is ready for session_close() in every case. */
int setup_session_open(session_t *s, const options_t *o, err_t *e);

#endif
