#include <stdio.h>
#include <stdlib.h>

int main(int argc, char *argv[]) {
    float a = (float)rand() / (float)RAND_MAX;
    char str_a[20];
    // ruleid: cwe-787-c-sprintf-float-overflow
    sprintf(str_a, "%f", a);
    // ok: cwe-787-c-sprintf-float-overflow
    snprintf(str_a, sizeof(str_a), "%f", a);
    char big[512];
    // ok: cwe-787-c-sprintf-float-overflow
    sprintf(big, "%f", a);
    // ok: cwe-787-c-sprintf-float-overflow
    sprintf(str_a, "%d", 42);
    return 0;
}
