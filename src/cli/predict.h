/* predict.h - `mscnn predict`: a trained model's answers for picture files. */
#ifndef MSCNN_PREDICT_H
#define MSCNN_PREDICT_H

/* argv[0] is "predict"; returns the exit status (0, 1 when a file could
 * not be read, 2 for a usage error). */
int predict_main(int argc, char **argv);

#endif
