/* compare.h - `mscnn compare -m A -m B`: two models on the same test images. */
#ifndef MSCNN_COMPARE_H
#define MSCNN_COMPARE_H

/* argv[0] is "compare"; returns the exit status (0, 1 runtime error, 2
 * usage error: also models with different class lists). */
int compare_main(int argc, char **argv);

#endif
