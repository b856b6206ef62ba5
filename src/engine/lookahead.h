/* lookahead.h - airbench's lookahead average of a net's weights.
 *
 * Every LOOKAHEAD_EVERY optimizer steps the slow copy moves toward the
 * weights and the weights jump to it:
 *     slow = d slow + (1 - d) w,  w = slow,  d = 0.95^5 (t / T)^3
 * with t the step of the run and T the run's steps: early on the weights
 * are barely averaged (d near 0), late in the run heavily. The run ends on
 * the slow weights. Everything in the net's flat buffer takes part (BN
 * running statistics too, as airbench's state_dict); momentum does not.
 * The slow copy lives in the net's backend memory and the blend is the
 * backend's axpby, so nothing crosses to the host.
 */
#ifndef MSCNN_LOOKAHEAD_H
#define MSCNN_LOOKAHEAD_H

#include "engine/net.h"

#define LOOKAHEAD_EVERY 5

typedef struct {
    backend_t *be;         /* the net's backend, which owns slow */
    float *slow;           /* (n) backend memory */
    size_t n;
    long step, total;
} lookahead_t;

/* Starts from the net's current weights for a run of total_steps steps. */
void lookahead_init(lookahead_t *la, const net_t *net, long total_steps);
/* The same, resumed: the slow copy (net->total floats, host memory) as it
 * stood at `step` of `total_steps`. */
void lookahead_restore(lookahead_t *la, const net_t *net, const float *slow, long step,
                       long total_steps);
void lookahead_free(lookahead_t *la);
/* After each optimizer step. Returns 1 when it moved the weights. */
int lookahead_step(lookahead_t *la, net_t *net);
/* The end of the run: the weights become the slow copy. */
void lookahead_finish(lookahead_t *la, net_t *net);
/* d at step t of T. */
double lookahead_decay(long t, long total);

#endif
