#include <stdio.h>
#include <stdlib.h>
#include <limits.h>

int main(int argc, char *argv[]) {
    // ruleid: cwe-190-c-random-arithmetic
    int value = rand() + 1000;
    // ok: cwe-190-c-random-arithmetic
    int bounded = rand() % 1000 + 1001;
    int raw = rand();
    // ruleid: cwe-190-c-random-arithmetic
    int scaled = raw * 1000;
    printf("%d %d %d\n", value, bounded, scaled);
    return 0;
}
