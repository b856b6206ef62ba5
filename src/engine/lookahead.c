/* lookahead.c - airbench's lookahead average of a net's weights. */
#include "engine/lookahead.h"

#include <math.h>
#include <string.h>

void lookahead_init(lookahead_t *la, const net_t *net, long total_steps)
{
    memset(la, 0, sizeof *la);
    la->n = net->total;
    la->total = total_steps > 0 ? total_steps : 1;
    la->be = net->be;
    la->slow = la->be->alloc(la->be, la->n);
    la->be->copy(la->be, la->slow, net->data, la->n);
}

void lookahead_restore(lookahead_t *la, const net_t *net, const float *slow, long step,
                       long total_steps)
{
    lookahead_init(la, net, total_steps);
    la->be->upload(la->be, la->slow, slow, la->n);
    la->step = step;
}

void lookahead_free(lookahead_t *la)
{
    if (la->slow)
        la->be->free(la->be, la->slow);
    memset(la, 0, sizeof *la);
}

double lookahead_decay(long t, long total)
{
    double f = total > 0 ? (double)t / (double)total : 1.0;
    if (f > 1.0)
        f = 1.0;
    return pow(0.95, 5) * f * f * f;
}

int lookahead_step(lookahead_t *la, net_t *net)
{
    if (!la->slow || ++la->step % LOOKAHEAD_EVERY)
        return 0;
    float keep = (float)lookahead_decay(la->step, la->total), take = 1.0f - keep;
    net->be->axpby(net->be, la->n, take, net->data, keep, la->slow);
    net->be->copy(net->be, net->data, la->slow, la->n);
    return 1;
}

void lookahead_finish(lookahead_t *la, net_t *net)
{
    if (la->slow)
        net->be->copy(net->be, net->data, la->slow, la->n);
}
