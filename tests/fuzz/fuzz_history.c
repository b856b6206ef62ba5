/* fuzz_history.c - reading history.csv (libcsv) on arbitrary bytes. */
#include <math.h>

#include "fuzz_common.h"
#include "train/history.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *want[] = {"epoch", "loss", "val_accuracy", "missing"};
    double *cols[4] = {0};
    int rows = 0;
    err_t e;
    if (history_read(fuzz_file("history.csv", data, size), want, 4, cols, &rows, &e) == 0) {
        double sum = 0;
        for (int j = 0; j < 4; j++)
            for (int r = 0; r < rows; r++)
                sum += isnan(cols[j][r]) ? 0 : cols[j][r];
        (void)sum;
    }
    for (int j = 0; j < 4; j++)
        free(cols[j]);
    return 0;
}

static void fuzz_seed(const char *dir)
{
    static const char csv[] = "epoch,loss,accuracy,val_accuracy,\"name, quoted\"\n"
                              "1,2.25,0.3,0.35,x\n2,1.5,0.5,0.55,y\n";
    fuzz_write_seed(dir, "history.csv", csv, sizeof csv - 1);
}
