/* bench.h - `mscnn bench`: training and inference speed of a network on
 * synthetic input, and where one training step's time goes. */
#ifndef MSCNN_BENCH_H
#define MSCNN_BENCH_H

/* argv[0] is "bench"; the rest are bench's own options (see --help).
 * Prints a table and ends with one machine-readable line
 *   train_img_s=... infer_img_s=... gflop_per_img=... train_gflops=...
 * Returns the exit status: 0, 1 on a runtime error, 2 on a bad option. */
int bench_main(int argc, char **argv);

#endif
