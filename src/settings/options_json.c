/* options_json.c - the settings as JSON, for --report_json: one object
 * per INI section, each setting under its INI key with its own type. */
#include "settings/options_table.h"

#include <jansson.h>
#include <stdint.h>

static json_t *setting_json(const options_t *o, const setting_t *s)
{
    const char *field = (const char *)o + s->offset;
    switch (s->kind) {
    case K_INT:
        return json_integer(*(const int *)field);
    case K_U64: { /* jansson's integers are signed 64-bit: larger seeds as text */
        uint64_t v = *(const uint64_t *)field;
        if (v <= INT64_MAX)
            return json_integer((json_int_t)v);
        char buf[32];
        snprintf(buf, sizeof buf, "%llu", (unsigned long long)v);
        return json_string(buf);
    }
    case K_FLOAT:
        return json_real(*(const double *)field);
    case K_BOOL:
        return json_boolean(*(const int *)field);
    default:
        return json_string(field);
    }
}

json_t *options_to_json(const options_t *o)
{
    json_t *doc = json_object();
    json_object_set_new(doc, "config_file",
                        o->config_path[0] ? json_string(o->config_path) : json_null());
    for (int i = 0; setting_sections[i]; i++)
        json_object_set_new(doc, setting_sections[i], json_object());
    for (size_t i = 0; i < n_settings; i++) {
        json_t *v = setting_json(o, &settings[i]);
        json_object_set_new(json_object_get(doc, settings[i].section), settings[i].key,
                            v ? v : json_null());
    }
    return doc;
}
