/* lookahead.c - airbench's lookahead average of a net's weights. */
#include "train/lookahead.h"

#include <math.h>
#include <string.h>

void lookahead_init(lookahead_t *la, const net_t *net, long total_steps)
{
    memset(la, 0, sizeof *la);
    la->n = net->total;
    la->total = total_steps > 0 ? total_steps : 1;
    la->slow = afloat(la->n);
    la->host = afloat(la->n);
    net->be->download(net->be, la->slow, net->data, la->n);
}

void lookahead_free(lookahead_t *la)
{
    afree(la->slow);
    afree(la->host);
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
    net->be->download(net->be, la->host, net->data, la->n);
    for (size_t i = 0; i < la->n; i++)
        la->slow[i] = keep * la->slow[i] + take * la->host[i];
    net->be->upload(net->be, net->data, la->slow, la->n);
    return 1;
}

void lookahead_finish(lookahead_t *la, net_t *net)
{
    if (la->slow)
        net->be->upload(net->be, net->data, la->slow, la->n);
}
