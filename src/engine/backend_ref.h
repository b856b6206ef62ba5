/* backend_ref.h - the reference ops another backend may take by name.
 *
 * A backend fills its whole table itself (backend.h); where the plain
 * reference loop is what it wants (host memory, small or rare ops), it
 * points at one of these explicitly, one line per op, so the table says
 * which ops are its own.
 */
#ifndef MSCNN_BACKEND_REF_H
#define MSCNN_BACKEND_REF_H

#include "engine/backend.h"

float *ref_alloc(backend_t *be, size_t count);
int32_t *ref_alloc_i32(backend_t *be, size_t count);
void ref_free(backend_t *be, void *p);
void ref_upload(backend_t *be, float *dst, const float *src, size_t count);
void ref_download(backend_t *be, float *dst, const float *src, size_t count);
void ref_upload_i32(backend_t *be, int32_t *dst, const int32_t *src, size_t count);
void ref_download_i32(backend_t *be, int32_t *dst, const int32_t *src, size_t count);
void ref_copy(backend_t *be, float *dst, const float *src, size_t count);
void ref_copy_rows(backend_t *be, int rows, int width, const float *src, int src_stride,
                   float *dst, int dst_stride);
void ref_axpby(backend_t *be, size_t count, float a, const float *x, float b, float *y);
void ref_dropout_mask(backend_t *be, size_t count, float p, uint64_t seed, uint64_t stream,
                      float *mask);
void ref_softmax_xent(backend_t *be, int n, int k, const float *logits, const int32_t *labels,
                      float smoothing, float *probs, float *dlogits, float *stats);

#endif
