/* recipe.c - training recipes: the values of a recipe's settings that the
 * INI file and the command line left alone.
 *
 * keras is the built-in defaults. air is airbench94's recipe (Keller
 * Jordan, 2024) in mscnn's terms, the AIR() values of the settings table.
 * airbench sums the loss over the batch and gives SGD lr 11.5 / kilostep
 * and weight decay 0.0153 x 1024 / kilostep as PyTorch's coupled decay
 * divided by lr, with kilostep = 1024 (1 + 1 / (1 - momentum)); mscnn
 * averages the loss, so its lr is airbench's times the batch (1.5) and its
 * decay airbench's effective decay over that lr (1.33e-3). Warm-up from 0.2
 * over 20 % of 10 epochs, then linear decay to 0; BN biases learn 64x
 * faster.
 *
 * In light mode (about 4 000 training images) a batch of 1024 would leave
 * four steps an epoch, so air's light recipe takes batches of 256 at a
 * quarter of the rate: the same rate per image, four times the steps.
 */
#include "settings/options_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The value of section.key in o's recipe unless given. */
static void recipe_value(options_t *o, const char *section, const char *key, const char *v)
{
    const setting_t *s = setting_find(section, key);
    if (!o->given[s - settings] && setting_store(o, s, v))
        abort(); /* a recipe value its setting refuses */
}

void options_apply_recipe(options_t *o, const char *arch)
{
    if (!strcmp(o->recipe, "auto"))
        snprintf(o->recipe, sizeof o->recipe, "%s", !strcmp(arch, "air") ? "air" : "keras");
    if (strcmp(o->recipe, "air"))
        return; /* keras: the built-in defaults */
    for (size_t i = 0; i < n_settings; i++) {
        const setting_t *s = &settings[i];
        if (s->air && !o->given[i] && setting_store(o, s, s->air))
            abort(); /* the table holds a recipe value its setting refuses */
    }
    if (o->light_mode) {
        recipe_value(o, "train", "batch_size", "256");
        recipe_value(o, "train", "lr", "0.375");
    }
}

int options_adopt(options_t *o, const char *section, const char *key, const char *value)
{
    const setting_t *s = setting_find(section, key);
    if (!s)
        return -1;
    if (o->given[s - settings])
        return 0;
    return setting_store(o, s, value) ? -1 : 1;
}
